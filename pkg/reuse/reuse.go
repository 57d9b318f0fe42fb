// Package reuse decides which steps of a new run need not run because an
// earlier run already did the same work: the steps of a run being resumed
// (run --resume) and cache hits (spec.cache). It is pure: the command lists
// the TaskRuns, this package matches them against the model.
//
// A step's cache key has two halves. The recipe is the hash of its
// definition (model.Step.Recipe), known before anything runs and stored on
// its TaskRun. The inputs are the values its params had: Tekton writes them,
// resolved, into the TaskRun's spec.params, so a finished TaskRun carries its
// whole key even when an input was another step's output. A new run knows a
// step's inputs at submit time only if every upstream step is itself reused:
// that is the prefix rule, and why a step downstream of one that runs is
// never looked up.
package reuse

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// Candidate is one earlier result of a step that a new run may take over.
type Candidate struct {
	// Step is the step's name in its run.
	Step         string
	Run, TaskRun string
	// Recipe is the recipe hash, or its start (see rendertekton.ShortRecipe).
	Recipe    string
	Inputs    string
	Outputs   map[string]string
	Completed time.Time
}

// Key is the full cache key: both halves in one hash.
func (c Candidate) Key() string { return Key(c.Recipe, c.Inputs) }

// Key joins a recipe and an inputs hash into one cache key.
func Key(recipe, inputs string) string {
	sum := sha256.Sum256([]byte(recipe + "\n" + inputs))
	return hex.EncodeToString(sum[:])
}

// InputsHash hashes the values of a step's params (name → value). Params
// that carry the run's identity are never part of it.
func InputsHash(params map[string]string) string {
	names := make([]string, 0, len(params))
	for n := range params {
		if !rendertekton.RunIdentityParam(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	pairs := make([][2]string, 0, len(names))
	for _, n := range names {
		pairs = append(pairs, [2]string{n, params[n]})
	}
	b, _ := json.Marshal(pairs)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FromTaskRun is a succeeded TaskRun as a candidate; false for any other.
func FromTaskRun(tr *v1.TaskRun) (Candidate, bool) {
	c := tr.Status.GetCondition(apis.ConditionSucceeded)
	if c == nil || c.Status != corev1.ConditionTrue || tr.Status.CompletionTime == nil {
		return Candidate{}, false
	}
	recipe := tr.Labels[rendertekton.LabelCacheKey]
	if recipe == "" {
		recipe = tr.Annotations[rendertekton.AnnotationRecipe]
	}
	params := map[string]string{}
	for _, p := range tr.Spec.Params {
		params[p.Name] = paramString(p.Value)
	}
	outs := map[string]string{}
	for _, r := range tr.Status.Results {
		outs[r.Name] = paramString(r.Value)
	}
	return Candidate{
		Step:      tr.Labels["tekton.dev/pipelineTask"],
		Run:       tr.Labels["tekton.dev/pipelineRun"],
		TaskRun:   tr.Name,
		Recipe:    recipe,
		Inputs:    InputsHash(params),
		Outputs:   outs,
		Completed: tr.Status.CompletionTime.Time,
	}, true
}

// FromRun lists what a run can hand on to a run resuming it: its succeeded
// TaskRuns, and the steps it reused itself.
func FromRun(pr *v1.PipelineRun, trs []*v1.TaskRun) ([]Candidate, error) {
	var out []Candidate
	recs, err := rendertekton.ParseReused(pr.Annotations[rendertekton.AnnotationReused])
	if err != nil {
		return nil, err
	}
	for step, rec := range recs {
		out = append(out, Candidate{Step: step, Run: rec.Run, TaskRun: rec.TaskRun, Recipe: rec.Recipe, Inputs: rec.Inputs, Outputs: rec.Outputs, Completed: rec.Completed})
	}
	for _, tr := range trs {
		if tr.Labels["tekton.dev/pipelineRun"] != pr.Name {
			continue
		}
		if c, ok := FromTaskRun(tr); ok {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out, nil
}

// Options are what Plan may reuse from.
type Options struct {
	// Now is the time maxAge is measured against.
	Now time.Time
	// ResumeRun is the run being resumed, and Resume its results (FromRun),
	// matched by step name.
	ResumeRun string
	Resume    []Candidate
	// Cache are the results found by the cache lookup, matched by key.
	Cache []Candidate
	// NoCache turns cache hits off (run --no-cache); Resume still applies.
	NoCache bool
}

// Decision is what Plan decided for one DAG step.
type Decision struct {
	Step string
	// Reused is set when the step will not run.
	Reused *model.Reused
	// Why says why a step that could have been reused was not ("" when
	// reuse was never on the table for it).
	Why string
}

// Plan marks the DAG steps of m that need not run (model.Step.Reused) and
// returns a decision for each, in DAG order. pr is m rendered with nothing
// reused: its task params say what each step's inputs are.
func Plan(m *model.Model, pr *v1.PipelineRun, opts Options) []Decision {
	runParams := map[string]string{}
	for _, p := range pr.Spec.Params {
		runParams[p.Name] = paramString(p.Value)
	}
	tasks := map[string]*v1.PipelineTask{}
	if ps := pr.Spec.PipelineSpec; ps != nil {
		for i := range ps.Tasks {
			tasks[ps.Tasks[i].Name] = &ps.Tasks[i]
		}
	}
	resume := map[string]Candidate{}
	for _, c := range opts.Resume {
		resume[c.Step] = c
	}
	byRecipe := map[string][]Candidate{}
	for _, c := range opts.Cache {
		byRecipe[c.Recipe] = append(byRecipe[c.Recipe], c)
	}
	for _, cs := range byRecipe {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Completed.After(cs[j].Completed) })
	}
	steps := map[string]*model.Step{}
	for _, s := range m.Steps {
		steps[s.Name] = s
	}
	var out []Decision
	for _, name := range order(m) {
		s := steps[name]
		_, resumable := resume[name]
		cacheable := s.Cache.Enabled && !opts.NoCache
		d := Decision{Step: name}
		if s.Instance != nil && m.FanOut(s.Instance.Of).Tekton {
			// Tekton's matrix runs every instance as one task: all or none run.
			if opts.ResumeRun != "" {
				d.Why = "Tekton's matrix runs " + s.Instance.Of + " again as a whole"
			}
			out = append(out, d)
			continue
		}
		if opts.ResumeRun != "" && !resumable {
			d.Why = "it did not succeed in " + opts.ResumeRun
		}
		if !resumable && !cacheable {
			out = append(out, d)
			continue
		}
		inputs, why := inputsOf(s, tasks[name], runParams, steps)
		switch {
		case why != "":
			d.Why = why
		case resumable:
			d.Reused, d.Why = fromResume(s, resume[name], inputs)
		}
		if d.Reused == nil && why == "" && cacheable {
			var cwhy string
			d.Reused, cwhy = fromCache(s, byRecipe[rendertekton.CacheLabel(s.Recipe)], inputs, opts.Now)
			if d.Why == "" || d.Reused != nil {
				d.Why = cwhy
			}
		}
		s.Reused = d.Reused
		out = append(out, d)
	}
	return out
}

func fromResume(s *model.Step, c Candidate, inputs string) (*model.Reused, string) {
	switch {
	case len(c.Recipe) < 16 || !strings.HasPrefix(s.Recipe, c.Recipe):
		return nil, "its definition changed since " + c.Run
	case c.Inputs != inputs:
		return nil, "its inputs changed since " + c.Run
	case !hasOutputs(c, s.Outputs):
		return nil, c.Run + " recorded only some of its outputs"
	}
	return reused(s, c, inputs, false), ""
}

func fromCache(s *model.Step, cs []Candidate, inputs string, now time.Time) (*model.Reused, string) {
	stale := 0
	for _, c := range cs {
		if c.Inputs != inputs || !hasOutputs(c, s.Outputs) {
			continue
		}
		if s.Cache.MaxAge > 0 && now.Sub(c.Completed) > s.Cache.MaxAge {
			stale++
			continue
		}
		return reused(s, c, inputs, true), ""
	}
	if stale > 0 {
		return nil, fmt.Sprintf("cache miss: the last result is older than maxAge %s", s.Cache.MaxAge)
	}
	return nil, "cache miss"
}

func reused(s *model.Step, c Candidate, inputs string, cached bool) *model.Reused {
	outs := map[string]string{}
	for _, o := range s.Outputs {
		outs[o] = c.Outputs[o]
	}
	return &model.Reused{Run: c.Run, TaskRun: c.TaskRun, Cached: cached, Completed: c.Completed, Outputs: outs, Recipe: s.Recipe, Inputs: inputs}
}

func hasOutputs(c Candidate, want []string) bool {
	for _, o := range want {
		if _, ok := c.Outputs[o]; !ok {
			return false
		}
	}
	return true
}

var (
	paramRef  = regexp.MustCompile(`\$\(params\.([^()\s]+)\)`)
	resultRef = regexp.MustCompile(`\$\(tasks\.([^.()\s]+)\.results\.([^()\s]+)\)`)
)

// inputsOf resolves a step's task params as Tekton will, or says why it
// cannot: an upstream step that runs makes its inputs unknown until then.
func inputsOf(s *model.Step, t *v1.PipelineTask, runParams map[string]string, steps map[string]*model.Step) (string, string) {
	var running []string
	for _, a := range s.After {
		if up := steps[a]; up == nil || up.Reused == nil {
			running = append(running, a)
		}
	}
	if len(running) > 0 {
		return "", "upstream " + strings.Join(running, ", ") + " " + plural(len(running), "runs", "run") + ", so its inputs are not known before it starts"
	}
	params := map[string]string{}
	if t != nil {
		for _, p := range t.Params {
			if rendertekton.RunIdentityParam(p.Name) {
				continue
			}
			v := paramString(p.Value)
			v = paramRef.ReplaceAllStringFunc(v, func(ref string) string {
				return runParams[paramRef.FindStringSubmatch(ref)[1]]
			})
			v = resultRef.ReplaceAllStringFunc(v, func(ref string) string {
				sm := resultRef.FindStringSubmatch(ref)
				if up := steps[sm[1]]; up != nil && up.Reused != nil {
					return up.Reused.Outputs[sm[2]]
				}
				return ref
			})
			params[p.Name] = v
		}
	}
	return InputsHash(params), ""
}

// order is the DAG steps, each after every step it depends on.
func order(m *model.Model) []string {
	if o, ok := m.Graph().TopoSort(); ok {
		return o
	}
	names := make([]string, 0, len(m.Steps))
	for _, s := range m.Steps {
		names = append(names, s.Name)
	}
	return names
}

func paramString(v v1.ParamValue) string {
	switch v.Type {
	case v1.ParamTypeArray:
		b, _ := json.Marshal(v.ArrayVal)
		return string(b)
	case v1.ParamTypeObject:
		b, _ := json.Marshal(v.ObjectVal)
		return string(b)
	}
	return v.StringVal
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

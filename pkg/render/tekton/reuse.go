package tekton

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/refs"
)

// CacheLabel is the label value for a recipe hash: label values hold 63
// characters, and 252 bits of sha256 are as good as 256 here.
func CacheLabel(recipe string) string {
	if len(recipe) > 63 {
		return recipe[:63]
	}
	return recipe
}

// ShortRecipe is the start of a recipe hash, as AnnotationRecipe holds it.
func ShortRecipe(recipe string) string {
	if len(recipe) > 16 {
		return recipe[:16]
	}
	return recipe
}

// TaskParamName is the name of the param that carries ref into a step's
// task ("" for references that are not params), and whether its value is the
// run's identity (run name, uid, namespace, status), which no cache key holds.
func TaskParamName(ref refs.Ref) (name string, runIdentity bool) {
	name, _ = internalParam(ref)
	switch ref.Kind {
	case refs.RunName, refs.RunUID, refs.RunNamespace, refs.RunStatus:
		return name, true
	}
	return name, false
}

// RunIdentityParam reports whether a task param carries the run's identity.
func RunIdentityParam(name string) bool {
	switch name {
	case paramRunName, paramRunUID, paramRunNamespace, paramRunStatus:
		return true
	}
	return false
}

// ReusedRecord is one reused step as the run's annotation records it.
type ReusedRecord struct {
	Run       string            `json:"run"`
	TaskRun   string            `json:"taskRun,omitempty"`
	Cached    bool              `json:"cached,omitempty"`
	Completed time.Time         `json:"completed"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	Recipe    string            `json:"recipe"`
	Inputs    string            `json:"inputs"`
}

// ParseReused reads a run's reused-steps annotation; "" gives nil.
func ParseReused(s string) (map[string]ReusedRecord, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]ReusedRecord{}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationReused, err)
	}
	return out, nil
}

func reusedAnnotation(m *model.Model) string {
	recs := map[string]ReusedRecord{}
	for _, s := range m.Steps {
		if u := s.Reused; u != nil {
			recs[s.Name] = ReusedRecord{Run: u.Run, TaskRun: u.TaskRun, Cached: u.Cached, Completed: u.Completed.UTC(), Outputs: u.Outputs, Recipe: u.Recipe, Inputs: u.Inputs}
		}
	}
	if len(recs) == 0 {
		return ""
	}
	b, _ := json.Marshal(recs)
	return string(b)
}

func (r *renderer) reused(step string) *model.Reused {
	if r.reusedBy == nil {
		r.reusedBy = map[string]*model.Reused{}
		for _, s := range r.m.Steps {
			if s.Reused != nil {
				r.reusedBy[s.Name] = s.Reused
			}
		}
	}
	return r.reusedBy[step]
}

// literal is the value of a reference to a reused step's output.
func (r *renderer) literal(ref refs.Ref) (string, bool) {
	if ref.Kind != refs.StepOutput {
		return "", false
	}
	u := r.reused(ref.Step)
	if u == nil {
		return "", false
	}
	v, ok := u.Outputs[ref.Name]
	return v, ok
}

func (r *renderer) explainReused(s *model.Step) {
	u := s.Reused
	how := "reused from " + u.Run + " (--resume)"
	if u.Cached {
		how = "cached: outputs of " + u.Run + ", completed " + u.Completed.UTC().Format(time.RFC3339)
	}
	var outs []string
	for k := range u.Outputs {
		outs = append(outs, k)
	}
	sort.Strings(outs)
	note := how + "; creates no pod"
	if len(outs) > 0 {
		note += "; its outputs (" + strings.Join(outs, ", ") + ") are literal values downstream"
	}
	r.explain(s.Path.String(), field.NewPath("metadata", "annotations").Key(AnnotationReused), s.Name, note)
}

// explainCache says when a cached step is looked up: only when every input
// is known at submit time (the prefix rule).
func (r *renderer) explainCache(s *model.Step, where *field.Path) {
	var upstream []string
	for _, a := range s.After {
		if r.reused(a) == nil {
			upstream = append(upstream, a)
		}
	}
	note := "cached: looked up at submit (its inputs are params)"
	if len(upstream) > 0 {
		note = "cached: looked up at submit only if " + strings.Join(upstream, ", ") + " " + plural(len(upstream), "is a cache hit", "are cache hits") + "; else it runs and records its result for later runs"
	}
	if s.Cache.MaxAge > 0 {
		note += "; results up to " + s.Cache.MaxAge.String() + " old"
	}
	if s.Cache.Key != "" {
		note += "; key " + fmt.Sprintf("%q", s.Cache.Key)
	}
	for _, from := range s.Cache.From {
		r.explain(from, where, s.Name, note)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

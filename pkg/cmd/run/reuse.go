package run

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/reuse"
	"github.com/mlpipe/kubectl-mlpipe/pkg/runspec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// LabelResumedFrom is on a run made by run --resume: the run it resumed.
const LabelResumedFrom = "mlpipe.dev/resumed-from"

// reuse decides which steps need not run (pkg/reuse) and renders the run
// again without them. done is true when the command has nothing left to do:
// an error, or every step reused.
func (o *Options) reuse(ctx context.Context, connected chan connection, res *compiler.Result, src *resumeSource, name string) (done bool, err error) {
	m := res.Model
	changed := src != nil && src.run.Annotations[rendertekton.AnnotationSpecHash] != m.SpecSHA256
	if changed && !o.Force {
		return true, util.UsageError(o.cmdPath, "%s ran a different spec (spec-sha256 %s; %s is %s): resume a run of this spec, or pass --force to reuse the steps whose definition and inputs did not change",
			src.run.Name, short(src.run.Annotations[rendertekton.AnnotationSpecHash]), o.Filenames[0], short(m.SpecSHA256))
	}
	var cached []reuse.Candidate
	if !o.NoCache && cacheOn(m) {
		conn := o.connect(connected)
		switch {
		case conn.err != nil && o.DryRun == DryRunClient:
			fmt.Fprintf(o.ErrOut, "Warning: the cache was not looked up: %v\n", conn.err)
		case conn.err != nil:
			return true, conn.err
		default:
			if cached, err = o.cacheLookup(ctx, conn.clients, m); err != nil {
				return true, err
			}
		}
	}
	if src == nil && len(cached) == 0 {
		return false, nil
	}
	opts := reuse.Options{Now: o.now(), Cache: cached, NoCache: o.NoCache}
	if src != nil {
		opts.Resume, opts.ResumeRun = src.cands, src.run.Name
	}
	ds := reuse.Plan(m, res.PipelineRun, opts)
	if changed {
		fmt.Fprintf(o.ErrOut, "Warning: %s ran a different spec (--force): %s\n", src.run.Name, specChanges(src, m, ds))
	}
	n := 0
	for _, d := range ds {
		if d.Reused != nil {
			n++
		}
	}
	// Something was found to reuse: say what was, and why the rest was not.
	o.reportReuse(ds, src, opts.Now)
	switch {
	case n == 0:
		return false, nil
	case n == len(ds):
		fmt.Fprintf(o.ErrOut, "Nothing to run: every step is reused; pass --no-cache to run the cached ones again\n")
		return true, nil
	}
	return false, compiler.Rerender(ctx, res, compiler.Options{Name: name, ExpandMatrix: o.ExpandMatrix})
}

func cacheOn(m *model.Model) bool {
	for _, s := range m.Steps {
		if s.Cache.Enabled {
			return true
		}
	}
	return false
}

func declaredParams(doc *spec.Document) []string {
	names := make([]string, 0, len(doc.Pipeline.Spec.Params))
	for _, p := range doc.Pipeline.Spec.Params {
		names = append(names, p.Name)
	}
	return names
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	if hash == "" {
		return "unknown"
	}
	return hash
}

// resumeSource is the run being resumed, its TaskRuns and its param values.
type resumeSource struct {
	run    *v1.PipelineRun
	cands  []reuse.Candidate
	params map[string]string
}

// fetchResume reads the run to resume: one GET (or one LIST for --last) and
// one LIST of its TaskRuns.
func (o *Options) fetchResume(ctx context.Context, c *util.Clients, pipeline string) (*resumeSource, error) {
	var pr *v1.PipelineRun
	var err error
	if o.ResumeLast {
		pr, err = util.LastRun(ctx, c.Tekton, o.ns, pipeline)
	} else {
		pr, err = util.GetRun(ctx, c.Tekton, o.ns, o.Resume)
	}
	if err != nil {
		return nil, err
	}
	if pr, err = runspec.Run(ctx, c.Tekton, pr); err != nil {
		return nil, err
	}
	if p := pr.Labels[rendertekton.LabelPipeline]; p != pipeline {
		return nil, util.UsageError(o.cmdPath, "run %s is a run of pipeline %q, not %q", pr.Name, p, pipeline)
	}
	if !util.Finished(pr) {
		return nil, util.UsageError(o.cmdPath, "run %s has not finished: wait for it, or cancel it first (kubectl mlpipe cancel %s)", pr.Name, pr.Name)
	}
	trs, err := c.Tekton.TektonV1().TaskRuns(o.ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
	if err != nil {
		return nil, fmt.Errorf("listing the TaskRuns of %s: %w", pr.Name, err)
	}
	items := make([]*v1.TaskRun, 0, len(trs.Items))
	for i := range trs.Items {
		items = append(items, &trs.Items[i])
	}
	cands, err := reuse.FromRun(pr, items)
	if err != nil {
		return nil, err
	}
	src := &resumeSource{run: pr, cands: cands, params: map[string]string{}}
	for _, p := range pr.Spec.Params {
		if p.Value.Type == v1.ParamTypeString || p.Value.Type == "" {
			src.params[p.Name] = p.Value.StringVal
		}
	}
	return src, nil
}

// resumeParams are the resumed run's param values, under the ones -p sets,
// for the params the spec still declares.
func resumeParams(src *resumeSource, declared []string, flags map[string]string) map[string]string {
	out := map[string]string{}
	for _, name := range declared {
		if v, ok := src.params[name]; ok {
			out[name] = v
		}
	}
	for k, v := range flags {
		out[k] = v
	}
	return out
}

// cacheLookup is the one LIST the cache costs: the TaskRuns of the
// namespace labelled with any of the recipes of the steps that cache.
func (o *Options) cacheLookup(ctx context.Context, c *util.Clients, m *model.Model) ([]reuse.Candidate, error) {
	keys := map[string]bool{}
	for _, s := range m.Steps {
		if s.Cache.Enabled {
			keys[rendertekton.CacheLabel(s.Recipe)] = true
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	// A set-based selector names every key; past a few dozen the URL gets
	// long, and "has the label" with a client-side filter is the better trade.
	selector := rendertekton.LabelCacheKey
	if len(sorted) <= 64 {
		selector += " in (" + strings.Join(sorted, ",") + ")"
	}
	list, err := c.Tekton.TektonV1().TaskRuns(o.ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("looking up cached steps: %w", err)
	}
	var out []reuse.Candidate
	for i := range list.Items {
		tr := &list.Items[i]
		if !keys[tr.Labels[rendertekton.LabelCacheKey]] {
			continue
		}
		if cand, ok := reuse.FromTaskRun(tr); ok {
			out = append(out, cand)
		}
	}
	return out, nil
}

// reportReuse tells the user, on stderr, which steps will not run and why
// the ones that could have been reused were not.
func (o *Options) reportReuse(ds []reuse.Decision, src *resumeSource, now time.Time) {
	var resumed, cached, misses []string
	for _, d := range ds {
		switch {
		case d.Reused != nil && d.Reused.Cached:
			cached = append(cached, fmt.Sprintf("%s (from %s, %s ago)", d.Step, d.Reused.Run, duration.HumanDuration(now.Sub(d.Reused.Completed))))
		case d.Reused != nil:
			resumed = append(resumed, d.Step)
		case d.Why != "":
			misses = append(misses, d.Step+": "+d.Why)
		}
	}
	if src != nil {
		fmt.Fprintf(o.ErrOut, "Resuming %s: %d %s reused (%s)\n", src.run.Name, len(resumed), plural(len(resumed), "step", "steps"), dashIfNone(resumed))
	}
	if len(cached) > 0 {
		fmt.Fprintf(o.ErrOut, "Cached: %s\n", strings.Join(cached, ", "))
	}
	for _, m := range misses {
		fmt.Fprintf(o.ErrOut, "Runs: %s\n", m)
	}
}

// specChanges says how the spec and params differ from the resumed run's, for --force.
func specChanges(src *resumeSource, m *model.Model, ds []reuse.Decision) string {
	var changed []string
	for _, d := range ds {
		if strings.HasPrefix(d.Why, "its definition changed") {
			changed = append(changed, d.Step)
		}
	}
	known := map[string]bool{}
	for _, c := range src.cands {
		known[c.Step] = true
	}
	var added []string
	for _, s := range m.Steps {
		if !known[s.Name] {
			added = append(added, s.Name)
		}
	}
	var parts []string
	if len(changed) > 0 {
		parts = append(parts, "steps changed: "+strings.Join(changed, ", "))
	}
	if len(added) > 0 {
		parts = append(parts, "steps with no result in "+src.run.Name+": "+strings.Join(added, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "no step's definition changed (only settings that do not change results, such as placement)")
	}
	return strings.Join(parts, "; ")
}

func dashIfNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package tektonvalidate

import (
	"context"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
)

// How the fast path splits Tekton's PipelineRun.Validate (Tekton v1.15.1;
// pipelinerun_validation.go, pipeline_validation.go, task_validation.go):
//
// Full = metadata + run-level checks + PipelineSpec.Validate + inline param
// checks, where PipelineSpec.Validate = cross-task checks + each task's
// TaskSpec.Validate, and the inline checks = the param union (run params,
// pipeline params, every DAG task's params and taskSpec params) + for each
// DAG task with steps, its steps judged against that union + every DAG task's
// param and when values judged against it.
//
//  1. F1, the cross-task checks: Tekton's PipelineSpec.Validate on a
//     skeleton in which every taskSpec is a stand-in: the same params,
//     results and workspaces, no steps, and apiVersion/kind of a custom task
//     so that Tekton does not validate it as a Task (its own checks come in
//     step 3). Everything on the pipeline task (name, runAfter, params,
//     when, workspaces, retries, timeout, onError) is the original. The
//     only other thing a cross-task check reads from a taskSpec is the
//     $(tasks.X.results.Y) references written in its steps and sidecars,
//     which become DAG edges; the stand-in carries them in a sidecar, so
//     the graph is the same.
//  2. F2, the run-level checks: Tekton's PipelineRun.Validate on the same
//     skeleton without finally tasks (the run level reads only DAG tasks),
//     where a DAG task's param is dropped when its value was already seen
//     in an earlier task or has no "$(params" in it (then Tekton's value
//     check cannot fail: all its patterns start with "$(params"), and its
//     name is still declared by the stand-in's taskSpec params (so the
//     union is unchanged; all params are plain strings here). Likewise for
//     when expressions. Dropping params and when expressions can only take
//     errors away from the skeleton's pipeline checks, which F1 makes with
//     everything in place. This avoids Tekton's four regexp compiles for
//     every param of every task.
//  3. Each task's own checks, TaskSpec.Validate and, for a DAG task with
//     steps, the inline checks of its steps against the union, run once per
//     distinct normalized shape (normalize.go), with the command, args and
//     env entries of all shapes pooled (checks.go). A check that fails is
//     re-checked task by task on the original taskSpecs, so errors name the
//     real task and its real text.
//
// F1, F2 and the checks of step 3 run on GOMAXPROCS goroutines.
//
// The fast path only takes the shapes the renderer produces: an embedded
// pipelineSpec, every task an embedded Task (no taskRef, pipelineRef,
// pipelineSpec, custom task or matrix) and every param a plain string.
// Anything else goes to Full.

// Stand-in taskSpecs are custom tasks of this kind.
var standIn = schema.GroupVersionKind{Group: "mlpipe.dev", Version: "v1", Kind: "ValidationStandIn"}

// task is one pipeline task being validated.
type task struct {
	pt      *v1.PipelineTask
	finally bool
	index   int // in its section

	orig *v1.TaskSpec // defaulted deep copy, not normalized
	rep  normalized
	key  string
	deps []string // result references in steps and sidecars, DAG tasks only
	ok   bool
}

func (t *task) section() string {
	if t.finally {
		return "finally"
	}
	return "tasks"
}

// fast validates pr; ok is false when pr is outside the fast path's shapes.
func fast(ctx context.Context, pr *v1.PipelineRun) (fe *apis.FieldError, ok bool) {
	ps := pr.Spec.PipelineSpec
	if ps == nil || pr.Spec.PipelineRef != nil || apis.IsInUpdate(ctx) {
		// (An update compares the spec with the old object's, which the
		// skeletons are not.)
		return nil, false
	}
	names := map[string]bool{} // the inline param union, by name
	for _, p := range pr.Spec.Params {
		if p.Value.Type != v1.ParamTypeString {
			return nil, false
		}
		names[p.Name] = true
	}
	for _, p := range ps.Params {
		names[p.Name] = true
	}
	tasks := make([]task, 0, len(ps.Tasks)+len(ps.Finally))
	for i := range ps.Tasks {
		tasks = append(tasks, task{pt: &ps.Tasks[i], index: i})
	}
	for i := range ps.Finally {
		tasks = append(tasks, task{pt: &ps.Finally[i], finally: true, index: i})
	}
	for i := range tasks {
		pt := tasks[i].pt
		if !eligible(pt) {
			return nil, false
		}
		if !tasks[i].finally {
			for _, p := range pt.Params {
				names[p.Name] = true
			}
			for _, p := range pt.TaskSpec.Params {
				names[p.Name] = true
			}
		}
	}
	rename := true
	for n := range names {
		if strings.Contains(n, freshPrefix) {
			rename = false
		}
	}

	parallel(len(tasks), func(i int) { prepare(ctx, &tasks[i], rename) })
	for i := range tasks {
		if !tasks[i].ok {
			return nil, false
		}
	}

	k1 := skeleton(pr, tasks)
	if k1 == nil {
		return nil, false
	}
	k1.SetDefaults(ctx)
	for _, p := range k1.Spec.PipelineSpec.Params {
		if !plainParamSpec(p) {
			return nil, false
		}
	}
	k2 := runSkeleton(k1)

	union := make(v1.ParamSpecs, 0, len(names))
	for n := range names {
		union = append(union, v1.ParamSpec{Name: n, Type: v1.ParamTypeString})
	}
	sort.Slice(union, func(i, j int) bool { return union[i].Name < union[j].Name })

	inline := false
	for i := range tasks {
		inline = inline || !tasks[i].finally && tasks[i].orig.Steps != nil
	}
	checks := planChecks(ctx, tasks)

	ctxSpec := apis.WithinSpec(ctx)
	jobs := []func() *apis.FieldError{
		func() *apis.FieldError {
			return k1.Spec.PipelineSpec.Validate(ctxSpec).ViaField("pipelineSpec").ViaField("spec")
		},
		func() *apis.FieldError { return k2.Validate(ctx) },
	}
	if inline {
		// Tekton runs this for every DAG task with steps; the union is the
		// same each time.
		jobs = append(jobs, func() *apis.FieldError { return v1.ValidateParameterTypes(ctxSpec, union).ViaField("spec") })
	}
	failed := make([]bool, len(checks))
	for c := range checks {
		jobs = append(jobs, func() *apis.FieldError {
			failed[c] = checks[c].run(ctxSpec, union) != nil
			return nil
		})
	}
	results := make([]*apis.FieldError, len(jobs))
	parallel(len(jobs), func(j int) { results[j] = jobs[j]() })

	var errs *apis.FieldError
	errs = errs.Also(results...)
	// A failing shape: check its tasks one by one, as they are, so that the
	// errors are Tekton's own about the real task.
	recheck := map[int]bool{}
	for c := range checks {
		if failed[c] {
			for _, i := range checks[c].members {
				recheck[i] = true
			}
		}
	}
	var again []int
	for i := range recheck {
		again = append(again, i)
	}
	sort.Ints(again)
	perTask := make([]*apis.FieldError, len(again))
	parallel(len(again), func(j int) {
		t := &tasks[again[j]]
		perTask[j] = checkTask(ctxSpec, t.orig, t.finally, union).
			ViaField("taskSpec").ViaFieldIndex(t.section(), t.index).ViaField("pipelineSpec").ViaField("spec")
	})
	errs = errs.Also(perTask...)
	return errs, true
}

// eligible: an embedded, non-custom Task without matrix, with string params.
func eligible(pt *v1.PipelineTask) bool {
	et := pt.TaskSpec
	if et == nil || pt.TaskRef != nil || pt.PipelineRef != nil || pt.PipelineSpec != nil || pt.Matrix != nil {
		return false
	}
	if et.APIVersion != "" || et.Kind != "" || et.Spec.Raw != nil || et.Spec.Object != nil {
		return false
	}
	for _, p := range pt.Params {
		if p.Value.Type != v1.ParamTypeString {
			return false
		}
	}
	return true
}

// plainParamSpec: a string param without enum or properties whose default,
// if any, is a string.
func plainParamSpec(p v1.ParamSpec) bool {
	return p.Type == v1.ParamTypeString && len(p.Enum) == 0 && p.Properties == nil &&
		(p.Default == nil || p.Default.Type == v1.ParamTypeString)
}

// prepare defaults a copy of the task's spec as SetDefaults would, and
// derives its representative, shape key and result references.
func prepare(ctx context.Context, t *task, rename bool) {
	orig := t.pt.TaskSpec.TaskSpec.DeepCopy()
	orig.SetDefaults(ctx)
	for _, p := range orig.Params {
		if !plainParamSpec(p) {
			return
		}
	}
	t.orig = orig
	if !t.finally && mayReferToResults(t.pt.TaskSpec) {
		for _, e := range t.pt.GetVarSubstitutionExpressions() {
			// NewResultRefs keeps exactly the expressions that parse as
			// result references, which all look like one.
			if v1.LooksLikeContainsResultRefs([]string{e}) && len(v1.NewResultRefs([]string{e})) > 0 {
				t.deps = append(t.deps, e)
			}
		}
	}
	t.rep = normalizeTask(shallowClone(orig), rename)
	kind := byte('D')
	if t.finally {
		kind = 'F'
	}
	t.key = string(appendKey([]byte{kind}, reflect.ValueOf(t.rep.ts).Elem()))
	t.ok = true
}

// mayReferToResults: whether a string in the steps or sidecars could hold a
// result reference. Those are expressions "tasks.X.results.Y" (or
// "finally.") found as "$(expression)", so the string holds "$(tasks." or
// "$(finally.".
func mayReferToResults(et *v1.EmbeddedTask) bool {
	found := false
	look := func(s string) {
		found = found || strings.Contains(s, "$(tasks.") || strings.Contains(s, "$(finally.")
	}
	walkStrings(reflect.ValueOf(et.Steps), look)
	walkStrings(reflect.ValueOf(et.Sidecars), look)
	return found
}

// shallowClone copies ts and the slices normalizeTask rewrites in place, so
// that orig stays intact; what they point to is shared and not modified.
func shallowClone(ts *v1.TaskSpec) *v1.TaskSpec {
	c := *ts
	c.Params = cloneSlice(ts.Params)
	c.Results = cloneSlice(ts.Results)
	c.Workspaces = cloneSlice(ts.Workspaces)
	c.Steps = cloneSlice(ts.Steps)
	for i := range c.Steps {
		c.Steps[i].Command = cloneSlice(c.Steps[i].Command)
		c.Steps[i].Args = cloneSlice(c.Steps[i].Args)
		c.Steps[i].Env = cloneSlice(c.Steps[i].Env)
	}
	return &c
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// skeleton is pr with every taskSpec replaced by its stand-in (nil if a
// stand-in would not carry the same result references).
func skeleton(pr *v1.PipelineRun, tasks []task) *v1.PipelineRun {
	k := &v1.PipelineRun{TypeMeta: pr.TypeMeta}
	pr.ObjectMeta.DeepCopyInto(&k.ObjectMeta)
	pr.Status.DeepCopyInto(&k.Status)
	spec := pr.Spec
	spec.PipelineSpec = nil
	spec.DeepCopyInto(&k.Spec)
	ps := *pr.Spec.PipelineSpec
	ps.Tasks, ps.Finally = nil, nil
	k.Spec.PipelineSpec = ps.DeepCopy()
	if k.Name == "" {
		k.Name = PlaceholderName
	}
	src := pr.Spec.PipelineSpec
	if src.Tasks != nil {
		k.Spec.PipelineSpec.Tasks = make([]v1.PipelineTask, 0, len(src.Tasks))
	}
	if src.Finally != nil {
		k.Spec.PipelineSpec.Finally = make([]v1.PipelineTask, 0, len(src.Finally))
	}
	for i := range tasks {
		t := &tasks[i]
		s, ok := standInTask(t)
		if !ok {
			return nil
		}
		if t.finally {
			k.Spec.PipelineSpec.Finally = append(k.Spec.PipelineSpec.Finally, s)
		} else {
			k.Spec.PipelineSpec.Tasks = append(k.Spec.PipelineSpec.Tasks, s)
		}
	}
	return k
}

func standInTask(t *task) (v1.PipelineTask, bool) {
	c := *t.pt
	c.TaskSpec = nil
	s := *c.DeepCopy()
	et := &v1.EmbeddedTask{
		TaskSpec: v1.TaskSpec{Params: t.orig.Params, Results: t.orig.Results, Workspaces: t.orig.Workspaces},
	}
	et.APIVersion, et.Kind = standIn.GroupVersion().String(), standIn.Kind
	t.pt.TaskSpec.Metadata.DeepCopyInto(&et.Metadata)
	if len(t.deps) > 0 {
		args := make([]string, len(t.deps))
		for i, e := range t.deps {
			args[i] = "$(" + e + ")"
		}
		et.Sidecars = []v1.Sidecar{{Name: "result-refs", Image: "result-refs", Args: args}}
	}
	s.TaskSpec = et
	if !sameRefs(v1.NewResultRefs(t.deps), v1.NewResultRefs(s.GetVarSubstitutionExpressions())) {
		return s, false
	}
	return s, true
}

func sameRefs(a, b []*v1.ResultRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].PipelineTask != b[i].PipelineTask || a[i].Result != b[i].Result || a[i].Property != b[i].Property {
			return false
		}
	}
	return true
}

// runSkeleton is k1 for the run-level checks: no finally tasks, and DAG
// tasks keep only the params and when expressions whose value check could
// fail and has not been made yet (see the top of this file).
func runSkeleton(k1 *v1.PipelineRun) *v1.PipelineRun {
	k2 := *k1
	ps := *k1.Spec.PipelineSpec
	ps.Finally = nil
	ps.Tasks = make([]v1.PipelineTask, len(k1.Spec.PipelineSpec.Tasks))
	seenValue := map[string]bool{}
	seenWhen := map[string]bool{}
	for i, t := range k1.Spec.PipelineSpec.Tasks {
		declared := map[string]bool{}
		for _, p := range t.TaskSpec.Params {
			declared[p.Name] = true
		}
		var params v1.Params
		for _, p := range t.Params {
			v := p.Value.StringVal
			if declared[p.Name] && (!strings.Contains(v, "$(params") || seenValue[v]) {
				continue
			}
			seenValue[v] = true
			params = append(params, p)
		}
		var when v1.WhenExpressions
		for _, w := range t.When {
			texts := append([]string{w.Input}, w.Values...)
			k := strings.Join(texts, "\x00")
			if !strings.Contains(k, "$(params") || seenWhen[k] {
				continue
			}
			seenWhen[k] = true
			when = append(when, w)
		}
		t.Params, t.When = params, when
		ps.Tasks[i] = t
	}
	k2.Spec.PipelineSpec = &ps
	return &k2
}

func workers() int { return runtime.GOMAXPROCS(0) }

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	w := workers()
	if w > n {
		w = n
	}
	if w <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for ; w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

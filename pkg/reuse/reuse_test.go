package reuse_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/reuse"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// chain is five steps in a line; c also reads the run's name, and e reads
// b's output across two edges, as the resume proof does.
const chain = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata:
  name: chain
spec:
  image: busybox:1.36
  params:
    - {name: seed, default: "7"}
    - {name: threshold, default: "0.5"}
    - {name: fail, default: "0"}
  cache: CACHE
  settings:
    pod:
      nodeSelector: {pool: cpu}
  steps:
    - name: a
      outputs: [x]
      script: echo $(params.seed) > $(outputs.x.path)
    - name: b
      outputs: [y]
      script: echo '$(steps.a.outputs.x)' > $(outputs.y.path)
    - name: c
      outputs: [z]
      script: echo '$(steps.b.outputs.y) $(params.threshold) $(run.name)' > $(outputs.z.path)
    - name: d
      outputs: [w]
      script: exit $(params.fail); echo '$(steps.c.outputs.z)' > $(outputs.w.path)
    - name: e
      script: echo '$(steps.d.outputs.w) $(steps.b.outputs.y)'
  finally:
    - name: report
      script: echo $(run.status)
`

func compile(t *testing.T, src, cache string, params map[string]string) *compiler.Result {
	t.Helper()
	docs, err := spec.Load("chain.yaml", []byte(strings.Replace(src, "CACHE", cache, 1)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), docs[0], compiler.Options{Name: "chain-" + fmt.Sprint(len(params)), Params: params})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var (
	paramRef  = regexp.MustCompile(`\$\(params\.([^()\s]+)\)`)
	resultRef = regexp.MustCompile(`\$\(tasks\.([^.()\s]+)\.results\.([^()\s]+)\)`)
)

// execute does what Tekton does with a PipelineRun, without the pods: each
// task's TaskRun gets its params resolved and the labels and annotations of
// its pipeline task; a step's output is its first resolved param plus its
// name. Steps in fail fail, and stop the DAG.
func execute(t *testing.T, pr *v1.PipelineRun, done time.Time, fail ...string) []*v1.TaskRun {
	t.Helper()
	runParams := map[string]string{}
	for _, p := range pr.Spec.Params {
		runParams[p.Name] = p.Value.StringVal
	}
	results := map[string]map[string]string{}
	failed := map[string]bool{}
	var out []*v1.TaskRun
	for _, task := range pr.Spec.PipelineSpec.Tasks {
		skip := false
		for _, a := range task.RunAfter {
			if results[a] == nil {
				skip = true
			}
		}
		if skip {
			continue
		}
		tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{
			Name:        pr.Name + "-" + task.Name,
			Labels:      map[string]string{"tekton.dev/pipelineRun": pr.Name, "tekton.dev/pipelineTask": task.Name},
			Annotations: map[string]string{},
		}}
		for k, v := range task.TaskSpec.Metadata.Labels {
			tr.Labels[k] = v
		}
		for k, v := range task.TaskSpec.Metadata.Annotations {
			tr.Annotations[k] = v
		}
		var first string
		for i, p := range task.Params {
			v := paramRef.ReplaceAllStringFunc(p.Value.StringVal, func(s string) string { return runParams[paramRef.FindStringSubmatch(s)[1]] })
			v = resultRef.ReplaceAllStringFunc(v, func(s string) string {
				m := resultRef.FindStringSubmatch(s)
				return results[m[1]][m[2]]
			})
			tr.Spec.Params = append(tr.Spec.Params, v1.Param{Name: p.Name, Value: *v1.NewStructuredValues(v)})
			if i == 0 {
				first = v
			}
		}
		status := corev1.ConditionTrue
		for _, f := range fail {
			if f == task.Name {
				status, failed[task.Name] = corev1.ConditionFalse, true
			}
		}
		tr.Status.SetCondition(&apis.Condition{Type: apis.ConditionSucceeded, Status: status})
		tr.Status.CompletionTime = &metav1.Time{Time: done}
		if status == corev1.ConditionTrue {
			results[task.Name] = map[string]string{}
			for _, r := range task.TaskSpec.Results {
				v := first + "/" + task.Name
				results[task.Name][r.Name] = v
				tr.Status.Results = append(tr.Status.Results, v1.TaskRunResult{Name: r.Name, Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(v)})
			}
		}
		out = append(out, tr)
	}
	pr.Status.SetCondition(&apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue})
	if len(failed) > 0 {
		pr.Status.SetCondition(&apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionFalse})
	}
	return out
}

func decisions(ds []reuse.Decision) string {
	var parts []string
	for _, d := range ds {
		switch {
		case d.Reused != nil && d.Reused.Cached:
			parts = append(parts, d.Step+"=cached:"+d.Reused.Run)
		case d.Reused != nil:
			parts = append(parts, d.Step+"=reused:"+d.Reused.Run)
		default:
			parts = append(parts, d.Step+"=runs")
		}
	}
	return strings.Join(parts, " ")
}

func why(ds []reuse.Decision, step string) string {
	for _, d := range ds {
		if d.Step == step {
			return d.Why
		}
	}
	return "no decision for " + step
}

func taskNames(pr *v1.PipelineRun) string {
	var names []string
	for _, task := range pr.Spec.PipelineSpec.Tasks {
		names = append(names, task.Name)
	}
	return strings.Join(names, ",")
}

func resumeFrom(t *testing.T, first *compiler.Result, trs []*v1.TaskRun) []reuse.Candidate {
	t.Helper()
	cands, err := reuse.FromRun(first.PipelineRun, trs)
	if err != nil {
		t.Fatal(err)
	}
	return cands
}

func TestResumeReusesWhatSucceededAndRunsTheRest(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	first := compile(t, chain, "false", map[string]string{"fail": "3"})
	trs := execute(t, first.PipelineRun, now.Add(-time.Hour), "d")

	second := compile(t, chain, "false", map[string]string{"fail": "0"})
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Resume: resumeFrom(t, first, trs), ResumeRun: first.PipelineRun.Name})
	// d's inputs changed (fail=0), and e is downstream of it.
	if got, want := decisions(ds), "a=reused:chain-1 b=reused:chain-1 c=reused:chain-1 d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	if err := compiler.Rerender(context.Background(), second, compiler.Options{Name: "chain-2"}); err != nil {
		t.Fatal(err)
	}
	pr := second.PipelineRun
	if got := taskNames(pr); got != "d,e" {
		t.Errorf("tasks = %s, want d,e", got)
	}
	// e reads b's output: b does not run, so the value is a literal.
	var eParams []string
	for _, task := range pr.Spec.PipelineSpec.Tasks {
		if task.Name == "e" {
			for _, p := range task.Params {
				eParams = append(eParams, p.Value.StringVal)
			}
			if len(task.RunAfter) != 1 || task.RunAfter[0] != "d" {
				t.Errorf("e runs after %v, want [d]", task.RunAfter)
			}
		}
	}
	if !strings.Contains(strings.Join(eParams, " "), "7/a/b") {
		t.Errorf("e's params %q do not carry b's output 7/a/b as a literal", eParams)
	}
	recs, err := rendertekton.ParseReused(pr.Annotations[rendertekton.AnnotationReused])
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs["b"].TaskRun != "chain-1-b" || recs["b"].Outputs["y"] != "7/a/b" || recs["b"].Cached {
		t.Errorf("reused annotation = %+v", recs)
	}
	var specs []string
	for _, ts := range pr.Spec.TaskRunSpecs {
		specs = append(specs, ts.PipelineTaskName)
	}
	if got := strings.Join(specs, ","); got != "d,e,report" {
		t.Errorf("taskRunSpecs for %s, want d,e,report", got)
	}
}

func TestResumeOfAResumedRunCarriesItsReusedSteps(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	first := compile(t, chain, "false", map[string]string{"fail": "3"})
	trs := execute(t, first.PipelineRun, now.Add(-2*time.Hour), "d")
	second := compile(t, chain, "false", map[string]string{"fail": "4"})
	reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Resume: resumeFrom(t, first, trs), ResumeRun: first.PipelineRun.Name})
	if err := compiler.Rerender(context.Background(), second, compiler.Options{Name: "chain-2"}); err != nil {
		t.Fatal(err)
	}
	trs2 := execute(t, second.PipelineRun, now.Add(-time.Hour), "d")

	third := compile(t, chain, "false", map[string]string{"fail": "0"})
	ds := reuse.Plan(third.Model, third.PipelineRun, reuse.Options{Now: now, Resume: resumeFrom(t, second, trs2), ResumeRun: second.PipelineRun.Name})
	if got, want := decisions(ds), "a=reused:chain-1 b=reused:chain-1 c=reused:chain-1 d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
}

func TestResumeWithAChangedParamRerunsWhatReadsIt(t *testing.T) {
	now := time.Now()
	first := compile(t, chain, "false", nil)
	trs := execute(t, first.PipelineRun, now)
	second := compile(t, chain, "false", map[string]string{"threshold": "0.9"})
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Resume: resumeFrom(t, first, trs), ResumeRun: first.PipelineRun.Name})
	if got, want := decisions(ds), "a=reused:chain-0 b=reused:chain-0 c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	if w := why(ds, "c"); !strings.Contains(w, "inputs changed") {
		t.Errorf("why c runs = %q", w)
	}
	if w := why(ds, "d"); !strings.Contains(w, "upstream c runs") {
		t.Errorf("why d runs = %q", w)
	}
}

func TestResumeWithAChangedDefinitionRerunsTheStep(t *testing.T) {
	now := time.Now()
	first := compile(t, chain, "false", map[string]string{"fail": "3"})
	trs := execute(t, first.PipelineRun, now, "d")
	changed := strings.Replace(chain, "echo '$(steps.a.outputs.x)'", "printf '%s' '$(steps.a.outputs.x)'", 1)
	second := compile(t, changed, "false", map[string]string{"fail": "0"})
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Resume: resumeFrom(t, first, trs), ResumeRun: first.PipelineRun.Name})
	if got, want := decisions(ds), "a=reused:chain-1 b=runs c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	if w := why(ds, "c"); !strings.Contains(w, "upstream b runs") {
		t.Errorf("why c runs = %q", w)
	}
	if w := why(ds, "e"); w != "it did not succeed in chain-1" {
		t.Errorf("why e runs = %q", w)
	}
	if w := why(ds, "b"); w != "its definition changed since chain-1" {
		t.Errorf("why b runs = %q", w)
	}
}

func TestPlacementIsNotPartOfTheRecipe(t *testing.T) {
	a := compile(t, chain, "true", nil)
	b := compile(t, strings.Replace(chain, "{pool: cpu}", "{pool: big-cpu}", 1), "true", nil)
	c := compile(t, strings.Replace(chain, "image: busybox:1.36", "image: busybox:1.37", 1), "true", nil)
	for i, s := range a.Model.Steps {
		if s.Recipe != b.Model.Steps[i].Recipe {
			t.Errorf("step %s: a node selector changed its recipe", s.Name)
		}
		if s.Recipe == c.Model.Steps[i].Recipe {
			t.Errorf("step %s: the image did not change its recipe", s.Name)
		}
	}
}

func cacheOf(t *testing.T, trs []*v1.TaskRun) []reuse.Candidate {
	t.Helper()
	var out []reuse.Candidate
	for _, tr := range trs {
		if _, ok := tr.Labels[rendertekton.LabelCacheKey]; !ok {
			t.Fatalf("TaskRun %s has no %s label", tr.Name, rendertekton.LabelCacheKey)
		}
		if c, ok := reuse.FromTaskRun(tr); ok {
			out = append(out, c)
		}
	}
	return out
}

func TestCacheHitsAcrossRunsWhateverTheRunsName(t *testing.T) {
	now := time.Now()
	first := compile(t, chain, "true", nil)
	cache := cacheOf(t, execute(t, first.PipelineRun, now.Add(-time.Hour)))
	// c reads $(run.name): a new run has a new name, yet c is the same work.
	second := compile(t, chain, "true", map[string]string{"seed": "7"})
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Cache: cache})
	if got, want := decisions(ds), "a=cached:chain-0 b=cached:chain-0 c=cached:chain-0 d=cached:chain-0 e=cached:chain-0"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
}

func TestCacheMissesDownstreamOfAChangedParam(t *testing.T) {
	now := time.Now()
	first := compile(t, chain, "true", nil)
	cache := cacheOf(t, execute(t, first.PipelineRun, now.Add(-time.Hour)))
	second := compile(t, chain, "true", map[string]string{"threshold": "0.7"})
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Cache: cache})
	if got, want := decisions(ds), "a=cached:chain-0 b=cached:chain-0 c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	if w := why(ds, "c"); w != "cache miss" {
		t.Errorf("why c runs = %q", w)
	}
	if w := why(ds, "e"); !strings.Contains(w, "upstream d runs") {
		t.Errorf("why e runs = %q (the prefix rule)", w)
	}
}

func TestCacheTakesTheNewestResultWithinMaxAge(t *testing.T) {
	now := time.Now()
	old := compile(t, chain, "{maxAge: 2h}", nil)
	cache := cacheOf(t, execute(t, old.PipelineRun, now.Add(-3*time.Hour)))
	newer := compile(t, chain, "{maxAge: 2h}", map[string]string{"fail": "0"})
	newer.PipelineRun.Name = "chain-newer"
	cache = append(cache, cacheOf(t, execute(t, newer.PipelineRun, now.Add(-time.Hour)))...)

	next := compile(t, chain, "{maxAge: 2h}", nil)
	ds := reuse.Plan(next.Model, next.PipelineRun, reuse.Options{Now: now, Cache: cache})
	if got, want := decisions(ds), "a=cached:chain-newer b=cached:chain-newer c=cached:chain-newer d=cached:chain-newer e=cached:chain-newer"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	// Two hours later both results are too old.
	ds = reuse.Plan(compile(t, chain, "{maxAge: 2h}", nil).Model, next.PipelineRun, reuse.Options{Now: now.Add(2 * time.Hour), Cache: cache})
	if got, want := decisions(ds), "a=runs b=runs c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions after expiry:\n got %s\nwant %s", got, want)
	}
	if w := why(ds, "a"); w != "cache miss: the last result is older than maxAge 2h0m0s" {
		t.Errorf("why a runs = %q", w)
	}
}

func TestCacheKeyBumpMisses(t *testing.T) {
	now := time.Now()
	first := compile(t, chain, "{key: v1}", nil)
	cache := cacheOf(t, execute(t, first.PipelineRun, now))
	second := compile(t, chain, "{key: v2}", nil)
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Cache: cache})
	if got, want := decisions(ds), "a=runs b=runs c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
}

func TestNoCacheStillResumes(t *testing.T) {
	now := time.Now()
	first := compile(t, chain, "true", map[string]string{"fail": "3"})
	trs := execute(t, first.PipelineRun, now, "d")
	second := compile(t, chain, "true", map[string]string{"fail": "3"})
	opts := reuse.Options{Now: now, Cache: cacheOf(t, trs), Resume: resumeFrom(t, first, trs), ResumeRun: "chain-1", NoCache: true}
	ds := reuse.Plan(second.Model, second.PipelineRun, opts)
	if got, want := decisions(ds), "a=reused:chain-1 b=reused:chain-1 c=reused:chain-1 d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	second = compile(t, chain, "true", map[string]string{"fail": "3"})
	ds = reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Cache: cacheOf(t, trs), NoCache: true})
	if got, want := decisions(ds), "a=runs b=runs c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions with --no-cache:\n got %s\nwant %s", got, want)
	}
}

func TestAStepWithoutCacheIsNeverLookedUp(t *testing.T) {
	now := time.Now()
	src := strings.Replace(chain, "    - name: b\n", "    - name: b\n      cache: false\n", 1)
	first := compile(t, src, "true", nil)
	cache := cacheOf(t, execute(t, first.PipelineRun, now)[:1])
	second := compile(t, src, "true", nil)
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Cache: cache})
	if got, want := decisions(ds), "a=cached:chain-0 b=runs c=runs d=runs e=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	if w := why(ds, "b"); w != "" {
		t.Errorf("b has caching off, yet why = %q", w)
	}
}

// A cached fan-out: each instance is looked up on its own, and a reader of
// every instance's output gets a JSON array of literals once all are hits.
func TestCachedFanOutInstances(t *testing.T) {
	src := `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: chain}
spec:
  image: busybox:1.36
  params: [{name: base, default: "b"}]
  cache: true
  steps:
    - name: train
      matrix: {lr: ["1", "2", "3"]}
      outputs: [score]
      script: echo $(matrix.lr) $(params.base) > $(outputs.score.path)
    - name: pick
      cache: false
      script: echo '$(steps.train.outputs.score[*])'
`
	now := time.Now()
	first := compile(t, src, "", nil)
	if f := first.Model.FanOut("train"); f == nil || f.Tekton {
		t.Fatalf("a cached fan-out must be expanded on the client: %+v", f)
	}
	cache := cacheOf(t, execute(t, first.PipelineRun, now)[:3])
	second := compile(t, src, "", nil)
	ds := reuse.Plan(second.Model, second.PipelineRun, reuse.Options{Now: now, Cache: cache})
	if got, want := decisions(ds), "train-0=cached:chain-0 train-1=cached:chain-0 train-2=cached:chain-0 pick=runs"; got != want {
		t.Fatalf("decisions:\n got %s\nwant %s", got, want)
	}
	if err := compiler.Rerender(context.Background(), second, compiler.Options{Name: "chain-2"}); err != nil {
		t.Fatal(err)
	}
	pr := second.PipelineRun
	if got := taskNames(pr); got != "pick" {
		t.Fatalf("tasks %s, want pick", got)
	}
	// execute makes each output "<first param>/<step>": the instance's lr.
	if got, want := pr.Spec.PipelineSpec.Tasks[0].Params[0].Value.StringVal, `["1/train-0","2/train-1","3/train-2"]`; got != want {
		t.Errorf("pick reads %s, want %s", got, want)
	}
}

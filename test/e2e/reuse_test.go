//go:build e2e

package e2e

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Resume and the step cache, proved on the real nodes: every output below is
// random bytes a step really read from /dev/urandom, so a reused value can
// only have come from the earlier run.

// resumeSpec is five steps; eval exits with the fail param, and report
// reads prep's random output across three edges.
var resumeSpec = runnable("resume-five", `  params:
    - {name: fail, default: "0"}
  steps:
    - name: seed
      outputs: [token]
      script: head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' > $(outputs.token.path)
    - name: prep
      outputs: [token]
      script: |
        #!/bin/sh
        printf '%s-%s' '$(steps.seed.outputs.token)' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > $(outputs.token.path)
    - name: train
      outputs: [model]
      script: printf 'model-of-%s' '$(steps.prep.outputs.token)' > $(outputs.model.path)
    - name: eval
      outputs: [score]
      script: |
        #!/bin/sh
        echo "evaluating $(steps.train.outputs.model)"
        [ "$(params.fail)" = 0 ] || exit $(params.fail)
        printf 0.93 > $(outputs.score.path)
    - name: report
      script: |
        #!/bin/sh
        echo "score=$(steps.eval.outputs.score) prep=$(steps.prep.outputs.token)"
`)

func createdName(t *testing.T, r result) string {
	t.Helper()
	name := strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/")
	if name == "" || strings.ContainsAny(name, " \n") {
		t.Fatalf("no run name in %q\nstderr: %s", r.Stdout, r.Stderr)
	}
	return name
}

// outputOf is a step's output as Tekton recorded it on its TaskRun.
func outputOf(t *testing.T, ns, run, step, output string) string {
	t.Helper()
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run + ",tekton.dev/pipelineTask=" + step})
	if err != nil || len(trs.Items) != 1 {
		t.Fatalf("TaskRun of %s in %s: %v (%d found)", step, run, err, len(trs.Items))
	}
	for _, r := range trs.Items[0].Status.Results {
		if r.Name == output {
			return r.Value.StringVal
		}
	}
	t.Fatalf("%s of %s has no output %s", run, step, output)
	return ""
}

// podSteps is the sorted steps of the run that had a pod.
func podSteps(t *testing.T, ns, run string) string {
	t.Helper()
	var steps []string
	for s := range onRealNode(t, ns, run, nil) {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	return strings.Join(steps, ",")
}

func TestRealResume(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	first := mlpipe(t, resumeSpec, "run", "-n", ns, "-f", "-", "-p", "fail=3", "--wait", "-o", "name")
	if first.Code != 1 {
		t.Fatalf("first run: exit %d, want 1 (eval fails)\n%s", first.Code, first.Stderr)
	}
	run1 := createdName(t, first)
	prep := outputOf(t, ns, run1, "prep", "token")
	if !regexp.MustCompile(`^[0-9a-f]{12}-[0-9a-f]{12}$`).MatchString(prep) {
		t.Fatalf("prep's output %q is not two random tokens", prep)
	}

	// A changed spec is refused before anything is written.
	changed := strings.Replace(resumeSpec, "model-of-%s", "model:%s", 1)
	if r := mlpipe(t, changed, "run", "-n", ns, "-f", "-", "--resume", run1); r.Code != 2 || !strings.Contains(r.Stderr, run1+" ran a different spec") {
		t.Fatalf("resume with a changed spec: exit %d, want 2 naming the spec change\n%s", r.Code, r.Stderr)
	}

	second := mlpipe(t, resumeSpec, "run", "-n", ns, "-f", "-", "--resume", run1, "-p", "fail=0", "--wait", "-o", "name")
	if second.Code != 0 {
		t.Fatalf("resumed run: exit %d\n%s", second.Code, second.Stderr)
	}
	run2 := createdName(t, second)
	if want := "Resuming " + run1 + ": 3 steps reused (seed, prep, train)"; !strings.Contains(second.Stderr, want) {
		t.Errorf("run --resume does not say %q:\n%s", want, second.Stderr)
	}
	if got := podSteps(t, ns, run2); got != "eval,report" {
		t.Errorf("the resumed run made pods for %s, want eval,report only", got)
	}
	if logs := logsOf(t, ns, run2); !strings.Contains(logs, "[report] score=0.93 prep="+prep) {
		t.Errorf("report did not receive prep's output %s from %s:\n%s", prep, run1, logs)
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), run2, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Labels["mlpipe.dev/resumed-from"] != run1 {
		t.Errorf("labels %v lack mlpipe.dev/resumed-from=%s", pr.Labels, run1)
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, run2), "describe").Stdout
	for _, step := range []string{"seed", "prep", "train"} {
		if !regexp.MustCompile(`(?m)^  ` + step + `\s+Succeeded\s.*reused from ` + run1).MatchString(d) {
			t.Errorf("describe does not show %s reused from %s:\n%s", step, run1, d)
		}
	}
	l := must(t, mlpipe(t, "", "list", "-n", ns), "list").Stdout
	if !regexp.MustCompile(`(?m)^` + run2 + `\s.*\s3 from ` + run1).MatchString(l) {
		t.Errorf("list does not show 3 steps of %s reused from %s:\n%s", run2, run1, l)
	}

	// The newest run succeeded: resuming it has nothing left to do.
	again := mlpipe(t, resumeSpec, "run", "-n", ns, "-f", "-", "--resume", "--last", "-o", "name")
	if again.Code != 0 || again.Stdout != "" || !strings.Contains(again.Stderr, "Nothing to run") {
		t.Errorf("resume --last of a succeeded run: exit %d, stdout %q\n%s", again.Code, again.Stdout, again.Stderr)
	}
	runs, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(runs.Items) != 2 {
		t.Errorf("%d runs in the namespace, want 2: %v", len(runs.Items), err)
	}
}

// cacheSpec caches every step but the last; each step draws a random token,
// so a step that ran again is seen in its output.
var cacheSpec = runnable("cache-four", `  params:
    - {name: rows, default: "100"}
    - {name: depth, default: "3"}
  cache: MAXAGE
  steps:
    - name: load
      outputs: [data]
      script: printf 'rows=%s/%s' '$(params.rows)' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > $(outputs.data.path)
    - name: features
      outputs: [data]
      script: printf '%s+f/%s' '$(steps.load.outputs.data)' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > $(outputs.data.path)
    - name: fit
      outputs: [model]
      script: printf 'depth=%s:%s/%s' '$(params.depth)' '$(steps.features.outputs.data)' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > $(outputs.model.path)
    - name: publish
      cache: false
      script: echo "published $(steps.fit.outputs.model)"
`)

// requests are the API requests a command sent, from client-go's -v=6 log.
func requests(stderr string) []string {
	var out []string
	re := regexp.MustCompile(`"Response" verb="(\w+)" url="[^"]*?(/api[^"?]*)(\?[^"]*)?"`)
	for _, m := range re.FindAllStringSubmatch(stderr, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

func TestRealCache(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	spec := strings.Replace(cacheSpec, "MAXAGE", "true", 1)
	wait := func(what string, args ...string) (string, result) {
		t.Helper()
		r := mlpipe(t, spec, append([]string{"run", "-n", ns, "-f", "-", "--wait", "-o", "name"}, args...)...)
		if r.Code != 0 {
			t.Fatalf("%s: exit %d\n%s", what, r.Code, r.Stderr)
		}
		return createdName(t, r), r
	}
	run1, _ := wait("first run")
	if got := podSteps(t, ns, run1); got != "features,fit,load,publish" {
		t.Fatalf("first run made pods for %s", got)
	}
	fit1 := outputOf(t, ns, run1, "fit", "model")

	run2, r := wait("second run", "-v=6")
	if got := podSteps(t, ns, run2); got != "publish" {
		t.Errorf("second run made pods for %s, want publish only", got)
	}
	if !strings.Contains(r.Stderr, "Cached: load (from "+run1) {
		t.Errorf("run does not report the cache hits:\n%s", tail(r.Stderr, 20))
	}
	// Up to the one write; --wait's watches come after it.
	var before []string
	for _, req := range requests(r.Stderr) {
		if strings.HasPrefix(req, "POST ") {
			break
		}
		before = append(before, req)
	}
	// The three reads of what the cluster runs go out together, in any order.
	sort.Strings(before)
	want := []string{
		"GET /api/v1/namespaces/tekton-pipelines/configmaps/feature-flags",
		"GET /api/v1/namespaces/tekton-pipelines/configmaps/pipelines-info",
		"GET /apis/tekton.dev/v1",
		"GET /apis/tekton.dev/v1/namespaces/" + ns + "/taskruns",
	}
	if strings.Join(before, " ") != strings.Join(want, " ") {
		t.Errorf("before the write, run sent %v; want the discovery check, the release and feature flags, and one LIST of taskruns", before)
	}
	if logs := logsOf(t, ns, run2); !strings.Contains(logs, "[publish] published "+fit1) {
		t.Errorf("publish did not receive fit's cached output %s:\n%s", fit1, logs)
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, run2), "describe").Stdout
	if !regexp.MustCompile(`(?m)^  fit\s+Succeeded\s.*cached \(from ` + run1 + `, \d+s ago\)`).MatchString(d) {
		t.Errorf("describe does not show fit cached from %s:\n%s", run1, d)
	}

	// A changed param re-runs exactly what reads it, and what is downstream.
	run3, r := wait("run with depth=5", "-p", "depth=5")
	if got := podSteps(t, ns, run3); got != "fit,publish" {
		t.Errorf("depth=5 made pods for %s, want fit,publish\n%s", got, r.Stderr)
	}
	if f := outputOf(t, ns, run3, "fit", "model"); !strings.HasPrefix(f, "depth=5:"+strings.SplitN(strings.TrimPrefix(fit1, "depth=3:"), "/", 3)[0]) {
		t.Errorf("fit with depth=5 = %q; want it on the cached features of %s (%s)", f, run1, fit1)
	}

	run4, _ := wait("run --no-cache", "--no-cache")
	if got := podSteps(t, ns, run4); got != "features,fit,load,publish" {
		t.Errorf("--no-cache made pods for %s, want all four", got)
	}

	// maxAge is not part of the key: the same steps, with results too old.
	time.Sleep(2 * time.Second)
	spec = strings.Replace(cacheSpec, "MAXAGE", "{maxAge: 1s}", 1)
	run5, r := wait("run with maxAge 1s")
	if got := podSteps(t, ns, run5); got != "features,fit,load,publish" {
		t.Errorf("maxAge 1s made pods for %s, want all four", got)
	}
	if !strings.Contains(r.Stderr, "load: cache miss: the last result is older than maxAge 1s") {
		t.Errorf("run does not say the cache expired:\n%s", tail(r.Stderr, 20))
	}
}

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// list shows runs of two pipelines, newest first, and filters by pipeline.
func TestListRunsOfTwoPipelines(t *testing.T) {
	ns := namespace(t)
	var names []string
	for _, ex := range []string{"minimal.yaml", "training.yaml", "minimal.yaml"} {
		r := must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", ex), "-o", "name"), "run "+ex)
		names = append(names, strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/"))
		time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
	}
	for _, n := range names {
		waitDone(t, ns, n, 2*time.Minute)
	}
	out := must(t, mlpipe(t, "", "list", "-n", ns), "list").Stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("want a header and 3 runs:\n%s", out)
	}
	for i, want := range []string{names[2], names[1], names[0]} {
		if !strings.HasPrefix(lines[i+1], want+" ") {
			t.Errorf("row %d: want %s first (newest first):\n%s", i+1, want, out)
		}
	}
	if !strings.Contains(lines[2], "churn-training") || !strings.Contains(lines[2], "Succeeded") || !strings.Contains(lines[2], "6/6") {
		t.Errorf("training row should say Succeeded with 6 of 6 steps done (deploy is skipped, and so done): %s", lines[2])
	}
	out = must(t, mlpipe(t, "", "list", "hello", "-n", ns, "-o", "name"), "list hello").Stdout
	if got := strings.Fields(out); len(got) != 2 || !strings.Contains(out, names[0]) || !strings.Contains(out, names[2]) {
		t.Errorf("list hello -o name: %q", out)
	}
	if out := must(t, mlpipe(t, "", "list", "-A", "-l", "mlpipe.dev/pipeline=churn-training"), "list -A").Stdout; !strings.HasPrefix(out, "NAMESPACE") || !strings.Contains(out, ns) {
		t.Errorf("list -A:\n%s", out)
	}

	// kubectl get's -o formats and --sort-by.
	byAge := must(t, mlpipe(t, "", "list", "-n", ns, "--sort-by", ".metadata.creationTimestamp", "-o", "jsonpath={.items[*].metadata.name}"), "list -o jsonpath").Stdout
	if byAge != strings.Join(names, " ") {
		t.Errorf("list --sort-by .metadata.creationTimestamp -o jsonpath: %q, want %q", byAge, strings.Join(names, " "))
	}
	cols := must(t, mlpipe(t, "", "list", "-n", ns, "--no-headers", "-o", "custom-columns=RUN:.metadata.name,REASON:.status.conditions[0].reason,STEPS:.spec.pipelineSpec.tasks[*].name"), "list -o custom-columns").Stdout
	if want := names[1] + "   Completed   load-data,preprocess,train,"; !strings.Contains(cols, want) || strings.Count(cols, "\n") != 3 {
		t.Errorf("list -o custom-columns lacks %q:\n%s", want, cols)
	}

	// The rows of finished runs come from the cache while the runs are
	// unchanged (same uid and resourceVersion), and a change or a delete
	// made with kubectl shows at once.
	cache := t.TempDir()
	rows := func(what string, flags ...string) string {
		t.Helper()
		out := must(t, mlpipe(t, "", append([]string{"list", "-n", ns, "--cache-dir", cache}, flags...)...), what).Stdout
		var keep []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			keep = append(keep, strings.Join(strings.Fields(l)[:4], " ")) // NAME PIPELINE STATUS STEPS
		}
		return strings.Join(keep, "\n")
	}
	uncached := rows("list --local-cache=false", "--local-cache=false")
	first, second := rows("list, empty cache"), rows("list, from the cache")
	if first != second || second != uncached {
		t.Errorf("list from its cache:\n%s\nwithout it:\n%s\nuncached:\n%s", second, first, uncached)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "mlpipe", "runs", "*.json")); len(files) != 1 {
		t.Errorf("cache files %v; want one for the API server", files)
	}
	must(t, kubectl(t, "", "label", "-n", ns, "pipelinerun", names[0], "mlpipe.dev/pipeline=renamed", "--overwrite"), "label")
	must(t, kubectl(t, "", "delete", "-n", ns, "pipelinerun", names[1]), "delete")
	after := rows("list after a change")
	if !strings.Contains(after, names[0]+" renamed Succeeded") || strings.Contains(after, names[1]) || strings.Count(after, "\n") != 2 {
		t.Errorf("list after relabelling %s and deleting %s:\n%s", names[0], names[1], after)
	}
}

// cancel ends a run that cannot progress (its step can never be scheduled).
func TestCancelEndsARun(t *testing.T) {
	ns := namespace(t)
	r := must(t, mlpipe(t, untoleratedGPU, "run", "-n", ns, "-f", "-", "-o", "name"), "run")
	name := strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/")
	time.Sleep(2 * time.Second)
	must(t, mlpipe(t, "", "cancel", "-n", ns, name), "cancel")
	pr := waitDone(t, ns, name, time.Minute)
	c := pr.Status.GetCondition(apis.ConditionSucceeded)
	if c.Status != corev1.ConditionFalse || !strings.Contains(c.Reason, "Cancelled") {
		t.Fatalf("want Cancelled, got %s", describe(pr))
	}
	if r := mlpipe(t, "", "cancel", "-n", ns, name); r.Code != 1 || !strings.Contains(r.Stderr, "already finished") {
		t.Errorf("cancelling a finished run: exit %d %s", r.Code, r.Stderr)
	}
	if r := mlpipe(t, "", "cancel", "-n", ns, "no-such-run"); r.Code != 1 || !strings.Contains(r.Stderr, `no run "no-such-run"`) {
		t.Errorf("cancelling a missing run: exit %d %s", r.Code, r.Stderr)
	}
	out := must(t, mlpipe(t, "", "list", "-n", ns), "list").Stdout
	if !strings.Contains(out, "Cancelled") {
		t.Errorf("list should show the run Cancelled:\n%s", out)
	}
}

// delete --pipeline --keep 1 keeps the newest run and removes the others.
func TestDeleteKeepsNewest(t *testing.T) {
	ns := namespace(t)
	var names []string
	for i := 0; i < 3; i++ {
		r := must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "minimal.yaml"), "-o", "name"), "run")
		names = append(names, strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/"))
		time.Sleep(1100 * time.Millisecond)
	}
	for _, n := range names {
		waitDone(t, ns, n, time.Minute)
	}
	out := must(t, mlpipe(t, "", "delete", "-n", ns, "--pipeline", "hello", "--keep", "1"), "delete").Stdout
	if strings.Count(out, " deleted") != 2 || strings.Contains(out, names[2]) {
		t.Errorf("delete output:\n%s", out)
	}
	left := must(t, mlpipe(t, "", "list", "-n", ns, "-o", "name"), "list").Stdout
	if strings.TrimSpace(left) != "pipelinerun.tekton.dev/"+names[2] {
		t.Errorf("want only the newest run %s left, got %q", names[2], left)
	}
	if r := mlpipe(t, "", "delete", "-n", ns); r.Code != 2 {
		t.Errorf("delete with nothing named: exit %d", r.Code)
	}
}

// What `run -o name` prints is a run name for every verb, as for kubectl.
func TestRunNamesAsKubectlPrintsThem(t *testing.T) {
	ns := namespace(t)
	r := must(t, mlpipe(t, untoleratedGPU, "run", "-n", ns, "-f", "-", "-o", "name"), "run -o name")
	full := strings.TrimSpace(r.Stdout)
	name := strings.TrimPrefix(full, "pipelinerun.tekton.dev/")
	if name == full {
		t.Fatalf("run -o name printed %q", full)
	}
	if d := must(t, mlpipe(t, "", "describe", "-n", ns, full), "describe "+full).Stdout; !strings.Contains(d, "Name:      "+name) {
		t.Errorf("describe %s:\n%s", full, d)
	}
	must(t, mlpipe(t, "", "logs", "-n", ns, "pipelinerun/"+name), "logs pipelinerun/NAME")
	must(t, kubectl(t, "", "get", "-n", ns, full), "kubectl get "+full)
	if c := must(t, mlpipe(t, "", "cancel", "-n", ns, "pipelineruns/"+name), "cancel pipelineruns/NAME").Stdout; c != full+" cancelled\n" {
		t.Errorf("cancel printed %q", c)
	}
	waitDone(t, ns, name, time.Minute)
	if d := must(t, mlpipe(t, "", "delete", "-n", ns, "pr/"+name), "delete pr/NAME").Stdout; d != full+" deleted\n" {
		t.Errorf("delete printed %q", d)
	}
	if bad := mlpipe(t, "", "describe", "-n", ns, "taskrun/"+name+"-train"); bad.Code != 2 || !strings.Contains(bad.Stderr, "is not a PipelineRun") {
		t.Errorf("describe taskrun/…: exit %d\n%s", bad.Code, bad.Stderr)
	}
}

// A run that has not finished survives every form of delete and cancel that
// should spare it, and goes only when told to.
func TestRunningRunSurvivesDelete(t *testing.T) {
	ns := namespace(t)
	live := strings.TrimPrefix(strings.TrimSpace(must(t, mlpipe(t, untoleratedGPU, "run", "-n", ns, "-f", "-", "-o", "name"), "run").Stdout), "pipelinerun.tekton.dev/")
	// A finished run of the same pipeline, which the set forms do delete.
	const finishedSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: untolerated}
spec:
  image: busybox:1.36
  settings: {pod: {nodeSelector: {node-pool: cpu}}}
  steps:
    - {name: train, command: [echo, done]}
`
	newFinished := func() string {
		n := strings.TrimPrefix(strings.TrimSpace(must(t, mlpipe(t, finishedSpec, "run", "-n", ns, "-f", "-", "-o", "name"), "run").Stdout), "pipelinerun.tekton.dev/")
		waitDone(t, ns, n, time.Minute)
		return n
	}
	exists := func(n string) bool {
		_, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), n, metav1.GetOptions{})
		return err == nil
	}
	done := newFinished()
	for _, c := range []struct {
		args        []string
		wantCode    int
		doneDeleted bool
	}{
		{[]string{"delete", live}, 1, false},
		{[]string{"delete", "pipelinerun.tekton.dev/" + live, done}, 1, false}, // nothing is deleted
		{[]string{"delete", "--pipeline", "untolerated"}, 2, false},            // not a terminal: refused
		{[]string{"delete", "--pipeline", "untolerated", "--all", "--dry-run=client"}, 0, false},
		{[]string{"delete", "--pipeline", "untolerated", "--all", "--dry-run=server"}, 0, false},
		{[]string{"cancel", "--all", "--dry-run=client"}, 0, false},
		{[]string{"delete", "--pipeline", "untolerated", "--all"}, 0, true},
		{[]string{"delete", "-l", "mlpipe.dev/pipeline=untolerated"}, 0, true},
		{[]string{"delete", "--all"}, 0, true},
		{[]string{"delete", "--pipeline", "untolerated", "-y"}, 0, true},
	} {
		if !exists(done) {
			done = newFinished()
		}
		r := mlpipe(t, "", append(c.args, "-n", ns)...)
		if r.Code != c.wantCode {
			t.Errorf("%v: exit %d, want %d\n%s%s", c.args, r.Code, c.wantCode, r.Stdout, r.Stderr)
		}
		if !exists(live) {
			t.Fatalf("%v deleted the running run %s\n%s%s", c.args, live, r.Stdout, r.Stderr)
		}
		if exists(done) == c.doneDeleted {
			t.Errorf("%v: finished run deleted %v, want %v\n%s%s", c.args, !exists(done), c.doneDeleted, r.Stdout, r.Stderr)
		}
		if c.doneDeleted && !strings.Contains(r.Stderr, "kept pipelinerun.tekton.dev/"+live+": it has not finished") {
			t.Errorf("%v should say it kept %s:\n%s", c.args, live, r.Stderr)
		}
	}
	if pr, _ := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), live, metav1.GetOptions{}); pr.Spec.Status != "" {
		t.Errorf("a dry-run cancel changed the run: %q", pr.Spec.Status)
	}
	must(t, mlpipe(t, "", "delete", "-n", ns, live, "--include-running"), "delete --include-running")
	if exists(live) {
		t.Error("--include-running did not delete the running run")
	}
}

// list -w prints a row each time a run changes, from start to end, as
// kubectl get -w does; Ctrl-C (SIGINT) ends it with exit 0.
func TestListWatch(t *testing.T) {
	ns := namespace(t)
	var out, errOut bytes.Buffer
	cmd := exec.Command("kubectl", "mlpipe", "list", "-n", ns, "-w", "--no-headers")
	cmd.Dir, cmd.Env = repoRoot, append(pluginEnv(), "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the watch is open
	r := must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "minimal.yaml"), "-o", "name"), "run")
	name := strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/")
	waitDone(t, ns, name, 2*time.Minute)
	time.Sleep(2 * time.Second)
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	rows := regexp.MustCompile(`(?m)^`+name+`\s+hello\s+(\w+)`).FindAllStringSubmatch(out.String(), -1)
	if err != nil || len(rows) < 2 || rows[len(rows)-1][1] != "Succeeded" {
		t.Errorf("list -w: %v; want rows for %s ending Succeeded:\n%s\nstderr: %s", err, name, out.String(), errOut.String())
	}
}

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// bigSpec is n steps of about scriptBytes of script each, every script
// distinct: over the embedded budget when n×scriptBytes is over ~700 KiB.
func bigSpec(name string, n, scriptBytes int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: %s}\nspec:\n  image: busybox:1.36\n  steps:\n", name)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    - name: s%d\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "      after: [s%d]\n", (i-1)/2)
		}
		b.WriteString("      script: |\n        echo hi\n")
		for k := 0; k < scriptBytes; k += 72 {
			fmt.Fprintf(&b, "        # %d %s\n", i, strings.Repeat("x", 64))
		}
	}
	return b.String()
}

// nameOf is the run's name from `run -o name`.
func nameOf(t *testing.T, stdout string) string {
	t.Helper()
	name, ok := strings.CutPrefix(strings.TrimSpace(stdout), "pipelinerun.tekton.dev/")
	if !ok || name == "" || strings.Contains(name, "\n") {
		t.Fatalf("run -o name printed %q", stdout)
	}
	return name
}

func countLabelled(t *testing.T, ns, resource, pipeline string) int {
	t.Helper()
	out := must(t, kubectl(t, "", "get", resource, "-n", ns, "-l", "mlpipe.dev/pipeline="+pipeline, "-o", "name"), "get "+resource).Stdout
	return len(strings.Fields(out))
}

// A pipeline over the embedded budget is sent referenced by itself: Tasks,
// a Pipeline, then a run naming it. It runs to Succeeded; run --wait,
// describe and logs read it as they read an embedded run; a second run
// writes no Task again; delete sweeps the Pipeline and Tasks once no run
// refers to them.
func TestReferencedModeLifecycle(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	spec := bigSpec("bigref", 16, 90*1024)
	// A server dry run sends every object through the apiserver and
	// Tekton's webhook, and stores none.
	dry := must(t, mlpipe(t, spec, "run", "-n", ns, "-f", "-", "--dry-run=server", "-o", "name"), "run --dry-run=server")
	if !strings.Contains(dry.Stderr, "would create (server dry run) 16 of 16 Tasks") {
		t.Errorf("server dry run:\n%s", dry.Stderr)
	}
	if got := countLabelled(t, ns, "tasks.tekton.dev", "bigref") + countLabelled(t, ns, "pipelines.tekton.dev", "bigref") + countLabelled(t, ns, "pipelineruns.tekton.dev", "bigref"); got != 0 {
		t.Fatalf("a server dry run stored %d objects", got)
	}
	first := mlpipe(t, spec, "run", "-n", ns, "-f", "-", "--wait", "--timeout", "4m", "-o", "name")
	if first.Code != 0 {
		t.Fatalf("run --wait: exit %d\n%s", first.Code, tail(first.Stderr, 30))
	}
	for _, want := range []string{"sending Tasks and a Pipeline the run refers to instead (referenced mode", "Referenced mode: created 16 of 16 Tasks (0 already there) and Pipeline bigref-"} {
		if !strings.Contains(first.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, tail(first.Stderr, 30))
		}
	}
	name := nameOf(t, first.Stdout)
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Spec.PipelineSpec != nil || pr.Spec.PipelineRef == nil || !strings.HasPrefix(pr.Spec.PipelineRef.Name, "bigref-") {
		t.Fatalf("the stored run is not referenced: pipelineRef %+v", pr.Spec.PipelineRef)
	}
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c == nil || c.Status != corev1.ConditionTrue {
		t.Fatalf("run %s: %s", name, describe(pr))
	}
	// Per-step labels reach each TaskRun through taskRunSpecs.
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "mlpipe.dev/step=s7,tekton.dev/pipelineRun=" + name})
	if err != nil || len(trs.Items) != 1 {
		t.Fatalf("TaskRuns labelled mlpipe.dev/step=s7: %d, %v", len(trs.Items), err)
	}
	if got := countLabelled(t, ns, "tasks.tekton.dev", "bigref"); got != 16 {
		t.Errorf("%d Tasks, want 16", got)
	}

	desc := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	if !regexp.MustCompile(`Progress:\s+16/16 steps done`).MatchString(desc) || !strings.Contains(desc, "s15") {
		t.Errorf("describe of a referenced run:\n%s", desc)
	}
	logs := must(t, mlpipe(t, "", "logs", "-n", ns, name, "s3"), "logs s3")
	if !strings.Contains(logs.Stdout, "[s3] "+kwokLine) {
		t.Errorf("logs s3:\n%s\n%s", logs.Stdout, logs.Stderr)
	}
	list := must(t, mlpipe(t, "", "list", "-n", ns), "list").Stdout
	if !regexp.MustCompile(name + `\s+bigref\s+Succeeded\s+16/16`).MatchString(list) {
		t.Errorf("list:\n%s", list)
	}

	second := must(t, mlpipe(t, spec, "run", "-n", ns, "-f", "-", "-o", "name"), "second run")
	if !strings.Contains(second.Stderr, "created 0 of 16 Tasks (16 already there) and Pipeline "+pr.Spec.PipelineRef.Name+" (already there)") {
		t.Errorf("second run:\n%s", second.Stderr)
	}
	name2 := nameOf(t, second.Stdout)
	waitDone(t, ns, name2, 3*time.Minute)

	// The first run goes; the second still names the Pipeline: all stays.
	del := must(t, mlpipe(t, "", "delete", "-n", ns, name, "--gc-grace=0s"), "delete first").Stdout
	if strings.Contains(del, "pipeline.tekton.dev/") || strings.Contains(del, "task.tekton.dev/") {
		t.Errorf("deleting one of two runs swept what the other uses:\n%s", del)
	}
	del = must(t, mlpipe(t, "", "delete", "-n", ns, name2, "--gc-grace=0s"), "delete second").Stdout
	if !strings.Contains(del, "pipeline.tekton.dev/"+pr.Spec.PipelineRef.Name+" deleted") || strings.Count(del, "task.tekton.dev/") != 16 {
		t.Errorf("deleting the last run:\n%s", del)
	}
	if got := countLabelled(t, ns, "tasks.tekton.dev", "bigref") + countLabelled(t, ns, "pipelines.tekton.dev", "bigref"); got != 0 {
		t.Errorf("%d Tasks and Pipelines left", got)
	}
}

// Sizes no cluster can take are refused before any write, where they are
// written; a run sent embedded over the budget (--mode embedded) is named
// by Tekton's own warning instead of sitting at Pending.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	huge := bigSpec("huge", 1, 200*1024)
	for _, verb := range []string{"validate", "run"} {
		r := mlpipe(t, huge, verb, "-n", ns, "-f", "-")
		if r.Code != 2 || !regexp.MustCompile(`<stdin>:\d+:\d+: spec\.steps\[0\]\.script: Too long: is 1\d\d KiB; Tekton passes a script base64-encoded`).MatchString(r.Stderr) {
			t.Errorf("%s of a 200 KiB script: exit %d\n%s", verb, r.Code, r.Stderr)
		}
	}
	if got := countLabelled(t, ns, "pipelineruns.tekton.dev", "huge"); got != 0 {
		t.Errorf("%d runs created", got)
	}

	over := bigSpec("over", 16, 90*1024)
	v := must(t, mlpipe(t, over, "validate", "-f", "-"), "validate over the budget")
	if !strings.Contains(v.Stderr, "warning: spec.steps: the run would be") || !strings.Contains(v.Stderr, "referenced mode") {
		t.Errorf("validate over the budget:\n%s", v.Stderr)
	}
	r := mlpipe(t, over, "run", "-n", ns, "-f", "-", "--mode", "embedded", "--wait", "--timeout", "20s")
	if r.Code == 0 {
		t.Fatalf("an embedded run over the budget succeeded:\n%s", tail(r.Stderr, 20))
	}
	if !strings.Contains(r.Stderr, "Tekton will fail to store it") || !strings.Contains(r.Stderr, "Tekton warns") {
		t.Errorf("run --mode embedded over the budget: exit %d\n%s", r.Code, tail(r.Stderr, 20))
	}
	for _, line := range strings.Split(r.Stderr, "\n") {
		if strings.Contains(line, "Tekton warns") {
			t.Logf("%s", line)
		}
	}
}

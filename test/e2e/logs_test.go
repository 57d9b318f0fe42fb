//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kwokLine is the first line KWOK serves for every simulated container
// (test/cluster/kwok/container.log), read through the real apiserver and
// the node's kubelet endpoint.
const kwokLine = "kwok: this pod's containers are simulated; no process ran on this node."

// run --follow streams every step's lines as they run, with the
// transitions on stderr, and exits as --wait does.
func TestRunFollowStreamsLogs(t *testing.T) {
	ns := namespace(t)
	r := mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml"), "--follow")
	if r.Code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	name := runName(t, r.Stdout)
	for _, step := range []string{"load-data", "preprocess", "train", "evaluate", "notify"} {
		if !strings.Contains(r.Stdout, "["+step+"] "+kwokLine) {
			t.Errorf("stdout lacks %s's lines:\n%s", step, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "[deploy] ") {
		t.Errorf("deploy was skipped and logged nothing, yet:\n%s", r.Stdout)
	}
	for _, want := range []string{"train Succeeded", name + " Succeeded — 6/6 steps done"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
}

// logs prints the steps in DAG order, one step on request, says why a
// step has no lines, and names the steps when asked for one that is not.
func TestLogs(t *testing.T) {
	ns := namespace(t)
	failed := mlpipe(t, failingSpec, "run", "-n", ns, "-f", "-", "--wait")
	if failed.Code != 1 {
		t.Fatalf("run of the failing spec: exit %d, want 1\n%s", failed.Code, failed.Stderr)
	}
	name := runName(t, failed.Stdout)

	all := must(t, mlpipe(t, "", "logs", "-n", ns, name), "logs")
	// DAG order: prepare, train, (evaluate and deploy skipped), finally notify.
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^\[([a-z-]+)\] `+regexp.QuoteMeta(kwokLine)+`$`).FindAllStringSubmatch(all.Stdout, -1) {
		order = append(order, m[1])
	}
	if got := strings.Join(order, ","); got != "prepare,train,notify" {
		t.Errorf("steps logged in order %q, want prepare,train,notify:\n%s", got, all.Stdout)
	}
	for _, want := range []string{"[evaluate] skipped", "[deploy] skipped"} {
		if !strings.Contains(all.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, all.Stderr)
		}
	}

	one := must(t, mlpipe(t, "", "logs", "-n", ns, name, "train"), "logs train")
	if !strings.Contains(one.Stdout, "[train] "+kwokLine) || strings.Contains(one.Stdout, "[prepare]") {
		t.Errorf("logs of train:\n%s", one.Stdout)
	}
	last := must(t, mlpipe(t, "", "logs", "-n", ns, "--last", "failing", "prepare"), "logs --last")
	if !strings.Contains(last.Stdout, "[prepare] "+kwokLine) || !strings.Contains(last.Stderr, "run "+name) {
		t.Errorf("logs --last failing prepare:\nstdout: %s\nstderr: %s", last.Stdout, last.Stderr)
	}

	bad := mlpipe(t, "", "logs", "-n", ns, name, "nope")
	if bad.Code != 2 || !strings.Contains(bad.Stderr, `has no step "nope"; its steps are: prepare, train, evaluate, deploy, notify`) {
		t.Errorf("unknown step: exit %d\n%s", bad.Code, bad.Stderr)
	}

	// A pod that is gone is said to be gone, not printed as nothing.
	pod := stepPods(t, ns, name)["train"]
	if err := kube.CoreV1().Pods(ns).Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	gone := must(t, mlpipe(t, "", "logs", "-n", ns, name, "train"), "logs of a deleted pod")
	if gone.Stdout != "" || !strings.Contains(gone.Stderr, "[train] pod "+pod.Name+" is gone; its logs are no longer available") {
		t.Errorf("logs of a deleted pod:\nstdout: %q\nstderr: %s", gone.Stdout, gone.Stderr)
	}
}

// logs -f of a run that has just started waits for each step and streams
// it, and ends once the last step has.
func TestLogsFollowARunningRun(t *testing.T) {
	ns := namespace(t)
	name := runName(t, must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml")), "run").Stdout)
	r := must(t, mlpipe(t, "", "logs", "-n", ns, name, "-f"), "logs -f")
	for _, step := range []string{"load-data", "preprocess", "train", "evaluate", "notify"} {
		if !strings.Contains(r.Stdout, "["+step+"] "+kwokLine) {
			t.Errorf("logs -f lacks %s's lines:\nstdout: %s\nstderr: %s", step, r.Stdout, r.Stderr)
		}
	}
	if !strings.Contains(r.Stderr, "[deploy] skipped") {
		t.Errorf("logs -f should say deploy was skipped:\n%s", r.Stderr)
	}
	// notify, the finally step, runs last: having its lines, logs -f waited
	// for the whole run.
	if !strings.HasSuffix(r.Stdout, "[notify] kwok: the step's results, if any, are in its termination message.\n") {
		t.Errorf("logs -f should end with the finally step's lines:\n%s", r.Stdout)
	}
}

// describe and logs read a PipelineRun another tool made: a task of two
// steps is read step by step as [task:step], and describe notes what needs
// our labels.
func TestForeignRun(t *testing.T) {
	ns := namespace(t)
	created := must(t, kubectl(t, `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {generateName: foreign-}
spec:
  pipelineSpec:
    tasks:
      - name: build
        taskSpec:
          steps:
            - {name: compile, image: busybox, script: "echo compiling"}
            - {name: test, image: busybox, script: "echo testing"}
      - name: report
        runAfter: [build]
        taskSpec:
          steps:
            - {name: say, image: busybox, script: "echo done"}
`, "create", "-n", ns, "-f", "-", "-o", "name"), "kubectl create").Stdout
	name := strings.TrimPrefix(strings.TrimSpace(created), "pipelinerun.tekton.dev/")
	waitDone(t, ns, name, 2*time.Minute)
	logs := must(t, mlpipe(t, "", "logs", "-n", ns, name), "logs").Stdout
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^\[([a-z:]+)\] `+regexp.QuoteMeta(kwokLine)+`$`).FindAllStringSubmatch(logs, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, ",") != "build:compile,build:test,report:say" {
		t.Errorf("logs of a foreign run: steps %v:\n%s", got, logs)
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	if !strings.Contains(d, "Note:") || !strings.Contains(d, "not made by kubectl mlpipe") || !strings.Contains(d, "Progress:  2/2 steps done") {
		t.Errorf("describe of a foreign run:\n%s", d)
	}
}

//go:build e2e

package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// startWait starts `kubectl mlpipe run --wait` of spec in its own process
// group, as a shell runs a foreground job, and waits until its view shows
// want.
func startWait(t *testing.T, ns, spec, want string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "kubectl", "mlpipe", "run", "-n", ns, "-f", "-", "--wait")
	cmd.Dir = repoRoot
	cmd.Env = append(pluginEnv(), "NO_COLOR=1")
	cmd.Stdin = strings.NewReader(spec)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, stderr, want, 60*time.Second)
	return cmd, stdout, stderr
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	var ee *exec.ExitError
	if err := cmd.Wait(); err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode()
}

// Ctrl-C while waiting stops the wait, not the run: exit 130 and how to
// follow it again.
func TestInterruptedWaitLeavesTheRun(t *testing.T) {
	ns := namespace(t)
	cmd, stdout, stderr := startWait(t, ns, untoleratedGPU, "train Pending — Unschedulable")
	// The terminal's Ctrl-C: SIGINT to the whole foreground process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130\n%s", code, stderr.String())
	}
	name := runName(t, stdout.String())
	want := "interrupted; the run goes on; follow it again with 'kubectl mlpipe describe " + name + " -n " + ns + " -w' or 'kubectl mlpipe logs " + name + " -n " + ns + " -f'"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil || done(pr) || pr.Spec.Status != "" {
		t.Fatalf("the run must go on, untouched: %v %s", err, describe(pr))
	}
}

// cancel --grace while a wait follows the run: the finally step still runs,
// the run ends Cancelled, and the wait reports it with exit 3.
func TestCancelGraceRunsFinally(t *testing.T) {
	ns := namespace(t)
	cmd, stdout, stderr := startWait(t, ns, untoleratedGPU, "train Pending — Unschedulable")
	name := runName(t, stdout.String())
	must(t, mlpipe(t, "", "cancel", "-n", ns, name, "--grace"), "cancel --grace")
	if code := exitCode(t, cmd); code != 3 {
		t.Fatalf("exit %d after cancel --grace, want 3\n%s", code, stderr.String())
	}
	for _, want := range []string{"notify Succeeded", "run " + name + " was cancelled"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Spec.Status != "CancelledRunFinally" || !strings.Contains(pr.Status.GetCondition(apis.ConditionSucceeded).Reason, "Cancelled") {
		t.Errorf("want spec.status CancelledRunFinally and a Cancelled end: %s", describe(pr))
	}
}

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

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mlpipe/kubectl-mlpipe/pkg/testio"
)

// failingSpec makes train fail with exit code 3 (the KWOK failure label), so
// evaluate and deploy are skipped and the finally step still runs.
const failingSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: failing}
spec:
  image: busybox:1.36
  settings: {pod: {nodeSelector: {node-pool: cpu}}}
  steps:
    - {name: prepare, command: [echo, hi], outputs: [rows]}
    - name: train
      command: [python, train.py]
      args: [$(steps.prepare.outputs.rows)]
      settings: {pod: {labels: {mlpipe.dev/fail-exit-code: "3"}}}
    - {name: evaluate, command: [echo, eval], after: [train]}
    - {name: deploy, command: [echo, deploy], after: [evaluate]}
  finally:
    - {name: notify, command: [echo, "$(run.status)"]}
`

func runName(t *testing.T, stdout string) string {
	t.Helper()
	m := regexp.MustCompile(`pipelinerun.tekton.dev/(\S+) created`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no created line in %q", stdout)
	}
	return m[1]
}

// The README's main command: the training example, followed to its end.
func TestRunWaitTrainingSucceeds(t *testing.T) {
	ns := namespace(t)
	r := mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml"), "--wait")
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	name := runName(t, r.Stdout)
	// stdout is data only: the created line; the view is on stderr.
	if strings.Count(r.Stdout, "\n") != 1 {
		t.Errorf("stdout should hold only the created line:\n%s", r.Stdout)
	}
	for _, want := range []string{
		"load-data Running on cpu-", "load-data Succeeded", "preprocess Succeeded",
		"train Running on gpu-a100-1", "train Succeeded", "evaluate Succeeded",
		"deploy Skipped — When Expressions evaluated to false", "notify Succeeded",
		name + " Succeeded — 6/6 steps done",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the view lacks %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stderr, "\x1b[") {
		t.Errorf("no escape codes when stderr is not a terminal:\n%q", r.Stderr)
	}
}

// A failing step: exit 1 from the wait, and describe names the step, its
// exit code and the skipped steps after it.
func TestRunWaitFailingStep(t *testing.T) {
	ns := namespace(t)
	r := mlpipe(t, failingSpec, "run", "-n", ns, "-f", "-", "-w")
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.Code, r.Stderr)
	}
	name := runName(t, r.Stdout)
	for _, want := range []string{"train Failed after", "exit code 3", "evaluate Skipped", "notify Succeeded", "error: run " + name + " failed", "failed: train (exit code 3)"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("run -w stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Status:\s+Failed`),
		regexp.MustCompile(`(?m)^  prepare\s+Succeeded\s+cpu-\d`),
		regexp.MustCompile(`(?m)^  train\s+Failed\s+cpu-\d\s+\S+\s+\S+\s+0\s+exit code 3$`),
		regexp.MustCompile(`(?m)^  evaluate\s+Skipped\s+-\s+-\s+-\s+-\s+PipelineRun was stopping$`),
		regexp.MustCompile(`(?m)^  deploy\s+Skipped`),
		regexp.MustCompile(`(?m)^  notify \(finally\)\s+Succeeded`),
		regexp.MustCompile(`prepare\.rows\s+42`),
		regexp.MustCompile(`└── ✗ train Failed`),
	} {
		if !want.MatchString(d) {
			t.Errorf("describe does not match %s:\n%s", want, d)
		}
	}
	// --last finds the same run by its pipeline.
	if last := must(t, mlpipe(t, "", "describe", "-n", ns, "--last", "failing"), "describe --last").Stdout; !strings.Contains(last, "Name:      "+name) {
		t.Errorf("describe --last failing:\n%s", last)
	}
	// describe -w of a finished run returns at once with its outcome.
	if w := mlpipe(t, "", "describe", "-n", ns, name, "-w"); w.Code != 1 {
		t.Errorf("describe -w of a failed run: exit %d", w.Code)
	}
}

// An unschedulable GPU step is reported with the scheduler's own reason
// while waiting, and --timeout ends the wait with exit 3, leaving the run.
func TestRunWaitReportsUnschedulableAndTimesOut(t *testing.T) {
	ns := namespace(t)
	start := time.Now()
	r := mlpipe(t, untoleratedGPU, "run", "-n", ns, "-f", "-", "--wait", "--timeout", "20s")
	took := time.Since(start)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.Code, r.Stderr)
	}
	name := runName(t, r.Stdout)
	line := regexp.MustCompile(`\[\s*(\d+)s\] train Pending — Unschedulable: 0/\d+ nodes are available: .*Insufficient nvidia.com/gpu.*untolerated taint`).FindStringSubmatch(r.Stderr)
	if line == nil {
		t.Fatalf("no scheduler reason in the view:\n%s", r.Stderr)
	}
	t.Logf("scheduler's reason shown %ss into the run; the wait took %s", line[1], took.Round(100*time.Millisecond))
	for _, want := range []string{"timed out after 20s waiting for run " + name, "train: Pending — Unschedulable", "describe " + name + " -n " + ns + " -w"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil || done(pr) {
		t.Fatalf("the run must go on after the wait times out: %v %s", err, describe(pr))
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	if !regexp.MustCompile(`(?m)^  train\s+Pending\s+-\s+\d\d:\d\d:\d\d\s+\d+s\s+0\s+Unschedulable: 0/\d+ nodes are available`).MatchString(d) {
		t.Errorf("describe of the pending step:\n%s", d)
	}
}

// Secrets stay secret: describe shows the reference and never the value,
// and -v=9 masks the bearer token.
func TestSecretsStaySecret(t *testing.T) {
	ns := namespace(t)
	r := must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml"), "-o", "yaml", "-w"), "run -o yaml -w")
	name := runName(t, "pipelinerun.tekton.dev/"+regexp.MustCompile(`(?m)^  name: (\S+)$`).FindStringSubmatch(r.Stdout)[1]+" created")
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	if !strings.Contains(d, "AWS_SECRET_ACCESS_KEY  from secret s3-creds key secret (all steps)") {
		t.Errorf("describe should show the secret reference:\n%s", d)
	}
	for _, out := range []string{r.Stdout, r.Stderr, d} {
		if strings.Contains(out, "not-a-real-secret") {
			t.Fatalf("a secret value leaked:\n%s", out)
		}
	}
	if !strings.Contains(r.Stdout, "secretKeyRef:") {
		t.Errorf("-o yaml should carry the valueFrom reference:\n%s", r.Stdout)
	}

	// A token-authenticated kubeconfig, with a ServiceAccount token from the TokenRequest API.
	ctx := context.Background()
	expiry := int64(600)
	tr, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := tr.Status.Token
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	raw, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	server := regexp.MustCompile(`server: (\S+)`).FindStringSubmatch(string(raw))[1]
	ca := regexp.MustCompile(`certificate-authority(-data)?: (\S+)`).FindStringSubmatch(string(raw))
	caLine := "certificate-authority: " + ca[2]
	if ca[1] != "" {
		caLine = "certificate-authority-data: " + ca[2]
	}
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + server + "\n    " + caLine +
		"\nusers:\n- name: sa\n  user:\n    token: " + token + "\ncontexts:\n- name: sa\n  context: {cluster: local, user: sa, namespace: " + ns + "}\ncurrent-context: sa\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	v := mlpipe(t, "", "list", "--kubeconfig", kc, "-v=9")
	if strings.Contains(v.Stdout+v.Stderr, token) {
		t.Fatal("-v=9 printed the bearer token")
	}
	if !strings.Contains(v.Stderr, "Authorization: Bearer <masked>") {
		t.Errorf("-v=9 should log the request with the token masked:\n%s", tail(v.Stderr, 20))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Kill the kube-apiserver while run --wait waits and start it again: the
// wait re-establishes its watches and reports the run's real end, and no
// second run is created.
func TestWaitSurvivesAPIServerRestart(t *testing.T) {
	ns := namespace(t)
	// The step can only run on a node labelled for this test, which the test
	// adds after the restart: the run's end comes after the outage.
	spec := `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: restart}
spec:
  image: busybox:1.36
  steps:
    - name: late
      command: [echo, done]
      settings: {pod: {nodeSelector: {mlpipe.dev/e2e-late: ` + ns + `}}}
`
	cmd, stdout, stderr := startWait(t, ns, spec, "late Pending — Unschedulable")

	out, err := exec.Command(filepath.Join(repoRoot, "test", "cluster", "restart.sh"), "kube-apiserver", "3").CombinedOutput()
	if err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
	label := []byte(`{"metadata":{"labels":{"mlpipe.dev/e2e-late":"` + ns + `"}}}`)
	if _, err := kube.CoreV1().Nodes().Patch(context.Background(), "cpu-2", types.MergePatchType, label, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = kube.CoreV1().Nodes().Patch(context.Background(), "cpu-2", types.MergePatchType, []byte(`{"metadata":{"labels":{"mlpipe.dev/e2e-late":null}}}`), metav1.PatchOptions{})
	})
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run --wait: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	name := runName(t, stdout.String())
	// The step's Running state can pass while the watches are still backing
	// off after the outage; its end and the run's may not be missed.
	for _, want := range []string{"late Succeeded", name + " Succeeded — 1/1 steps done"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	t.Logf("view across the restart:\n%s", stderr.String())
	list, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("want exactly one run in %s, got %d (%v)", ns, len(list.Items), err)
	}
}

type syncBuffer = testio.SyncBuffer

func waitFor(t *testing.T, b *syncBuffer, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", want, timeout, b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

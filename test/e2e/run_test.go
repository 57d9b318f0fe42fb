//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// `kubectl mlpipe run` creates one run, named on the client, labelled for
// list, with the field manager recorded, and it runs to Succeeded.
func TestRunCreatesOneRun(t *testing.T) {
	ns := namespace(t)
	r := must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml"), "-o", "name"), "run")
	name := strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/")
	if !strings.HasPrefix(name, "churn-training-") || len(name) != len("churn-training-")+5 {
		t.Fatalf("run name %q, want churn-training-<5 chars>", name)
	}
	pr := waitDone(t, ns, name, 2*time.Minute)
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c.Status != corev1.ConditionTrue {
		t.Fatalf("run: %s", describe(pr))
	}
	if pr.Labels["mlpipe.dev/pipeline"] != "churn-training" || pr.Labels["app.kubernetes.io/managed-by"] != "kubectl-mlpipe" {
		t.Errorf("labels: %v", pr.Labels)
	}
	managers := []string{}
	for _, mf := range pr.ManagedFields {
		managers = append(managers, mf.Manager)
	}
	if !strings.Contains(strings.Join(managers, ","), "kubectl-mlpipe") {
		t.Errorf("field managers %v lack kubectl-mlpipe", managers)
	}
	list, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "mlpipe.dev/pipeline=churn-training"})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("want exactly one run, got %d (%v)", len(list.Items), err)
	}
	// The default output is kubectl's success line.
	r = must(t, mlpipe(t, "", "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "minimal.yaml")), "run")
	if !strings.HasPrefix(r.Stdout, "pipelinerun.tekton.dev/hello-") || !strings.HasSuffix(r.Stdout, " created\n") {
		t.Errorf("stdout %q", r.Stdout)
	}
}

// --dry-run=client sends nothing; --dry-run=server goes through the
// apiserver and Tekton's webhook and stores nothing.
func TestRunDryRun(t *testing.T) {
	ns := namespace(t)
	ex := filepath.Join(repoRoot, "examples", "training.yaml")
	r := must(t, mlpipe(t, "", "run", "-n", ns, "-f", ex, "--dry-run=client"), "client dry run")
	if !strings.HasSuffix(r.Stdout, " created (client dry run)\n") {
		t.Errorf("stdout %q", r.Stdout)
	}
	r = must(t, mlpipe(t, "", "run", "-n", ns, "-f", ex, "--dry-run=server", "-o", "yaml"), "server dry run")
	if !strings.Contains(r.Stdout, "uid:") {
		t.Errorf("a server dry run returns the object as the server would store it:\n%.300s", r.Stdout)
	}
	list, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("dry runs stored %d runs (%v)", len(list.Items), err)
	}
	if r := mlpipe(t, "", "run", "-n", ns, "-f", ex, "--dry-run=maybe"); r.Code != 2 {
		t.Errorf("bad --dry-run: exit %d", r.Code)
	}
}

// A user without create on pipelineruns gets a sentence naming the verb,
// the resource and the namespace, not a raw 403.
func TestRunForbidden(t *testing.T) {
	ns := namespace(t)
	r := mlpipe(t, "", "run", "-n", ns, "--as", "alice", "-f", filepath.Join(repoRoot, "examples", "minimal.yaml"))
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{"may not create pipelineruns.tekton.dev", `namespace "` + ns + `"`, "alice"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, r.Stderr)
		}
	}
}

// A kubeconfig whose user is an exec credential plugin (as on EKS, GKE,
// AKS) works: the plugin hands back the admin client certificate.
func TestRunWithExecCredentialPlugin(t *testing.T) {
	ns := namespace(t)
	pki := filepath.Join(filepath.Dir(kubeconfig), "pki")
	dir := t.TempDir()
	plugin := filepath.Join(dir, "credential-plugin.sh")
	script := `#!/usr/bin/env bash
cert=$(awk '{printf "%s\\n", $0}' ` + pki + `/admin.crt)
key=$(awk '{printf "%s\\n", $0}' ` + pki + `/admin.key)
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"%s","clientKeyData":"%s"}}' "$cert" "$key"
`
	if err := os.WriteFile(plugin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	// Same cluster and context, but the user authenticates through the plugin.
	var kc []string
	skip := false
	for _, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, "client-certificate-data:") || strings.Contains(line, "client-key-data:") {
			if !skip {
				kc = append(kc, "    exec:", "      apiVersion: client.authentication.k8s.io/v1", "      command: "+plugin, "      interactiveMode: Never")
				skip = true
			}
			continue
		}
		kc = append(kc, line)
	}
	execConfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(execConfig, []byte(strings.Join(kc, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := mlpipe(t, "", "run", "--kubeconfig", execConfig, "-n", ns, "-f", filepath.Join(repoRoot, "examples", "minimal.yaml"), "-o", "name")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s\nkubeconfig:\n%s", r.Code, r.Stderr, strings.Join(kc, "\n"))
	}
	name := strings.TrimPrefix(strings.TrimSpace(r.Stdout), "pipelinerun.tekton.dev/")
	if pr := waitDone(t, ns, name, time.Minute); pr.Status.GetCondition(apis.ConditionSucceeded).Status != corev1.ConditionTrue {
		t.Fatalf("run: %s", describe(pr))
	}
}

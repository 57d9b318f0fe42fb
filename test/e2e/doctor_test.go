//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// doctorSpec has one step that fits and one of each thing doctor must
// catch: a GPU count no node offers, a node selector that lands behind a
// taint the step does not tolerate, a node selector no node matches, and a
// secret that does not exist.
const doctorSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata:
  name: doctor-e2e
spec:
  image: busybox:1.36
  env:
    - name: AWS_SECRET_ACCESS_KEY
      valueFrom: {secretKeyRef: {name: s3-creds, key: secret}}
  steps:
    - name: fits
      command: ["true"]
      settings: {pod: {nodeSelector: {node-pool: cpu}}}
    - name: huge-gpu
      command: ["true"]
      settings: {resources: {gpu: 64}, pod: {nodeSelector: {node-pool: gpu}}}
    - name: no-toleration
      command: ["true"]
      settings: {pod: {nodeSelector: {accelerator: nvidia-h100}}}
    - name: bad-selector
      command: ["true"]
      settings: {pod: {nodeSelector: {accelerator: tpu-v5}}}
    - name: needs-token
      command: ["true"]
      env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: api-token, key: token}}
`

const tektonNS = "tekton-pipelines"

func TestDoctor(t *testing.T) {
	ctx := context.Background()
	for _, d := range []string{"tekton-pipelines-controller", "tekton-pipelines-webhook"} {
		if _, err := kube.AppsV1().Deployments(tektonNS).Get(ctx, d, metav1.GetOptions{}); err != nil {
			t.Fatalf("the local cluster has no Deployment %s/%s (%v): it was started before test/cluster/manifests/tekton-deployments.yaml existed; restart it (make cluster-down cluster-up)", tektonNS, d, err)
		}
	}
	waitAvailable(t, "tekton-pipelines-controller")
	ns := namespace(t)
	file := filepath.Join(t.TempDir(), "doctor-e2e.yaml")
	if err := os.WriteFile(file, []byte(doctorSpec), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("cluster", func(t *testing.T) {
		r := mlpipe(t, "", "doctor", "-n", ns)
		if r.Code != 0 {
			t.Fatalf("a healthy cluster: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		// Whatever the release (MLPIPE_TEKTON_VERSION): its version is read,
		// from pipelines-info or, on releases without one, the Deployment's label.
		has(t, r.Stdout,
			"Tekton Pipelines ",
			"✓ Tekton release v",
			"✓ Tekton controller (Deployment tekton-pipelines/tekton-pipelines-controller) is available (1/1 ready)",
			"✓ Tekton webhook (Deployment tekton-pipelines/tekton-pipelines-webhook) is available (1/1 ready)",
			"feature flag coschedule: ",
			"feature flag enable-api-fields: ",
			"feature flag results-from: ",
			"✓ you may create pipelineruns.tekton.dev in namespace "+ns,
		)
	})

	t.Run("spec", func(t *testing.T) {
		r := mlpipe(t, "", "doctor", "-n", ns, "-f", file)
		if r.Code != 1 || !strings.Contains(r.Stderr, "error: 4 of ") {
			t.Fatalf("exit %d, want 1 and 4 failed checks\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		has(t, r.Stdout,
			"✓ Secret s3-creds in namespace "+ns+" exists (every step, spec.env[0].valueFrom.secretKeyRef)",
			"✓ step fits: ",
			// GPUs nobody offers: the closest nodes are the GPU nodes, the fix names the field.
			"✗ step huge-gpu: 0/",
			" Insufficient nvidia.com/gpu",
			"    fix: lower spec.steps[1].settings.resources.gpu (64) to at most 8, what gpu-h100-1 offers, or add nodes with 64 nvidia.com/gpu",
			// The only H100 node is tainted for GPU pods; this step asks for no GPU, so no automatic toleration.
			"✗ step no-toleration: 0/",
			" node(s) had untolerated taint nvidia.com/gpu=present:NoSchedule",
			"    fix: add the toleration {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule} under spec.steps[2].settings.pod.tolerations (then gpu-h100-1 would fit)",
			// No node has accelerator=tpu-v5.
			"✗ step bad-selector: 0/",
			" node(s) didn't match selector accelerator=tpu-v5",
			"    fix: remove spec.steps[3].settings.pod.nodeSelector[accelerator] (accelerator=tpu-v5) or set it to a value nodes have (accelerator: amd-mi300, nvidia-h100, nvidia-tesla-a100)",
			"✗ Secret api-token in namespace "+ns+" does not exist: step needs-token cannot start",
			"    fix: create it: kubectl -n "+ns+" create secret generic api-token --from-literal=token=VALUE",
		)

		js := mlpipe(t, "", "doctor", "-n", ns, "-f", file, "-o", "json")
		var rep struct {
			Kind     string
			Blocking int
			Checks   []struct{ Check, Status, Step, Fix, Field string }
		}
		if err := json.Unmarshal([]byte(js.Stdout), &rep); err != nil || js.Code != 1 {
			t.Fatalf("-o json: exit %d, %v\n%s", js.Code, err, js.Stdout)
		}
		failed := map[string]string{}
		for _, c := range rep.Checks {
			if c.Status == "fail" {
				failed[c.Check+"/"+c.Step] = c.Fix
			}
		}
		if rep.Kind != "DoctorReport" || rep.Blocking != 4 || len(failed) != 4 || failed["placement/huge-gpu"] == "" || failed["secret/needs-token"] == "" {
			t.Errorf("report: kind %s, blocking %d, failed %v", rep.Kind, rep.Blocking, failed)
		}
	})

	t.Run("run --preflight", func(t *testing.T) {
		r := mlpipe(t, "", "run", "-n", ns, "-f", file, "--preflight")
		if r.Code != 1 || !strings.Contains(r.Stderr, "preflight: 4 check(s) failed; nothing was created") {
			t.Fatalf("exit %d, want 1\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		has(t, r.Stderr, "✗ step huge-gpu: 0/", "✗ Secret api-token in namespace "+ns+" does not exist")
		if got := must(t, kubectl(t, "", "get", "pipelineruns", "-n", ns, "-o", "name"), "get pipelineruns").Stdout; got != "" {
			t.Fatalf("a refused preflight created %s", got)
		}
	})

	t.Run("controller scaled to zero", func(t *testing.T) {
		scale(t, "tekton-pipelines-controller", 0)
		t.Cleanup(func() {
			scale(t, "tekton-pipelines-controller", 1)
			waitAvailable(t, "tekton-pipelines-controller")
		})
		r := mlpipe(t, "", "doctor", "-n", ns)
		if r.Code != 1 {
			t.Fatalf("exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		has(t, r.Stdout,
			"✗ Tekton controller (Deployment tekton-pipelines/tekton-pipelines-controller) is scaled to zero: no PipelineRun will start or make progress\n"+
				"    fix: scale it up: kubectl -n tekton-pipelines scale deployment/tekton-pipelines-controller --replicas=1\n",
			"✓ Tekton webhook (Deployment tekton-pipelines/tekton-pipelines-webhook) is available",
		)
	})

	t.Run("a user who may only view", func(t *testing.T) {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}
		if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: ns}},
		}
		if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		r := mlpipe(t, "", "doctor", "-n", ns, "-f", file, "--as", "system:serviceaccount:"+ns+":viewer")
		// It may not create runs (✗), and cannot see nodes, secrets or Tekton's namespace (!):
		// the command still checks everything else and says what it could not check.
		if r.Code != 1 {
			t.Fatalf("exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		has(t, r.Stdout,
			"! cannot check placement: nodes is forbidden: User \"system:serviceaccount:"+ns+":viewer\" cannot list resource \"nodes\"",
			"    fix: ask for \"list\" on nodes (a ClusterRole), or run kubectl mlpipe doctor as someone who has it",
			"! cannot check Secret s3-creds in namespace "+ns+`: secrets "s3-creds" is forbidden`,
			"! cannot read the feature flags (ConfigMap tekton-pipelines/feature-flags)",
			"! cannot check the Tekton controller: deployments.apps is forbidden",
			"✗ you may not create pipelineruns.tekton.dev in namespace "+ns+", which run needs",
		)
		if strings.Contains(r.Stdout, "✗ step ") {
			t.Error("a step was judged without the nodes")
		}
	})
}

func has(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%q not in:\n%s", w, out)
		}
	}
}

func scale(t *testing.T, deployment string, replicas int) {
	t.Helper()
	must(t, kubectl(t, "", "-n", tektonNS, "scale", "deployment/"+deployment, "--replicas="+strconv.Itoa(replicas)), "scale "+deployment)
}

// waitAvailable waits until the Deployment has an available replica (its
// pod is simulated by KWOK: Ready in about a second).
func waitAvailable(t *testing.T, deployment string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := kube.AppsV1().Deployments(tektonNS).Get(context.Background(), deployment, metav1.GetOptions{})
		if err == nil && d.Status.AvailableReplicas > 0 && d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %s/%s has no available replica after 60s: %v", tektonNS, deployment, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tektonv1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// clusterExtras adds what some examples need beyond the stock cluster: an
// AMD GPU node (KWOK manages any node annotated kwok.x-k8s.io/node=fake)
// and the PriorityClass the profiles example names.
func clusterExtras(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	amd := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "e2e-amd-gpu-0",
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      map[string]string{"node-pool": "gpu", "accelerator": "amd-mi300", "kubernetes.io/hostname": "e2e-amd-gpu-0", "type": "kwok"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "amd.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{"cpu": resource.MustParse("64"), "memory": resource.MustParse("512Gi"), "pods": resource.MustParse("110"), "amd.com/gpu": resource.MustParse("8")},
			Allocatable: corev1.ResourceList{"cpu": resource.MustParse("64"), "memory": resource.MustParse("512Gi"), "pods": resource.MustParse("110"), "amd.com/gpu": resource.MustParse("8")},
		},
	}
	if _, err := kube.CoreV1().Nodes().Create(ctx, amd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "ml-high"}, Value: 1000}
	if _, err := kube.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !nodeReady(t, amd.Name) {
		if time.Now().After(deadline) {
			t.Fatal("KWOK did not make the added node Ready")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func nodeReady(t *testing.T, name string) bool {
	for _, c := range node(t, name).Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Every example renders, is created, reaches Succeeded, and every step's pod
// sits on a node that matches its placement.
func TestExamplesSucceedOnTheirNodes(t *testing.T) {
	clusterExtras(t)
	examples, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "*.yaml"))
	if len(examples) < 6 {
		t.Fatalf("found %d examples", len(examples))
	}
	// Both modes: the same held-out checks hold whether the run embeds its
	// pipeline or names Tasks and a Pipeline (pod settings stay in the run).
	for _, mode := range []string{"embedded", "referenced"} {
		for _, ex := range examples {
			ex := ex
			t.Run(mode+"/"+strings.TrimSuffix(filepath.Base(ex), ".yaml"), func(t *testing.T) {
				t.Parallel()
				examplePlacement(t, ex, mode)
			})
		}
	}
}

func examplePlacement(t *testing.T, ex, mode string) {
	ns := namespace(t)
	name := createRendered(t, ns, ex, "--mode", mode)
	pr := waitDone(t, ns, name, 3*time.Minute)
	if mode == "referenced" && pr.Spec.PipelineRef == nil {
		t.Fatalf("run %s embeds its pipeline in referenced mode", name)
	}
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c.Status != corev1.ConditionTrue {
		t.Fatalf("run %s: %s", name, describe(pr))
	}
	pods := stepPods(t, ns, name)
	// The run's TaskRuns by label: status.childReferences is empty on
	// releases before v0.45 (they embed full TaskRun statuses).
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name})
	if err != nil {
		t.Fatal(err)
	}
	wantPods := len(trs.Items)
	if len(pods) != wantPods {
		t.Errorf("found %d step pods for %d TaskRuns", len(pods), wantPods)
	}
	for step, pod := range pods {
		checkPlacement(t, pr, step, &pod)
	}
}

// checkPlacement: the node carries every label of the step's merged
// nodeSelector, has the GPU resource when the step asks for GPUs, and is
// not a GPU node when it does not.
func checkPlacement(t *testing.T, pr *tektonv1.PipelineRun, step string, pod *corev1.Pod) {
	t.Helper()
	if pod.Spec.NodeName == "" {
		t.Errorf("step %s: pod %s is not bound", step, pod.Name)
		return
	}
	n := node(t, pod.Spec.NodeName)
	for _, trs := range pr.Spec.TaskRunSpecs {
		if trs.PipelineTaskName != step || trs.PodTemplate == nil {
			continue
		}
		for k, v := range trs.PodTemplate.NodeSelector {
			if n.Labels[k] != v {
				t.Errorf("step %s ran on %s, whose %s=%q, want %q", step, n.Name, k, n.Labels[k], v)
			}
		}
	}
	gpuWanted := ""
	for _, c := range pod.Spec.Containers {
		for res := range c.Resources.Limits {
			if strings.HasSuffix(string(res), "/gpu") {
				gpuWanted = string(res)
			}
		}
	}
	_, hasGPU := n.Status.Allocatable["nvidia.com/gpu"]
	_, hasAMD := n.Status.Allocatable["amd.com/gpu"]
	switch {
	case gpuWanted != "":
		if _, ok := n.Status.Allocatable[corev1.ResourceName(gpuWanted)]; !ok {
			t.Errorf("step %s asks for %s but ran on %s, which has none", step, gpuWanted, n.Name)
		}
	case hasGPU || hasAMD:
		t.Errorf("step %s needs no GPU but ran on GPU node %s", step, n.Name)
	}
	t.Logf("step %-16s → %s (%s)", step, n.Name, n.Labels["node-pool"])
}

// The training example, step by step: the GPU step on a GPU node, every
// other step on a CPU node.
func TestTrainingGPUStepOnGPUNode(t *testing.T) {
	ns := namespace(t)
	name := createRendered(t, ns, filepath.Join(repoRoot, "examples", "training.yaml"), "-p", "deploy=true")
	pr := waitDone(t, ns, name, 2*time.Minute)
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c.Status != corev1.ConditionTrue {
		t.Fatalf("run: %s", describe(pr))
	}
	pods := stepPods(t, ns, name)
	for _, step := range []string{"load-data", "preprocess", "train", "evaluate", "deploy", "notify"} {
		pod, ok := pods[step]
		if !ok {
			t.Errorf("no pod for step %s (deploy=true must run deploy)", step)
			continue
		}
		n := node(t, pod.Spec.NodeName)
		want := "cpu"
		if step == "train" {
			want = "gpu"
		}
		if n.Labels["node-pool"] != want {
			t.Errorf("step %s ran on %s (node-pool=%s), want node-pool=%s", step, n.Name, n.Labels["node-pool"], want)
		}
	}
	if pods["train"].Name != "" && node(t, pods["train"].Spec.NodeName).Labels["accelerator"] != "nvidia-tesla-a100" {
		t.Errorf("train must land on the A100 node")
	}
}

// A step that asks for a GPU without tolerating the GPU taint cannot be
// placed: its pod stays Pending, Unschedulable, with the scheduler's reason.
func TestGPUWithoutTolerationIsUnschedulable(t *testing.T) {
	ns := namespace(t)
	rendered := must(t, mlpipe(t, untoleratedGPU, "render", "--for-cluster", "-f", "-"), "render")
	created := must(t, kubectl(t, rendered.Stdout, "create", "-n", ns, "-f", "-", "-o", "name"), "create")
	run := strings.TrimPrefix(strings.TrimSpace(created.Stdout), "pipelinerun.tekton.dev/")
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 1 {
			p := pods.Items[0]
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
					if p.Status.Phase != corev1.PodPending {
						t.Errorf("phase %s, want Pending", p.Status.Phase)
					}
					if !strings.Contains(c.Message, "untolerated taint") {
						t.Errorf("scheduler message lacks the taint: %s", c.Message)
					}
					t.Logf("scheduler: %s", c.Message)
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the GPU pod without toleration was not reported Unschedulable: %+v", pods.Items)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Server-side dry-run through Tekton's webhook accepts every example and
// stores nothing; a broken pipelineSpec is rejected by the webhook.
func TestServerDryRun(t *testing.T) {
	ns := namespace(t)
	examples, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "*.yaml"))
	for _, ex := range examples {
		rendered := must(t, mlpipe(t, "", "render", "-f", ex), "render")
		must(t, kubectl(t, rendered.Stdout, "create", "--dry-run=server", "-n", ns, "-f", "-"), "dry-run "+filepath.Base(ex))
	}
	list, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Fatalf("server dry-run stored %d PipelineRuns", len(list.Items))
	}
	rendered := must(t, mlpipe(t, "", "render", "-f", filepath.Join(repoRoot, "examples", "training.yaml")), "render")
	// runAftr is a typo the CRD schema keeps (pipelineSpec is preserved
	// unvalidated); only Tekton's webhook catches it.
	broken := strings.Replace(rendered.Stdout, "      runAfter:\n", "      runAftr:\n", 1)
	if broken == rendered.Stdout {
		t.Fatal("no runAfter to break")
	}
	r := kubectl(t, broken, "create", "--dry-run=server", "-n", ns, "-f", "-")
	if r.Code == 0 {
		t.Fatal("the webhook accepted a pipelineSpec with an unknown field")
	}
	if !strings.Contains(r.Stderr, "runAftr") {
		t.Errorf("rejection does not name the field: %s", r.Stderr)
	}
	// A semantic error only the webhook's Validate knows: runAfter to a task that does not exist.
	broken = strings.Replace(rendered.Stdout, "      - load-data\n", "      - no-such-task\n", 1)
	if r := kubectl(t, broken, "create", "--dry-run=server", "-n", ns, "-f", "-"); r.Code == 0 || !strings.Contains(r.Stderr, "no-such-task") {
		t.Errorf("the webhook accepted runAfter to an unknown task: exit %d %s", r.Code, r.Stderr)
	}
}

// untoleratedGPU asks for a GPU but turns the automatic toleration off, so
// its step can never be scheduled: the run stays Running until cancelled.
const untoleratedGPU = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: untolerated}
spec:
  image: busybox:1.36
  steps:
    - name: train
      command: [python, train.py]
      settings: {resources: {gpu: 1}, pod: {gpuToleration: false}}
  finally:
    - {name: notify, command: [echo, "$(run.status)"]}
`

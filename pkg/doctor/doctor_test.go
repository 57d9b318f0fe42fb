package doctor

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func compile(t *testing.T, src string) *compiler.Result {
	t.Helper()
	docs, err := spec.Load("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), docs[0], compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func node(name string, labels map[string]string, alloc map[string]string, taints ...corev1.Taint) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Spec.Taints = taints
	n.Status.Allocatable = corev1.ResourceList{}
	for k, v := range alloc {
		n.Status.Allocatable[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return n
}

var gpuTaint = corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}

func cpuNode(name string) corev1.Node {
	return node(name, map[string]string{"node-pool": "cpu"}, map[string]string{"cpu": "16", "memory": "64Gi", "pods": "110"})
}

func gpuNode(name, gpus string) corev1.Node {
	return node(name, map[string]string{"node-pool": "gpu", "gpu": "a100"}, map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": gpus}, gpuTaint)
}

func forbidden(resource, name string) error {
	return apierrors.NewForbidden(schema.GroupResource{Resource: resource}, name, errors.New(`User "dev" cannot list resource "`+resource+`"`))
}

func notFound(resource, name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Resource: resource}, name)
}

func one(t *testing.T, fs []Finding, check, step string) Finding {
	t.Helper()
	var got []Finding
	for _, f := range fs {
		if f.Check == check && (step == "" || f.Step == step) {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one %s finding for step %q, got %d: %+v", check, step, len(got), fs)
	}
	return got[0]
}

func want(t *testing.T, f Finding, status Status, parts ...string) {
	t.Helper()
	if f.Status != status {
		t.Errorf("status %s, want %s: %+v", f.Status, status, f)
	}
	all := f.Message + "\nfix: " + f.Fix
	for _, p := range parts {
		if !strings.Contains(all, p) {
			t.Errorf("%q not in:\n%s", p, all)
		}
	}
	if status == Fail && f.Fix == "" {
		t.Errorf("a failure without a fix: %+v", f)
	}
}

func TestCheckAPI(t *testing.T) {
	want(t, CheckAPI(APIs{V1: true, V1beta1: true}), OK, "tekton.dev/v1 serves pipelineruns (v1beta1 too)")
	want(t, CheckAPI(APIs{V1beta1: true}), OK, "tekton.dev/v1beta1 serves pipelineruns (not v1: a release before v0.44)", "sent as v1beta1")
	want(t, CheckAPI(APIs{}), Fail, "not installed", "https://tekton.dev/docs/installation/pipelines/")
	want(t, CheckAPI(APIs{Err: errors.New("boom")}), Warn, "cannot tell", "boom")
}

func deployment(name string, replicas, available int32, labels map[string]string) appsv1.Deployment {
	d := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: TektonNamespace, Labels: labels}}
	d.Spec.Replicas = &replicas
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	d.Status.AvailableReplicas = available
	return d
}

func TestCheckRelease(t *testing.T) {
	info := &corev1.ConfigMap{Data: map[string]string{"version": "v1.15.1"}}
	want(t, CheckRelease(TektonNamespace, info, nil, nil, nil), OK, "v1.15.1", "ConfigMap tekton-pipelines/pipelines-info")

	labelled := []appsv1.Deployment{deployment(Controller, 1, 1, map[string]string{LabelVersion: "v0.50.5"})}
	want(t, CheckRelease(TektonNamespace, nil, notFound("configmaps", InfoConfigMap), labelled, nil), OK,
		"v0.50.5", "label app.kubernetes.io/version of Deployment tekton-pipelines/tekton-pipelines-controller", "no ConfigMap")
	release := []appsv1.Deployment{deployment(Controller, 1, 1, map[string]string{LabelRelease: "v0.38.3"})}
	want(t, CheckRelease(TektonNamespace, nil, forbidden("configmaps", InfoConfigMap), release, nil), OK,
		"v0.38.3", "label pipeline.tekton.dev/release", "cannot read ConfigMap")
	devel := &corev1.ConfigMap{Data: map[string]string{"version": "devel"}}
	want(t, CheckRelease(TektonNamespace, devel, nil, nil, nil), Warn, "Tekton release unknown", "has no version", "no Deployment tekton-pipelines/tekton-pipelines-controller with an app.kubernetes.io/version")
	want(t, CheckRelease(TektonNamespace, nil, forbidden("configmaps", InfoConfigMap), nil, forbidden("deployments", "")), Warn, "cannot read ConfigMap", "the Deployments in tekton-pipelines cannot be read either")
}

func TestCheckDeployments(t *testing.T) {
	ready := deployment(Webhook, 1, 1, nil)
	for name, tc := range map[string]struct {
		in     Deployments
		status Status
		parts  []string
	}{
		"available": {
			in: Deployments{Items: []appsv1.Deployment{deployment(Controller, 1, 1, nil), ready}}, status: OK,
			parts: []string{"is available (1/1 ready)"},
		},
		"scaled to zero": {
			in: Deployments{Items: []appsv1.Deployment{deployment(Controller, 0, 0, nil), ready}}, status: Fail,
			parts: []string{"is scaled to zero", "no PipelineRun will start", "scale it up: kubectl -n tekton-pipelines scale deployment/tekton-pipelines-controller --replicas=1"},
		},
		"missing": {
			in: Deployments{Items: []appsv1.Deployment{ready}}, status: Warn,
			parts: []string{"no Deployment tekton-pipelines-controller in namespace tekton-pipelines", "--tekton-namespace"},
		},
		"forbidden": {
			in: Deployments{Err: forbidden("deployments", "")}, status: Warn,
			parts: []string{"cannot check the Tekton controller", "forbidden"},
		},
		"unschedulable": {
			in: Deployments{
				Items: []appsv1.Deployment{deployment(Controller, 1, 0, nil), ready},
				Pods: []corev1.Pod{pod("tekton-pipelines-controller-7d9f-x2", Controller, func(p *corev1.Pod) {
					p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
						Message: "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found."}}
				})},
			},
			status: Fail,
			parts: []string{"not available (0/1 ready)", "pod tekton-pipelines-controller-7d9f-x2: PodScheduled=False Unschedulable: 0/3 nodes are available: 3 Insufficient cpu",
				"add nodes, or free capacity", "kubectl -n tekton-pipelines describe pod tekton-pipelines-controller-7d9f-x2"},
		},
		"image pull": {
			in: Deployments{
				Items: []appsv1.Deployment{deployment(Controller, 1, 0, nil), ready},
				Pods: []corev1.Pod{pod("c-1", Controller, func(p *corev1.Pod) {
					p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "controller", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}}
				})},
			},
			status: Fail, parts: []string{"container controller is waiting: ImagePullBackOff", "cannot pull the image"},
		},
		"crash loop": {
			in: Deployments{
				Items: []appsv1.Deployment{deployment(Controller, 1, 0, nil), ready},
				Pods: []corev1.Pod{pod("c-1", Controller, func(p *corev1.Pod) {
					p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "controller", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
				})},
			},
			status: Fail, parts: []string{"CrashLoopBackOff", "kubectl -n tekton-pipelines logs c-1 -c controller --previous"},
		},
		"no pod, an event says why": {
			in: Deployments{
				Items: []appsv1.Deployment{deployment(Controller, 1, 0, nil), ready}, Now: t0,
				Events: []corev1.Event{
					event("tekton-pipelines-controller-7d9f", "ReplicaSet", "FailedCreate", `(combined from similar events): Error creating: pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`, t0.Add(-time.Minute)),
					event("tekton-pipelines-controller-7d9f", "ReplicaSet", "FailedCreate", "an old story", t0.Add(-2*time.Hour)),
				},
			},
			status: Fail, parts: []string{"no pod: event FailedCreate on replicaset tekton-pipelines-controller-7d9f: Error creating", "securityContext"},
		},
		"no pod, nothing says why": {
			in:     Deployments{Items: []appsv1.Deployment{deployment(Controller, 1, 0, nil), ready}, Now: t0, Events: []corev1.Event{event("tekton-pipelines-controller-7d9f", "ReplicaSet", "FailedCreate", "an old story", t0.Add(-2*time.Hour))}},
			status: Fail, parts: []string{"no pod and no recent event", "ReplicaSet controller"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			tc.in.Namespace = TektonNamespace
			fs := CheckDeployments(tc.in)
			want(t, one(t, fs, "tekton-controller", ""), tc.status, tc.parts...)
			if tc.status == Fail && strings.Contains(one(t, fs, "tekton-controller", "").Message, "an old story") {
				t.Error("an event older than EventWindow was used")
			}
		})
	}
	if NeedsDiagnosis([]appsv1.Deployment{deployment(Controller, 0, 0, nil)}) || !NeedsDiagnosis([]appsv1.Deployment{deployment(Webhook, 2, 0, nil)}) {
		t.Error("pods and events are needed only for a Deployment that should run and does not")
	}
	webhook := CheckDeployments(Deployments{Namespace: TektonNamespace, Items: []appsv1.Deployment{deployment(Webhook, 0, 0, nil)}})
	want(t, one(t, webhook, "tekton-webhook", ""), Fail, "PipelineRuns cannot be created", "deployment/tekton-pipelines-webhook --replicas=1")
}

func pod(name, app string, edit func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: TektonNamespace, Labels: map[string]string{"app": app}}}
	edit(&p)
	return p
}

func event(obj, kind, reason, msg string, at time.Time) corev1.Event {
	return corev1.Event{
		Type: corev1.EventTypeWarning, Reason: reason, Message: msg,
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: obj},
		LastTimestamp:  metav1.NewTime(at),
	}
}

func flags(data map[string]string) *corev1.ConfigMap { return &corev1.ConfigMap{Data: data} }

func TestCheckFlags(t *testing.T) {
	defaults := CheckFlags(TektonNamespace, flags(map[string]string{"coschedule": "workspaces", "enable-api-fields": "beta", "results-from": "termination-message"}), nil, nil)
	want(t, one(t, defaults, "feature-flag/coschedule", ""), OK, "coschedule: workspaces", "affinity assistant", "spec.artifactStore")
	want(t, one(t, defaults, "feature-flag/enable-api-fields", ""), OK, "beta", "what kubectl-mlpipe targets")
	want(t, one(t, defaults, "feature-flag/results-from", ""), OK, "termination-message", "about 4 KiB per step")
	for _, f := range defaults {
		if f.Check == "feature-flag/disable-inline-spec" || f.Status != OK {
			t.Errorf("unexpected finding on the defaults: %+v", f)
		}
	}

	stable := flags(map[string]string{"enable-api-fields": "stable"})
	want(t, one(t, CheckFlags(TektonNamespace, stable, nil, nil), "feature-flag/enable-api-fields", ""), Warn, "--expand-matrix")
	want(t, one(t, CheckFlags(TektonNamespace, stable, nil, &Usage{Matrix: []string{"train"}}), "feature-flag/enable-api-fields", ""), Warn,
		"run fans out step(s) train on the client", "as --expand-matrix does", "enable-api-fields: beta in ConfigMap tekton-pipelines/feature-flags")
	want(t, one(t, CheckFlags(TektonNamespace, stable, nil, &Usage{}), "feature-flag/enable-api-fields", ""), OK, "uses none")

	pr := CheckFlags(TektonNamespace, flags(map[string]string{"coschedule": "isolate-pipelinerun"}), nil, nil)
	want(t, one(t, pr, "feature-flag/coschedule", ""), Warn, "every pod of a run goes to one node", "one run at a time")
	old := CheckFlags(TektonNamespace, flags(map[string]string{"disable-affinity-assistant": "true"}), nil, nil)
	want(t, one(t, old, "feature-flag/coschedule", ""), OK, "coschedule: disabled (from disable-affinity-assistant)", "ReadWriteMany")
	ws := CheckFlags(TektonNamespace, nil, notFound("configmaps", FlagsConfigMap), &Usage{Workspace: true})
	want(t, one(t, ws, "feature-flags", ""), Warn, "no ConfigMap tekton-pipelines/feature-flags")
	want(t, one(t, ws, "feature-flag/coschedule", ""), OK, "(Tekton's default)", "every step must fit one node")

	sidecar := CheckFlags(TektonNamespace, flags(map[string]string{"results-from": "sidecar-logs", "max-result-size": "8192"}), nil, nil)
	want(t, one(t, sidecar, "feature-flag/results-from", ""), OK, "sidecar-logs", "8192 bytes")

	inline := CheckFlags(TektonNamespace, flags(map[string]string{"disable-inline-spec": "taskrun,pipelinerun"}), nil, nil)
	want(t, one(t, inline, "feature-flag/disable-inline-spec", ""), Fail, "embedded specs in pipelinerun, taskrun", "remove pipelinerun, taskrun from disable-inline-spec")

	bad := CheckFlags(TektonNamespace, flags(map[string]string{"coschedule": "sometimes"}), nil, nil)
	want(t, one(t, bad, "feature-flags", ""), Warn, `coschedule: "sometimes"`)

	denied := CheckFlags(TektonNamespace, nil, forbidden("configmaps", FlagsConfigMap), nil)
	want(t, one(t, denied, "feature-flags", ""), Warn, "cannot read the feature flags", "forbidden", "Tekton's defaults")
	if len(denied) != 4 {
		t.Errorf("the flags' meanings are still given, on Tekton's defaults: %+v", denied)
	}
}

func TestCheckAccess(t *testing.T) {
	acc := MlpipeAccess("ml")
	acc[0].Allowed = true
	want(t, CheckAccess(acc[0]), OK, "you may create pipelineruns.tekton.dev in namespace ml")
	acc[0].Allowed = false
	want(t, CheckAccess(acc[0]), Fail, "you may not create pipelineruns.tekton.dev in namespace ml", "kubectl create rolebinding")
	want(t, CheckAccess(acc[2]), Warn, "you may not get pods/log in namespace ml, which logs and run --follow needs")
	acc[1].Err = errors.New("boom")
	want(t, CheckAccess(acc[1]), Warn, "cannot check whether you may watch")
}

const placementSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  profiles:
    big:
      resources: {gpu: 64}
      pod:
        nodeSelector: {node-pool: gpu}
  steps:
    - name: fits
      command: ["true"]
      settings: {resources: {cpu: "2"}, pod: {nodeSelector: {node-pool: cpu}}}
    - name: huge-gpu
      profile: big
      command: ["true"]
    - name: no-toleration
      command: ["true"]
      settings: {pod: {nodeSelector: {gpu: a100}}}
    - name: bad-selector
      command: ["true"]
      settings: {pod: {nodeSelector: {node-pool: tpu}}}
    - name: no-auto-toleration
      command: ["true"]
      settings: {resources: {gpu: 1}, pod: {gpuToleration: false}}
    - name: affinity
      command: ["true"]
      settings:
        pod:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [moon]}]}]
    - name: memory
      command: ["true"]
      settings: {resources: {memory: 100Gi}, pod: {nodeSelector: {node-pool: cpu}}}
`

func TestCheckPlacement(t *testing.T) {
	res := compile(t, placementSpec)
	nodes := []corev1.Node{cpuNode("cpu-1"), cpuNode("cpu-2"), cpuNode("cpu-3"), gpuNode("gpu-1", "4"), gpuNode("gpu-2", "8"), gpuNode("gpu-3", "8"), gpuNode("gpu-4", "8")}
	fs := CheckPlacement(Placement{Steps: StepPods(res.Model, res.PipelineRun), Nodes: nodes})
	want(t, one(t, fs, "placement", "fits"), OK, "step fits: 3/7 nodes fit (cpu-1, cpu-2, cpu-3)")
	gpu := one(t, fs, "placement", "huge-gpu")
	want(t, gpu, Fail, "0/7 nodes fit: 3 node(s) didn't match selector node-pool=gpu, 4 Insufficient nvidia.com/gpu",
		"lower spec.profiles[big].resources.gpu (64) to at most 8, what gpu-2 offers, or add nodes with 64 nvidia.com/gpu", "(then gpu-1, gpu-2, gpu-3 and 1 more would fit)")
	if gpu.Field != "spec.steps[1]" {
		t.Errorf("field %q", gpu.Field)
	}
	// The scheduler's own example: a selector some nodes match, behind a taint.
	want(t, one(t, fs, "placement", "no-toleration"), Fail,
		"0/7 nodes fit: 3 node(s) didn't match selector gpu=a100, 4 node(s) had untolerated taint nvidia.com/gpu=present:NoSchedule",
		"add the toleration {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule} under spec.steps[2].settings.pod.tolerations")
	want(t, one(t, fs, "placement", "bad-selector"), Fail,
		"3 node(s) didn't match selector node-pool=tpu", "4 node(s) had untolerated taint",
		"change spec.steps[3].settings.pod.nodeSelector[node-pool] from node-pool=tpu to node-pool=cpu", "(then cpu-1, cpu-2, cpu-3 would fit)")
	want(t, one(t, fs, "placement", "no-auto-toleration"), Fail,
		"3 Insufficient nvidia.com/gpu, 4 node(s) had untolerated taint nvidia.com/gpu=present:NoSchedule",
		"add the toleration", "(pod.gpuToleration: false, at spec.steps[4].settings.pod.gpuToleration, turned the automatic one off)")
	want(t, one(t, fs, "placement", "affinity"), Fail, "3 node(s) didn't match the step's required node affinity",
		"change the required node affinity at spec.steps[5].settings.pod.affinity")
	want(t, one(t, fs, "placement", "memory"), Fail, "3 Insufficient memory",
		"lower spec.steps[6].settings.resources.memory (100Gi) to at most 64Gi, what cpu-1 offers")
}

func TestCheckPlacementNoLabelAnywhere(t *testing.T) {
	res := compile(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  steps:
    - {name: a, command: ["true"], settings: {pod: {nodeSelector: {accelerator: tpu-v5}}}}
`)
	nodes := []corev1.Node{cpuNode("cpu-1"), node("gpu-9", map[string]string{"accelerator": "nvidia-h100"}, map[string]string{"cpu": "8"}, gpuTaint)}
	f := one(t, CheckPlacement(Placement{Steps: StepPods(res.Model, res.PipelineRun), Nodes: nodes}), "placement", "a")
	want(t, f, Fail, "remove spec.steps[0].settings.pod.nodeSelector[accelerator] (accelerator=tpu-v5) or set it to a value nodes have (accelerator: nvidia-h100)",
		"kubectl label node cpu-1 accelerator=tpu-v5")
}

func TestCheckPlacementCordonedAndRuntimeClass(t *testing.T) {
	res := compile(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  steps:
    - {name: a, command: ["true"]}
    - {name: b, command: ["true"], settings: {pod: {runtimeClassName: gvisor}}}
`)
	cordoned := cpuNode("cpu-1")
	cordoned.Spec.Unschedulable = true
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor"}, Handler: "runsc",
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "gvisor"}}}
	fs := CheckPlacement(Placement{Steps: StepPods(res.Model, res.PipelineRun), Nodes: []corev1.Node{cordoned}, RuntimeClasses: map[string]*nodev1.RuntimeClass{"gvisor": rc}})
	want(t, one(t, fs, "placement", "a"), Fail, "1 node(s) were unschedulable", "kubectl uncordon cpu-1")
	// Cordoned comes first in the count, as the scheduler's filters run; the
	// fix covers every reason, the RuntimeClass's node selector included.
	want(t, one(t, fs, "placement", "b"), Fail, "1 node(s) were unschedulable", "kubectl uncordon cpu-1; and", "the RuntimeClass gvisor's scheduling.nodeSelector[sandbox] (sandbox=gvisor)")
}

func TestCheckPlacementWithoutNodes(t *testing.T) {
	res := compile(t, placementSpec)
	steps := StepPods(res.Model, res.PipelineRun)
	denied := CheckPlacement(Placement{Steps: steps, NodesErr: forbidden("nodes", "")})
	if len(denied) != 1 {
		t.Fatalf("one line for all steps, got %+v", denied)
	}
	want(t, denied[0], Warn, "cannot check placement: nodes", "is forbidden", `"list" on nodes`)
	none := CheckPlacement(Placement{Steps: steps})
	want(t, one(t, none, "placement", "fits"), Fail, "0/0 nodes fit: the cluster has no nodes")
}

func TestCheckPlacementOneNode(t *testing.T) {
	res := compile(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  workspace: {size: 1Gi}
  steps:
    - {name: load, command: ["true"], settings: {pod: {nodeSelector: {node-pool: cpu}}}}
    - {name: train, command: ["true"], settings: {resources: {gpu: 1}, pod: {nodeSelector: {node-pool: gpu}}}}
`)
	nodes := []corev1.Node{cpuNode("cpu-1"), gpuNode("gpu-1", "4")}
	u := UsageOf(res.Model)
	one1, why := ParseFlags(nil).OneNode(u)
	if !one1 {
		t.Fatal("a workspace under coschedule: workspaces pins the steps to one node")
	}
	fs := CheckPlacement(Placement{Steps: StepPods(res.Model, res.PipelineRun), Nodes: nodes, OneNode: one1, OneNodeWhy: why})
	want(t, one(t, fs, "coschedule", ""), Fail, "one node must run every step", "load fits cpu-1; train fits gpu-1", "spec.artifactStore")
	if off, _ := ParseFlags(map[string]string{"coschedule": "disabled"}).OneNode(u); off {
		t.Error("coschedule: disabled places pods independently")
	}
}

func TestStepPods(t *testing.T) {
	res := compile(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  serviceAccountName: runner
  settings: {pod: {nodeSelector: {node-pool: cpu}}}
  steps:
    - {name: plain, command: ["true"]}
    - name: sweep
      command: ["true", "$(matrix.lr)"]
      matrix: {lr: ["0.1", "0.2"]}
      settings: {resources: {gpu: 2, memory: 1Gi}, pod: {priorityClassName: high}}
  finally:
    - {name: notify, command: ["true"]}
`)
	steps := StepPods(res.Model, res.PipelineRun)
	var got []string
	for _, s := range steps {
		got = append(got, s.Step)
		if s.Pod.Spec.ServiceAccountName != "runner" || s.Pod.Spec.NodeSelector["node-pool"] != "cpu" || s.Model == nil {
			t.Errorf("%s: %+v (model %v)", s.Step, s.Pod.Spec, s.Model)
		}
	}
	if strings.Join(got, ",") != "plain,sweep,notify" {
		t.Fatalf("steps %v", got)
	}
	sweep := steps[1].Pod
	req := sweep.Spec.Containers[0].Resources.Requests
	if q := req["nvidia.com/gpu"]; q.String() != "2" {
		t.Errorf("the GPU limit is also the request (API defaulting): %v", req)
	}
	if sweep.Spec.PriorityClassName != "high" || len(sweep.Spec.Tolerations) != 1 || sweep.Spec.Tolerations[0].Key != "nvidia.com/gpu" {
		t.Errorf("sweep pod: %+v", sweep.Spec)
	}
}

func TestReferences(t *testing.T) {
	res := compile(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  imagePullSecrets: [regcred]
  workspace: {size: 1Gi}
  env:
    - {name: KEY, valueFrom: {secretKeyRef: {name: s3-creds, key: secret}}}
  steps:
    - name: a
      command: ["true"]
      env:
        - {name: ID, valueFrom: {secretKeyRef: {name: s3-creds, key: id}}}
        - {name: OPT, valueFrom: {configMapKeyRef: {name: maybe, key: k, optional: true}}}
      settings:
        pod:
          priorityClassName: ml-high
          runtimeClassName: gvisor
          volumes: [{name: data, persistentVolumeClaim: {claimName: datasets}}, {name: cfg, configMap: {name: settings}}]
    - {name: b, command: ["true"], settings: {envFrom: [{secretRef: {name: b-env}}], pod: {serviceAccountName: publisher}}}
`)
	refs := References(res.Model)
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ID())
	}
	wantIDs := "ServiceAccount/default,Secret/regcred,StorageClass/,Secret/s3-creds,ConfigMap/maybe,PersistentVolumeClaim/datasets,ConfigMap/settings,PriorityClass/ml-high,RuntimeClass/gvisor,Secret/b-env,ServiceAccount/publisher"
	if strings.Join(ids, ",") != wantIDs {
		t.Fatalf("refs:\n%s\nwant\n%s", strings.Join(ids, ","), wantIDs)
	}
	got := map[string]Lookup{
		"ServiceAccount/default":         {Found: true},
		"Secret/regcred":                 {},
		"StorageClass/":                  {Existing: []string{"fast", "slow"}},
		"Secret/s3-creds":                {Found: true, Keys: []string{"id"}},
		"ConfigMap/maybe":                {},
		"PersistentVolumeClaim/datasets": {},
		"ConfigMap/settings":             {Err: forbidden("configmaps", "settings")},
		"PriorityClass/ml-high":          {Existing: []string{"system-cluster-critical"}},
		"RuntimeClass/gvisor":            {Found: true},
	}
	fs := CheckReferences("ml", refs, got)
	for _, f := range fs {
		if f.Check == "serviceaccount" && f.Step == "" {
			want(t, f, OK, "ServiceAccount default in namespace ml exists (every step)")
		}
	}
	want(t, one(t, fs, "storageclass", ""), Fail, "no default StorageClass", "set spec.workspace.storageClassName to one of: fast, slow")
	for _, f := range fs {
		switch f.Field {
		case "spec.imagePullSecrets[0]":
			want(t, f, Warn, "Secret regcred in namespace ml does not exist", "create secret docker-registry regcred")
		case "spec.env[0].valueFrom.secretKeyRef":
			want(t, f, Fail, "Secret s3-creds in namespace ml has no key secret (spec.env[0].valueFrom.secretKeyRef)", "(it has keys id)", "no step can start")
		}
	}
	want(t, one(t, fs, "persistentvolumeclaim", ""), Fail, "PersistentVolumeClaim datasets in namespace ml does not exist: step a cannot start", "create the claim")
	for _, f := range fs {
		if f.Check != "configmap" {
			continue
		}
		switch f.Field {
		case "spec.steps[0].env[1].valueFrom.configMapKeyRef":
			want(t, f, Warn, "ConfigMap maybe", "marks it optional")
		default:
			want(t, f, Warn, "cannot check ConfigMap settings in namespace ml", "forbidden")
		}
	}
	for _, f := range fs {
		switch f.Field {
		case "spec.steps[1].settings.envFrom[0].secretRef":
			want(t, f, Fail, "Secret b-env in namespace ml does not exist")
		case "spec.steps[1].settings.pod.serviceAccountName":
			want(t, f, Fail, "ServiceAccount publisher in namespace ml does not exist")
		}
	}
	want(t, one(t, fs, "priorityclass", ""), Fail, "PriorityClass ml-high does not exist", "(there are: system-cluster-critical)", "kubectl create priorityclass ml-high")
	want(t, one(t, fs, "runtimeclass", ""), OK, "RuntimeClass gvisor exists (step a, spec.steps[0].settings.pod.runtimeClassName)")

	sa := CheckReferences("ml", []Ref{{Kind: ServiceAccount, Name: "runner", Field: "spec.serviceAccountName", AllSteps: true}}, map[string]Lookup{})
	want(t, sa[0], Fail, "ServiceAccount runner in namespace ml does not exist", "kubectl -n ml create serviceaccount runner, or change spec.serviceAccountName")
	named := CheckReferences("ml", []Ref{{Kind: StorageClass, Name: "gold", Field: "spec.workspace.storageClassName"}}, map[string]Lookup{"StorageClass/gold": {Existing: []string{"standard"}}})
	want(t, named[0], Fail, "StorageClass gold does not exist", "change spec.workspace.storageClassName to an existing StorageClass (there are: standard)")
	def := CheckReferences("ml", []Ref{{Kind: StorageClass, Field: "spec.workspace"}}, map[string]Lookup{"StorageClass/": {Found: true, Name: "standard"}})
	want(t, def[0], OK, "default StorageClass standard")
}

func TestWrite(t *testing.T) {
	fs := []Finding{
		{Check: "a", Status: OK, Message: "fine"},
		{Check: "b", Status: Warn, Message: "hm"},
		{Check: "c", Status: Fail, Message: "broken", Fix: "mend it"},
	}
	var plain, color bytes.Buffer
	Write(&plain, fs, false)
	if plain.String() != "✓ fine\n! hm\n✗ broken\n    fix: mend it\n" {
		t.Errorf("plain:\n%s", plain.String())
	}
	Write(&color, fs, true)
	if !strings.Contains(color.String(), "\x1b[31m✗\x1b[0m broken") {
		t.Errorf("colour:\n%q", color.String())
	}
	if Blocking(fs) != 1 || Summary(fs) != "3 checks: 1 ok, 1 warnings, 1 failed" {
		t.Errorf("blocking %d, summary %q", Blocking(fs), Summary(fs))
	}
	if got := CheckNamespace("ml", notFound("namespaces", "ml")); len(got) != 1 || got[0].Status != Fail || !strings.Contains(got[0].Fix, "kubectl create namespace ml") {
		t.Errorf("namespace: %+v", got)
	}
	if got := CheckNamespace("ml", forbidden("namespaces", "ml")); len(got) != 0 {
		t.Errorf("a namespace we may not read is not reported: %+v", got)
	}
}

// The checks are pure: no clients, no CLI framework. This fails when the
// package starts to depend on either.
func TestDoctorIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"k8s.io/client-go/kubernetes", "k8s.io/cli-runtime", "github.com/spf13/cobra", "github.com/mlpipe/kubectl-mlpipe/pkg/cmd"} {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("pkg/doctor depends on %s: the checks take objects, the commands read them", dep)
			}
		}
	}
}

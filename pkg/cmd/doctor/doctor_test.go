package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	checks "github.com/mlpipe/kubectl-mlpipe/pkg/doctor"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

const tns = checks.TektonNamespace

func deploy(name string, replicas, available int32) *appsv1.Deployment {
	app := strings.TrimPrefix(name, "tekton-pipelines-")
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: tns,
		Labels: map[string]string{"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "tekton-pipelines", checks.LabelVersion: "v1.15.1"}}}
	d.Spec.Replicas = &replicas
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": app}}
	d.Status.AvailableReplicas = available
	return d
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
}

func node(name string, labels map[string]string, alloc map[string]string, taints ...corev1.Taint) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Spec.Taints = taints
	n.Status.Allocatable = corev1.ResourceList{}
	for k, v := range alloc {
		n.Status.Allocatable[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return n
}

// nodes is the local cluster's inventory in small: CPU nodes, and GPU nodes
// tainted nvidia.com/gpu=present:NoSchedule with 4 and 8 GPUs.
func nodes() []runtime.Object {
	gpu := corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}
	return []runtime.Object{
		node("cpu-1", map[string]string{"node-pool": "cpu"}, map[string]string{"cpu": "16", "memory": "64Gi"}),
		node("cpu-2", map[string]string{"node-pool": "cpu"}, map[string]string{"cpu": "16", "memory": "64Gi"}),
		node("gpu-a100-1", map[string]string{"node-pool": "gpu", "accelerator": "nvidia-tesla-a100"}, map[string]string{"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": "4"}, gpu),
		node("gpu-h100-1", map[string]string{"node-pool": "gpu", "accelerator": "nvidia-h100"}, map[string]string{"cpu": "64", "memory": "512Gi", "nvidia.com/gpu": "8"}, gpu),
	}
}

// healthy is a cluster with Tekton installed and running, and a namespace ml.
func healthy() []runtime.Object {
	return append([]runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ml"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "ml"}},
		configMap(tns, checks.InfoConfigMap, map[string]string{"version": "v1.15.1"}),
		configMap(tns, checks.FlagsConfigMap, map[string]string{"coschedule": "workspaces", "enable-api-fields": "beta", "results-from": "termination-message"}),
		deploy(checks.Controller, 1, 1),
		deploy(checks.Webhook, 1, 1),
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}},
	}, nodes()...)
}

// fakeCluster serves tekton.dev/v1 and v1beta1 and answers access reviews
// with allowed (denied for the verbs in deny).
func fakeCluster(objs []runtime.Object, deny ...string) *kubefake.Clientset {
	kc := kubefake.NewSimpleClientset(objs...)
	kc.Resources = []*metav1.APIResourceList{
		{GroupVersion: "tekton.dev/v1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}, {Name: "taskruns"}}},
		{GroupVersion: "tekton.dev/v1beta1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}},
	}
	kc.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		attr := r.Spec.ResourceAttributes
		r.Status.Allowed = true
		for _, d := range deny {
			if d == attr.Verb+" "+attr.Resource {
				r.Status.Allowed = false
			}
		}
		return true, r, nil
	})
	return kc
}

// forbid makes every verb on resource forbidden, as RBAC answers.
func forbid(kc *kubefake.Clientset, verb, res string) {
	kc.PrependReactor(verb, res, func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: res}, "", errors.New(`User "dev" cannot `+verb+` resource "`+res+`"`))
	})
}

const brokenSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: broken}
spec:
  image: busybox:1.36
  env:
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: api-token, key: token}}
  profiles:
    big:
      resources: {gpu: 64}
      pod: {nodeSelector: {node-pool: gpu}}
  steps:
    - {name: ok, command: ["true"], settings: {pod: {nodeSelector: {node-pool: cpu}}}}
    - {name: huge-gpu, profile: big, command: ["true"]}
    - {name: no-toleration, command: ["true"], settings: {pod: {nodeSelector: {accelerator: nvidia-h100}}}}
    - {name: bad-selector, command: ["true"], settings: {pod: {nodeSelector: {node-pool: tpu}}}}
`

type result struct {
	stdout, stderr string
	code           int
}

// doctor runs the command's logic on a fake cluster, with a kubeconfig
// whose context's namespace is ml.
func doctor(t *testing.T, kc *kubefake.Clientset, specText string, args ...string) result {
	t.Helper()
	return doctorWith(t, kc, nil, specText, args...)
}

// doctorWith is doctor with a change to the options (edit may be nil).
func doctorWith(t *testing.T, kc *kubefake.Clientset, edit func(*Options), specText string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: test, context: {cluster: c, user: u, namespace: ml}}]
current-context: test
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if specText != "" {
		if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(specText), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-f", filepath.Join(dir, "p.yaml"))
	}
	cf := genericclioptions.NewConfigFlags(false)
	cf.KubeConfig = &kubeconfig
	var out, errOut bytes.Buffer
	o := NewOptions(cf, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	o.newClients = func() (*util.Clients, error) { return &util.Clients{Kube: kc, Namespace: "ml"}, nil }
	if edit != nil {
		edit(o)
	}
	cmd := newCmd(o)
	cf.AddFlags(cmd.Flags())
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return result{out.String(), errOut.String(), util.Code(err)}
}

func lines(t *testing.T, r result, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("%q not in the checklist:\n%s\nstderr: %s", w, r.stdout, r.stderr)
		}
	}
}

func TestHealthyCluster(t *testing.T) {
	r := doctor(t, fakeCluster(healthy()), "")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines(t, r,
		"Checking context test, namespace ml\n",
		"✓ Tekton Pipelines is installed: tekton.dev/v1 serves pipelineruns (v1beta1 too)\n",
		"✓ Tekton release v1.15.1 (ConfigMap tekton-pipelines/pipelines-info, key version)\n",
		"✓ Tekton controller (Deployment tekton-pipelines/tekton-pipelines-controller) is available (1/1 ready)\n",
		"✓ Tekton webhook (Deployment tekton-pipelines/tekton-pipelines-webhook) is available (1/1 ready)\n",
		"✓ feature flag coschedule: workspaces — ",
		"✓ feature flag enable-api-fields: beta — ",
		"✓ feature flag results-from: termination-message — ",
		"✓ you may create pipelineruns.tekton.dev in namespace ml\n",
		"✓ you may watch pipelineruns.tekton.dev in namespace ml\n",
		"✓ you may get pods/log in namespace ml\n",
		"10 checks: 10 ok, 0 warnings, 0 failed\n",
	)
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour on a buffer")
	}
}

func TestBrokenInstall(t *testing.T) {
	objs := healthy()
	for i, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			switch d.Name {
			case checks.Controller:
				objs[i] = deploy(checks.Controller, 0, 0)
			case checks.Webhook:
				objs[i] = deploy(checks.Webhook, 1, 0)
			}
		}
	}
	pending := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "tekton-pipelines-webhook-5c78-x", Namespace: tns, Labels: map[string]string{"app.kubernetes.io/name": "webhook"}}}
	pending.Status.Phase = corev1.PodPending
	pending.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
		Message: "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint(s). preemption: not helpful"}}
	objs = append(objs, pending)
	r := doctor(t, fakeCluster(objs, "create pipelineruns"), "")
	if r.code != 1 || !strings.Contains(r.stderr, "error: 3 of 10 checks failed") {
		t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	lines(t, r,
		"✗ Tekton controller (Deployment tekton-pipelines/tekton-pipelines-controller) is scaled to zero: no PipelineRun will start or make progress\n"+
			"    fix: scale it up: kubectl -n tekton-pipelines scale deployment/tekton-pipelines-controller --replicas=1\n",
		"✗ Tekton webhook (Deployment tekton-pipelines/tekton-pipelines-webhook) is not available (0/1 ready): PipelineRuns cannot be created",
		"pod tekton-pipelines-webhook-5c78-x: PodScheduled=False Unschedulable: 0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint(s)\n",
		"    fix: label a node to match the pod's node selector/affinity",
		"✗ you may not create pipelineruns.tekton.dev in namespace ml, which run needs",
	)
}

func TestNotInstalled(t *testing.T) {
	kc := fakeCluster(nil)
	kc.Resources = nil
	r := doctor(t, kc, "")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	lines(t, r,
		"✗ Tekton Pipelines is not installed: no tekton.dev API serves pipelineruns\n    fix: install it (https://tekton.dev/docs/installation/pipelines/)",
		"! Tekton release unknown: no ConfigMap tekton-pipelines/pipelines-info",
		"! no Deployment tekton-pipelines-controller in namespace tekton-pipelines",
		"! no ConfigMap tekton-pipelines/feature-flags: reading Tekton's defaults",
		"✗ namespace ml does not exist: runs cannot be created there\n    fix: kubectl create namespace ml",
	)
}

func TestSpecFindsWhatBlocksEachStep(t *testing.T) {
	r := doctor(t, fakeCluster(healthy()), brokenSpec)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines(t, r,
		"Checking context test, namespace ml, pipeline broken (",
		"✓ ServiceAccount default in namespace ml exists (every step)\n",
		"✗ Secret api-token in namespace ml does not exist: no step can start (CreateContainerConfigError; spec.env[0].valueFrom.secretKeyRef)\n"+
			"    fix: create it: kubectl -n ml create secret generic api-token --from-literal=token=VALUE\n",
		"✓ step ok: 2/4 nodes fit (cpu-1, cpu-2)\n",
		"✗ step huge-gpu: 0/4 nodes fit: 2 Insufficient nvidia.com/gpu, 2 node(s) didn't match selector node-pool=gpu\n"+
			"    fix: lower spec.profiles[big].resources.gpu (64) to at most 8, what gpu-h100-1 offers, or add nodes with 64 nvidia.com/gpu (then gpu-a100-1, gpu-h100-1 would fit)\n",
		"✗ step no-toleration: 0/4 nodes fit: 2 node(s) didn't match selector accelerator=nvidia-h100, 2 node(s) had untolerated taint nvidia.com/gpu=present:NoSchedule\n"+
			"    fix: add the toleration {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule} under spec.steps[2].settings.pod.tolerations (then gpu-h100-1 would fit)\n",
		"✗ step bad-selector: 0/4 nodes fit: 2 node(s) didn't match selector node-pool=tpu, 2 node(s) had untolerated taint nvidia.com/gpu=present:NoSchedule\n"+
			"    fix: change spec.steps[3].settings.pod.nodeSelector[node-pool] from node-pool=tpu to node-pool=cpu, the value those nodes have (then cpu-1, cpu-2 would fit)\n",
	)
	if !strings.Contains(r.stderr, "error: 4 of 16 checks failed") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestForbiddenReadsAreWarnings(t *testing.T) {
	kc := fakeCluster(healthy())
	forbid(kc, "list", "nodes")
	forbid(kc, "get", "secrets")
	forbid(kc, "list", "deployments")
	forbid(kc, "get", "namespaces")
	forbid(kc, "get", "configmaps")
	r := doctor(t, kc, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  image: busybox
  env: [{name: K, valueFrom: {secretKeyRef: {name: s3, key: k}}}]
  steps: [{name: a, command: ["true"]}]
`)
	if r.code != 0 {
		t.Fatalf("forbidden reads must not fail the command: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines(t, r,
		`! cannot check placement: nodes is forbidden: User "dev" cannot list resource "nodes"`+"\n"+
			`    fix: ask for "list" on nodes (a ClusterRole), or run kubectl mlpipe doctor as someone who has it`,
		`! cannot check Secret s3 in namespace ml: secrets is forbidden`,
		`! cannot check the Tekton controller: deployments is forbidden`,
		`! Tekton release unknown: cannot read ConfigMap tekton-pipelines/pipelines-info: configmaps is forbidden`,
		`! cannot read the feature flags (ConfigMap tekton-pipelines/feature-flags): configmaps is forbidden`,
		"✓ feature flag coschedule: workspaces (Tekton's default)",
	)
	if strings.Contains(r.stdout, "namespace ml does not exist") {
		t.Error("a namespace we may not read is not a missing one")
	}
}

func TestJSONReport(t *testing.T) {
	r := doctor(t, fakeCluster(healthy()), brokenSpec, "-o", "json")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if rep.APIVersion != "mlpipe.dev/v1alpha1" || rep.Kind != "DoctorReport" || rep.Namespace != "ml" || rep.Context != "test" || rep.Pipeline != "broken" || rep.Blocking != 4 {
		t.Errorf("report: %+v", rep)
	}
	var gpu *checks.Finding
	for i, f := range rep.Checks {
		if f.Step == "huge-gpu" {
			gpu = &rep.Checks[i]
		}
	}
	if gpu == nil || gpu.Check != "placement" || gpu.Status != checks.Fail || gpu.Field != "spec.steps[1]" || !strings.Contains(gpu.Fix, "spec.profiles[big].resources.gpu") {
		t.Errorf("huge-gpu: %+v", gpu)
	}
	jp := doctor(t, fakeCluster(healthy()), brokenSpec, "-o", `jsonpath={range .checks[?(@.status=="fail")]}{.check}{"\n"}{end}`)
	if jp.stdout != "secret\nplacement\nplacement\nplacement\n" {
		t.Errorf("jsonpath: %q", jp.stdout)
	}
	if bad := doctor(t, fakeCluster(healthy()), "", "-o", "name"); bad.code != 2 {
		t.Errorf("-o name: exit %d %s", bad.code, bad.stderr)
	}
}

func TestInvalidInput(t *testing.T) {
	r := doctor(t, fakeCluster(healthy()), "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  image: busybox\n  steps:\n    - {name: a, command: [x], settings: {resources: {memory: 32GB}}}\n")
	if r.code != 2 || !strings.Contains(r.stderr, "p.yaml:7:") || !strings.Contains(r.stderr, "spec.steps[0].settings.resources.memory") || r.stdout != "" {
		t.Errorf("invalid spec: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// No cluster to talk to: an invalid spec is still exit 2, and a valid one 1.
	o := func(o *Options) {
		o.newClients = func() (*util.Clients, error) { return nil, errors.New("no configuration has been provided") }
	}
	if r := doctorWith(t, nil, o, "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: p}\nspec: {steps: [{name: a}]}\n"); r.code != 2 {
		t.Errorf("invalid spec, no cluster: exit %d %q", r.code, r.stderr)
	}
	if r := doctorWith(t, nil, o, brokenSpec); r.code != 1 || !strings.Contains(r.stderr, "no configuration has been provided") {
		t.Errorf("valid spec, no cluster: exit %d %q", r.code, r.stderr)
	}
	if r := doctor(t, fakeCluster(healthy()), "", "-p", "a=b"); r.code != 2 || !strings.Contains(r.stderr, "-p and --expand-matrix apply to a spec") {
		t.Errorf("-p without -f: exit %d %q", r.code, r.stderr)
	}
	if r := doctor(t, fakeCluster(healthy()), "", "train.yaml"); r.code != 2 || !strings.Contains(r.stderr, "-f train.yaml") {
		t.Errorf("positional spec: exit %d %q", r.code, r.stderr)
	}
}

func TestUnreachableClusterIsAnError(t *testing.T) {
	kc := fakeCluster(healthy())
	kc.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	})
	r := doctor(t, kc, "")
	if r.code != 1 || !strings.Contains(r.stderr, `error: checking context "test": dial tcp`) || r.stdout != "" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}

func compiled(t *testing.T, text string) *compiler.Result {
	t.Helper()
	docs, err := spec.Load("p.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), docs[0], compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// CheckSpec is what run --preflight calls: the spec's findings only, and
// the feature flags only where they warn or fail for this spec.
func TestCheckSpecForPreflight(t *testing.T) {
	objs := healthy()
	for i, o := range objs {
		if cm, ok := o.(*corev1.ConfigMap); ok && cm.Name == checks.FlagsConfigMap {
			objs[i] = configMap(tns, checks.FlagsConfigMap, map[string]string{"enable-api-fields": "stable"})
		}
	}
	res := compiled(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: sweep}
spec:
  image: busybox
  steps:
    - {name: train, command: ["true", "$(matrix.lr)"], matrix: {lr: ["0.1", "0.2"]}, settings: {pod: {nodeSelector: {node-pool: cpu}}}}
`)
	fs, err := CheckSpec(context.Background(), &util.Clients{Kube: fakeCluster(objs)}, "ml", res)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Status)+" "+f.Check+" "+f.Step)
	}
	want := "warn feature-flag/enable-api-fields ,ok serviceaccount ,ok placement train"
	if strings.Join(got, ",") != want {
		t.Errorf("findings:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	if checks.Blocking(fs) != 0 {
		t.Errorf("blocking %d", checks.Blocking(fs))
	}

	missing, err := CheckSpec(context.Background(), &util.Clients{Kube: fakeCluster(nil)}, "ml", res)
	if err != nil {
		t.Fatal(err)
	}
	if f := missing[0]; f.Check != "namespace" || f.Status != checks.Fail {
		t.Errorf("a missing namespace comes first: %+v", missing)
	}

	cf, err := CheckCluster(context.Background(), &util.Clients{Kube: fakeCluster(healthy())}, "ml")
	if err != nil || checks.Blocking(cf) != 0 || len(cf) != 10 {
		t.Errorf("CheckCluster: %v, %+v", err, cf)
	}
}

func TestWorkspaceOnOneNode(t *testing.T) {
	r := doctor(t, fakeCluster(healthy()), `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: ws}
spec:
  image: busybox
  workspace: {size: 1Gi}
  steps:
    - {name: load, command: ["true"], settings: {pod: {nodeSelector: {node-pool: cpu}}}}
    - {name: train, command: ["true"], settings: {resources: {gpu: 1}, pod: {nodeSelector: {node-pool: gpu}}}}
`)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	lines(t, r,
		"✓ the workspace's claims use the default StorageClass standard (spec.workspace names none)\n",
		"✓ feature flag coschedule: workspaces — this pipeline has spec.workspace, so every step must fit one node (checked below)\n",
		"✗ one node must run every step (the steps share spec.workspace, and with coschedule: workspaces Tekton's affinity assistant puts the pods sharing a workspace there), but none fits them all: load fits cpu-1, cpu-2; train fits gpu-a100-1, gpu-h100-1\n",
		"    fix: pass data between steps through spec.artifactStore instead of spec.workspace",
	)
}

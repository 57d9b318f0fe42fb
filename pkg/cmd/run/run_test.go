package run

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

func run(hash string) *v1.PipelineRun {
	return &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "hello-abcde", Namespace: "ml", Annotations: map[string]string{"mlpipe.dev/spec-sha256": hash}}}
}

func TestCreateSendsDryRunAndFieldManager(t *testing.T) {
	for _, c := range []struct {
		dryRun string
		want   []string
	}{{DryRunNone, nil}, {DryRunServer, []string{metav1.DryRunAll}}} {
		tc := tektonfake.NewSimpleClientset()
		var seen metav1.CreateOptions
		tc.PrependReactor("create", "pipelineruns", func(a k8stesting.Action) (bool, runtime.Object, error) {
			seen = a.(k8stesting.CreateActionImpl).CreateOptions
			return false, nil, nil
		})
		o := &Options{ns: "ml", DryRun: c.dryRun, FieldManager: "kubectl-mlpipe"}
		if _, err := o.create(context.Background(), tc, run("h")); err != nil {
			t.Fatal(err)
		}
		if seen.FieldManager != "kubectl-mlpipe" || strings.Join(seen.DryRun, ",") != strings.Join(c.want, ",") {
			t.Errorf("dry-run %s: sent %+v", c.dryRun, seen)
		}
		if n := len(tc.Actions()); n != 1 {
			t.Errorf("dry-run %s: %d API calls, want exactly one write", c.dryRun, n)
		}
	}
}

// A create retried after a lost response meets AlreadyExists: the run with
// our name and spec hash is ours, not a reason to fail or to start another.
func TestCreateRetryFindsItsOwnRun(t *testing.T) {
	tc := tektonfake.NewSimpleClientset(run("same"))
	o := &Options{ns: "ml", DryRun: DryRunNone}
	got, err := o.create(context.Background(), tc, run("same"))
	if err != nil || got.Name != "hello-abcde" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := o.create(context.Background(), tc, run("other")); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("a different run under the same name must not be taken as ours: %v", err)
	}
}

func TestCreateForbiddenNamesVerbResourceNamespace(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	tc.PrependReactor("create", "pipelineruns", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "tekton.dev", Resource: "pipelineruns"}, "hello-abcde", nil)
	})
	o := &Options{ns: "ml"}
	_, err := o.create(context.Background(), tc, run("h"))
	if err == nil || !strings.Contains(err.Error(), `may not create pipelineruns.tekton.dev in namespace "ml"`) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckTekton(t *testing.T) {
	o := &Options{context: "prod", IOStreams: genericiooptions.IOStreams{ErrOut: io.Discard}}
	dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}
	_, err := o.checkTekton(context.Background(), dc, &util.Clients{})
	if err == nil || !strings.Contains(err.Error(), `Tekton Pipelines is not installed in context "prod"`) {
		t.Fatalf("got %v", err)
	}
	dc.Resources = []*metav1.APIResourceList{{GroupVersion: "tekton.dev/v1beta1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}}}
	target, err := o.checkTekton(context.Background(), dc, &util.Clients{})
	if err != nil || target.API != "tekton.dev/v1beta1" || target.Release.String() != "v0.38.3" || target.Assumed == "" {
		t.Fatalf("a v1beta1-only cluster whose release is unknown: got %+v, %v", target, err)
	}
	dc.Resources = append(dc.Resources, &metav1.APIResourceList{GroupVersion: "tekton.dev/v1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}})
	if target, err = o.checkTekton(context.Background(), dc, &util.Clients{}); err != nil || target.API != "tekton.dev/v1" {
		t.Fatalf("got %+v, %v", target, err)
	}
}

const helloSpec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: hello}
spec:
  image: busybox:1.36
  params: [{name: greeting, default: hi}]
  steps:
    - {name: say, command: [echo, $(params.greeting)]}
`

// runCmd runs the command on spec with clients from connect, as the user would.
func runCmd(t *testing.T, spec string, connect func() (*util.Clients, discovery.DiscoveryInterface, error), args ...string) (string, error) {
	t.Helper()
	streams, in, out, _ := genericiooptions.NewTestIOStreams()
	in.WriteString(spec)
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	cf := genericclioptions.NewConfigFlags(false)
	cmd, o := newCmd(cf, streams)
	cf.AddFlags(cmd.Flags())
	o.newClients = connect
	cmd.SetArgs(append([]string{"-f", "-", "-n", "ml"}, args...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return out.String(), err
}

// The connection is made while the spec compiles; an invalid spec still
// decides the outcome (exit 2), and nothing is written without Tekton.
func TestRunConnectsAlongsideTheCompile(t *testing.T) {
	unreachable := func() (*util.Clients, discovery.DiscoveryInterface, error) {
		return nil, nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	}
	_, err := runCmd(t, helloSpec, unreachable, "-p", "nope=1")
	if util.Code(err) != util.ExitInvalid {
		t.Fatalf("an unknown param with no cluster: got %v, want exit %d", err, util.ExitInvalid)
	}

	tc := tektonfake.NewSimpleClientset()
	noTekton := func() (*util.Clients, discovery.DiscoveryInterface, error) {
		return &util.Clients{Tekton: tc}, &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}, nil
	}
	if _, err := runCmd(t, helloSpec, noTekton); err == nil || !strings.Contains(err.Error(), "is not installed") {
		t.Fatalf("no Tekton: got %v", err)
	}
	if n := len(tc.Actions()); n != 0 {
		t.Fatalf("no Tekton: %d API calls, want none", n)
	}

	withTekton := func() (*util.Clients, discovery.DiscoveryInterface, error) {
		dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{{GroupVersion: "tekton.dev/v1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}}}}}
		return &util.Clients{Tekton: tc}, dc, nil
	}
	out, err := runCmd(t, helloSpec, withTekton)
	if err != nil || !regexp.MustCompile(`^pipelinerun.tekton.dev/hello-[a-z0-9]{5} created\n$`).MatchString(out) {
		t.Fatalf("got %q, %v", out, err)
	}
	if n := len(tc.Actions()); n != 1 {
		t.Fatalf("%d API calls, want one write", n)
	}
}

func withTekton(tc *tektonfake.Clientset) func() (*util.Clients, discovery.DiscoveryInterface, error) {
	return func() (*util.Clients, discovery.DiscoveryInterface, error) {
		dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{{GroupVersion: "tekton.dev/v1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}}}}}
		return &util.Clients{Tekton: tc}, dc, nil
	}
}

func writes(tc *tektonfake.Clientset) int {
	n := 0
	for _, a := range tc.Actions() {
		if a.GetVerb() == "create" {
			n++
		}
	}
	return n
}

// --resume refuses, before any write, a run that has not finished, a run of
// another pipeline and a run of another spec (unless --force).
func TestResumeRefusesWhatItCannotReuse(t *testing.T) {
	earlier := func(pipeline, hash string, done bool) *v1.PipelineRun {
		pr := run(hash)
		pr.Labels = map[string]string{"mlpipe.dev/pipeline": pipeline}
		if done {
			pr.Status.SetCondition(&apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionFalse, Reason: "Failed"})
		}
		return pr
	}
	for _, c := range []struct {
		name string
		pr   *v1.PipelineRun
		args []string
		want string
	}{
		{"running", earlier("hello", "x", false), nil, "run hello-abcde has not finished"},
		{"other pipeline", earlier("churn", "x", true), nil, `run hello-abcde is a run of pipeline "churn", not "hello"`},
		{"other spec", earlier("hello", "0123456789abcdef0", true), nil, "hello-abcde ran a different spec (spec-sha256 0123456789ab; - is "},
		{"--force without --resume", earlier("hello", "x", true), []string{"--force"}, "--force only applies to --resume"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := tektonfake.NewSimpleClientset(c.pr)
			args := c.args
			if args == nil {
				args = []string{"--resume", "hello-abcde"}
			}
			_, err := runCmd(t, helloSpec, withTekton(tc), args...)
			if util.Code(err) != util.ExitInvalid || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v (exit %d), want exit %d with %q", err, util.Code(err), util.ExitInvalid, c.want)
			}
			if n := writes(tc); n != 0 {
				t.Fatalf("%d writes, want none", n)
			}
		})
	}
}

// With --force, a run of another spec is resumed, with a warning; here the
// step changed, so nothing is reused and the whole pipeline runs.
func TestResumeForceWarnsAndRuns(t *testing.T) {
	pr := run("another-spec")
	pr.Labels = map[string]string{"mlpipe.dev/pipeline": "hello", "app.kubernetes.io/managed-by": "kubectl-mlpipe"}
	pr.Spec.Params = v1.Params{{Name: "greeting", Value: *v1.NewStructuredValues("bonjour")}}
	pr.Status.SetCondition(&apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionFalse, Reason: "Failed"})
	tc := tektonfake.NewSimpleClientset(pr)
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(helloSpec)
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	cf := genericclioptions.NewConfigFlags(false)
	cmd, o := newCmd(cf, streams)
	cf.AddFlags(cmd.Flags())
	o.newClients = withTekton(tc)
	cmd.SetArgs([]string{"-f", "-", "-n", "ml", "--resume", "--last", "--force"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "Warning: hello-abcde ran a different spec (--force): steps with no result in hello-abcde: say") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	if !strings.Contains(errOut.String(), "Resuming hello-abcde: 0 steps reused (none)") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	if writes(tc) != 1 || !strings.Contains(out.String(), "created") {
		t.Fatalf("stdout %q, %d writes", out.String(), writes(tc))
	}
	var created *v1.PipelineRun
	for _, a := range tc.Actions() {
		if ca, ok := a.(k8stesting.CreateAction); ok {
			created = ca.GetObject().(*v1.PipelineRun)
		}
	}
	// The resumed run's params carry over; -p would override them.
	if got := created.Spec.Params[0].Value.StringVal; got != "bonjour" || created.Labels[LabelResumedFrom] != "hello-abcde" {
		t.Errorf("created run: params %v, labels %v", created.Spec.Params, created.Labels)
	}
}

func v1beta1Only(tc *tektonfake.Clientset) func() (*util.Clients, discovery.DiscoveryInterface, error) {
	return func() (*util.Clients, discovery.DiscoveryInterface, error) {
		dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{{GroupVersion: "tekton.dev/v1beta1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}}}}}
		return &util.Clients{Tekton: tektonclient.New(tc, tektonclient.Auto)}, dc, nil
	}
}

// A cluster that serves only v1beta1 (Tekton before v0.44) gets the run
// converted by Tekton's own code, in one write, and -o prints what was sent.
func TestRunOnV1beta1OnlyCluster(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	out, err := runCmd(t, helloSpec, v1beta1Only(tc), "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "apiVersion: tekton.dev/v1beta1") || !strings.Contains(out, "echo") {
		t.Fatalf("printed:\n%s", out)
	}
	if len(tc.Actions()) != 1 {
		t.Fatalf("%d API calls, want one write", len(tc.Actions()))
	}
	a := tc.Actions()[0].(k8stesting.CreateAction)
	if a.GetResource().Version != "v1beta1" {
		t.Fatalf("sent to %v", a.GetResource())
	}
	//lint:ignore SA1019 what a v1beta1-only cluster is sent
	if _, ok := a.GetObject().(*v1beta1.PipelineRun); !ok {
		t.Fatalf("sent a %T", a.GetObject())
	}
}

// A field the cluster's release lacks refuses the run before any write,
// naming the field, the release and the first release that has it.
func TestRunRefusesWhatTheReleaseWouldDrop(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	spread := strings.Replace(helloSpec, "  image: busybox:1.36\n", "  image: busybox:1.36\n  settings:\n    pod:\n      topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]\n", 1)
	_, err := runCmd(t, spread, v1beta1Only(tc))
	if util.Code(err) != util.ExitInvalid || !strings.Contains(err.Error(), "topologySpreadConstraints needs Tekton v0.44.0 or later") || !strings.Contains(err.Error(), "v0.38.3") {
		t.Fatalf("got %v", err)
	}
	if n := len(tc.Actions()); n != 0 {
		t.Fatalf("%d API calls, want none", n)
	}
	// The same spec runs where v1 is served.
	if _, err := runCmd(t, spread, withTekton(tc)); err != nil {
		t.Fatal(err)
	}
}

const sharedWorkspace = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: shared}
spec:
  image: busybox:1.36
  workspace: {size: 1Gi}
  steps:
    - {name: a, command: [echo], settings: {pod: {nodeSelector: {pool: cpu}}}}
    - {name: b, command: [echo], after: [a], settings: {pod: {nodeSelector: {pool: gpu}}}}
`

// Steps that share the workspace but need different nodes are refused where
// the affinity assistant pins the workspace to one node, and run where it
// does not.
func TestRunRefusesWorkspaceConflictUnderCoschedule(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	withFlags := func(flags map[string]string) func() (*util.Clients, discovery.DiscoveryInterface, error) {
		kube := kubefake.NewSimpleClientset(
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "feature-flags", Namespace: "tekton-pipelines"}, Data: flags},
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "pipelines-info", Namespace: "tekton-pipelines"}, Data: map[string]string{"version": "v1.15.1"}},
		)
		return func() (*util.Clients, discovery.DiscoveryInterface, error) {
			c, dc, err := withTekton(tc)()
			c.Kube = kube
			return c, dc, err
		}
	}
	_, err := runCmd(t, sharedWorkspace, withFlags(map[string]string{"enable-api-fields": "beta"}))
	if util.Code(err) != util.ExitInvalid || !strings.Contains(err.Error(), `coschedules with "workspaces"`) || !strings.Contains(err.Error(), "spec.artifactStore") || !strings.Contains(err.Error(), "coschedule: disabled in tekton-pipelines/feature-flags") {
		t.Fatalf("got %v", err)
	}
	if n := len(tc.Actions()); n != 0 {
		t.Fatalf("%d API calls, want none", n)
	}
	if _, err := runCmd(t, sharedWorkspace, withFlags(map[string]string{"coschedule": "disabled"})); err != nil {
		t.Fatalf("coschedule: disabled: %v", err)
	}
	// Flags this user may not read: a warning, not a refusal.
	if _, err := runCmd(t, sharedWorkspace, withTekton(tc)); err != nil {
		t.Fatalf("unreadable feature flags: %v", err)
	}
	if n := writes(tc); n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
	if err := util.CheckCoschedule(tektonapi.Target{Release: tektonapi.MustParse("v1.15.1")}, mustLoad(t, sharedWorkspace)); !util.IsWarning(err) || !strings.Contains(err.Error(), "could not be read") {
		t.Fatalf("got %v", err)
	}
}

// --preflight: a step no node can hold stops the run before the write.
func TestRunPreflightRefusesWhatCannotBePlaced(t *testing.T) {
	tc := tektonfake.NewSimpleClientset()
	cpu := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "cpu-1", Labels: map[string]string{"node-pool": "cpu"}},
		Status:     corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")}},
	}
	kube := kubefake.NewSimpleClientset(cpu, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "ml"}}, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ml"}})
	connect := func() (*util.Clients, discovery.DiscoveryInterface, error) {
		c, dc, err := withTekton(tc)()
		c.Kube = kube
		return c, dc, err
	}
	gpu := strings.Replace(helloSpec, "  image: busybox:1.36\n", "  image: busybox:1.36\n  settings: {resources: {gpu: 1}}\n", 1)
	_, err := runCmd(t, gpu, connect, "--preflight")
	if util.Code(err) != util.ExitFailure || !strings.Contains(err.Error(), "preflight: 1 check(s) failed") {
		t.Fatalf("got %v", err)
	}
	if n := writes(tc); n != 0 {
		t.Fatalf("%d writes, want none", n)
	}
	if _, err := runCmd(t, helloSpec, connect, "--preflight"); err != nil {
		t.Fatalf("a step that fits: %v", err)
	}
	if n := writes(tc); n != 1 {
		t.Fatalf("%d writes, want one", n)
	}
}

func mustLoad(t *testing.T, src string) *spec.Document {
	t.Helper()
	docs, err := spec.Load("spec.yaml", []byte(src))
	if err != nil || len(docs) != 1 {
		t.Fatalf("%v", err)
	}
	return docs[0]
}

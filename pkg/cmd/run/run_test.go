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
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
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
	o := &Options{context: "prod"}
	dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}
	err := o.checkTekton(dc)
	if err == nil || !strings.Contains(err.Error(), `Tekton Pipelines (tekton.dev/v1) is not installed in context "prod"`) {
		t.Fatalf("got %v", err)
	}
	dc.Resources = []*metav1.APIResourceList{{GroupVersion: "tekton.dev/v1", APIResources: []metav1.APIResource{{Name: "pipelineruns"}}}}
	if err := o.checkTekton(dc); err != nil {
		t.Fatal(err)
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

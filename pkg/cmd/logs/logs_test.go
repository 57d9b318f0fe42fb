package logs

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/logs"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func run(name, pipeline string, age time.Duration) *v1.PipelineRun {
	pr := &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "ml", CreationTimestamp: metav1.NewTime(t0.Add(-age)),
		Labels: map[string]string{"mlpipe.dev/pipeline": pipeline, "app.kubernetes.io/managed-by": "kubectl-mlpipe"},
	}}
	pr.Spec.PipelineSpec = &v1.PipelineSpec{Tasks: []v1.PipelineTask{{Name: "load"}, {Name: "train", RunAfter: []string{"load"}}}}
	pr.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue}}
	return pr
}

func taskRun(run, step string) *v1.TaskRun {
	tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: run + "-" + step, Namespace: "ml",
		Labels: map[string]string{"tekton.dev/pipelineRun": run, "tekton.dev/pipelineTask": step}}}
	tr.Status.PodName = run + "-" + step + "-pod"
	tr.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue}}
	return tr
}

func pod(name string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ml"}}
	p.Status.Phase = corev1.PodSucceeded
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: logs.StepContainer, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}}}
	return p
}

// logsCmd runs the command's logic on fake clients holding an older and a
// newer run of pipeline churn and a run of pipeline other.
func logsCmd(t *testing.T, o *Options, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	tc := tektonfake.NewSimpleClientset(
		run("churn-old", "churn", time.Hour), taskRun("churn-old", "train"),
		run("churn-new", "churn", time.Minute), taskRun("churn-new", "train"),
		run("other-run", "other", 0), taskRun("other-run", "train"),
	)
	kc := kubefake.NewSimpleClientset(pod("churn-old-train-pod"), pod("churn-new-train-pod"), pod("other-run-train-pod"))
	o.connect = func() (*util.Clients, logs.Source, error) {
		return &util.Clients{Tekton: tc, Kube: kc, Namespace: "ml"}, logs.NewPodLogSource(kc), nil
	}
	var out, errOut bytes.Buffer
	err := o.Run(context.Background(), "kubectl mlpipe logs", args, genericiooptions.IOStreams{Out: &out, ErrOut: &errOut})
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), util.Code(err)
}

func TestLogsOfOneStep(t *testing.T) {
	stdout, stderr, code := logsCmd(t, &Options{}, "churn-old", "train")
	if code != 0 || stdout != "[train] fake logs\n" || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestLogsUnknownStepIsAUsageError(t *testing.T) {
	_, stderr, code := logsCmd(t, &Options{}, "churn-old", "trian")
	if code != util.ExitInvalid {
		t.Errorf("exit %d, want %d", code, util.ExitInvalid)
	}
	if !strings.Contains(stderr, `run churn-old has no step "trian"; its steps are: load, train`) || !strings.Contains(stderr, "kubectl mlpipe logs -h") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestLogsLastPicksTheNewestRun(t *testing.T) {
	for _, c := range []struct {
		args    []string
		wantRun string
	}{
		{nil, "other-run"},
		{[]string{"churn"}, "churn-new"},
		{[]string{"churn", "train"}, "churn-new"},
	} {
		stdout, stderr, code := logsCmd(t, &Options{Last: true}, c.args...)
		if code != 0 || !strings.HasPrefix(stderr, "run "+c.wantRun+"\n") || !strings.Contains(stdout, "[train] fake logs\n") {
			t.Errorf("--last %v: exit %d, stdout %q, stderr %q; want run %s", c.args, code, stdout, stderr, c.wantRun)
		}
	}
}

func TestLogsArgumentErrors(t *testing.T) {
	for _, c := range []struct {
		o    Options
		args []string
	}{
		{Options{}, nil},
		{Options{}, []string{"a", "b", "c"}},
		{Options{Last: true}, []string{"a", "b", "c"}},
	} {
		if _, stderr, code := logsCmd(t, &c.o, c.args...); code != util.ExitInvalid {
			t.Errorf("last=%v %v: exit %d, want %d (stderr %q)", c.o.Last, c.args, code, util.ExitInvalid, stderr)
		}
	}
	if _, stderr, code := logsCmd(t, &Options{}, "no-such-run"); code != util.ExitFailure || !strings.Contains(stderr, `no run "no-such-run" in namespace "ml"`) {
		t.Errorf("missing run: exit %d, stderr %q", code, stderr)
	}
}

func TestLogsFlags(t *testing.T) {
	cmd := NewCmd(genericclioptions.NewConfigFlags(true), genericiooptions.IOStreams{})
	for _, f := range []string{"follow", "last", "timestamps", "tail", "since", "since-time", "prefix"} {
		if cmd.Flags().Lookup(f) == nil {
			t.Errorf("no --%s", f)
		}
	}
	if cmd.Flags().ShorthandLookup("f") == nil {
		t.Error("no -f")
	}
	if !strings.HasSuffix(strings.TrimSpace(cmd.Long), util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid, util.ExitInterrupted)) {
		t.Error("the help should end with the exit codes")
	}
}

package delete

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// run: a run of pipeline p, age minutes old; status Unknown means not finished.
func run(name, pipeline string, age int, status corev1.ConditionStatus, team string) *v1.PipelineRun {
	p := &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "ml", CreationTimestamp: metav1.NewTime(t0.Add(-time.Duration(age) * time.Minute)),
		Labels: map[string]string{"mlpipe.dev/pipeline": pipeline, "app.kubernetes.io/managed-by": "kubectl-mlpipe", "team": team},
	}}
	p.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: status, Reason: map[corev1.ConditionStatus]string{
		corev1.ConditionTrue: "Succeeded", corev1.ConditionFalse: "Failed", corev1.ConditionUnknown: "Running"}[status]}}
	return p
}

// cluster: three finished runs of train (old, older, oldest), one running;
// one finished run of eval.
func cluster() *tektonfake.Clientset {
	return tektonfake.NewSimpleClientset(
		run("train-live", "train", 1, corev1.ConditionUnknown, "ds"),
		run("train-new", "train", 5, corev1.ConditionTrue, "ds"),
		run("train-mid", "train", 10, corev1.ConditionFalse, "ds"),
		run("train-old", "train", 20, corev1.ConditionTrue, "ml"),
		run("eval-a", "eval", 7, corev1.ConditionTrue, "ds"),
	)
}

func left(t *testing.T, tc *tektonfake.Clientset) string {
	t.Helper()
	list, err := tc.TektonV1().PipelineRuns("ml").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pr := range list.Items {
		names = append(names, pr.Name)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func TestDeleteSparesRunningRuns(t *testing.T) {
	const all = "eval-a train-live train-mid train-new train-old"
	for _, c := range []struct {
		name     string
		o        Options
		args     []string
		terminal bool
		answer   string
		wantCode int
		wantLeft string
		wantOut  string
		wantErr  string
	}{
		{name: "named running run", args: []string{"train-live"}, wantCode: util.ExitFailure, wantLeft: all, wantErr: "has not finished (Running); nothing was deleted"},
		{name: "named running with a finished one: nothing deleted", args: []string{"train-new", "train-live"}, wantCode: util.ExitFailure, wantLeft: all},
		{name: "named running, told to", o: Options{IncludeRunning: true}, args: []string{"pipelinerun/train-live"}, wantLeft: "eval-a train-mid train-new train-old", wantOut: "pipelinerun.tekton.dev/train-live deleted\n"},
		{name: "pipeline --all", o: Options{Selection: util.Selection{Pipeline: "train", All: true}}, wantLeft: "eval-a train-live", wantErr: "kept pipelinerun.tekton.dev/train-live: it has not finished"},
		{name: "pipeline -y", o: Options{Yes: true, Selection: util.Selection{Pipeline: "train"}}, wantLeft: "eval-a train-live"},
		{name: "pipeline --keep 1: the running one is the newest", o: Options{Keep: 1, Selection: util.Selection{Pipeline: "train"}}, wantLeft: "eval-a train-live"},
		{name: "pipeline --keep 2", o: Options{Keep: 2, Selection: util.Selection{Pipeline: "train"}}, wantLeft: "eval-a train-live train-new"},
		{name: "selector", o: Options{Selection: util.Selection{Selector: "team=ds"}}, wantLeft: "train-live train-old"},
		{name: "all", o: Options{Selection: util.Selection{All: true}}, wantLeft: "train-live"},
		{name: "all, running too", o: Options{IncludeRunning: true, Selection: util.Selection{All: true}}, wantLeft: ""},
		{name: "pipeline alone, not on a terminal", o: Options{Selection: util.Selection{Pipeline: "train"}}, wantCode: util.ExitInvalid, wantLeft: all, wantErr: "pass --all (or -y)"},
		{name: "pipeline alone, answered no", o: Options{Selection: util.Selection{Pipeline: "train"}}, terminal: true, answer: "n\n", wantCode: util.ExitFailure, wantLeft: all, wantErr: "[y/N]"},
		{name: "pipeline alone, answered yes", o: Options{Selection: util.Selection{Pipeline: "train"}}, terminal: true, answer: "y\n", wantLeft: "eval-a train-live"},
		{name: "client dry run", o: Options{DryRun: util.DryRunClient, Selection: util.Selection{Pipeline: "train", All: true}}, wantLeft: all, wantOut: "pipelinerun.tekton.dev/train-new deleted (dry run)\npipelinerun.tekton.dev/train-mid deleted (dry run)\npipelinerun.tekton.dev/train-old deleted (dry run)\n", wantErr: "kept pipelinerun.tekton.dev/train-live"},
		{name: "client dry run of a running run", o: Options{DryRun: util.DryRunClient}, args: []string{"train-live"}, wantCode: util.ExitFailure, wantLeft: all},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := cluster()
			var out, errOut bytes.Buffer
			o := c.o
			if o.DryRun == "" {
				o.DryRun = util.DryRunNone
			}
			o.IOStreams = genericiooptions.IOStreams{In: strings.NewReader(c.answer), Out: &out, ErrOut: &errOut}
			o.terminal = func() bool { return c.terminal }
			names, err := o.check("kubectl mlpipe delete", c.args)
			if err == nil {
				err = o.Run(context.Background(), "kubectl mlpipe delete", tc, "ml", names)
			}
			if code := util.Code(err); code != c.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, c.wantCode)
			}
			if got := left(t, tc); got != c.wantLeft {
				t.Errorf("left %q, want %q", got, c.wantLeft)
			}
			if c.wantOut != "" && out.String() != c.wantOut {
				t.Errorf("stdout %q, want %q", out.String(), c.wantOut)
			}
			msg := errOut.String()
			if err != nil {
				msg += err.Error()
			}
			if !strings.Contains(msg, c.wantErr) {
				t.Errorf("stderr/error %q lacks %q", msg, c.wantErr)
			}
		})
	}
}

func TestDeleteFlagsThatDoNotGoTogether(t *testing.T) {
	for _, c := range []struct {
		o    Options
		args []string
		want string
	}{
		{Options{}, nil, "name the runs to delete"},
		{Options{Selection: util.Selection{Pipeline: "p"}}, []string{"r"}, "not both"},
		{Options{Keep: 2}, []string{"r"}, "--keep needs a selection"},
		{Options{Keep: -1, Selection: util.Selection{All: true}}, nil, "zero or more"},
		{Options{Selection: util.Selection{Selector: "team in (ds"}}, nil, "-l \"team in (ds\""},
		{Options{DryRun: "maybe", Selection: util.Selection{All: true}}, nil, `Must be "none", "server", or "client"`},
	} {
		if c.o.DryRun == "" {
			c.o.DryRun = util.DryRunNone
		}
		_, err := c.o.check("kubectl mlpipe delete", c.args)
		if util.Code(err) != util.ExitInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v %v: %v, want exit 2 and %q", c.o, c.args, err, c.want)
		}
	}
}

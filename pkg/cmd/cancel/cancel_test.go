package cancel

import (
	"bytes"
	"context"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

func run(name, team string, status corev1.ConditionStatus) *v1.PipelineRun {
	p := &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ml",
		Labels: map[string]string{"mlpipe.dev/pipeline": "train", "app.kubernetes.io/managed-by": "kubectl-mlpipe", "team": team}}}
	p.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: status, Reason: "x"}}
	return p
}

// statuses: each run's spec.status ("" when not cancelled).
func statuses(t *testing.T, tc *tektonfake.Clientset) string {
	t.Helper()
	var out []string
	for _, n := range []string{"a", "b", "done"} {
		pr, err := tc.TektonV1().PipelineRuns("ml").Get(context.Background(), n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n+"="+string(pr.Spec.Status))
	}
	return strings.Join(out, " ")
}

func TestCancelNamesAndSelections(t *testing.T) {
	for _, c := range []struct {
		name     string
		o        Options
		args     []string
		wantCode int
		want     string
	}{
		{"named", Options{}, []string{"pipelinerun.tekton.dev/a"}, 0, "a=Cancelled b= done="},
		{"named, grace", Options{Grace: true}, []string{"a", "b"}, 0, "a=CancelledRunFinally b=CancelledRunFinally done="},
		{"named finished", Options{}, []string{"done"}, util.ExitFailure, "a= b= done="},
		{"selector", Options{Selection: util.Selection{Selector: "team=ds"}}, nil, 0, "a=Cancelled b= done="},
		{"all skips the finished", Options{Selection: util.Selection{All: true}}, nil, 0, "a=Cancelled b=Cancelled done="},
		{"client dry run", Options{DryRun: util.DryRunClient, Selection: util.Selection{All: true}}, nil, 0, "a= b= done="},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := tektonfake.NewSimpleClientset(run("a", "ds", corev1.ConditionUnknown), run("b", "ml", corev1.ConditionUnknown), run("done", "ds", corev1.ConditionTrue))
			o := c.o
			if o.DryRun == "" {
				o.DryRun = util.DryRunNone
			}
			var out bytes.Buffer
			o.IOStreams = genericiooptions.IOStreams{Out: &out, ErrOut: &out}
			names, err := o.check("kubectl mlpipe cancel", c.args)
			if err == nil {
				err = o.Run(context.Background(), tc, "ml", names)
			}
			if util.Code(err) != c.wantCode {
				t.Fatalf("exit %d (%v), want %d", util.Code(err), err, c.wantCode)
			}
			if got := statuses(t, tc); got != c.want {
				t.Errorf("%s, want %s\n%s", got, c.want, out.String())
			}
		})
	}
}

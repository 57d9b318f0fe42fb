package list

import (
	"bytes"
	"context"
	"regexp"
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

	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// One truth for progress: the same run states through list, describe, the
// live view's top line and the last line of --wait give the same counts.
func TestEveryViewCountsStepsAlike(t *testing.T) {
	type step struct {
		task   string
		status corev1.ConditionStatus // "" for no TaskRun
		reason string
		retry  bool
	}
	for _, c := range []struct {
		name      string
		run       corev1.ConditionStatus
		runReason string
		steps     []step
		skipped   []string
		want      string // done/total
		breakdown string
	}{
		{"succeeded with a skip", corev1.ConditionTrue, "Completed", []step{{"a", "True", "Succeeded", false}, {"b", "True", "Succeeded", false}, {"c", "", "", false}}, []string{"c"}, "3/3", "2 succeeded, 1 skipped"},
		{"failed", corev1.ConditionFalse, "Failed", []step{{"a", "True", "Succeeded", false}, {"b", "False", "Failed", false}, {"c", "", "", false}}, []string{"c"}, "3/3", "1 succeeded, 1 failed, 1 skipped"},
		{"cancelled", corev1.ConditionFalse, "Cancelled", []step{{"a", "True", "Succeeded", false}, {"b", "False", "TaskRunCancelled", false}, {"c", "", "", false}}, nil, "3/3", "1 succeeded, 1 cancelled, 1 not run"},
		{"running", corev1.ConditionUnknown, "Running", []step{{"a", "True", "Succeeded", false}, {"b", "Unknown", "Running", false}, {"c", "", "", false}}, nil, "1/3", "1 succeeded, 1 pending, 1 waiting"},
		{"pending", "", "", []step{{"a", "", "", false}, {"b", "", "", false}, {"c", "", "", false}}, nil, "0/3", "3 waiting"},
		{"retried", corev1.ConditionTrue, "Succeeded", []step{{"a", "True", "Succeeded", true}, {"b", "True", "Succeeded", false}, {"c", "True", "Succeeded", false}}, nil, "3/3", "3 succeeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ml", CreationTimestamp: metav1.NewTime(now.Add(-time.Minute)),
				Labels: map[string]string{"mlpipe.dev/pipeline": "p", "app.kubernetes.io/managed-by": "kubectl-mlpipe"}}}
			p.Spec.PipelineSpec = &v1.PipelineSpec{Tasks: []v1.PipelineTask{{Name: "a"}, {Name: "b", RunAfter: []string{"a"}}, {Name: "c", RunAfter: []string{"b"}}}}
			if c.run != "" {
				p.Status.StartTime = &metav1.Time{Time: now.Add(-time.Minute)}
				p.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: c.run, Reason: c.runReason}}
			}
			for _, s := range c.skipped {
				p.Status.SkippedTasks = append(p.Status.SkippedTasks, v1.SkippedTask{Name: s, Reason: v1.WhenExpressionsSkip})
			}
			objs := []*v1.TaskRun{}
			for _, s := range c.steps {
				if s.status == "" {
					continue
				}
				x := tr("r", s.task, s.status)
				x.Status.Conditions[0].Reason = s.reason
				if s.retry {
					x.Status.RetriesStatus = []v1.TaskRunStatus{{}}
				}
				objs = append(objs, x)
			}
			tc := tektonfake.NewSimpleClientset(p)
			for _, x := range objs {
				if _, err := tc.TektonV1().TaskRuns("ml").Create(context.Background(), x, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			o := &Options{now: func() time.Time { return now }}
			if err := o.run(context.Background(), tc, "ml", "app.kubernetes.io/managed-by=kubectl-mlpipe", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
				t.Fatal(err)
			}
			row := strings.Fields(strings.Split(out.String(), "\n")[1])
			listCount := row[3]

			r := status.Build(p, objs, nil, nil)
			var d bytes.Buffer
			status.Describe(&d, r, now, status.Style{})
			describeCount := regexp.MustCompile(`Progress:\s+(\d+/\d+) steps done \(([^)]*)\)`).FindStringSubmatch(d.String())
			lineCount := regexp.MustCompile(` — (\d+/\d+) steps done`).FindStringSubmatch(status.ProgressLine(r, now, status.Style{}))
			if describeCount == nil || lineCount == nil {
				t.Fatalf("no count in describe or the progress line:\n%s\n%s", d.String(), status.ProgressLine(r, now, status.Style{}))
			}
			if listCount != c.want || describeCount[1] != c.want || lineCount[1] != c.want {
				t.Errorf("list %s, describe %s, live/last line %s; want %s everywhere", listCount, describeCount[1], lineCount[1], c.want)
			}
			if describeCount[2] != c.breakdown {
				t.Errorf("breakdown %q, want %q", describeCount[2], c.breakdown)
			}
			if string(r.Phase) != row[2] {
				t.Errorf("list says %s, describe %s", row[2], r.Phase)
			}
			if r.Done() && !strings.Contains(status.ProgressLine(r, now, status.Style{}), "("+c.breakdown+")") {
				t.Errorf("the last line lacks the breakdown: %s", status.ProgressLine(r, now, status.Style{}))
			}
		})
	}
}

package list

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
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/testio"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func pr(name, pipeline string, created time.Duration, status corev1.ConditionStatus, reason string) *v1.PipelineRun {
	p := &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "ml", CreationTimestamp: metav1.NewTime(now.Add(-created)),
		Labels: map[string]string{"mlpipe.dev/pipeline": pipeline, "app.kubernetes.io/managed-by": "kubectl-mlpipe"},
	}}
	p.Spec.PipelineSpec = &v1.PipelineSpec{Tasks: []v1.PipelineTask{{Name: "a"}, {Name: "b"}}}
	p.Status.StartTime = &metav1.Time{Time: now.Add(-created)}
	p.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: status, Reason: reason}}
	if status != corev1.ConditionUnknown {
		p.Status.CompletionTime = &metav1.Time{Time: now.Add(-created + 90*time.Second)}
	}
	return p
}

func tr(run, task string, status corev1.ConditionStatus) *v1.TaskRun {
	t := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: run + "-" + task, Namespace: "ml", Labels: map[string]string{
		"tekton.dev/pipelineRun": run, "tekton.dev/pipelineTask": task, "mlpipe.dev/pipeline": "p", "app.kubernetes.io/managed-by": "kubectl-mlpipe"}}}
	t.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: status}}
	return t
}

func TestListTableNewestFirst(t *testing.T) {
	tc := tektonfake.NewSimpleClientset(
		pr("old", "train", 2*time.Hour, corev1.ConditionTrue, "Succeeded"),
		pr("new", "train", 5*time.Minute, corev1.ConditionUnknown, "Running"),
		pr("gone", "eval", time.Hour, corev1.ConditionFalse, "Cancelled"),
		tr("new", "a", corev1.ConditionTrue), tr("new", "b", corev1.ConditionUnknown), tr("old", "a", corev1.ConditionTrue), tr("old", "b", corev1.ConditionTrue),
	)
	t.Setenv("MLPIPE_DASHBOARD_URL", "")
	var out bytes.Buffer
	o := &Options{Output: "wide", now: func() time.Time { return now }}
	if err := o.run(context.Background(), tc, "ml", "app.kubernetes.io/managed-by=kubectl-mlpipe", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	// No Dashboard known: the column says so.
	want := `NAME   PIPELINE   STATUS      STEPS   REUSED   STARTED    DURATION   REASON      DASHBOARD
new    train      Running     1/2     -        5m ago     5m         Running     -
gone   eval       Cancelled   2/2     -        60m ago    90s        Cancelled   -
old    train      Succeeded   2/2     -        120m ago   90s        Succeeded   -
`
	if got := out.String(); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// --dashboard-url: each run's page, in every namespace of -A.
	out.Reset()
	o = &Options{Output: "wide", now: func() time.Time { return now }}
	if err := o.Dashboard.Set("https://tekton.example.com/"); err != nil {
		t.Fatal(err)
	}
	if err := o.run(context.Background(), tc, "", "", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	want = `NAMESPACE   NAME   PIPELINE   STATUS      STEPS   REUSED   STARTED    DURATION   REASON      DASHBOARD
ml          new    train      Running     1/2     -        5m ago     5m         Running     https://tekton.example.com/#/namespaces/ml/pipelineruns/new
ml          gone   eval       Cancelled   2/2     -        60m ago    90s        Cancelled   https://tekton.example.com/#/namespaces/ml/pipelineruns/gone
ml          old    train      Succeeded   2/2     -        120m ago   90s        Succeeded   https://tekton.example.com/#/namespaces/ml/pipelineruns/old
`
	if got := out.String(); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// Without -o wide there is no link.
	out.Reset()
	o.Output = ""
	if err := o.run(context.Background(), tc, "ml", "", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "DASHBOARD") || strings.Contains(out.String(), "tekton.example.com") {
		t.Errorf("a link without -o wide:\n%s", out.String())
	}
}

func TestListYAMLAndEmpty(t *testing.T) {
	tc := tektonfake.NewSimpleClientset(pr("a", "train", time.Minute, corev1.ConditionTrue, "Succeeded"))
	var out, errOut bytes.Buffer
	o := &Options{Output: "yaml", now: func() time.Time { return now }}
	if err := o.run(context.Background(), tc, "ml", "", genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "kind: PipelineRunList") || !strings.Contains(out.String(), "name: a") {
		t.Errorf("yaml:\n%s", out.String())
	}
	out.Reset()
	o = &Options{now: func() time.Time { return now }}
	if err := o.run(context.Background(), tc, "other", "", genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || !strings.Contains(errOut.String(), `No runs found in namespace "other"`) {
		t.Errorf("empty: stdout %q stderr %q", out.String(), errOut.String())
	}
}

// list takes kubectl get's -o formats and --sort-by.
func TestOutputFormatsAsKubectlGet(t *testing.T) {
	runs := func() *tektonfake.Clientset {
		return tektonfake.NewSimpleClientset(
			pr("old", "train", 2*time.Hour, corev1.ConditionTrue, "Succeeded"),
			pr("new", "train", 5*time.Minute, corev1.ConditionUnknown, "Running"),
			pr("mid", "eval", time.Hour, corev1.ConditionFalse, "Failed"),
		)
	}
	for _, c := range []struct{ output, sortBy, want string }{
		{"jsonpath={.items[*].metadata.name}", "", "new mid old"},
		{"jsonpath={.items[*].metadata.name}", ".metadata.name", "mid new old"},
		{"go-template={{range .items}}{{.metadata.name}}:{{index .metadata.labels \"mlpipe.dev/pipeline\"}} {{end}}", "", "new:train mid:eval old:train "},
		{"custom-columns=RUN:.metadata.name,REASON:.status.conditions[0].reason,NONE:.spec.timeouts", "{.status.startTime}", "RUN   REASON      NONE\nold   Succeeded   <none>\nmid   Failed      <none>\nnew   Running     <none>\n"},
		{"name", "", "pipelinerun.tekton.dev/new\npipelinerun.tekton.dev/mid\npipelinerun.tekton.dev/old\n"},
		{"", "{.metadata.name}", "mid "},
	} {
		var out bytes.Buffer
		o := &Options{Output: c.output, SortBy: c.sortBy, NoHeaders: c.output == "", now: func() time.Time { return now }}
		if err := o.complete("kubectl mlpipe list"); err != nil {
			t.Fatalf("-o %s: %v", c.output, err)
		}
		if err := o.run(context.Background(), runs(), "ml", "", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
			t.Fatalf("-o %s: %v", c.output, err)
		}
		got := out.String()
		if c.output == "" {
			got = got[:4] // the first row of the sorted table
		}
		if got != c.want {
			t.Errorf("-o %s --sort-by %q:\ngot  %q\nwant %q", c.output, c.sortBy, got, c.want)
		}
	}
}

// A bad -o or --sort-by is refused before any request, naming every format.
func TestBadOutputListsEveryFormat(t *testing.T) {
	for _, c := range []struct{ output, sortBy, want string }{
		{"bad", "", `unsupported output format "bad": use one of custom-columns-file=, custom-columns=, go-template, go-template-file, json, jsonpath, jsonpath-as-json, jsonpath-file, kyaml, name, template, templatefile, wide, yaml`},
		{"custom-columns=NAME", "", `custom-columns: "NAME" is not HEADER:JSONPATH`},
		{"", "{.metadata.name", "--sort-by"},
	} {
		o := &Options{Output: c.output, SortBy: c.sortBy}
		err := o.complete("kubectl mlpipe list")
		if err == nil || !strings.Contains(err.Error(), c.want) || util.Code(err) != util.ExitInvalid {
			t.Errorf("-o %q --sort-by %q: %v (exit %d); want %q, exit 2", c.output, c.sortBy, err, util.Code(err), c.want)
		}
	}
}

// -w prints the table, then a row for each change, until Ctrl-C (the
// context ends), which is not an error; --watch-only skips the table.
func TestWatchPrintsEachChange(t *testing.T) {
	for _, only := range []bool{false, true} {
		tc := tektonfake.NewSimpleClientset(pr("old", "train", 2*time.Hour, corev1.ConditionTrue, "Succeeded"))
		ctx, cancel := context.WithCancel(context.Background())
		var out testio.SyncBuffer
		o := &Options{Watch: !only, WatchOnly: only, now: func() time.Time { return now }}
		done := make(chan error, 1)
		go func() {
			done <- o.run(ctx, tc, "ml", "", genericiooptions.IOStreams{Out: &out, ErrOut: &out})
		}()
		waitFor := func(want string) {
			t.Helper()
			for i := 0; i < 200 && !strings.Contains(out.String(), want); i++ {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(out.String(), want) {
				t.Fatalf("watch-only %v: output lacks %q:\n%s", only, want, out.String())
			}
		}
		if !only {
			waitFor("old ")
		}
		// The fake's watch starts once the list is done; wait for it.
		for i := 0; i < 200 && len(tc.Actions()) < 2+boolInt(!only); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		run := pr("new", "eval", time.Minute, corev1.ConditionUnknown, "Running")
		if _, err := tc.TektonV1().PipelineRuns("ml").Create(ctx, run, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor("new   eval   Running")
		run.Status.Conditions[0].Status, run.Status.Conditions[0].Reason = corev1.ConditionFalse, "Failed"
		if _, err := tc.TektonV1().PipelineRuns("ml").UpdateStatus(ctx, run, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor("new   eval   Failed")
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch-only %v: Ctrl-C gave %v", only, err)
		}
		if got := strings.Contains(out.String(), "NAME"); got == only {
			t.Errorf("watch-only %v: the table's header printed %v:\n%s", only, got, out.String())
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

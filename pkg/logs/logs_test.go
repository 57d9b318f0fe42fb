package logs

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

const ns = "ml"

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// run is a run of steps load → train → evaluate, and deploy after
// evaluate, listed out of order, with notify as its finally step.
func run(status corev1.ConditionStatus, skipped ...string) *v1.PipelineRun {
	pr := &v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "churn-x7k2p", Namespace: ns}}
	pr.Spec.PipelineSpec = &v1.PipelineSpec{
		Tasks: []v1.PipelineTask{
			{Name: "evaluate", RunAfter: []string{"train"}},
			{Name: "load"},
			{Name: "deploy", RunAfter: []string{"evaluate"}},
			{Name: "train", RunAfter: []string{"load"}},
		},
		Finally: []v1.PipelineTask{{Name: "notify"}},
	}
	pr.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: status}}
	for _, s := range skipped {
		pr.Status.SkippedTasks = append(pr.Status.SkippedTasks, v1.SkippedTask{Name: s, Reason: v1.WhenExpressionsSkip})
	}
	return pr
}

func taskRun(step, pod string, status corev1.ConditionStatus, retries ...string) *v1.TaskRun {
	tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{
		Name: "churn-x7k2p-" + step, Namespace: ns, CreationTimestamp: metav1.NewTime(t0),
		Labels: map[string]string{"tekton.dev/pipelineRun": "churn-x7k2p", "tekton.dev/pipelineTask": step},
	}}
	tr.Status.PodName = pod
	tr.Status.StartTime = &metav1.Time{Time: t0}
	tr.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: status, Reason: "Running"}}
	if status == corev1.ConditionFalse {
		tr.Status.Conditions[0].Reason = "Failed"
	}
	for _, r := range retries {
		tr.Status.RetriesStatus = append(tr.Status.RetriesStatus, v1.TaskRunStatus{TaskRunStatusFields: v1.TaskRunStatusFields{PodName: r}})
	}
	return tr
}

// pod is a step's pod; its step container is running, or has exited.
func pod(name string, exited bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"tekton.dev/pipelineRun": "churn-x7k2p"}}}
	p.Status.Phase = corev1.PodRunning
	st := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	if exited {
		p.Status.Phase = corev1.PodSucceeded
		st = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: StepContainer, State: st}}
	return p
}

func pendingPod(name string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"tekton.dev/pipelineRun": "churn-x7k2p"}}}
	p.Status.Phase = corev1.PodPending
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: StepContainer, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
	return p
}

func options(tc *tektonfake.Clientset, kc *kubefake.Clientset, out, errOut *bytes.Buffer) Options {
	return Options{Tekton: tc, Kube: kc, Namespace: ns, Source: NewPodLogSource(kc), Out: out, ErrOut: errOut}
}

func TestOrderFollowsRunAfterThenFinally(t *testing.T) {
	got := strings.Join(Order(run(corev1.ConditionTrue)), " ")
	if want := "load train evaluate deploy notify"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
}

// Every step in DAG order: the lines on stdout, each prefixed; on stderr,
// why a step shows nothing.
func TestPrintAllSteps(t *testing.T) {
	pr := run(corev1.ConditionFalse, "deploy")
	tc := tektonfake.NewSimpleClientset(pr,
		taskRun("train", "train-pod", corev1.ConditionTrue),
		taskRun("load", "load-pod", corev1.ConditionTrue),
		taskRun("evaluate", "evaluate-pod", corev1.ConditionFalse),
	)
	// evaluate's pod was deleted after the run; notify never ran.
	kc := kubefake.NewSimpleClientset(pod("load-pod", true), pod("train-pod", true))
	var out, errOut bytes.Buffer
	if err := Print(context.Background(), options(tc, kc, &out, &errOut), pr); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[load] fake logs\n[train] fake logs\n"; got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	want := "[evaluate] pod evaluate-pod is gone; its logs are no longer available\n" +
		"[deploy] skipped (When Expressions evaluated to false)\n" +
		"[notify] did not run\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

func TestPrintOneStep(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	tc := tektonfake.NewSimpleClientset(pr, taskRun("load", "load-pod", corev1.ConditionTrue), taskRun("train", "train-pod", corev1.ConditionTrue))
	kc := kubefake.NewSimpleClientset(pod("load-pod", true), pod("train-pod", true))
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Step = "train"
	if err := Print(context.Background(), o, pr); err != nil {
		t.Fatal(err)
	}
	if out.String() != "[train] fake logs\n" || errOut.String() != "" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestPrintUnknownStepListsTheSteps(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	var out, errOut bytes.Buffer
	o := options(tektonfake.NewSimpleClientset(pr), kubefake.NewSimpleClientset(), &out, &errOut)
	o.Step = "trian"
	err := Print(context.Background(), o, pr)
	var u *UnknownStepError
	if !errors.As(err, &u) {
		t.Fatalf("got %v, want an UnknownStepError", err)
	}
	if want := `run churn-x7k2p has no step "trian"; its steps are: load, train, evaluate, deploy, notify`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// A running run: what has not started says so rather than printing nothing.
func TestPrintRunningRunSaysWhatHasNotStarted(t *testing.T) {
	pr := run(corev1.ConditionUnknown)
	train := taskRun("train", "train-pod", corev1.ConditionUnknown)
	train.Status.Conditions[0].Reason = "Pending"
	tc := tektonfake.NewSimpleClientset(pr,
		taskRun("load", "load-pod", corev1.ConditionTrue),
		train,
		taskRun("evaluate", "", corev1.ConditionUnknown),
	)
	kc := kubefake.NewSimpleClientset(pod("load-pod", true), pendingPod("train-pod"))
	var out, errOut bytes.Buffer
	if err := Print(context.Background(), options(tc, kc, &out, &errOut), pr); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[load] fake logs\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	want := "[train] not started yet (Pending)\n[evaluate] not started yet\n[deploy] not started yet\n[notify] not started yet\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

// A retried step prints every attempt, the first first; a pod of an attempt
// that is gone is said, and the others still print.
func TestPrintRetriedStep(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	tc := tektonfake.NewSimpleClientset(pr, taskRun("train", "train-pod-3", corev1.ConditionTrue, "train-pod-1", "train-pod-2"))
	kc := kubefake.NewSimpleClientset(pod("train-pod-1", true), pod("train-pod-3", true))
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Step = "train"
	if err := Print(context.Background(), o, pr); err != nil {
		t.Fatal(err)
	}
	want := "[train] --- attempt 1/3 (pod train-pod-1) ---\n[train] fake logs\n" +
		"[train] --- attempt 2/3 (pod train-pod-2) ---\n" +
		"[train] --- attempt 3/3 (pod train-pod-3) ---\n[train] fake logs\n"
	if got := out.String(); got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got, want := errOut.String(), "[train] pod train-pod-2 is gone; its logs are no longer available\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// --tail, --since and --since-time reach every log request; --prefix=false
// prints the lines bare.
func TestReadOptionsReachTheLogRequests(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	tc := tektonfake.NewSimpleClientset(pr, taskRun("train", "train-pod", corev1.ConditionTrue))
	kc := kubefake.NewSimpleClientset(pod("train-pod", true))
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Step, o.NoPrefix = "train", true
	src := o.Source.(*PodLogSource)
	tail, since := int64(5), metav1.NewTime(t0)
	src.TailLines, src.SinceTime = &tail, &since
	if err := Print(context.Background(), o, pr); err != nil {
		t.Fatal(err)
	}
	if out.String() != "fake logs\n" {
		t.Errorf("stdout %q, want the bare line", out.String())
	}
	var seen bool
	for _, a := range kc.Actions() {
		if a.GetSubresource() != "log" {
			continue
		}
		seen = true
		opts, ok := a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions)
		if !ok || opts.TailLines == nil || *opts.TailLines != 5 || opts.SinceTime == nil || !opts.SinceTime.Equal(&since) || opts.Container != StepContainer {
			t.Errorf("log request options %+v", opts)
		}
	}
	if !seen {
		t.Error("no log request")
	}
}

func TestPrintReadErrorIsReportedAndFails(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	tc := tektonfake.NewSimpleClientset(pr, taskRun("load", "load-pod", corev1.ConditionTrue))
	kc := kubefake.NewSimpleClientset(pod("load-pod", true))
	kc.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "log" {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Step = "load"
	err := Print(context.Background(), o, pr)
	if err == nil || !strings.Contains(err.Error(), "could not read the logs of load") {
		t.Errorf("got %v", err)
	}
	if !strings.Contains(errOut.String(), "[load] could not read its logs: pod load-pod:") || !strings.Contains(errOut.String(), "connection refused") {
		t.Errorf("stderr %q", errOut.String())
	}
}

func TestReadLinesKeepsLongLinesWhole(t *testing.T) {
	long := strings.Repeat("x", 200_000)
	var got []string
	if err := readLines(strings.NewReader("a\r\n\n"+long+"\nno newline"), func(l string) { got = append(got, l) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != "a" || got[1] != "" || got[2] != long || got[3] != "no newline" {
		t.Errorf("got %d lines: %.40q", len(got), got)
	}
}

// lines is an io.Writer that hands each line written to a channel, so a
// test can wait for output without sleeping.
type lines struct {
	mu  sync.Mutex
	all strings.Builder
	c   chan string
}

func newLines() *lines { return &lines{c: make(chan string, 100)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	for _, s := range strings.SplitAfter(string(p), "\n") {
		if s != "" {
			l.c <- strings.TrimSuffix(s, "\n")
		}
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

func (l *lines) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-l.c:
		if got != want {
			t.Fatalf("got line %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no line %q after 10s", want)
	}
}

// watching returns a channel that gets each resource when a watch on it opens.
func watching(f *k8stesting.Fake) <-chan string {
	c := make(chan string, 10)
	f.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		select {
		case c <- a.GetResource().Resource:
		default:
		}
		return false, nil, nil
	})
	return c
}

// waitWatches waits until the follower watches the run, its TaskRuns and
// its pods: a fake clientset does not replay what changed before.
func waitWatches(t *testing.T, tw, kw <-chan string) {
	t.Helper()
	want := map[string]bool{"pipelineruns": true, "taskruns": true, "pods": true}
	for len(want) > 0 {
		select {
		case r := <-tw:
			delete(want, r)
		case r := <-kw:
			delete(want, r)
		case <-time.After(10 * time.Second):
			t.Fatalf("no watch on %v after 10s", want)
		}
	}
}

type following struct {
	tc          *tektonfake.Clientset
	kc          *kubefake.Clientset
	out, errOut *lines
	done        chan error
}

func startFollow(t *testing.T, ctx context.Context, pr *v1.PipelineRun, step string, objs ...runtime.Object) *following {
	t.Helper()
	f := &following{tc: tektonfake.NewSimpleClientset(pr), kc: kubefake.NewSimpleClientset(objs...), out: newLines(), errOut: newLines(), done: make(chan error, 1)}
	tw, kw := watching(&f.tc.Fake), watching(&f.kc.Fake)
	o := Options{Tekton: f.tc, Kube: f.kc, Namespace: ns, Source: NewPodLogSource(f.kc), Step: step, Follow: true, Out: f.out, ErrOut: f.errOut}
	go func() { f.done <- Print(ctx, o, pr) }()
	waitWatches(t, tw, kw)
	return f
}

func (f *following) createPod(t *testing.T, p *corev1.Pod) {
	t.Helper()
	if _, err := f.kc.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (f *following) apply(t *testing.T, tr *v1.TaskRun) {
	t.Helper()
	c := f.tc.TektonV1().TaskRuns(ns)
	if _, err := c.Update(context.Background(), tr, metav1.UpdateOptions{}); err == nil {
		return
	}
	if _, err := c.Create(context.Background(), tr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (f *following) setRun(t *testing.T, pr *v1.PipelineRun) {
	t.Helper()
	if _, err := f.tc.TektonV1().PipelineRuns(ns).Update(context.Background(), pr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (f *following) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("follow did not end; stdout:\n%s\nstderr:\n%s", f.out, f.errOut)
		return nil
	}
}

// Following streams each step as it starts, says what was skipped or never
// ran, and ends with the run.
func TestFollowStreamsStepsAsTheyStart(t *testing.T) {
	f := startFollow(t, context.Background(), run(corev1.ConditionUnknown), "")

	f.createPod(t, pod("load-pod", false))
	f.apply(t, taskRun("load", "load-pod", corev1.ConditionUnknown))
	f.out.expect(t, "[load] fake logs")
	f.apply(t, taskRun("load", "load-pod", corev1.ConditionTrue))

	// train's pod was deleted before it started.
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionUnknown))
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionFalse))
	f.errOut.expect(t, "[train] pod train-pod is gone; its logs are no longer available")

	f.createPod(t, pod("notify-pod", true))
	f.apply(t, taskRun("notify", "notify-pod", corev1.ConditionTrue))
	f.out.expect(t, "[notify] fake logs")

	f.setRun(t, run(corev1.ConditionFalse, "evaluate", "deploy"))
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	f.errOut.expect(t, "[evaluate] skipped (When Expressions evaluated to false)")
	f.errOut.expect(t, "[deploy] skipped (When Expressions evaluated to false)")
	if got, want := f.out.String(), "[load] fake logs\n[notify] fake logs\n"; got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// Following one step ends when that step ends, not with the run.
func TestFollowOneStepEndsWithIt(t *testing.T) {
	f := startFollow(t, context.Background(), run(corev1.ConditionUnknown), "train")
	f.createPod(t, pod("load-pod", true))
	f.apply(t, taskRun("load", "load-pod", corev1.ConditionTrue))
	f.createPod(t, pod("train-pod", false))
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionUnknown))
	f.out.expect(t, "[train] fake logs")
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionTrue))
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.out.String(); got != "[train] fake logs\n" {
		t.Errorf("stdout %q: only train's lines", got)
	}
}

// A retried step streams each new attempt once.
func TestFollowRetriedStep(t *testing.T) {
	f := startFollow(t, context.Background(), run(corev1.ConditionUnknown), "train")
	f.createPod(t, pod("train-pod-1", false))
	f.apply(t, taskRun("train", "train-pod-1", corev1.ConditionUnknown))
	f.out.expect(t, "[train] fake logs")
	f.createPod(t, pod("train-pod-2", false))
	f.apply(t, taskRun("train", "train-pod-2", corev1.ConditionUnknown, "train-pod-1"))
	// The first attempt was streamed before a retry was known; the second is marked.
	f.out.expect(t, "[train] --- attempt 2/2 (pod train-pod-2) ---")
	f.out.expect(t, "[train] fake logs")
	f.apply(t, taskRun("train", "train-pod-2", corev1.ConditionTrue, "train-pod-1"))
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.out.String(); got != "[train] fake logs\n[train] --- attempt 2/2 (pod train-pod-2) ---\n[train] fake logs\n" {
		t.Errorf("stdout %q: each attempt once", got)
	}
}

// A skipped step, followed alone, says so and ends.
func TestFollowSkippedStep(t *testing.T) {
	f := startFollow(t, context.Background(), run(corev1.ConditionUnknown), "deploy")
	f.setRun(t, run(corev1.ConditionUnknown, "deploy"))
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.errOut.String(); got != "[deploy] skipped (When Expressions evaluated to false)\n" {
		t.Errorf("stderr %q", got)
	}
}

func TestFollowEndsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := startFollow(t, ctx, run(corev1.ConditionUnknown), "")
	cancel()
	if err := f.wait(t); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// A finished run is printed, not followed: in order, at once.
func TestFollowFinishedRunPrintsIt(t *testing.T) {
	pr := run(corev1.ConditionTrue, "deploy")
	tc := tektonfake.NewSimpleClientset(pr, taskRun("load", "load-pod", corev1.ConditionTrue))
	kc := kubefake.NewSimpleClientset(pod("load-pod", true))
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Follow = true
	o.Step = "load"
	if err := Print(context.Background(), o, pr); err != nil {
		t.Fatal(err)
	}
	for _, a := range append(tc.Actions(), kc.Actions()...) {
		if a.GetVerb() == "watch" {
			t.Errorf("watched %s for a finished run", a.GetResource().Resource)
		}
	}
	if out.String() != "[load] fake logs\n" {
		t.Errorf("stdout %q", out.String())
	}
}

// A pod that never started before its step ended has no log to wait for.
func TestFollowPodThatNeverStarted(t *testing.T) {
	f := startFollow(t, context.Background(), run(corev1.ConditionUnknown), "train")
	f.createPod(t, pendingPod("train-pod"))
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionUnknown))
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionFalse))
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.errOut.String(); got != "[train] did not start (Failed)\n" {
		t.Errorf("stderr %q", got)
	}
}

// A pod deleted before it started (a cancelled run's pending pod) ends the
// step once its TaskRun ends.
func TestFollowStepWhosePodWasDeleted(t *testing.T) {
	f := startFollow(t, context.Background(), run(corev1.ConditionUnknown), "train")
	f.apply(t, taskRun("train", "train-pod", corev1.ConditionFalse))
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.errOut.String(); got != "[train] pod train-pod is gone; its logs are no longer available\n" {
		t.Errorf("stderr %q", got)
	}
}

// A run that reused load and train from earlier runs: they come first, each
// pointing to the run whose logs hold it, and nothing waits for them.
func TestPrintReusedStepsPointToTheirRun(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	pr.Spec.PipelineSpec.Tasks = pr.Spec.PipelineSpec.Tasks[:1] // only evaluate ran
	pr.Spec.PipelineSpec.Tasks[0].RunAfter = nil
	pr.Annotations = map[string]string{"mlpipe.dev/reused": `{"train":{"run":"churn-a","completed":"2026-11-28T11:00:00Z","recipe":"r","inputs":"i"},` +
		`"load":{"run":"churn-b","cached":true,"completed":"2026-11-28T10:00:00Z","recipe":"r","inputs":"i"}}`}
	if got, want := strings.Join(Order(pr), " "), "load train evaluate notify"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	tc := tektonfake.NewSimpleClientset(pr, taskRun("evaluate", "evaluate-pod", corev1.ConditionTrue))
	kc := kubefake.NewSimpleClientset(pod("evaluate-pod", true))
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Follow = true
	if err := Print(context.Background(), o, pr); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[evaluate] fake logs\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	want := "[load] cached from churn-b; its logs are there: kubectl mlpipe logs churn-b load\n" +
		"[train] reused from churn-a; its logs are there: kubectl mlpipe logs churn-a train\n" +
		"[notify] did not run\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
	o.Step, out, errOut = "train", bytes.Buffer{}, bytes.Buffer{}
	o.Out, o.ErrOut = &out, &errOut
	if err := Print(context.Background(), o, pr); err != nil || out.Len() != 0 || !strings.Contains(errOut.String(), "reused from churn-a") {
		t.Errorf("logs RUN train: %v, stdout %q, stderr %q", err, out.String(), errOut.String())
	}
}

func TestStepOfNamesMatrixInstances(t *testing.T) {
	for _, c := range []struct{ name, task, want string }{
		{"churn-x7k2p-train-3", "train", "train-3"}, // instance 3 of Tekton's matrix
		{"churn-x7k2p-train", "train", "train"},
		{"churn-x7k2p-train-0", "train-0", "train-0"}, // an instance expanded on the client
		{"churn-x7k2p-train-x", "train", "train"},
	} {
		tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: c.name, Labels: map[string]string{"tekton.dev/pipelineRun": "churn-x7k2p", "tekton.dev/pipelineTask": c.task}}}
		if got := StepOf(tr); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A task of several steps (a PipelineRun another tool made) is read step
// container by step container, in order, each line prefixed [task:step].
func TestPrintTaskOfSeveralSteps(t *testing.T) {
	pr := run(corev1.ConditionTrue)
	tc := tektonfake.NewSimpleClientset(pr, taskRun("train", "train-pod", corev1.ConditionTrue))
	p := pod("train-pod", true)
	p.Spec.Containers = []corev1.Container{{Name: "prepare"}, {Name: "step-fetch"}, {Name: "step-fit"}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{
		{Name: "step-fetch", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}},
		{Name: "step-fit", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}},
	}
	kc := kubefake.NewSimpleClientset(p)
	var out, errOut bytes.Buffer
	o := options(tc, kc, &out, &errOut)
	o.Step = "train"
	if err := Print(context.Background(), o, pr); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[train:fetch] fake logs\n[train:fit] fake logs\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	var containers []string
	for _, a := range kc.Actions() {
		if a.GetSubresource() == "log" {
			containers = append(containers, a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions).Container)
		}
	}
	if strings.Join(containers, ",") != "step-fetch,step-fit" {
		t.Errorf("read containers %v", containers)
	}
}

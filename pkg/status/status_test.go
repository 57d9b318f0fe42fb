package status

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func at(sec int) *metav1.Time {
	t := metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
	return &t
}

func cond(s corev1.ConditionStatus, reason, msg string) duckv1.Status {
	return duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionSucceeded, Status: s, Reason: reason, Message: msg}}}
}

func task(name string, after []string, params ...string) v1.PipelineTask {
	t := v1.PipelineTask{Name: name, RunAfter: after, TaskSpec: &v1.EmbeddedTask{TaskSpec: v1.TaskSpec{Steps: []v1.Step{{Name: "main"}}}}}
	for i, p := range params {
		t.Params = append(t.Params, v1.Param{Name: "p" + string(rune('a'+i)), Value: *v1.NewStructuredValues(p)})
	}
	return t
}

// pipelineRun: prepare → train (reads prepare's rows) → evaluate → deploy; finally notify.
func pipelineRun(c duckv1.Status) *v1.PipelineRun {
	train := task("train", nil, "$(tasks.prepare.results.rows)")
	train.TaskSpec.Steps[0].Env = []corev1.EnvVar{
		{Name: "PLAIN", Value: "visible"},
		{Name: "AWS_SECRET_ACCESS_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s3-creds"}, Key: "secret"}}},
	}
	pr := &v1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "churn-x7k2p", Namespace: "ml", Labels: map[string]string{"mlpipe.dev/pipeline": "churn"}, CreationTimestamp: *at(0)},
		Spec: v1.PipelineRunSpec{
			Params: v1.Params{{Name: "learning-rate", Value: *v1.NewStructuredValues("0.1")}},
			PipelineSpec: &v1.PipelineSpec{
				Tasks:   []v1.PipelineTask{task("prepare", nil), train, task("evaluate", []string{"train"}), task("deploy", []string{"evaluate"})},
				Finally: []v1.PipelineTask{task("notify", nil)},
			},
		},
	}
	pr.Status.Status = c
	pr.Status.StartTime = at(0)
	return pr
}

func taskRun(step string, c duckv1.Status, start, end int) *v1.TaskRun {
	tr := &v1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: "churn-x7k2p-" + step, Namespace: "ml", Labels: map[string]string{"tekton.dev/pipelineRun": "churn-x7k2p", "tekton.dev/pipelineTask": step}}}
	tr.Status.Status = c
	tr.Status.PodName = "churn-x7k2p-" + step + "-pod"
	tr.Status.StartTime = at(start)
	if end >= 0 {
		tr.Status.CompletionTime = at(end)
	}
	return tr
}

func pod(step, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "churn-x7k2p-" + step + "-pod", Namespace: "ml"}, Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func TestBuildFailedRun(t *testing.T) {
	pr := pipelineRun(cond(corev1.ConditionFalse, "Failed", "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 2"))
	pr.Status.CompletionTime = at(9)
	pr.Status.SkippedTasks = []v1.SkippedTask{{Name: "evaluate", Reason: v1.StoppingSkip}, {Name: "deploy", Reason: v1.StoppingSkip}}
	prep := taskRun("prepare", cond(corev1.ConditionTrue, "Succeeded", ""), 1, 3)
	prep.Status.Results = []v1.TaskRunResult{{Name: "rows", Value: *v1.NewStructuredValues("42")}}
	train := taskRun("train", cond(corev1.ConditionFalse, "Failed", `"step-main" exited with code 3: Error`), 3, 5)
	train.Status.Steps = []v1.StepState{{Name: "main", ContainerState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}}}}
	train.Status.RetriesStatus = []v1.TaskRunStatus{{}}
	other := taskRun("prepare", cond(corev1.ConditionFalse, "Failed", ""), 0, 1)
	other.Labels["tekton.dev/pipelineRun"] = "another-run"
	notify := taskRun("notify", cond(corev1.ConditionTrue, "Succeeded", ""), 6, 8)

	r := Build(pr, []*v1.TaskRun{other, prep, train, notify}, []*corev1.Pod{pod("prepare", "cpu-1"), pod("train", "gpu-a100-1")}, nil)

	if r.Phase != Failed || r.Pipeline != "churn" || !r.Done() {
		t.Fatalf("run phase %s pipeline %q", r.Phase, r.Pipeline)
	}
	want := map[string]Phase{"prepare": Succeeded, "train": Failed, "evaluate": Skipped, "deploy": Skipped, "notify": Succeeded}
	for _, s := range r.Steps {
		if s.Phase != want[s.Name] {
			t.Errorf("%s: %s, want %s", s.Name, s.Phase, want[s.Name])
		}
	}
	tr := r.Step("train")
	if tr.ExitCode == nil || *tr.ExitCode != 3 || tr.Reason != "exit code 3" || tr.Message != "" || tr.Node != "gpu-a100-1" || tr.Retries != 1 {
		t.Errorf("train: %+v", tr)
	}
	if got := strings.Join(tr.After, ","); got != "prepare" {
		t.Errorf("train runs after %q, want prepare (from its result reference)", got)
	}
	if p := r.Step("prepare"); len(p.Results) != 1 || p.Results[0] != (Result{"rows", "42"}) || p.StepDuration(t0) != "2s" {
		t.Errorf("prepare: %+v", p)
	}
	if s := r.Step("evaluate"); s.Reason != string(v1.StoppingSkip) {
		t.Errorf("evaluate reason %q", s.Reason)
	}
	if done, total := r.Progress(); done != 5 || total != 5 {
		t.Errorf("progress %d/%d", done, total)
	}
	if !r.Step("notify").Finally {
		t.Error("notify is a finally step")
	}
}

// A step the kernel killed for memory is named OOMKilled with its limit,
// from the TaskRun's step state or, failing that, the pod's container status.
func TestOOMKilledStepShowsItsLimit(t *testing.T) {
	for _, fromPod := range []bool{false, true} {
		pr := pipelineRun(cond(corev1.ConditionFalse, "Failed", ""))
		train := taskRun("train", cond(corev1.ConditionFalse, "Failed", `"step-main" exited with code 137`), 1, 4)
		killed := &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}
		p := pod("train", "real-cpu-1")
		p.Spec.Containers = []corev1.Container{{Name: "step-main", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("24Mi")}}}}
		if fromPod {
			train.Status.Steps = []v1.StepState{{Name: "main", Container: "step-main", ContainerState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137}}}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "step-main", State: corev1.ContainerState{Terminated: killed}}}
		} else {
			train.Status.Steps = []v1.StepState{{Name: "main", Container: "step-main", ContainerState: corev1.ContainerState{Terminated: killed}}}
		}
		r := Build(pr, []*v1.TaskRun{train}, []*corev1.Pod{p}, nil)
		s := r.Step("train")
		if s.Phase != Failed || s.Reason != "OOMKilled" || s.Message != "killed for memory: memory limit 24Mi, exit code 137" {
			t.Errorf("from pod %v: %s %q %q", fromPod, s.Phase, s.Reason, s.Message)
		}
	}
}

// A step stopped by its timeout keeps Tekton's reason, not the exit code
// Tekton records for the container it killed.
func TestTimedOutStepKeepsTektonsReason(t *testing.T) {
	pr := pipelineRun(cond(corev1.ConditionFalse, "Failed", ""))
	tr := taskRun("train", cond(corev1.ConditionFalse, "TaskRunTimeout", `TaskRun "churn-x7k2p-train" failed to finish within "4s"`), 1, 5)
	tr.Status.Steps = []v1.StepState{{Name: "main", ContainerState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "TaskRunTimeout"}}}}
	r := Build(pr, []*v1.TaskRun{tr}, nil, nil)
	if s := r.Step("train"); s.Phase != TimedOut || s.Reason != "TaskRunTimeout" || !strings.Contains(s.Message, "failed to finish within") {
		t.Errorf("train: %s %q %q", s.Phase, s.Reason, s.Message)
	}
}

func TestPendingDiagnosis(t *testing.T) {
	const sched = "0/7 nodes are available: 3 Insufficient nvidia.com/gpu, 4 node(s) had untolerated taint(s)."
	running := cond(corev1.ConditionUnknown, "Running", "")
	unscheduled := pod("prepare", "")
	unscheduled.Status.Phase = corev1.PodPending
	withCondition := unscheduled.DeepCopy()
	withCondition.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: sched}}
	event := func(reason, msg string, sec int) *corev1.Event {
		return &corev1.Event{Type: corev1.EventTypeWarning, Reason: reason, Message: msg, LastTimestamp: *at(sec), InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: unscheduled.Name}}
	}
	pulling := pod("prepare", "cpu-1")
	pulling.Status.Phase = corev1.PodPending
	pulling.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "step-main", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "pull access denied for nope"}}}}
	// Placed after the scheduler first gave up: its old verdict is history.
	placed := pod("prepare", "cpu-2")
	placed.Status.Phase = corev1.PodPending
	placed.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: *at(10)}}

	for _, c := range []struct {
		name       string
		tr         duckv1.Status
		pod        *corev1.Pod
		events     []*corev1.Event
		wantPhase  Phase
		wantReason string
		wantMsg    string
	}{
		{"scheduler condition", cond(corev1.ConditionUnknown, "Pending", "pod status"), withCondition, nil, Pending, "Unschedulable", sched},
		// Tekton's generic reason gives way to the scheduler's own words.
		{"over Tekton's reason", cond(corev1.ConditionUnknown, "ExceededNodeResources", "TaskRun Pod exceeded available resources"), withCondition, nil, Pending, "Unschedulable", sched},
		{"newest event", running, unscheduled, []*corev1.Event{event("FailedScheduling", "old", 1), event("FailedScheduling", sched, 5)}, Pending, "FailedScheduling", sched},
		{"image pull", running, pulling, []*corev1.Event{event("Failed", "ignored: a container state says more", 1)}, Pending, "ErrImagePull", "pull access denied for nope"},
		{"placed after failing to schedule", running, placed, []*corev1.Event{event("FailedScheduling", sched, 5)}, Pending, "Starting", "scheduled on cpu-2; starting containers"},
		{"warning after placement", running, placed, []*corev1.Event{event("FailedMount", "secret s3 not found", 12)}, Pending, "FailedMount", "secret s3 not found"},
		// The kubelet's pull events come before the container status says ErrImagePull.
		{"pull event", running, placed, []*corev1.Event{event("Failed", "Failed to pull image \"x:1\": Forbidden", 12)}, Pending, "ErrImagePull", "Failed to pull image \"x:1\": Forbidden"},
		{"pull back-off event", running, placed, []*corev1.Event{event("BackOff", "Back-off pulling image \"x:1\"", 12)}, Pending, "ImagePullBackOff", "Back-off pulling image \"x:1\""},
		{"no pod yet", running, nil, nil, Pending, "creating pod", ""},
		{"running", running, pod("prepare", "cpu-1"), nil, Running, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var pods []*corev1.Pod
			if c.pod != nil {
				pods = append(pods, c.pod)
			}
			r := Build(pipelineRun(running), []*v1.TaskRun{taskRun("prepare", c.tr, 1, -1)}, pods, c.events)
			s := r.Step("prepare")
			if s.Phase != c.wantPhase || s.Reason != c.wantReason || s.Message != c.wantMsg {
				t.Errorf("got %s / %q / %q, want %s / %q / %q", s.Phase, s.Reason, s.Message, c.wantPhase, c.wantReason, c.wantMsg)
			}
			if tr := r.Step("train"); tr.Phase != Waiting || tr.Reason != "after prepare" {
				t.Errorf("train: %s %q", tr.Phase, tr.Reason)
			}
		})
	}
}

func TestRunPhases(t *testing.T) {
	for _, c := range []struct {
		status duckv1.Status
		want   Phase
	}{
		{duckv1.Status{}, Pending},
		{cond(corev1.ConditionUnknown, "Running", ""), Running},
		{cond(corev1.ConditionTrue, "Completed", ""), Succeeded},
		{cond(corev1.ConditionFalse, "Failed", ""), Failed},
		{cond(corev1.ConditionFalse, "Cancelled", ""), Cancelled},
		{cond(corev1.ConditionFalse, "CancelledRunningFinally", ""), Cancelled},
		{cond(corev1.ConditionFalse, "PipelineRunTimeout", ""), TimedOut},
	} {
		if got := Build(pipelineRun(c.status), nil, nil, nil); got.Phase != c.want {
			t.Errorf("%+v: %s, want %s", c.status.Conditions, got.Phase, c.want)
		}
	}
	// Steps a finished run never reached did not run; they are not waiting.
	cancelled := Build(pipelineRun(cond(corev1.ConditionFalse, "Cancelled", "")), nil, nil, nil)
	if s := cancelled.Step("prepare"); s.Phase != NotRun {
		t.Errorf("prepare of a cancelled run: %s", s.Phase)
	}
}

func TestTransitionsOneLinePerChange(t *testing.T) {
	running := cond(corev1.ConditionUnknown, "Running", "")
	a := Build(pipelineRun(running), []*v1.TaskRun{taskRun("prepare", running, 1, -1)}, []*corev1.Pod{pod("prepare", "cpu-1")}, nil)
	first := Transitions(nil, a, t0.Add(2*time.Second), Style{})
	if len(first) != 1 || first[0] != "[    2s] prepare Running on cpu-1" {
		t.Fatalf("first view: %q", first)
	}
	if again := Transitions(&a, a, t0.Add(3*time.Second), Style{}); len(again) != 0 {
		t.Errorf("nothing changed, yet: %q", again)
	}
	done := pipelineRun(cond(corev1.ConditionTrue, "Succeeded", ""))
	done.Status.CompletionTime = at(4)
	b := Build(done, []*v1.TaskRun{taskRun("prepare", cond(corev1.ConditionTrue, "Succeeded", ""), 1, 3)}, []*corev1.Pod{pod("prepare", "cpu-1")}, nil)
	lines := Transitions(&a, b, t0.Add(5*time.Second), Style{})
	// The steps the run ended without are reported once, as not run.
	if len(lines) != 6 || lines[0] != "[    4s] prepare Succeeded after 2s" || lines[1] != "[    4s] train NotRun" || !strings.HasPrefix(lines[5], "[    4s] churn-x7k2p Succeeded — 5/5 steps done (1 succeeded, 4 not run), 4s elapsed") {
		t.Errorf("end: %q", lines)
	}
}

func TestTreeDrawsSharedChildOnce(t *testing.T) {
	r := Run{Steps: []Step{
		{Name: "prepare", Phase: Succeeded},
		{Name: "train", After: []string{"prepare"}, Phase: Running},
		{Name: "baseline", After: []string{"prepare"}, Phase: Succeeded},
		{Name: "compare", After: []string{"train", "baseline"}, Phase: Waiting},
		{Name: "notify", Finally: true, Phase: Waiting},
	}}
	want := []string{
		"✓ prepare Succeeded",
		"├── ▶ train Running",
		"│   └── ○ compare Waiting",
		"└── ✓ baseline Succeeded",
		"    └── compare ↑",
		"finally:",
		"└── ○ notify Waiting",
	}
	if got := Tree(r, Style{}); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var escapes = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Colour must not move columns: without its escapes, the coloured table is the plain one.
func TestColourKeepsColumns(t *testing.T) {
	pr := pipelineRun(cond(corev1.ConditionUnknown, "Running", ""))
	pr.Status.SkippedTasks = []v1.SkippedTask{{Name: "deploy", Reason: v1.WhenExpressionsSkip}}
	r := Build(pr, []*v1.TaskRun{taskRun("prepare", cond(corev1.ConditionTrue, "Succeeded", ""), 1, 2), taskRun("train", cond(corev1.ConditionUnknown, "Running", ""), 2, -1)}, []*corev1.Pod{pod("train", "gpu-a100-1")}, nil)
	for _, f := range []func(*bytes.Buffer, Style){
		func(b *bytes.Buffer, st Style) { Table(b, r, t0.Add(5*time.Second), st, "  ") },
		func(b *bytes.Buffer, st Style) { Describe(b, r, t0.Add(5*time.Second), st) },
	} {
		var plain, colour bytes.Buffer
		f(&plain, Style{})
		f(&colour, Style{Color: true})
		if !strings.Contains(colour.String(), "\x1b[32mSucceeded\x1b[0m") {
			t.Errorf("no colour:\n%s", colour.String())
		}
		if got := escapes.ReplaceAllString(colour.String(), ""); got != plain.String() {
			t.Errorf("colour moved columns:\n%s\nplain:\n%s", got, plain.String())
		}
	}
}

func TestDescribeShowsSecretReferencesNotValues(t *testing.T) {
	r := Build(pipelineRun(cond(corev1.ConditionUnknown, "Running", "")), nil, nil, nil)
	var b bytes.Buffer
	Describe(&b, r, t0.Add(time.Minute), Style{})
	out := b.String()
	for _, want := range []string{"learning-rate  0.1", "AWS_SECRET_ACCESS_KEY  from secret s3-creds key secret (train)", "Status:    Running"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PLAIN") {
		t.Errorf("plain env values are not references and stay out:\n%s", out)
	}
}

// The Dashboard line is in the header when a link is known, aligned with
// the others, and absent otherwise.
func TestDescribeDashboardLine(t *testing.T) {
	r := Build(pipelineRun(cond(corev1.ConditionUnknown, "Running", "")), nil, nil, nil)
	var b bytes.Buffer
	Describe(&b, r, t0.Add(time.Minute), Style{})
	if strings.Contains(b.String(), "Dashboard:") {
		t.Errorf("a Dashboard line with no link:\n%s", b.String())
	}
	r.Dashboard = "https://tekton.example.com/#/namespaces/ml/pipelineruns/" + r.Name
	b.Reset()
	Describe(&b, r, t0.Add(time.Minute), Style{})
	header, _, _ := strings.Cut(b.String(), "Params:")
	if !strings.HasSuffix(header, "Dashboard: "+r.Dashboard+"\n") || !strings.Contains(header, "Name:      "+r.Name+"\n") {
		t.Errorf("header:\n%s", header)
	}
}

// A run whose step is running is Running, even before Tekton's own
// condition says so.
func TestRunWithARunningStepIsRunning(t *testing.T) {
	pr := pipelineRun(duckv1.Status{})
	prep := taskRun("prepare", cond(corev1.ConditionUnknown, "Running", ""), 1, -1)
	r := Build(pr, []*v1.TaskRun{prep}, []*corev1.Pod{pod("prepare", "cpu-1")}, nil)
	if r.Phase != Running || r.Step("prepare").Phase != Running {
		t.Errorf("run %s, prepare %s; want both Running", r.Phase, r.Step("prepare").Phase)
	}
	if r := Build(pr, nil, nil, nil); r.Phase != Pending {
		t.Errorf("a run with no step started: %s, want Pending", r.Phase)
	}
}

// A run that took prepare from an earlier run's cache and train from the run
// it resumed: both are Succeeded, with no node, and say where they came from.
func TestReusedStepsSayWhereTheyCameFrom(t *testing.T) {
	pr := pipelineRun(cond(corev1.ConditionTrue, "Succeeded", ""))
	pr.Spec.PipelineSpec.Tasks = pr.Spec.PipelineSpec.Tasks[2:] // evaluate, deploy
	pr.Spec.PipelineSpec.Tasks[0].RunAfter = nil
	pr.Annotations = map[string]string{"mlpipe.dev/reused": `{"train":{"run":"churn-a1","taskRun":"churn-a1-train","completed":"2026-11-28T09:00:00Z","outputs":{"model":"m-1"},"recipe":"r","inputs":"i"},` +
		`"prepare":{"run":"churn-b2","cached":true,"completed":"2026-11-28T07:00:00Z","outputs":{"rows":"42"},"recipe":"r","inputs":"i"}}`}
	pr.Status.CompletionTime = at(9)
	r := Build(pr, []*v1.TaskRun{taskRun("evaluate", cond(corev1.ConditionTrue, "Succeeded", ""), 1, 4), taskRun("deploy", cond(corev1.ConditionTrue, "Succeeded", ""), 4, 8)}, nil, nil)

	var names []string
	for _, s := range r.Steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "prepare train evaluate deploy notify" {
		t.Errorf("steps %q, want the reused ones first", got)
	}
	now := t0.Add(time.Hour)
	if got := r.Step("prepare").ExplainAt(now); got != "cached (from churn-b2, 4h ago)" {
		t.Errorf("prepare: %q", got)
	}
	if got := r.Step("train").ExplainAt(now); got != "reused from churn-a1" {
		t.Errorf("train: %q", got)
	}
	if p := r.Step("train"); p.Phase != Succeeded || p.Node != "" || len(p.Results) != 1 || p.Results[0] != (Result{"model", "m-1"}) {
		t.Errorf("train: %+v", p)
	}
	if got := r.ReusedSummary(); got != "1 from churn-a1, 1 cached" {
		t.Errorf("summary %q", got)
	}
	if done, total := r.Progress(); done != 5 || total != 5 {
		t.Errorf("progress %d/%d", done, total)
	}
	var out bytes.Buffer
	Describe(&out, r, now, Style{})
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Progress:\s+5/5 steps done \(1 reused, 1 cached, 2 succeeded, 1 not run\)$`),
		regexp.MustCompile(`(?m)^  prepare\s+Succeeded\s+-\s+-\s+-\s+-\s+cached \(from churn-b2, 4h ago\)$`),
		regexp.MustCompile(`(?m)^  train\s+Succeeded\s+-\s+-\s+-\s+-\s+reused from churn-a1$`),
		regexp.MustCompile(`(?m)^  train\.model\s+m-1$`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("describe does not match %s:\n%s", want, out.String())
		}
	}
}

// A task Tekton's matrix fans out is one row per instance, named like an
// instance expanded on the client, each from its own TaskRun.
func TestMatrixedTaskIsOneRowPerInstance(t *testing.T) {
	pr := pipelineRun(cond(corev1.ConditionUnknown, "Running", ""))
	eval := task("evaluate", []string{"train"})
	eval.Matrix = &v1.Matrix{Params: v1.Params{{Name: "__matrix_split", Value: *v1.NewStructuredValues("a", "b", "c")}}}
	pr.Spec.PipelineSpec.Tasks[2] = eval
	tr0 := taskRun("evaluate", cond(corev1.ConditionTrue, "Succeeded", ""), 1, 3)
	tr0.Name = "churn-x7k2p-evaluate-0"
	tr2 := taskRun("evaluate", cond(corev1.ConditionUnknown, "Running", ""), 2, -1)
	tr2.Name = "churn-x7k2p-evaluate-2"
	r := Build(pr, []*v1.TaskRun{tr2, tr0}, nil, nil)
	want := map[string]Phase{"evaluate-0": Succeeded, "evaluate-1": Waiting, "evaluate-2": Pending}
	for name, phase := range want {
		if s := r.Step(name); s == nil || s.Phase != phase {
			t.Errorf("%s: %+v, want %s", name, s, phase)
		}
	}
	if r.Step("evaluate") != nil {
		t.Error("the matrixed task has a row of its own")
	}
	if got := strings.Join(r.Step("deploy").After, ","); got != "evaluate-0,evaluate-1,evaluate-2" {
		t.Errorf("deploy runs after %q, want every instance", got)
	}
}

// A run Tekton cannot update says so with Tekton's reason, in describe and
// in the live view's progress line, instead of sitting at Pending; a
// referenced run counts its steps from the status copy of its Pipeline.
func TestRunWarningEventIsShown(t *testing.T) {
	pr := pipelineRun(duckv1.Status{})
	ev := func(kind, name, reason string, sec int) *corev1.Event {
		return &corev1.Event{Type: corev1.EventTypeWarning, Reason: reason, Message: reason + " happened",
			InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name, Namespace: pr.Namespace}, LastTimestamp: *at(sec)}
	}
	r := Build(pr, nil, nil, []*corev1.Event{
		ev("PipelineRun", pr.Name, "InternalError", 1),
		ev("PipelineRun", pr.Name, "UpdateFailed", 5),
		ev("PipelineRun", "another-run", "Other", 9),
	})
	if r.Phase != Pending || r.Warning != "UpdateFailed: UpdateFailed happened" {
		t.Fatalf("phase %s, warning %q", r.Phase, r.Warning)
	}
	if line := ProgressLine(r, t0, Style{}); !strings.Contains(line, "Tekton warns UpdateFailed: UpdateFailed happened") {
		t.Errorf("progress line: %s", line)
	}
	if lines := Transitions(nil, r, t0, Style{}); len(lines) == 0 || !strings.Contains(lines[len(lines)-1], "churn-x7k2p — Tekton warns UpdateFailed") {
		t.Errorf("transitions: %q", lines)
	}
	if lines := Transitions(&r, r, t0, Style{}); len(lines) != 0 {
		t.Errorf("the same warning said again: %q", lines)
	}
	var b bytes.Buffer
	Describe(&b, r, t0, Style{})
	if !regexp.MustCompile(`Warning:\s+UpdateFailed: UpdateFailed happened`).MatchString(b.String()) {
		t.Errorf("describe:\n%s", b.String())
	}

	ref := pr.DeepCopy()
	ref.Status.PipelineSpec, ref.Spec.PipelineSpec = ref.Spec.PipelineSpec, nil
	ref.Spec.PipelineRef = &v1.PipelineRef{Name: "p-12345678"}
	rr := Build(ref, nil, nil, nil)
	if _, total := rr.Progress(); total != len(ref.Status.PipelineSpec.Tasks)+len(ref.Status.PipelineSpec.Finally) {
		t.Errorf("a referenced run counts %d steps", total)
	}
}

// A run another tool made says which views need our labels.
func TestDescribeNotesAForeignRun(t *testing.T) {
	pr := pipelineRun(cond(corev1.ConditionTrue, "Succeeded", ""))
	for _, foreign := range []bool{false, true} {
		pr.Labels = map[string]string{"app.kubernetes.io/managed-by": "kubectl-mlpipe", "mlpipe.dev/pipeline": "churn"}
		if foreign {
			pr.Labels = map[string]string{"tekton.dev/pipeline": "nightly-build"}
		}
		var b bytes.Buffer
		Describe(&b, Build(pr, nil, nil, nil), t0.Add(time.Minute), Style{})
		note := strings.Contains(b.String(), "Note:      not made by kubectl mlpipe")
		if note != foreign || foreign && !strings.Contains(b.String(), "Pipeline:  nightly-build\n") {
			t.Errorf("foreign %v:\n%s", foreign, b.String())
		}
	}
}

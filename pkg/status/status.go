// Package status reduces a run's Tekton and core objects (its PipelineRun,
// TaskRuns, pods and their warning events) to one view of the run and its
// steps, with the reason each step is not running when it is not. It is
// pure: the commands fetch or watch the objects and render the view.
package status

import (
	"fmt"
	"knative.dev/pkg/kmeta"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"

	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// Phase is where a run or a step is in its life.
type Phase string

// Phases. Waiting: its dependencies have not finished; Pending: created but
// not running (unscheduled, pulling, ...).
const (
	Waiting   Phase = "Waiting"
	Pending   Phase = "Pending"
	Running   Phase = "Running"
	Succeeded Phase = "Succeeded"
	Failed    Phase = "Failed"
	Skipped   Phase = "Skipped"
	Cancelled Phase = "Cancelled"
	TimedOut  Phase = "TimedOut"
	NotRun    Phase = "NotRun"
)

// Done reports whether the phase is final.
func (p Phase) Done() bool {
	switch p {
	case Succeeded, Failed, Skipped, Cancelled, TimedOut, NotRun:
		return true
	}
	return false
}

// Result is one output a step produced.
type Result struct {
	Name, Value string
}

// EnvRef is an environment variable filled from a secret or config map:
// only the reference is kept, never a value.
type EnvRef struct {
	Name, From string
}

// Step is one step of the run.
type Step struct {
	Name    string
	Finally bool
	// After are the steps this one depends on (runAfter and data references).
	After   []string
	Phase   Phase
	Node    string
	Pod     string
	TaskRun string
	Start   time.Time
	End     time.Time
	Retries int
	// ExitCode is set when the step's container ended with a non-zero code.
	ExitCode *int32
	Results  []Result
	EnvRefs  []EnvRef
	// Reason is short (Unschedulable, ErrImagePull, exit code 3); Message
	// says why in full (the scheduler's "0/7 nodes are available: ...").
	Reason  string
	Message string
	// Reused is set for a step that did not run: its outputs came from an
	// earlier run (run --resume, or a cache hit).
	Reused *Reused
}

// Reused says where a step that did not run took its outputs from.
type Reused struct {
	Run       string
	Cached    bool
	Completed time.Time
}

// Param is a run parameter and its value.
type Param struct {
	Name, Value string
}

// Run is the whole run.
type Run struct {
	Name      string
	Namespace string
	Pipeline  string
	// Foreign is a run another tool made: it has none of our labels.
	Foreign bool
	Phase   Phase
	Reason  string
	Message string
	Created time.Time
	Start   time.Time
	End     time.Time
	Params  []Param
	Steps   []Step
	// Dashboard is the run's page on the Tekton Dashboard, when one is known.
	Dashboard string
	// Warning is the newest Warning event of the run itself, "Reason:
	// message": how Tekton says it cannot update the run (a status over the
	// size the cluster stores, a webhook that refuses it).
	Warning string
}

// Done reports whether the run has finished.
func (r *Run) Done() bool { return r.Phase.Done() && r.Phase != Skipped }

// Progress counts the steps that are done and all steps. One definition for
// every view (list, describe, the live view's top line and its last line):
// a step is done once it will not run any more — succeeded, failed, timed
// out, cancelled, skipped, or not run because the run ended first. A
// finished run therefore shows N/N; Breakdown says how they ended.
func (r *Run) Progress() (done, total int) {
	for _, s := range r.Steps {
		if s.Phase.Done() {
			done++
		}
	}
	return done, len(r.Steps)
}

// Breakdown counts the steps by phase, in a fixed order, leaving out zeros:
// "4 succeeded, 1 skipped".
func (r *Run) Breakdown() string {
	order := []Phase{Succeeded, Failed, TimedOut, Cancelled, Skipped, NotRun, Running, Pending, Waiting}
	n := map[Phase]int{}
	cached, resumed := 0, 0
	for _, s := range r.Steps {
		switch {
		case s.Reused != nil && s.Reused.Cached:
			cached++
		case s.Reused != nil:
			resumed++
		default:
			n[s.Phase]++
		}
	}
	var parts []string
	if resumed > 0 {
		parts = append(parts, fmt.Sprintf("%d reused", resumed))
	}
	if cached > 0 {
		parts = append(parts, fmt.Sprintf("%d cached", cached))
	}
	for _, p := range order {
		if n[p] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[p], strings.ToLower(phaseWords[p])))
		}
	}
	return strings.Join(parts, ", ")
}

// ReusedSummary says how many steps came from earlier runs: "3 from
// train-x7k2p, 2 cached"; "" when none did.
func (r *Run) ReusedSummary() string {
	from := map[string]int{}
	var runs []string
	cached := 0
	for _, s := range r.Steps {
		switch {
		case s.Reused == nil:
		case s.Reused.Cached:
			cached++
		default:
			if from[s.Reused.Run] == 0 {
				runs = append(runs, s.Reused.Run)
			}
			from[s.Reused.Run]++
		}
	}
	var parts []string
	for _, run := range runs {
		parts = append(parts, fmt.Sprintf("%d from %s", from[run], run))
	}
	if cached > 0 {
		parts = append(parts, fmt.Sprintf("%d cached", cached))
	}
	return strings.Join(parts, ", ")
}

var phaseWords = map[Phase]string{
	Succeeded: "succeeded", Failed: "failed", TimedOut: "timed out", Cancelled: "cancelled",
	Skipped: "skipped", NotRun: "not run", Running: "running", Pending: "pending", Waiting: "waiting",
}

// Step returns the named step, or nil.
func (r *Run) Step(name string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

// Build reduces the objects to a Run. TaskRuns, pods and events of other
// runs are ignored, so callers may pass whole namespaces.
func Build(pr *v1.PipelineRun, trs []*v1.TaskRun, pods []*corev1.Pod, events []*corev1.Event) Run {
	r := Run{
		Name:      pr.Name,
		Namespace: pr.Namespace,
		Pipeline:  pr.Labels[rendertekton.LabelPipeline],
		Created:   pr.CreationTimestamp.Time,
	}
	if r.Pipeline == "" {
		r.Pipeline = pr.Labels["tekton.dev/pipeline"]
	}
	r.Foreign = pr.Labels[rendertekton.LabelManagedBy] != rendertekton.ManagedBy
	if st := pr.Status.StartTime; st != nil {
		r.Start = st.Time
	}
	if ct := pr.Status.CompletionTime; ct != nil {
		r.End = ct.Time
	}
	for _, p := range pr.Spec.Params {
		r.Params = append(r.Params, Param{Name: p.Name, Value: paramString(p.Value)})
	}
	r.Phase, r.Reason, r.Message = runPhase(pr)

	byTask := map[string]*v1.TaskRun{}
	byName := map[string]*v1.TaskRun{}
	for _, tr := range trs {
		if tr.Labels["tekton.dev/pipelineRun"] != pr.Name || tr.Namespace != pr.Namespace {
			continue
		}
		byTask[tr.Labels["tekton.dev/pipelineTask"]] = tr
		byName[tr.Name] = tr
	}
	podByName := map[string]*corev1.Pod{}
	for _, p := range pods {
		if p.Namespace == pr.Namespace {
			podByName[p.Name] = p
		}
	}
	warnings := map[string]*corev1.Event{}
	var own *corev1.Event
	for _, e := range events {
		if e.Type == corev1.EventTypeWarning && e.InvolvedObject.Kind == "PipelineRun" && e.InvolvedObject.Name == pr.Name && e.InvolvedObject.Namespace == pr.Namespace {
			if own == nil || eventTime(e).After(eventTime(own)) {
				own = e
			}
			continue
		}
		if e.Type != corev1.EventTypeWarning || e.InvolvedObject.Kind != "Pod" {
			continue
		}
		if prev, ok := warnings[e.InvolvedObject.Name]; !ok || eventTime(e).After(eventTime(prev)) {
			warnings[e.InvolvedObject.Name] = e
		}
	}
	if own != nil {
		r.Warning = own.Reason + ": " + own.Message
	}
	skipped := map[string]v1.SkippedTask{}
	for _, s := range pr.Status.SkippedTasks {
		skipped[s.Name] = s
	}

	place := func(s *Step, task string, tr *v1.TaskRun) {
		switch {
		case tr != nil:
			fromTaskRun(s, tr, podByName[tr.Status.PodName], warnings[tr.Status.PodName])
		case skipped[task].Name != "":
			s.Phase, s.Reason = Skipped, string(skipped[task].Reason)
		case r.Phase.Done():
			s.Phase = NotRun
		default:
			s.Phase = Waiting
		}
	}
	r.Steps = reusedSteps(pr)
	var tasks []v1.PipelineTask
	nTasks := 0
	if ps := rendertekton.PipelineSpecOf(pr); ps != nil {
		tasks = append(append(tasks, ps.Tasks...), ps.Finally...)
		nTasks = len(ps.Tasks)
	}
	rows := map[string][]string{}
	for i, t := range tasks {
		if t.IsMatrixed() {
			// Tekton's matrix: one row per instance, named as the instance
			// of a fan-out expanded on the client would be (STEP-INDEX).
			for j := 0; j < t.Matrix.CountCombinations(); j++ {
				s := Step{Name: fmt.Sprintf("%s-%d", t.Name, j), Finally: i >= nTasks, After: deps(t), EnvRefs: envRefs(t)}
				place(&s, t.Name, byName[kmeta.ChildName(pr.Name, fmt.Sprintf("-%s-%d", t.Name, j))])
				r.Steps = append(r.Steps, s)
				rows[t.Name] = append(rows[t.Name], s.Name)
			}
			continue
		}
		s := Step{Name: t.Name, Finally: i >= nTasks, After: deps(t), EnvRefs: envRefs(t)}
		place(&s, t.Name, byTask[t.Name])
		r.Steps = append(r.Steps, s)
	}
	// Steps after a matrixed task are after each of its instances.
	if len(rows) > 0 {
		for i := range r.Steps {
			var after []string
			for _, a := range r.Steps[i].After {
				if names, ok := rows[a]; ok {
					after = append(after, names...)
				} else {
					after = append(after, a)
				}
			}
			r.Steps[i].After = after
		}
	}
	// A run is under way once one of its steps is (Tekton may not have said so yet).
	if r.Phase == Pending {
		for _, s := range r.Steps {
			if s.Phase == Running || s.Phase.Done() && s.Phase != Skipped {
				r.Phase = Running
				break
			}
		}
	}
	// Name what each waiting step waits for, now that every step's phase is known.
	for i := range r.Steps {
		s := &r.Steps[i]
		if s.Phase != Waiting {
			continue
		}
		var open []string
		for _, d := range s.After {
			if ds := r.Step(d); ds != nil && !ds.Phase.Done() {
				open = append(open, d)
			}
		}
		switch {
		case len(open) > 0:
			s.Reason = "after " + strings.Join(open, ", ")
		case s.Finally:
			s.Reason = "finally, after the other steps"
		}
	}
	return r
}

// reusedSteps are the steps the run took over from earlier runs, as its
// annotation records them. They come first: a reused step's upstream steps
// are all reused too. Older results first, then by name.
func reusedSteps(pr *v1.PipelineRun) []Step {
	recs, err := rendertekton.ParseReused(pr.Annotations[rendertekton.AnnotationReused])
	if err != nil || len(recs) == 0 {
		return nil
	}
	var out []Step
	for name, rec := range recs {
		s := Step{Name: name, Phase: Succeeded, TaskRun: rec.TaskRun, Reused: &Reused{Run: rec.Run, Cached: rec.Cached, Completed: rec.Completed}}
		for k, v := range rec.Outputs {
			s.Results = append(s.Results, Result{Name: k, Value: v})
		}
		sort.Slice(s.Results, func(i, j int) bool { return s.Results[i].Name < s.Results[j].Name })
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Reused.Completed, out[j].Reused.Completed
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func runPhase(pr *v1.PipelineRun) (Phase, string, string) {
	c := pr.Status.GetCondition(apis.ConditionSucceeded)
	if c == nil {
		if pr.Spec.Status == v1.PipelineRunSpecStatusPending {
			return Pending, "PipelineRunPending", "the run is held pending (spec.status)"
		}
		return Pending, "", ""
	}
	switch c.Status {
	case corev1.ConditionTrue:
		return Succeeded, c.Reason, c.Message
	case corev1.ConditionFalse:
		switch v1.PipelineRunReason(c.Reason) {
		case v1.PipelineRunReasonCancelled, v1.PipelineRunReasonCancelledRunningFinally, v1.PipelineRunReasonStoppedRunningFinally, "PipelineRunCancelled":
			return Cancelled, c.Reason, c.Message
		case v1.PipelineRunReasonTimedOut:
			return TimedOut, c.Reason, c.Message
		}
		return Failed, c.Reason, c.Message
	}
	if c.Reason == string(v1.PipelineRunReasonPending) {
		return Pending, c.Reason, c.Message
	}
	return Running, c.Reason, c.Message
}

func fromTaskRun(s *Step, tr *v1.TaskRun, pod *corev1.Pod, warning *corev1.Event) {
	s.TaskRun = tr.Name
	s.Pod = tr.Status.PodName
	s.Retries = len(tr.Status.RetriesStatus)
	if st := tr.Status.StartTime; st != nil {
		s.Start = st.Time
	}
	if ct := tr.Status.CompletionTime; ct != nil {
		s.End = ct.Time
	}
	for _, res := range tr.Status.Results {
		s.Results = append(s.Results, Result{Name: res.Name, Value: paramString(res.Value)})
	}
	oomKilled := ""
	for _, st := range tr.Status.Steps {
		if t := st.Terminated; t != nil && t.ExitCode != 0 {
			code := t.ExitCode
			s.ExitCode = &code
			if t.Reason == reasonOOMKilled {
				oomKilled = st.Container
			}
		}
	}
	if pod != nil && oomKilled == "" {
		for _, cs := range pod.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.Reason == reasonOOMKilled {
				oomKilled = cs.Name
			}
		}
	}
	if pod != nil {
		s.Node = pod.Spec.NodeName
	}
	c := tr.Status.GetCondition(apis.ConditionSucceeded)
	switch {
	case c != nil && c.Status == corev1.ConditionTrue:
		s.Phase, s.Reason = Succeeded, ""
		return
	case c != nil && c.Status == corev1.ConditionFalse:
		s.Phase, s.Reason, s.Message = Failed, c.Reason, c.Message
		switch v1.TaskRunReason(c.Reason) {
		case v1.TaskRunReasonCancelled:
			s.Phase = Cancelled
		case v1.TaskRunReasonTimedOut:
			s.Phase = TimedOut
		}
		// A step stopped for its timeout or a cancel keeps Tekton's reason: the
		// exit code Tekton records for the killed container says nothing more.
		if s.ExitCode != nil && s.Phase == Failed {
			s.Reason = "exit code " + strconv.Itoa(int(*s.ExitCode))
			// Tekton's message only repeats the code.
			if strings.Contains(s.Message, "exited with code") {
				s.Message = ""
			}
		}
		if oomKilled != "" {
			s.Reason, s.Message = reasonOOMKilled, oomMessage(oomKilled, tr, pod, s.ExitCode)
		}
		return
	}
	// Not finished: running, or stuck before running. The pod says which.
	s.Phase = Running
	if c != nil {
		if c.Reason == string(v1.TaskRunReasonToBeRetried) {
			s.Reason = "retrying"
		}
		if c.Reason == "ExceededNodeResources" || c.Reason == string(v1.TaskRunReasonPending) {
			s.Phase, s.Reason, s.Message = Pending, c.Reason, c.Message
		}
	}
	if pod == nil {
		if s.Pod == "" || s.Phase == Running {
			s.Phase = Pending
			if s.Reason == "" {
				s.Reason = "creating pod"
			}
		}
		return
	}
	if reason, msg, ok := podBlocked(pod, warning); ok {
		s.Phase, s.Reason, s.Message = Pending, reason, msg
	}
}

const reasonOOMKilled = "OOMKilled"

// oomMessage says which container the kernel killed for memory and what its
// limit was (from the pod, else from the TaskRun's resolved spec).
func oomMessage(container string, tr *v1.TaskRun, pod *corev1.Pod, code *int32) string {
	var limit string
	if pod != nil {
		for _, c := range pod.Spec.Containers {
			if c.Name == container {
				if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
					limit = q.String()
				}
			}
		}
	}
	if limit == "" && tr.Status.TaskSpec != nil {
		for _, st := range tr.Status.TaskSpec.Steps {
			if "step-"+st.Name == container {
				if q, ok := st.ComputeResources.Limits[corev1.ResourceMemory]; ok {
					limit = q.String()
				}
			}
		}
	}
	msg := "killed for using more memory than its limit"
	if limit != "" {
		msg = "killed for memory: memory limit " + limit
	}
	if code != nil {
		msg += ", exit code " + strconv.Itoa(int(*code))
	}
	return msg
}

// podBlocked explains a pod that is not running: the scheduler's verdict,
// a container that cannot start, or the newest warning event.
func podBlocked(pod *corev1.Pod, warning *corev1.Event) (string, string, bool) {
	if pod.Spec.NodeName == "" {
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return c.Reason, c.Message, true
			}
		}
		if warning != nil {
			return warning.Reason, warning.Message, true
		}
		return "Unscheduled", "waiting for the scheduler", true
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "PodInitializing" && w.Reason != "ContainerCreating" {
			return w.Reason, w.Message, true
		}
	}
	if pod.Status.Phase == corev1.PodPending {
		// A warning from before the pod was placed (the scheduler's own
		// FailedScheduling) no longer explains anything.
		if warning != nil && warning.Reason != "FailedScheduling" && !eventTime(warning).Before(scheduledAt(pod)) {
			return eventReason(warning), warning.Message, true
		}
		return "Starting", "scheduled on " + pod.Spec.NodeName + "; starting containers", true
	}
	return "", "", false
}

// eventReason names a kubelet warning as the container status will name it a
// moment later: its image-pull events say only "Failed" and "BackOff".
func eventReason(e *corev1.Event) string {
	switch {
	case e.Reason == "Failed" && strings.HasPrefix(e.Message, "Failed to pull image"):
		return "ErrImagePull"
	case e.Reason == "BackOff" && strings.HasPrefix(e.Message, "Back-off pulling image"):
		return "ImagePullBackOff"
	}
	return e.Reason
}

// scheduledAt is when the pod was bound to its node, zero if unknown.
func scheduledAt(pod *corev1.Pod) time.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

var taskRef = regexp.MustCompile(`\$\(tasks\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.`)

// deps returns what a task runs after: runAfter, then tasks its params and
// when expressions read results of, in first-seen order.
func deps(t v1.PipelineTask) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] && n != t.Name {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, a := range t.RunAfter {
		add(a)
	}
	scan := func(s string) {
		for _, m := range taskRef.FindAllStringSubmatch(s, -1) {
			add(m[1])
		}
	}
	for _, p := range t.Params {
		scan(paramString(p.Value))
	}
	for _, w := range t.When {
		scan(w.Input)
		for _, v := range w.Values {
			scan(v)
		}
	}
	return out
}

func envRefs(t v1.PipelineTask) []EnvRef {
	if t.TaskSpec == nil {
		return nil
	}
	var out []EnvRef
	add := func(env []corev1.EnvVar) {
		for _, e := range env {
			if e.ValueFrom == nil {
				continue
			}
			out = append(out, EnvRef{Name: e.Name, From: valueFrom(e.ValueFrom)})
		}
	}
	for _, st := range t.TaskSpec.Steps {
		add(st.Env)
	}
	if t.TaskSpec.StepTemplate != nil {
		add(t.TaskSpec.StepTemplate.Env)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func valueFrom(v *corev1.EnvVarSource) string {
	switch {
	case v.SecretKeyRef != nil:
		return "secret " + v.SecretKeyRef.Name + " key " + v.SecretKeyRef.Key
	case v.ConfigMapKeyRef != nil:
		return "configmap " + v.ConfigMapKeyRef.Name + " key " + v.ConfigMapKeyRef.Key
	case v.FieldRef != nil:
		return "field " + v.FieldRef.FieldPath
	case v.ResourceFieldRef != nil:
		return "resource " + v.ResourceFieldRef.Resource
	}
	return "valueFrom"
}

func paramString(v v1.ParamValue) string {
	switch v.Type {
	case v1.ParamTypeArray:
		return "[" + strings.Join(v.ArrayVal, ", ") + "]"
	case v1.ParamTypeObject:
		keys := make([]string, 0, len(v.ObjectVal))
		for k := range v.ObjectVal {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + v.ObjectVal[k]
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.StringVal
}

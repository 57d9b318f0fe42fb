// Package logs prints the logs of a run's steps: all of them in DAG order, or
// one, each line prefixed with its step. What it cannot show (a skipped step,
// one not started, a pod that is gone) it says on stderr, so an empty stdout
// always has an explanation. With follow it waits for steps to start and
// streams them until the run ends, driven by watches. Reading a TaskRun's pod
// logs is behind Source.
package logs

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/dag"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// Line is one line a step logged.
type Line struct {
	// Step is the pipeline task, the name in the [step] prefix.
	Step string
	Text string
}

// Source reads the logs of one step's TaskRun. It is an interface so the
// ordering, waiting and reporting here do not depend on how logs are fetched.
type Source interface {
	// Stream calls emit with each line the TaskRun's pods logged, earlier
	// attempts first. Without follow it returns once what is there has been
	// read; with follow, once the step's container has exited or ctx ends.
	// Pods the TaskRun names that no longer exist come back in gone, not as
	// an error. A Source reads each pod at most once, so streaming a retried
	// step again yields only its new attempt.
	Stream(ctx context.Context, tr *v1.TaskRun, follow bool, emit func(Line)) (gone []string, err error)
}

// Options say whose logs to print and where.
type Options struct {
	Tekton    tekton.Interface
	Kube      kubernetes.Interface
	Namespace string
	Source    Source
	// Step picks one step; "" means all of them.
	Step string
	// Follow waits for steps to start and streams them until the run ends
	// (with Step, until that step ends).
	Follow bool
	// Out gets the log lines, ErrOut the notes on what cannot be shown.
	Out, ErrOut io.Writer
	// NoPrefix prints the lines bare, without "[step] ".
	NoPrefix bool
}

// UnknownStepError is a step name that is not one of the run's steps.
type UnknownStepError struct {
	Run, Step string
	Valid     []string
}

func (e *UnknownStepError) Error() string {
	return fmt.Sprintf("run %s has no step %q; its steps are: %s", e.Run, e.Step, strings.Join(e.Valid, ", "))
}

// Print prints the logs of run pr as o says.
func Print(ctx context.Context, o Options, pr *v1.PipelineRun) error {
	steps := Order(pr)
	if o.Step != "" {
		if !contains(steps, o.Step) {
			return &UnknownStepError{Run: pr.Name, Step: o.Step, Valid: steps}
		}
		steps = []string{o.Step}
	}
	p := &printer{out: o.Out, errOut: o.ErrOut, bare: o.NoPrefix}
	// A reused step ran in another run: its logs are there, not here.
	if reused, _ := rendertekton.ParseReused(pr.Annotations[rendertekton.AnnotationReused]); len(reused) > 0 {
		rest := steps[:0:0]
		for _, s := range steps {
			if r, ok := reused[s]; ok {
				how := "reused"
				if r.Cached {
					how = "cached"
				}
				p.note(s, "%s from %s; its logs are there: kubectl mlpipe logs %s %s", how, r.Run, r.Run, s)
				continue
			}
			rest = append(rest, s)
		}
		if steps = rest; len(steps) == 0 {
			return nil
		}
	}
	// A finished run has nothing left to wait for: print it in order.
	if o.Follow && !pr.IsDone() {
		return follow(ctx, o, p, pr.Name, steps)
	}
	return printAvailable(ctx, o, p, pr, steps)
}

// Order returns the run's steps so that each comes after the steps it runs
// after (ties in spec order), then its finally steps in spec order. Steps
// reused from an earlier run come first: all they depend on is reused too.
func Order(pr *v1.PipelineRun) []string {
	ps := rendertekton.PipelineSpecOf(pr)
	if ps == nil {
		return nil
	}
	var reused []string
	if recs, _ := rendertekton.ParseReused(pr.Annotations[rendertekton.AnnotationReused]); len(recs) > 0 {
		for s := range recs {
			reused = append(reused, s)
		}
		// In the order they finished, which is an order of their DAG.
		sort.Slice(reused, func(i, j int) bool {
			a, b := recs[reused[i]], recs[reused[j]]
			if !a.Completed.Equal(b.Completed) {
				return a.Completed.Before(b.Completed)
			}
			return reused[i] < reused[j]
		})
	}
	g := dag.New()
	var specOrder []string
	for _, t := range ps.Tasks {
		g.AddNode(t.Name)
		specOrder = append(specOrder, t.Name)
	}
	for _, t := range ps.Tasks {
		for _, d := range t.RunAfter {
			g.AddEdge(t.Name, d)
		}
	}
	order, ok := g.TopoSort()
	if !ok {
		// Tekton rejects cycles; should one get here, spec order still shows everything.
		order = specOrder
	}
	// A task Tekton's matrix fans out is one step per instance.
	var expanded []string
	for _, name := range order {
		for _, t := range ps.Tasks {
			if t.Name == name && t.IsMatrixed() {
				for j := 0; j < t.Matrix.CountCombinations(); j++ {
					expanded = append(expanded, fmt.Sprintf("%s-%d", name, j))
				}
				name = ""
				break
			}
		}
		if name != "" {
			expanded = append(expanded, name)
		}
	}
	order = expanded
	order = append(reused, order...)
	for _, t := range ps.Finally {
		order = append(order, t.Name)
	}
	return order
}

// printAvailable prints what each step has logged so far, one step after the other.
func printAvailable(ctx context.Context, o Options, p *printer, pr *v1.PipelineRun, steps []string) error {
	trs, err := taskRunsOf(ctx, o, pr.Name)
	if err != nil {
		return err
	}
	var failed []string
	for _, s := range steps {
		tr := trs[s]
		if tr == nil {
			p.note(s, "%s", noTaskRun(pr, s))
			continue
		}
		if tr.Status.PodName == "" {
			p.note(s, "%s", noPod(tr))
			continue
		}
		n := 0
		gone, err := o.Source.Stream(ctx, tr, false, func(l Line) {
			n++
			p.line(l)
		})
		for _, g := range gone {
			p.note(s, "%s", podGone(g))
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.note(s, "could not read its logs: %v", err)
			failed = append(failed, s)
			continue
		}
		if n == 0 && len(gone) == 0 {
			p.note(s, "%s", noOutput(tr))
		}
	}
	return readFailed(failed)
}

func readFailed(steps []string) error {
	if len(steps) == 0 {
		return nil
	}
	return fmt.Errorf("could not read the logs of %s (see above)", strings.Join(steps, ", "))
}

// taskRunsOf maps each step of run to its TaskRun.
func taskRunsOf(ctx context.Context, o Options, run string) (map[string]*v1.TaskRun, error) {
	list, err := o.Tekton.TektonV1().TaskRuns(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: pipeline.PipelineRunLabelKey + "=" + run})
	if err != nil {
		return nil, err
	}
	items := make([]*v1.TaskRun, len(list.Items))
	for i := range list.Items {
		items[i] = &list.Items[i]
	}
	return byStep(items, run), nil
}

// byStep keys the TaskRuns of run by step. Were there two for one step, the
// newest wins: it is the one that ran last.
func byStep(items []*v1.TaskRun, run string) map[string]*v1.TaskRun {
	sort.SliceStable(items, func(i, j int) bool {
		return items[i].CreationTimestamp.Before(&items[j].CreationTimestamp)
	})
	out := map[string]*v1.TaskRun{}
	for _, tr := range items {
		if tr.Labels[pipeline.PipelineRunLabelKey] != run {
			continue
		}
		if s := StepOf(tr); s != "" {
			out[s] = tr
		}
	}
	return out
}

// noTaskRun says why a step has no TaskRun.
func noTaskRun(pr *v1.PipelineRun, step string) string {
	if reason, ok := skipped(pr, step); ok {
		return "skipped" + paren(reason)
	}
	if pr.IsDone() {
		return "did not run"
	}
	return "not started yet"
}

// noPod says why a step's TaskRun has no pod.
func noPod(tr *v1.TaskRun) string {
	if !tr.IsDone() {
		return "not started yet"
	}
	c := tr.Status.GetCondition(apis.ConditionSucceeded)
	if c == nil {
		return "did not run"
	}
	return "did not run" + paren(strings.TrimSuffix(c.Reason+": "+firstLine(c.Message), ": "))
}

func reason(tr *v1.TaskRun) string {
	if c := tr.Status.GetCondition(apis.ConditionSucceeded); c != nil {
		return c.Reason
	}
	return ""
}

// noOutput says why a step with a pod printed nothing: Tekton's reason
// tells a pod still waiting to start from one that has not logged yet.
func noOutput(tr *v1.TaskRun) string {
	if tr.IsDone() {
		return "no output"
	}
	switch r := reason(tr); r {
	case "Running":
		return "no output yet"
	case "", "Started":
		return "not started yet"
	default:
		return "not started yet" + paren(r)
	}
}

func podGone(pod string) string {
	return "pod " + pod + " is gone; its logs are no longer available"
}

func skipped(pr *v1.PipelineRun, step string) (reason string, ok bool) {
	for _, s := range pr.Status.SkippedTasks {
		if s.Name == step {
			return string(s.Reason), true
		}
	}
	return "", false
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// printer writes whole lines, one at a time, from any goroutine: steps that
// stream at once interleave by line, never within one.
type printer struct {
	mu          sync.Mutex
	out, errOut io.Writer
	bare        bool
}

func (p *printer) line(l Line) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bare {
		fmt.Fprintln(p.out, l.Text)
		return
	}
	fmt.Fprintf(p.out, "[%s] %s\n", l.Step, l.Text)
}

func (p *printer) note(step, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.errOut, "[%s] %s\n", step, fmt.Sprintf(format, args...))
}

// StepOf is the step a TaskRun ran: its pipeline task, or for one instance of
// a task Tekton's matrix fanned out (named RUN-TASK-INDEX), TASK-INDEX, the
// name the instance has everywhere else.
func StepOf(tr *v1.TaskRun) string {
	task := tr.Labels[pipeline.PipelineTaskLabelKey]
	if task == "" {
		return ""
	}
	prefix := tr.Labels[pipeline.PipelineRunLabelKey] + "-" + task + "-"
	if idx, ok := strings.CutPrefix(tr.Name, prefix); ok && idx != "" && strings.Trim(idx, "0123456789") == "" {
		return task + "-" + idx
	}
	return task
}

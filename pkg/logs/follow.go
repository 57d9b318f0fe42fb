package logs

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	runwatch "github.com/mlpipe/kubectl-mlpipe/pkg/follow"
)

// follow streams the steps of a running run as they start, until each has
// ended (been streamed, skipped, or found gone). It never polls: informers
// on the run, its TaskRuns and its pods list once, then watch, and wake it
// on every change.
func follow(ctx context.Context, o Options, p *printer, run string, steps []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := runwatch.StartWatch(ctx, runwatch.Target{Tekton: o.Tekton, Kube: o.Kube, Namespace: o.Namespace, Name: run}, false)
	if err != nil {
		return err
	}

	f := &follower{
		o: o, p: p, run: run, steps: steps,
		prs: w.Runs.GetStore(), trs: w.TaskRuns.GetStore(), pods: w.Pods.GetStore(),
		state:   map[string]*stepState{},
		fetched: map[string]*corev1.Pod{},
		results: make(chan result),
	}
	for _, s := range steps {
		f.state[s] = &stepState{seen: map[string]bool{}}
	}
	defer f.stop()
	for {
		f.progressed = false
		done, err := f.reconcile(ctx)
		if err != nil {
			return err
		}
		if done {
			return readFailed(f.failed)
		}
		if f.progressed {
			// What reconcile did may let another step settle or start:
			// look again before waiting for the next event.
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.Changed:
		case r := <-f.results:
			f.finished(ctx, r)
		}
	}
}

type follower struct {
	o               Options
	p               *printer
	run             string
	steps           []string
	prs, trs, pods  cache.Store
	state           map[string]*stepState
	fetched         map[string]*corev1.Pod
	results         chan result
	finiteStreaming bool
	failed          []string
	// progressed is set when reconcile settles or starts a step.
	progressed bool
}

type stepState struct {
	// seen holds the pods streamed or reported: each is handled once.
	seen map[string]bool
	// cancel is set while the step streams pod, which was in the pod
	// store at the start when watched is true.
	cancel  context.CancelFunc
	pod     string
	watched bool
	finite  bool
	lines   int
	gone    int
	settled bool
	// askedFor is the TaskRun the run names that was fetched because the
	// watch did not have it; it exists, so the watch will bring it.
	askedFor string
}

type result struct {
	step  string
	lines int
	gone  []string
	err   error
}

// reconcile starts the streams that can start and settles the steps that
// have nothing more to show. done is true once every step has settled.
func (f *follower) reconcile(ctx context.Context) (done bool, err error) {
	obj, ok, _ := f.prs.GetByKey(f.o.Namespace + "/" + f.run)
	if !ok {
		return true, fmt.Errorf("run %s was deleted", f.run)
	}
	pr := obj.(*v1.PipelineRun)
	trs := f.taskRuns()
	for _, s := range f.steps {
		st := f.state[s]
		if st.settled {
			continue
		}
		if st.cancel != nil {
			// A pod removed while streaming ends its stream: the log
			// would end there anyway, and a stuck read must not hang us.
			if _, ok := f.pod(st.pod); st.watched && !ok {
				st.cancel()
			}
			continue
		}
		tr := trs[s]
		if tr == nil {
			f.noTaskRun(ctx, pr, s, st)
			continue
		}
		pod := tr.Status.PodName
		if pod == "" || st.seen[pod] {
			if tr.IsDone() {
				if pod == "" {
					f.settle(s, noPod(tr))
				} else {
					f.settle(s, "")
				}
			}
			continue
		}
		po, inStore := f.pod(pod)
		if !inStore {
			if !tr.IsDone() {
				// Not seen yet, or deleted: the TaskRun will tell.
				continue
			}
			// The TaskRun ended but its pod never reached us: ask once.
			got, err := f.fetchPod(ctx, pod)
			if apierrors.IsNotFound(err) {
				st.seen[pod] = true
				st.gone++
				f.settle(s, podGone(pod))
				continue
			}
			if err != nil {
				return true, err
			}
			po = got
		}
		if po.Status.Phase == corev1.PodPending {
			if tr.IsDone() {
				st.seen[pod] = true
				f.settle(s, "did not start"+paren(reason(tr)))
			}
			continue
		}
		finite := tr.IsDone()
		if finite && f.finiteStreaming {
			// Finished steps go one at a time, in DAG order, so their
			// logs do not interleave.
			continue
		}
		f.start(ctx, s, st, tr, inStore, finite)
	}
	for _, st := range f.state {
		if !st.settled {
			return false, nil
		}
	}
	return true, nil
}

// noTaskRun settles a step without a TaskRun once it is clear none is coming.
func (f *follower) noTaskRun(ctx context.Context, pr *v1.PipelineRun, s string, st *stepState) {
	if reason, ok := skipped(pr, s); ok {
		f.settle(s, "skipped"+paren(reason))
		return
	}
	if !pr.IsDone() {
		return
	}
	// The run can end before its TaskRun's watch event arrives: it names
	// the TaskRun; wait for it unless it is gone.
	for _, c := range pr.Status.ChildReferences {
		if c.PipelineTaskName != s {
			continue
		}
		if st.askedFor == c.Name {
			return
		}
		st.askedFor = c.Name
		_, err := f.o.Tekton.TektonV1().TaskRuns(f.o.Namespace).Get(ctx, c.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			f.settle(s, "its TaskRun "+c.Name+" is gone; its logs are no longer available")
		}
		return
	}
	f.settle(s, "did not run")
}

// fetchPod gets a pod the pod watch does not have, once: a later call
// returns what the first one found.
func (f *follower) fetchPod(ctx context.Context, name string) (*corev1.Pod, error) {
	if po, ok := f.fetched[name]; ok {
		return po, nil
	}
	po, err := f.o.Kube.CoreV1().Pods(f.o.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		f.fetched[name] = po
	}
	return po, err
}

func (f *follower) start(parent context.Context, s string, st *stepState, tr *v1.TaskRun, watched, finite bool) {
	ctx, cancel := context.WithCancel(parent)
	pod := tr.Status.PodName
	st.seen[pod] = true
	st.cancel, st.pod, st.watched, st.finite = cancel, pod, watched, finite
	f.progressed = true
	if finite {
		f.finiteStreaming = true
	}
	go func() {
		n := 0
		gone, err := f.o.Source.Stream(ctx, tr, !finite, func(l Line) {
			n++
			f.p.line(l)
		})
		// The loop may have returned (Ctrl-C); then nobody takes the result.
		select {
		case f.results <- result{step: s, lines: n, gone: gone, err: err}:
		case <-parent.Done():
		}
	}()
}

// finished records a stream's end. Whether the step is done is for the next
// reconcile to decide: a retry may follow.
func (f *follower) finished(ctx context.Context, r result) {
	st := f.state[r.step]
	stopped := st.cancel
	st.cancel = nil
	stopped()
	if st.finite {
		f.finiteStreaming = false
	}
	st.lines += r.lines
	for _, g := range r.gone {
		st.gone++
		st.seen[g] = true
		f.p.note(r.step, "%s", podGone(g))
	}
	switch {
	case r.err == nil:
	case ctx.Err() != nil:
	case errors.Is(r.err, context.Canceled):
		// reconcile stopped it: its pod was removed.
		st.gone++
		f.p.note(r.step, "%s", podGone(st.pod))
	default:
		f.p.note(r.step, "could not read its logs: %v", r.err)
		f.failed = append(f.failed, r.step)
		st.settled = true
	}
}

// settle marks a step done, with note on stderr, or "no output" when it
// printed nothing and nothing else was said.
func (f *follower) settle(s, note string) {
	st := f.state[s]
	st.settled = true
	f.progressed = true
	if note == "" && st.lines == 0 && st.gone == 0 {
		note = "no output"
	}
	if note != "" {
		f.p.note(s, "%s", note)
	}
}

// stop ends the streams still running, when follow returns early.
func (f *follower) stop() {
	for _, st := range f.state {
		if st.cancel != nil {
			st.cancel()
		}
	}
}

func (f *follower) taskRuns() map[string]*v1.TaskRun {
	var items []*v1.TaskRun
	for _, o := range f.trs.List() {
		if tr, ok := o.(*v1.TaskRun); ok {
			items = append(items, tr)
		}
	}
	return byStep(items, f.run)
}

func (f *follower) pod(name string) (*corev1.Pod, bool) {
	obj, ok, _ := f.pods.GetByKey(f.o.Namespace + "/" + name)
	if !ok {
		return nil, false
	}
	po, ok := obj.(*corev1.Pod)
	return po, ok
}

package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// StepContainer is the container of a step's one Tekton step: Tekton names
// step containers "step-" + the step's name.
const StepContainer = "step-" + rendertekton.ContainerName

// PodLogSource reads step logs from the pods' log endpoint (what kubectl
// logs reads), with the clients kubectl's connection flags built.
type PodLogSource struct {
	Kube kubernetes.Interface
	// Timestamps prefixes each line with the time it was written.
	Timestamps bool
	// TailLines, SinceSeconds and SinceTime bound what is read of each
	// attempt's log, as kubectl logs --tail, --since and --since-time do.
	TailLines    *int64
	SinceSeconds *int64
	SinceTime    *metav1.Time

	mu      sync.Mutex
	handled map[string]bool // pods handled, keyed namespace/name
}

// NewPodLogSource returns a Source reading pod logs through kc.
func NewPodLogSource(kc kubernetes.Interface) *PodLogSource {
	return &PodLogSource{Kube: kc, handled: map[string]bool{}}
}

// errGone is a pod that no longer exists.
var errGone = errors.New("pod is gone")

// Stream implements Source.
func (s *PodLogSource) Stream(ctx context.Context, tr *v1.TaskRun, follow bool, emit func(Line)) ([]string, error) {
	step := StepOf(tr)
	var (
		gone []string
		errs []error
	)
	pods := podsOf(tr)
	for i, pod := range pods {
		if !s.markRead(tr.Namespace + "/" + pod) {
			continue
		}
		if i > 0 || len(pods) > 1 {
			// A retried step: say which attempt the lines below are from.
			emit(Line{Step: step, Text: fmt.Sprintf("--- attempt %d/%d (pod %s) ---", i+1, max(tr.Spec.Retries+1, len(pods)), pod)})
		}
		err := s.streamPod(ctx, tr.Namespace, pod, follow, func(text string) { emit(Line{Step: step, Text: text}) })
		switch {
		case errors.Is(err, errGone):
			gone = append(gone, pod)
		case ctx.Err() != nil:
			return gone, ctx.Err()
		case err != nil:
			errs = append(errs, fmt.Errorf("pod %s: %w", pod, err))
		}
	}
	return gone, errors.Join(errs...)
}

// streamPod emits the lines of pod's step container. Following, it first
// waits for the container to start; not following, a container that has
// not started has nothing to read.
func (s *PodLogSource) streamPod(ctx context.Context, ns, pod string, follow bool, emit func(string)) error {
	var (
		p   *corev1.Pod
		err error
	)
	if follow {
		p, err = s.waitPod(ctx, ns, pod, func(p *corev1.Pod) bool { return hasLog(p) || podDone(p) })
	} else {
		p, err = s.Kube.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			err = errGone
		}
	}
	switch {
	case err != nil:
		return err
	case !hasLog(p):
		return nil
	case follow && !exited(p):
		return s.follow(ctx, ns, pod, emit)
	}
	return s.read(ctx, ns, pod, false, emit)
}

// follow streams a running container's log until the container exits. Some
// log servers (KWOK's) keep the stream open after that, so a watch on the
// pod ends the stream once the container has exited, and the rest of the
// now complete log is read past the lines already emitted.
func (s *PodLogSource) follow(ctx context.Context, ns, pod string, emit func(string)) error {
	streamCtx, cut := context.WithCancel(ctx)
	defer cut()
	go func() {
		if _, err := s.waitPod(streamCtx, ns, pod, exited); err == nil || errors.Is(err, errGone) {
			cut()
		}
	}()
	n := 0
	err := s.read(streamCtx, ns, pod, true, func(l string) {
		n++
		emit(l)
	})
	if ctx.Err() != nil || streamCtx.Err() == nil {
		return err
	}
	seen := 0
	return s.read(ctx, ns, pod, false, func(l string) {
		if seen++; seen > n {
			emit(l)
		}
	})
}

// read emits the lines of pod's step container log.
func (s *PodLogSource) read(ctx context.Context, ns, pod string, follow bool, emit func(string)) error {
	opts := &corev1.PodLogOptions{Container: StepContainer, Follow: follow, Timestamps: s.Timestamps, TailLines: s.TailLines, SinceSeconds: s.SinceSeconds, SinceTime: s.SinceTime}
	rc, err := s.Kube.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
	if apierrors.IsNotFound(err) {
		return errGone
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	return readLines(rc, emit)
}

// waitPod waits, watching, until done(pod) and returns the pod as it last
// saw it. It is errGone if the pod does not exist or is deleted first.
func (s *PodLogSource) waitPod(ctx context.Context, ns, pod string, done func(*corev1.Pod) bool) (*corev1.Pod, error) {
	pods := s.Kube.CoreV1().Pods(ns)
	byName := fields.OneTermEqualSelector("metadata.name", pod).String()
	lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return pods.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return pods.Watch(ctx, o)
		},
	}, s.Kube)
	var last *corev1.Pod
	check := func(p *corev1.Pod) bool {
		last = p
		return done(p)
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{},
		func(store cache.Store) (bool, error) {
			obj, ok, err := store.GetByKey(ns + "/" + pod)
			if err != nil || !ok {
				return false, errGone
			}
			return check(obj.(*corev1.Pod)), nil
		},
		func(e watch.Event) (bool, error) {
			p, ok := e.Object.(*corev1.Pod)
			if !ok || p.Name != pod {
				return false, nil
			}
			if e.Type == watch.Deleted {
				return false, errGone
			}
			return check(p), nil
		})
	return last, err
}

// hasLog reports whether pod's step container has a log to read: it has
// started, or, when the pod does not say, the pod is past Pending.
func hasLog(p *corev1.Pod) bool {
	if c := stepStatus(p); c != nil {
		return c.State.Running != nil || c.State.Terminated != nil
	}
	return p.Status.Phase != corev1.PodPending && p.Status.Phase != ""
}

// exited reports whether pod's step container has exited: its log is complete.
func exited(p *corev1.Pod) bool {
	if c := stepStatus(p); c != nil && c.State.Terminated != nil {
		return true
	}
	return podDone(p)
}

func podDone(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

func stepStatus(p *corev1.Pod) *corev1.ContainerStatus {
	for i, c := range p.Status.ContainerStatuses {
		if c.Name == StepContainer {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// readLines emits each line of r without its line ending. Lines have no
// length limit: a long one (a progress bar) comes through whole. A last
// line without a newline is emitted only at the end of the log, not when
// the read is cut short: follow reads it again whole.
func readLines(r io.Reader, emit func(string)) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err == nil || (err == io.EOF && line != "") {
			emit(strings.TrimRight(line, "\r\n"))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// markRead records pod as handled and reports whether it was not before.
func (s *PodLogSource) markRead(pod string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handled == nil {
		s.handled = map[string]bool{}
	}
	if s.handled[pod] {
		return false
	}
	s.handled[pod] = true
	return true
}

// podsOf lists tr's pods, earlier attempts first.
func podsOf(tr *v1.TaskRun) []string {
	var out []string
	for _, r := range tr.Status.RetriesStatus {
		if r.PodName != "" {
			out = append(out, r.PodName)
		}
	}
	if tr.Status.PodName != "" {
		out = append(out, tr.Status.PodName)
	}
	return out
}

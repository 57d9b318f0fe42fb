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
		err := s.streamPod(ctx, tr.Namespace, pod, follow, func(container, text string) {
			// Our tasks have one step; another tool's may have several,
			// each a container: [task:step].
			label := step
			if container != StepContainer {
				label += ":" + strings.TrimPrefix(container, "step-")
			}
			emit(Line{Step: label, Text: text})
		})
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

// streamPod emits the lines of pod's step containers, in the order Tekton
// runs them. Following, it first waits for each to start; not following, a
// container that has not started has nothing to read.
func (s *PodLogSource) streamPod(ctx context.Context, ns, pod string, follow bool, emit func(container, text string)) error {
	p, err := s.Kube.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return errGone
	}
	if err != nil {
		return err
	}
	for _, c := range stepContainers(p) {
		if follow {
			if p, err = s.waitPod(ctx, ns, pod, func(p *corev1.Pod) bool { return hasLog(p, c) || podDone(p) }); err != nil {
				return err
			}
		}
		out := func(text string) { emit(c, text) }
		switch {
		case !hasLog(p, c):
			continue
		case follow && !exited(p, c):
			err = s.follow(ctx, ns, pod, c, out)
		default:
			err = s.read(ctx, ns, pod, c, false, out)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stepContainers are the pod's step containers ("step-" + the step's
// name) in the order Tekton runs them; a pod that does not list them
// (a test's) has ours.
func stepContainers(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		if strings.HasPrefix(c.Name, "step-") {
			out = append(out, c.Name)
		}
	}
	if len(out) == 0 {
		return []string{StepContainer}
	}
	return out
}

// follow streams a running container's log until the container exits. Some
// log servers (KWOK's) keep the stream open after that, so a watch on the
// pod ends the stream once the container has exited, and the rest of the
// now complete log is read past the lines already emitted.
func (s *PodLogSource) follow(ctx context.Context, ns, pod, container string, emit func(string)) error {
	streamCtx, cut := context.WithCancel(ctx)
	defer cut()
	go func() {
		if _, err := s.waitPod(streamCtx, ns, pod, func(p *corev1.Pod) bool { return exited(p, container) }); err == nil || errors.Is(err, errGone) {
			cut()
		}
	}()
	n := 0
	err := s.read(streamCtx, ns, pod, container, true, func(l string) {
		n++
		emit(l)
	})
	if ctx.Err() != nil || streamCtx.Err() == nil {
		return err
	}
	seen := 0
	return s.read(ctx, ns, pod, container, false, func(l string) {
		if seen++; seen > n {
			emit(l)
		}
	})
}

// read emits the lines of a container's log.
func (s *PodLogSource) read(ctx context.Context, ns, pod, container string, follow bool, emit func(string)) error {
	opts := &corev1.PodLogOptions{Container: container, Follow: follow, Timestamps: s.Timestamps, TailLines: s.TailLines, SinceSeconds: s.SinceSeconds, SinceTime: s.SinceTime}
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

// hasLog reports whether a container has a log to read: it has started,
// or, when the pod does not say, the pod is past Pending.
func hasLog(p *corev1.Pod, container string) bool {
	if c := containerStatus(p, container); c != nil {
		return c.State.Running != nil || c.State.Terminated != nil
	}
	return p.Status.Phase != corev1.PodPending && p.Status.Phase != ""
}

// exited reports whether a container has exited: its log is complete.
func exited(p *corev1.Pod, container string) bool {
	if c := containerStatus(p, container); c != nil && c.State.Terminated != nil {
		return true
	}
	return podDone(p)
}

func podDone(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

func containerStatus(p *corev1.Pod, container string) *corev1.ContainerStatus {
	for i, c := range p.Status.ContainerStatuses {
		if c.Name == container {
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

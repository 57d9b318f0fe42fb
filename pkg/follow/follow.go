// Package follow watches one run (its PipelineRun, TaskRuns, pods and the
// pods' warning events) and hands each new view of it to the caller. It
// watches and never polls: informers list once, then watch, and re-establish
// a broken watch (an apiserver restart) on their own, resuming from the last
// resource version they saw.
package follow

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// Target is the run to follow and the clients to reach it.
type Target struct {
	Tekton    tekton.Interface
	Kube      kubernetes.Interface
	Namespace string
	Name      string
	// WatchError, if set, hears each broken list or watch; the informers
	// retry with backoff after it returns.
	WatchError func(resource string, err error)
}

// ErrDeleted says the run was deleted while it was followed.
var ErrDeleted = errors.New("the run was deleted")

// Run calls update with the run's view whenever it changes, until the run
// is done (it returns the final view) or ctx ends (it returns the last view
// and ctx's error).
func Run(ctx context.Context, t Target, update func(status.Run)) (status.Run, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runLabel := "tekton.dev/pipelineRun=" + t.Name
	prs := t.Tekton.TektonV1().PipelineRuns(t.Namespace)
	trs := t.Tekton.TektonV1().TaskRuns(t.Namespace)
	pods := t.Kube.CoreV1().Pods(t.Namespace)
	events := t.Kube.CoreV1().Events(t.Namespace)
	byName := fields.OneTermEqualSelector("metadata.name", t.Name).String()
	warnings := fields.AndSelectors(fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.kind", "Pod")).String()

	informers := map[string]cache.SharedIndexInformer{
		"pipelineruns": informer(t.Tekton, &v1.PipelineRun{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.FieldSelector = byName
				return prs.List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.FieldSelector = byName
				return prs.Watch(ctx, o)
			}),
		"taskruns": informer(t.Tekton, &v1.TaskRun{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.LabelSelector = runLabel
				return trs.List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.LabelSelector = runLabel
				return trs.Watch(ctx, o)
			}),
		"pods": informer(t.Kube, &corev1.Pod{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.LabelSelector = runLabel
				return pods.List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.LabelSelector = runLabel
				return pods.Watch(ctx, o)
			}),
		"events": informer(t.Kube, &corev1.Event{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.FieldSelector = warnings
				return events.List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.FieldSelector = warnings
				return events.Watch(ctx, o)
			}),
	}

	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	var synced []cache.InformerSynced
	for name, inf := range informers {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return status.Run{}, err
		}
		if t.WatchError != nil {
			resource := name
			_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
				t.WatchError(resource, err)
			})
		}
		synced = append(synced, inf.HasSynced)
		go inf.RunWithContext(ctx)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return status.Run{}, ctx.Err()
	}
	first := true
	var last status.Run
	// Watches of different resources are not ordered with each other: the
	// run's end can arrive before its last TaskRun update. Give those a moment.
	var settle <-chan time.Time
	for {
		obj, ok, _ := informers["pipelineruns"].GetStore().GetByKey(t.Namespace + "/" + t.Name)
		if !ok {
			if first {
				return status.Run{}, fmt.Errorf("no run %q in namespace %q", t.Name, t.Namespace)
			}
			return last, ErrDeleted
		}
		first = false
		last = status.Build(obj.(*v1.PipelineRun), items[*v1.TaskRun](informers["taskruns"]), items[*corev1.Pod](informers["pods"]), items[*corev1.Event](informers["events"]))
		switch {
		case !last.Done():
			update(last)
		case settled(last):
			update(last)
			return last, nil
		case settle == nil:
			// Hold the run's end back until its steps' ends have arrived,
			// so the view tells them in order.
			settle = time.After(2 * time.Second)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-settle:
			// A watch that is still catching up (after an apiserver restart
			// the reflectors back off for seconds) would leave the steps'
			// last states out: read them once, directly.
			if fresh, err := trs.List(ctx, metav1.ListOptions{LabelSelector: runLabel}); err == nil {
				var trItems []*v1.TaskRun
				for i := range fresh.Items {
					trItems = append(trItems, &fresh.Items[i])
				}
				last = status.Build(obj.(*v1.PipelineRun), trItems, items[*corev1.Pod](informers["pods"]), items[*corev1.Event](informers["events"]))
			}
			update(last)
			return last, nil
		case <-changed:
		}
	}
}

// informer lists and watches through list and w; client tells the reflector
// whether it can stream the initial list (fake clientsets cannot).
func informer(client any, example runtime.Object, list cache.ListWithContextFunc, w cache.WatchFuncWithContext) cache.SharedIndexInformer {
	lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{ListWithContextFunc: list, WatchFuncWithContext: w}, client)
	return cache.NewSharedIndexInformerWithOptions(lw, example, cache.SharedIndexInformerOptions{})
}

func items[T any](inf cache.SharedIndexInformer) []T {
	all := inf.GetStore().List()
	out := make([]T, 0, len(all))
	for _, o := range all {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// settled reports whether no step with a TaskRun still looks unfinished.
func settled(r status.Run) bool {
	for _, s := range r.Steps {
		if s.TaskRun != "" && !s.Phase.Done() {
			return false
		}
	}
	return true
}

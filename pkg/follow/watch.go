package follow

import (
	"context"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/mlpipe/kubectl-mlpipe/pkg/runspec"
)

// Watch is one run's informers: its PipelineRun, its TaskRuns and pods and,
// when asked for, the Warning events of pods in its namespace.
type Watch struct {
	Runs, TaskRuns, Pods cache.SharedIndexInformer
	// Events (pods' warnings) and RunEvents (the run's own warnings) are
	// nil unless asked for.
	Events, RunEvents cache.SharedIndexInformer
	// Changed receives after any of them changes; changes that come while
	// no one reads are coalesced into one.
	Changed <-chan struct{}
}

// StartWatch starts t's informers, which run until ctx ends, and returns
// once they have listed.
func StartWatch(ctx context.Context, t Target, events bool) (*Watch, error) {
	byName := fields.OneTermEqualSelector("metadata.name", t.Name).String()
	runLabel := pipeline.PipelineRunLabelKey + "=" + t.Name
	onRun := func(o *metav1.ListOptions) { o.FieldSelector = byName }
	ofRun := func(o *metav1.ListOptions) { o.LabelSelector = runLabel }
	prs := t.Tekton.TektonV1().PipelineRuns(t.Namespace)
	trs := t.Tekton.TektonV1().TaskRuns(t.Namespace)
	pods := t.Kube.CoreV1().Pods(t.Namespace)

	w := &Watch{
		Runs:     informer(t.Tekton, &v1.PipelineRun{}, onRun, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return prs.List(ctx, o) }, prs.Watch),
		TaskRuns: informer(t.Tekton, &v1.TaskRun{}, ofRun, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return trs.List(ctx, o) }, trs.Watch),
		Pods:     informer(t.Kube, &corev1.Pod{}, ofRun, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return pods.List(ctx, o) }, pods.Watch),
	}
	// A referenced run is stored as it is and seen embedded: its Pipeline
	// and Tasks are read once, at the first event.
	inliner := runspec.NewInliner(t.Tekton)
	if err := w.Runs.SetTransform(func(obj any) (any, error) {
		if pr, ok := obj.(*v1.PipelineRun); ok {
			if in, err := inliner.Inline(ctx, pr); err == nil {
				return in, nil
			}
		}
		return obj, nil
	}); err != nil {
		return nil, err
	}
	named := map[string]cache.SharedIndexInformer{"pipelineruns": w.Runs, "taskruns": w.TaskRuns, "pods": w.Pods}
	if events {
		warnings := fields.AndSelectors(fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.kind", "Pod")).String()
		evs := t.Kube.CoreV1().Events(t.Namespace)
		w.Events = informer(t.Kube, &corev1.Event{}, func(o *metav1.ListOptions) { o.FieldSelector = warnings },
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return evs.List(ctx, o) }, evs.Watch)
		named["events"] = w.Events
		// The run's own warnings: how Tekton says it cannot update it.
		own := fields.AndSelectors(fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.kind", "PipelineRun"), fields.OneTermEqualSelector("involvedObject.name", t.Name)).String()
		w.RunEvents = informer(t.Kube, &corev1.Event{}, func(o *metav1.ListOptions) { o.FieldSelector = own },
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return evs.List(ctx, o) }, evs.Watch)
		named["run events"] = w.RunEvents
	}

	changed := make(chan struct{}, 1)
	w.Changed = changed
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
	for resource, inf := range named {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, err
		}
		if t.WatchError != nil {
			_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
				t.WatchError(resource, err)
			})
		}
		synced = append(synced, inf.HasSynced)
		go inf.RunWithContext(ctx)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil, ctx.Err()
	}
	return w, nil
}

// informer lists and watches with the options sel sets; client tells the
// reflector whether it can stream the initial list (fake clientsets cannot).
func informer(client any, example runtime.Object, sel func(*metav1.ListOptions), list cache.ListWithContextFunc, w cache.WatchFuncWithContext) cache.SharedIndexInformer {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			sel(&o)
			return list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			sel(&o)
			return w(ctx, o)
		},
	}
	return cache.NewSharedIndexInformerWithOptions(cache.ToListWatcherWithWatchListSemantics(lw, client), example, cache.SharedIndexInformerOptions{})
}

// Items are the objects of type T in inf's store.
func Items[T any](inf cache.SharedIndexInformer) []T {
	all := inf.GetStore().List()
	out := make([]T, 0, len(all))
	for _, o := range all {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

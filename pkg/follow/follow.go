// Package follow watches one run (its PipelineRun, TaskRuns, pods and the
// pods' warning events) and hands each new view of it to the caller. It
// watches and never polls: informers list once, then watch, and re-establish
// a broken watch (an apiserver restart) on their own, resuming from the last
// resource version they saw. StartWatch gives the same informers to other
// followers (logs -f).
package follow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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
	w, err := StartWatch(ctx, t, true)
	if err != nil {
		return status.Run{}, err
	}
	view := func(pr *v1.PipelineRun, trs []*v1.TaskRun) status.Run {
		return status.Build(pr, trs, Items[*corev1.Pod](w.Pods), append(Items[*corev1.Event](w.Events), Items[*corev1.Event](w.RunEvents)...))
	}
	first := true
	var last status.Run
	// Watches of different resources are not ordered with each other: the
	// run's end can arrive before its last TaskRun update. Give those a moment.
	var settle <-chan time.Time
	for {
		obj, ok, _ := w.Runs.GetStore().GetByKey(t.Namespace + "/" + t.Name)
		if !ok {
			if first {
				return status.Run{}, fmt.Errorf("no run %q in namespace %q", t.Name, t.Namespace)
			}
			return last, ErrDeleted
		}
		first = false
		pr := obj.(*v1.PipelineRun)
		last = view(pr, Items[*v1.TaskRun](w.TaskRuns))
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
			fresh, err := t.Tekton.TektonV1().TaskRuns(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: pipeline.PipelineRunLabelKey + "=" + t.Name})
			if err == nil {
				var trItems []*v1.TaskRun
				for i := range fresh.Items {
					trItems = append(trItems, &fresh.Items[i])
				}
				last = view(pr, trItems)
			}
			update(last)
			return last, nil
		case <-w.Changed:
		}
	}
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

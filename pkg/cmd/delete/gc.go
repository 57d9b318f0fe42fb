package delete

import (
	"context"
	"fmt"
	"sort"
	"time"

	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// sweep deletes the Pipelines and Tasks of referenced runs that no run in
// the namespace refers to any more. It is a labelled sweep, not owner
// references: a Pipeline is shared by every run of the same spec, so owner
// references would cost a write per run and grow the shared object with
// every run (10,000 runs is 1.5 MiB of them, more than an object may be),
// and the Pipeline must exist before the run that would own it. Objects
// younger than grace are kept: a run being created writes its Pipeline
// first and refers to it only a moment later. gone are the runs just
// deleted (a server dry run leaves them listed).
func (o *Options) sweep(ctx context.Context, tc tekton.Interface, ns string, gone map[string]bool, now time.Time) error {
	sel := metav1.ListOptions{LabelSelector: util.RunSelector("")}
	pipelines, err := tc.TektonV1().Pipelines(ns).List(ctx, sel)
	if err != nil || len(pipelines.Items) == 0 {
		// Embedded runs only (or no right to list Pipelines): nothing to sweep.
		return nil
	}
	runs, err := util.AllRunSummaries(ctx, tc, ns, sel, util.ChunkSize)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, pr := range runs {
		if gone[pr.Name] || pr.DeletionTimestamp != nil || pr.Spec.PipelineRef == nil {
			continue
		}
		used[pr.Spec.PipelineRef.Name] = true
	}
	young := func(m metav1.ObjectMeta) bool { return now.Sub(m.CreationTimestamp.Time) < o.GCGrace }
	keepTasks := map[string]bool{}
	var delPipelines []string
	for i := range pipelines.Items {
		p := &pipelines.Items[i]
		if used[p.Name] || young(p.ObjectMeta) {
			for _, t := range rendertekton.TaskNames(p) {
				keepTasks[t] = true
			}
			continue
		}
		delPipelines = append(delPipelines, p.Name)
	}
	tasks, err := tc.TektonV1().Tasks(ns).List(ctx, sel)
	if err != nil {
		return err
	}
	var delTasks []string
	for i := range tasks.Items {
		t := &tasks.Items[i]
		if !keepTasks[t.Name] && !young(t.ObjectMeta) {
			delTasks = append(delTasks, t.Name)
		}
	}
	sort.Strings(delPipelines)
	sort.Strings(delTasks)
	suffix := ""
	if o.DryRun != util.DryRunNone {
		suffix = " (dry run)"
	}
	opts := metav1.DeleteOptions{}
	if o.DryRun == util.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	// Pipelines first: a Task is never gone while a Pipeline names it.
	for _, n := range delPipelines {
		if o.DryRun != util.DryRunClient {
			if err := tc.TektonV1().Pipelines(ns).Delete(ctx, n, opts); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting Pipeline %s, which no run refers to: %w", n, err)
			}
		}
		fmt.Fprintf(o.Out, "pipeline.tekton.dev/%s deleted%s (no run refers to it)\n", n, suffix)
	}
	for _, n := range delTasks {
		if o.DryRun != util.DryRunClient {
			if err := tc.TektonV1().Tasks(ns).Delete(ctx, n, opts); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting Task %s, which no Pipeline refers to: %w", n, err)
			}
		}
		fmt.Fprintf(o.Out, "task.tekton.dev/%s deleted%s (no Pipeline refers to it)\n", n, suffix)
	}
	return nil
}

package tektonvalidate

import (
	"context"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Fast exposes the fast path to the external tests: ok reports whether it
// handled the object itself rather than leaving it to Full.
var Fast = fast

// Plan reports, for a PipelineRun the fast path takes, how many tasks it
// has, how many distinct normalized shapes, and how many per-task Tekton
// checks remain once lists are pooled.
func Plan(ctx context.Context, pr *v1.PipelineRun) (tasks, shapes, checks int) {
	ps := pr.Spec.PipelineSpec
	var ts []task
	for i := range ps.Tasks {
		ts = append(ts, task{pt: &ps.Tasks[i], index: i})
	}
	for i := range ps.Finally {
		ts = append(ts, task{pt: &ps.Finally[i], finally: true, index: i})
	}
	seen := map[string]bool{}
	for i := range ts {
		prepare(ctx, &ts[i], true)
		seen[ts[i].key] = true
	}
	return len(ts), len(seen), len(planChecks(ctx, ts))
}

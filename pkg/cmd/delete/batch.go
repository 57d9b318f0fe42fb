package delete

import (
	"context"
	"fmt"
	"sync"
	"time"

	tektonv1 "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/typed/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

// deleters bounds the deletes in flight: thousands of runs go in parallel
// batches, not one round trip after another, without crowding the apiserver.
const deleters = 8

// progressAfter is how many deletes it takes before a progress line is worth it.
const progressAfter = 50

// deleteAll deletes names with a bounded number of deletes in flight,
// printing each deleted run on stdout in the given order as kubectl does,
// and a progress line on stderr when there are many. It stops at the first
// failure other than not-found (gone meanwhile: what was asked is true).
func (o *Options) deleteAll(ctx context.Context, runs tektonv1.PipelineRunInterface, names []string, suffix string) error {
	if o.DryRun == util.DryRunClient {
		for _, n := range names {
			fmt.Fprintf(o.Out, "pipelinerun.tekton.dev/%s deleted%s\n", n, suffix)
		}
		return nil
	}
	opts := metav1.DeleteOptions{}
	if o.DryRun == util.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i   int
		err error
	}
	work := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(deleters, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				err := runs.Delete(ctx, names[i], opts)
				if apierrors.IsNotFound(err) {
					err = nil
				}
				results <- result{i, err}
			}
		}()
	}
	go func() {
		defer close(work)
		for i := range names {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	// Print in the given order: hold results that arrive early.
	done := make([]bool, len(names))
	next, count := 0, 0
	var firstErr error
	last := time.Now()
	for r := range results {
		if r.err != nil && firstErr == nil {
			firstErr = fmt.Errorf("deleting run %s: %w", names[r.i], r.err)
			cancel()
		}
		if r.err != nil {
			continue
		}
		done[r.i] = true
		count++
		for next < len(names) && done[next] {
			fmt.Fprintf(o.Out, "pipelinerun.tekton.dev/%s deleted%s\n", names[next], suffix)
			next++
		}
		if len(names) >= progressAfter && (time.Since(last) > time.Second || count == len(names)) {
			fmt.Fprintf(o.ErrOut, "deleted %d/%d runs\n", count, len(names))
			last = time.Now()
		}
	}
	// After a failure, what was deleted past it is still said.
	for ; next < len(names); next++ {
		if done[next] {
			fmt.Fprintf(o.Out, "pipelinerun.tekton.dev/%s deleted%s\n", names[next], suffix)
		}
	}
	return firstErr
}

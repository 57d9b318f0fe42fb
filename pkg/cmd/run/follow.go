package run

import (
	"context"
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"
	"github.com/mlpipe/kubectl-mlpipe/pkg/logs"
)

// followLogs streams the run's logs to stdout until it ends, with its step
// transitions on stderr, and exits as --wait does. The transitions are
// printed line by line even on a terminal: an in-place table would tear
// the log lines around it.
func (o *Options) followLogs(ctx context.Context, c *util.Clients, created *v1.PipelineRun) error {
	view := liveview.For(o.ErrOut)
	view.TTY = false
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logsDone := make(chan error, 1)
	go func() {
		logsDone <- logs.Print(ctx, logs.Options{
			Tekton: c.Tekton, Kube: c.Kube, Namespace: c.Namespace,
			Source: logs.NewPodLogSource(c.Kube), Follow: true,
			Out: o.Out, ErrOut: o.ErrOut,
		}, created)
	}()
	r, waitErr := util.Wait(ctx, c, created.Name, view, o.Timeout)
	if !r.Phase.Done() {
		// Timed out, interrupted or the watch broke: the run goes on, and
		// so would the stream.
		cancel()
	}
	// Otherwise the run has ended and the stream ends with it, once its
	// last lines are printed.
	if logErr := <-logsDone; logErr != nil && waitErr == nil {
		return fmt.Errorf("streaming logs: %w", logErr)
	}
	return waitErr
}

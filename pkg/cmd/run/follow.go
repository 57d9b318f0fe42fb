package run

import (
	"context"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"
)

// followLogs streams the run's logs until it ends.
func (o *Options) followLogs(ctx context.Context, c *util.Clients, name string) error {
	_, err := util.Wait(ctx, c, name, liveview.For(o.ErrOut), o.Timeout)
	return err
}

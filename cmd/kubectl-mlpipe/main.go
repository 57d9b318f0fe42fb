// Command kubectl-mlpipe is a kubectl plugin that runs ML pipelines on Tekton.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := cmd.NewRootCmd(streams).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error: "+err.Error())
	}
	os.Exit(util.Code(err))
}

// tuneGC makes collections rarer. At Go's default (GOGC=100) this short-lived
// process collects its few-MiB heap several times while it compiles a spec
// and sets up TLS; GOGC=400 cuts `run`'s wall time by about a tenth
// (docs/performance.md). The soft limit keeps a huge spec from growing the
// heap unchecked. GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

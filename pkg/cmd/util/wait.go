package util

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mlpipe/kubectl-mlpipe/pkg/follow"
	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"
	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// ExitInterrupted is the exit code when Ctrl-C ends a wait: the shell's
// convention for SIGINT. The run itself goes on.
const ExitInterrupted = 130

var errWaitTimeout = errors.New("wait timed out")

// Wait follows a run in view until it ends, timeout passes (0: no limit)
// or ctx is cancelled (Ctrl-C), and turns the outcome into an exit code:
// 0 succeeded, 1 failed, 3 cancelled or timed out, 130 interrupted.
func Wait(ctx context.Context, c *Clients, name string, view *liveview.View, timeout time.Duration) (status.Run, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, errWaitTimeout)
		defer cancel()
	}
	var (
		mu       sync.Mutex
		lastNote time.Time
	)
	target := follow.Target{
		Tekton: c.Tekton, Kube: c.Kube, Namespace: c.Namespace, Name: name,
		WatchError: func(resource string, err error) {
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil || time.Since(lastNote) < 10*time.Second {
				return
			}
			lastNote = time.Now()
			view.Note(fmt.Sprintf("watch of %s interrupted (%s); re-establishing it", resource, short(err)))
		},
	}
	stopTick := make(chan struct{})
	defer close(stopTick)
	if view.TTY {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					view.Tick()
				case <-stopTick:
					return
				}
			}
		}()
	}
	r, err := follow.Run(ctx, target, view.Update)
	reattach := fmt.Sprintf("the run goes on; follow it again with 'kubectl mlpipe describe %s -n %s -w' or 'kubectl mlpipe logs %s -n %s -f'", name, c.Namespace, name, c.Namespace)
	switch {
	case err == nil:
	case errors.Is(context.Cause(ctx), errWaitTimeout):
		done, total := r.Progress()
		return r, &ExitError{Code: ExitTimeout, Err: fmt.Errorf("timed out after %s waiting for run %s (%s, %d/%d steps done%s); %s", timeout, name, r.Phase, done, total, blocked(r), reattach)}
	case ctx.Err() != nil:
		return r, &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted; %s", reattach)}
	default:
		return r, err
	}
	switch r.Phase {
	case status.Succeeded:
		return r, nil
	case status.Cancelled:
		return r, &ExitError{Code: ExitTimeout, Err: fmt.Errorf("run %s was cancelled (%s)", name, r.Reason)}
	}
	return r, &ExitError{Code: ExitFailure, Err: fmt.Errorf("run %s %s: %s%s; see 'kubectl mlpipe describe %s -n %s' and 'kubectl mlpipe logs %s -n %s'", name, strings.ToLower(string(r.Phase)), firstLine(r.Message), failedSteps(r), name, c.Namespace, name, c.Namespace)}
}

func failedSteps(r status.Run) string {
	var out []string
	for _, s := range r.Steps {
		if s.Phase == status.Failed || s.Phase == status.TimedOut {
			out = append(out, s.Name+" ("+s.Explain()+")")
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; failed: " + strings.Join(out, ", ")
}

// blocked names the pending steps and why, for the timeout message.
func blocked(r status.Run) string {
	var out []string
	for _, s := range r.Steps {
		if s.Phase == status.Pending {
			out = append(out, s.Name+": Pending — "+s.Explain())
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, "; ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func short(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

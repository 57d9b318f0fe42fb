package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// createAttempts bounds how often a create is sent; client-go itself never
// repeats a write.
const createAttempts = 4

// retryDelay is the pause before the nth repeat (1, 2, …); tests shorten it.
var retryDelay = func(n int) time.Duration { return time.Duration(1<<(n-1)) * 250 * time.Millisecond }

// createRetrying sends create until it gets an answer that is not a
// transient failure, saying so on errOut each time it tries again.
func createRetrying[T any](ctx context.Context, errOut io.Writer, create func() (T, error)) (T, error) {
	if errOut == nil {
		errOut = io.Discard
	}
	for n := 1; ; n++ {
		obj, err := create()
		if err == nil || n == createAttempts || !transient(err) || ctx.Err() != nil {
			return obj, err
		}
		fmt.Fprintf(errOut, "the create got no answer (%v); sending it again (%d/%d)\n", err, n, createAttempts-1)
		select {
		case <-ctx.Done():
			var zero T
			return zero, err
		case <-time.After(retryDelay(n)):
		}
	}
}

// transient reports an error after which the write may or may not have been
// stored, or was not taken yet: a lost connection or response, a timeout,
// an apiserver that is starting or overloaded.
func transient(err error) bool {
	var ne net.Error
	switch {
	case utilnet.IsProbableEOF(err), utilnet.IsConnectionReset(err), utilnet.IsHTTP2ConnectionLost(err), utilnet.IsConnectionRefused(err):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsInternalError(err):
		return true
	}
	return false
}

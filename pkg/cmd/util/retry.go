package util

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// handshakeRetries is how many times a request whose TLS handshake timed
// out is sent again.
const handshakeRetries = 3

// retryHandshakes sends a request again when its connection's TLS handshake
// timed out (client-go gives a handshake 10 s). Nothing of the request had
// reached the server then, so a write is as safe to resend as a read. Many
// commands started at once on a small machine (200 `run --wait` in a CI job
// on 2 cores: 11 failed so at the start, hack/bench-run.sh) make the
// apiserver's handshakes queue for longer than that.
type retryHandshakes struct {
	next http.RoundTripper
	// wait is the pause before attempt n (1, 2, …).
	wait func(n int) time.Duration
}

func withHandshakeRetries(cfg *rest.Config) {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &retryHandshakes{next: rt, wait: func(n int) time.Duration {
			// 0.5–1 s, then twice that: spread out, as the clients that
			// timed out together would otherwise come back together.
			return time.Duration(n) * (500*time.Millisecond + rand.N(500*time.Millisecond))
		}}
	})
}

func (r *retryHandshakes) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	for n := 1; n <= handshakeRetries && err != nil && handshakeTimedOut(err); n++ {
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, err // a body that cannot be read again
		}
		select {
		case <-req.Context().Done():
			return resp, err
		case <-time.After(r.wait(n)):
		}
		again := req.Clone(req.Context())
		if req.GetBody != nil {
			if again.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		klog.V(4).Infof("%s %s: TLS handshake timed out; sending it again (%d of %d)", req.Method, req.URL.Redacted(), n, handshakeRetries)
		resp, err = r.next.RoundTrip(again)
	}
	return resp, err
}

// handshakeTimedOut recognises net/http's error for a TLS handshake that
// took longer than the transport's TLSHandshakeTimeout (its type is not
// exported).
func handshakeTimedOut(err error) bool {
	return strings.Contains(err.Error(), "TLS handshake timeout")
}

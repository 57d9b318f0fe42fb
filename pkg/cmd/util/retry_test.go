package util

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallFirst holds the next stall connections it accepts without a word, so
// those clients' TLS handshakes time out; the others are served.
type stallFirst struct {
	net.Listener
	stall atomic.Int32
	mu    sync.Mutex
	held  []net.Conn
}

func (l *stallFirst) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.stall.Add(-1) < 0 {
			return c, nil
		}
		l.mu.Lock()
		l.held = append(l.held, c)
		l.mu.Unlock()
	}
}

// On a real TLS server whose first handshake never completes: the bare
// transport fails with net/http's handshake timeout, and the retrying one
// sends the request again, body and all, and gets the answer.
func TestHandshakeTimeoutIsRetried(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Method+" "+string(b))
		io.WriteString(w, "ok")
	}))
	l := &stallFirst{Listener: srv.Listener}
	l.stall.Store(1)
	srv.Listener = l
	srv.StartTLS()
	defer srv.Close()
	defer func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, c := range l.held {
			c.Close()
		}
	}()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSHandshakeTimeout = 200 * time.Millisecond
	tr.DisableKeepAlives = true

	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte("the run")))
	if _, err := tr.RoundTrip(req); err == nil || !handshakeTimedOut(err) {
		t.Fatalf("the first connection should time out in its handshake, got %v", err)
	}
	l.stall.Store(1) // and the retrying transport's first connection too

	rt := &retryHandshakes{next: tr, wait: func(int) time.Duration { return 0 }}
	req, _ = http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte("the run")))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("retried request: %v", err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ";") != "POST the run" {
		t.Errorf("the server saw %q, want the POST once with its body", got)
	}
}

type scripted struct {
	errs  []error
	calls int
}

func (s *scripted) RoundTrip(*http.Request) (*http.Response, error) {
	s.calls++
	if s.calls <= len(s.errs) {
		return nil, s.errs[s.calls-1]
	}
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

// Only handshake timeouts are retried, and only so often.
func TestOnlyHandshakeTimeoutsAreRetried(t *testing.T) {
	timeout := errors.New("net/http: TLS handshake timeout")
	for _, c := range []struct {
		errs      []error
		calls     int
		wantError bool
	}{
		{[]error{timeout}, 2, false},
		{[]error{errors.New("connection refused")}, 1, true},
		{[]error{timeout, timeout, timeout, timeout}, 1 + handshakeRetries, true},
	} {
		s := &scripted{errs: c.errs}
		req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:1/", nil)
		_, err := (&retryHandshakes{next: s, wait: func(int) time.Duration { return 0 }}).RoundTrip(req)
		if s.calls != c.calls || (err != nil) != c.wantError {
			t.Errorf("%v: %d calls, error %v; want %d calls, error %v", c.errs, s.calls, err, c.calls, c.wantError)
		}
	}
}

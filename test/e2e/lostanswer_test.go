//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// A create whose answer is lost: a proxy in front of the apiserver (on
// loopback, authenticating upstream as the admin) passes the first POST of a
// PipelineRun through, lets the apiserver store it, then drops the connection
// instead of answering. run sends the create again, meets AlreadyExists for
// its own run, and takes it: exit 0, one run.
func TestCreateWithALostAnswerMakesOneRun(t *testing.T) {
	ns := namespace(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = transport

	var (
		mu    sync.Mutex
		posts []int // status of each PipelineRun create the apiserver answered
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/namespaces/"+ns+"/pipelineruns") {
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		up, err := http.NewRequestWithContext(r.Context(), r.Method, cfg.Host+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		up.Header = r.Header.Clone()
		resp, err := transport.RoundTrip(up)
		if err != nil {
			t.Error(err)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		posts = append(posts, resp.StatusCode)
		first := len(posts) == 1
		mu.Unlock()
		if first {
			// Stored upstream; the client never hears of it.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
	}))
	srv.StartTLS() // 127.0.0.1, HTTP/1.1
	t.Cleanup(srv.Close)

	// A kubeconfig that reaches the apiserver only through the proxy.
	kc := clientcmdapi.NewConfig()
	kc.Clusters["lossy"] = &clientcmdapi.Cluster{Server: srv.URL, CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
	kc.AuthInfos["through-proxy"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["lossy"] = &clientcmdapi.Context{Cluster: "lossy", AuthInfo: "through-proxy", Namespace: ns}
	kc.CurrentContext = "lossy"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	// No -n: the namespace comes from the context.
	r := command(t, "", "kubectl", "mlpipe", "run", "--kubeconfig", path, "-f", filepath.Join(repoRoot, "examples", "minimal.yaml"))
	if r.Code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	name := runName(t, r.Stdout)
	if !strings.Contains(r.Stderr, "the create got no answer") || !strings.Contains(r.Stderr, "sending it again (1/3)") {
		t.Errorf("stderr should say the create is sent again:\n%s", r.Stderr)
	}
	mu.Lock()
	got := posts
	mu.Unlock()
	if len(got) != 2 || got[0] != http.StatusCreated || got[1] != http.StatusConflict {
		t.Errorf("the apiserver answered the creates with %v, want [201 409]", got)
	}
	list, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != name {
		t.Fatalf("want exactly run %s in %s, got %d runs (%v)", name, ns, len(list.Items), err)
	}
}

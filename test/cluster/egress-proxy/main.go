// Command egress-proxy is the local cluster's "cluster" egress for
// kube-apiserver (--egress-selector-config-file): an HTTP CONNECT proxy served
// on a unix socket that only ever dials loopback addresses.
//
// The apiserver reaches admission and conversion webhooks through their
// Service's ClusterIP, and node kubelets (KWOK's server, for logs) at the
// node's address. ClusterIPs exist only as data here, so each -route maps one
// ClusterIP:port to a loopback address; a CONNECT to a loopback address passes
// through unchanged; anything else is refused and logged. No request can make
// this process dial a non-loopback address.
//
// With -listen it also serves the same rules on a loopback TCP port, given to
// the other components as HTTP_PROXY/HTTPS_PROXY: an outbound request they
// might make (e.g. Tekton looking up an image's entrypoint in a registry) is
// refused here and logged, instead of reaching the network.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

type routes map[string]string // "10.96.0.20:443" -> "127.0.0.1:16420"

func (r routes) String() string { return fmt.Sprint(map[string]string(r)) }

func (r routes) Set(v string) error {
	from, to, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want FROM_HOST:PORT=127.0.0.1:PORT, got %q", v)
	}
	if _, _, err := net.SplitHostPort(from); err != nil {
		return fmt.Errorf("route %q: %v", v, err)
	}
	if !isLoopback(to) {
		return fmt.Errorf("route %q: target must be a loopback IP:port", v)
	}
	r[from] = to
	return nil
}

// isLoopback reports whether addr is an IP literal in 127.0.0.0/8 or ::1 with a port.
func isLoopback(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// target returns the loopback address to dial for a CONNECT authority.
func (r routes) target(authority string) (string, bool) {
	if to, ok := r[authority]; ok {
		return to, true
	}
	if isLoopback(authority) {
		return authority, true
	}
	if host, port, err := net.SplitHostPort(authority); err == nil && host == "localhost" {
		return net.JoinHostPort("127.0.0.1", port), true
	}
	return "", false
}

func main() {
	socket := flag.String("socket", "", "unix socket to serve HTTP CONNECT on")
	listen := flag.String("listen", "", "also serve on this loopback IP:port (optional)")
	rt := routes{}
	flag.Var(rt, "route", "FROM_HOST:PORT=127.0.0.1:PORT (repeatable)")
	flag.Parse()
	if *socket == "" {
		log.Fatal("-socket is required")
	}
	if *listen != "" && !isLoopback(*listen) {
		log.Fatalf("-listen %s: must be a loopback IP:port", *listen)
	}
	_ = os.Remove(*socket)
	ln, err := net.Listen("unix", *socket)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.Chmod(*socket, 0o600); err != nil {
		log.Fatal(err)
	}
	listeners := []net.Listener{ln}
	if *listen != "" {
		tcp, err := net.Listen("tcp", *listen)
		if err != nil {
			log.Fatal(err)
		}
		listeners = append(listeners, tcp)
	}
	log.Printf("egress-proxy: serving HTTP CONNECT on %s %s, routes %v (loopback destinations pass through, all else refused)", *socket, *listen, rt)

	srv := &http.Server{Handler: rt, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errs := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errs <- srv.Serve(l) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	_ = os.Remove(*socket)
}

func (r routes) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodConnect {
		log.Printf("refused %s %s: only CONNECT to loopback or a routed ClusterIP is allowed", req.Method, req.URL)
		http.Error(w, "only CONNECT is supported", http.StatusMethodNotAllowed)
		return
	}
	to, ok := r.target(req.Host)
	if !ok {
		log.Printf("refused CONNECT %s: not a loopback address and no route", req.Host)
		http.Error(w, "destination not allowed: only loopback and routed ClusterIPs", http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", to, 5*time.Second)
	if err != nil {
		log.Printf("CONNECT %s -> %s: %v", req.Host, to, err)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "hijacking not supported", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		log.Printf("hijack: %v", err)
		return
	}
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		client.Close()
		upstream.Close()
		return
	}
	splice(client, buf.Reader, upstream)
}

// splice copies both ways until both directions are done, half-closing as each side finishes.
func splice(client net.Conn, clientBuf *bufio.Reader, upstream net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(upstream, clientBuf) // the reader drains any bytes buffered during the handshake first
		closeWrite(upstream)
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(client, upstream)
		closeWrite(client)
	}()
	wg.Wait()
	client.Close()
	upstream.Close()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}

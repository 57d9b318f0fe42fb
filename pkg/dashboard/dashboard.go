// Package dashboard links runs to the Tekton Dashboard: the URL of a
// PipelineRun's page, and where a cluster serves the Dashboard (an Ingress,
// an OpenShift Route or a LoadBalancer Service in Tekton's namespace).
package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const (
	// Namespace is where Tekton, and the Dashboard next to it, is installed.
	Namespace = "tekton-pipelines"
	// Service is the name of the Dashboard's Service in a Dashboard install.
	Service = "tekton-dashboard"
	// EnvURL names the environment variable that gives the Dashboard's base URL.
	EnvURL = "MLPIPE_DASHBOARD_URL"
	// None, as the base URL, turns the link (and its discovery) off.
	None = "none"
)

// RunURL is the Dashboard's page of a PipelineRun. The Dashboard routes in
// the URL's fragment (a hash router): base/#/namespaces/NS/pipelineruns/NAME.
func RunURL(base, namespace, name string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/#/namespaces/" + url.PathEscape(namespace) + "/pipelineruns/" + url.PathEscape(name)
}

// ParseBase checks a base URL given by a user (flag or environment): an
// absolute http or https URL, its path kept (a Dashboard served under a
// prefix), without query, fragment or trailing slash.
func ParseBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL (like https://tekton.example.com)", raw)
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), ""
	return u.String(), nil
}

// Discover looks for the Dashboard in namespace ns and returns its base URL,
// or "" when it finds none. In order of preference:
//
//   - an Ingress to the tekton-dashboard Service (or named tekton-dashboard):
//     its first rule's host, https when the Ingress has TLS for that host;
//   - an OpenShift Route (route.openshift.io/v1, when the cluster serves it)
//     to that Service (or named so): its host, https when it has TLS;
//   - the tekton-dashboard Service itself when it is a LoadBalancer with an
//     ingress IP or hostname.
//
// The three are read at once, so discovery costs one round trip. Not finding
// one is not an error; err says what could not be read (forbidden, an API
// error) and is for a -v line only: a missing link never fails a command.
func Discover(ctx context.Context, kube kubernetes.Interface, ns string) (string, error) {
	if kube == nil {
		return "", nil
	}
	var (
		wg    sync.WaitGroup
		found [3]string
		errs  [3]error
	)
	lookups := [3]func() (string, error){
		func() (string, error) { return fromIngresses(ctx, kube, ns) },
		func() (string, error) { return fromRoutes(ctx, kube, ns) },
		func() (string, error) { return fromService(ctx, kube, ns) },
	}
	for i, f := range lookups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i], errs[i] = f()
		}()
	}
	wg.Wait()
	for _, base := range found {
		if base != "" {
			return base, nil
		}
	}
	return "", errors.Join(errs[:]...)
}

// ignorable: nothing there, or not served (no Route API outside OpenShift).
func ignorable(err error) bool { return apierrors.IsNotFound(err) }

func fromIngresses(ctx context.Context, kube kubernetes.Interface, ns string) (string, error) {
	list, err := kube.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if ignorable(err) {
			return "", nil
		}
		return "", fmt.Errorf("listing ingresses in %s: %w", ns, err)
	}
	items := list.Items
	// The one named like the Service first, then by name: the same answer every time.
	sort.SliceStable(items, func(i, j int) bool {
		if (items[i].Name == Service) != (items[j].Name == Service) {
			return items[i].Name == Service
		}
		return items[i].Name < items[j].Name
	})
	for i := range items {
		if base := ingressBase(&items[i]); base != "" {
			return base, nil
		}
	}
	return "", nil
}

// ingressBase is the base URL an Ingress serves the Dashboard at, or "".
func ingressBase(ing *networkingv1.Ingress) string {
	toDashboard := func(b *networkingv1.IngressBackend) bool {
		return b != nil && b.Service != nil && b.Service.Name == Service
	}
	var rule *networkingv1.IngressRule
	path := ""
	// First the first rule that routes to the Dashboard's Service...
	for i := range ing.Spec.Rules {
		r := &ing.Spec.Rules[i]
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if toDashboard(&p.Backend) {
				rule, path = r, p.Path
				break
			}
		}
		if rule != nil {
			break
		}
	}
	// ...else, for an Ingress of the Dashboard (by its name or default
	// backend), its first rule.
	if rule == nil {
		if ing.Name != Service && !toDashboard(ing.Spec.DefaultBackend) {
			return ""
		}
		if len(ing.Spec.Rules) > 0 {
			rule = &ing.Spec.Rules[0]
		}
	}
	host := ""
	if rule != nil {
		host = rule.Host
	}
	if host == "" {
		// A rule for any host: the address the ingress controller published.
		for _, lb := range ing.Status.LoadBalancer.Ingress {
			if host = lb.Hostname; host == "" {
				host = lb.IP
			}
			if host != "" {
				break
			}
		}
	}
	if host == "" || strings.Contains(host, "*") {
		return ""
	}
	scheme := "http"
	for _, tls := range ing.Spec.TLS {
		// TLS without hosts covers the controller's default host: every host.
		if len(tls.Hosts) == 0 || contains(tls.Hosts, host) {
			scheme = "https"
			break
		}
	}
	return scheme + "://" + hostPort(host, "") + prefix(path)
}

// plainPath is a path prefix that is no regular expression (ingress-nginx
// rewrites use those) and can be put in front of the Dashboard's own URL.
var plainPath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)

func prefix(p string) string {
	if !plainPath.MatchString(p) {
		return ""
	}
	return strings.TrimRight(p, "/")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// route is the part of an OpenShift Route (route.openshift.io/v1) read here.
type route struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Host string `json:"host"`
		Path string `json:"path"`
		To   struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"to"`
		TLS *struct{} `json:"tls"`
	} `json:"spec"`
	Status struct {
		Ingress []struct {
			Host string `json:"host"`
		} `json:"ingress"`
	} `json:"status"`
}

// fromRoutes reads OpenShift Routes through the core client's connection
// (a plain GET; a cluster that does not serve the API answers 404). A client
// without a REST connection (a fake) has none to read.
func fromRoutes(ctx context.Context, kube kubernetes.Interface, ns string) (string, error) {
	d := kube.Discovery()
	if d == nil {
		return "", nil
	}
	rc := d.RESTClient()
	if isNil(rc) {
		return "", nil
	}
	raw, err := rc.Get().AbsPath("/apis/route.openshift.io/v1/namespaces", ns, "routes").SetHeader("Accept", "application/json").DoRaw(ctx)
	if err != nil {
		if ignorable(err) {
			return "", nil
		}
		return "", fmt.Errorf("listing routes in %s: %w", ns, err)
	}
	var list struct {
		Items []route `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("reading the routes in %s: %w", ns, err)
	}
	return routeBase(list.Items), nil
}

func isNil(rc rest.Interface) bool {
	if rc == nil {
		return true
	}
	c, ok := rc.(*rest.RESTClient)
	return ok && c == nil
}

func routeBase(routes []route) string {
	sort.SliceStable(routes, func(i, j int) bool {
		if (routes[i].Metadata.Name == Service) != (routes[j].Metadata.Name == Service) {
			return routes[i].Metadata.Name == Service
		}
		return routes[i].Metadata.Name < routes[j].Metadata.Name
	})
	for _, r := range routes {
		toDashboard := (r.Spec.To.Kind == "" || r.Spec.To.Kind == "Service") && r.Spec.To.Name == Service
		if !toDashboard && r.Metadata.Name != Service {
			continue
		}
		host := r.Spec.Host
		if host == "" && len(r.Status.Ingress) > 0 {
			host = r.Status.Ingress[0].Host
		}
		if host == "" || strings.Contains(host, "*") {
			continue
		}
		scheme := "http"
		if r.Spec.TLS != nil {
			scheme = "https"
		}
		return scheme + "://" + hostPort(host, "") + prefix(r.Spec.Path)
	}
	return ""
}

func fromService(ctx context.Context, kube kubernetes.Interface, ns string) (string, error) {
	svc, err := kube.CoreV1().Services(ns).Get(ctx, Service, metav1.GetOptions{})
	if err != nil {
		if ignorable(err) {
			return "", nil
		}
		return "", fmt.Errorf("reading service %s/%s: %w", ns, Service, err)
	}
	return serviceBase(svc), nil
}

// serviceBase is a LoadBalancer Service's published address, or "".
func serviceBase(svc *corev1.Service) string {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Spec.Ports) == 0 {
		return ""
	}
	host := ""
	for _, lb := range svc.Status.LoadBalancer.Ingress {
		if host = lb.Hostname; host == "" {
			host = lb.IP
		}
		if host != "" {
			break
		}
	}
	if host == "" {
		return ""
	}
	port := svc.Spec.Ports[0]
	for _, p := range svc.Spec.Ports {
		if p.Name == "http" || p.Name == "https" {
			port = p
			break
		}
	}
	scheme := "http"
	if port.Name == "https" || port.Port == 443 {
		scheme = "https"
	}
	p := strconv.Itoa(int(port.Port))
	if (scheme == "http" && port.Port == 80) || (scheme == "https" && port.Port == 443) {
		p = ""
	}
	return scheme + "://" + hostPort(host, p)
}

// hostPort joins host and an optional port, bracketing IPv6 addresses.
func hostPort(host, port string) string {
	if port != "" {
		return net.JoinHostPort(host, port)
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

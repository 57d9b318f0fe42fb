package dashboard

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	fakerest "k8s.io/client-go/rest/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestRunURL(t *testing.T) {
	cases := map[string]struct{ base, ns, name, want string }{
		"the Dashboard's hash route":  {"http://tekton-dashboard.127.0.0.1.nip.io", "ml", "train-x7k2p", "http://tekton-dashboard.127.0.0.1.nip.io/#/namespaces/ml/pipelineruns/train-x7k2p"},
		"trailing slash":              {"https://ci.example.com/", "ml", "r", "https://ci.example.com/#/namespaces/ml/pipelineruns/r"},
		"served under a path":         {"https://ci.example.com/tekton", "team-a", "r", "https://ci.example.com/tekton/#/namespaces/team-a/pipelineruns/r"},
		"no Dashboard known, no link": {"", "ml", "r", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := RunURL(c.base, c.ns, c.name); got != c.want {
				t.Errorf("RunURL(%q, %q, %q) = %q, want %q", c.base, c.ns, c.name, got, c.want)
			}
		})
	}
}

func TestParseBase(t *testing.T) {
	good := map[string]string{
		"https://tekton.example.com":                 "https://tekton.example.com",
		"https://tekton.example.com/":                "https://tekton.example.com",
		" http://10.0.0.5:9097/ ":                    "http://10.0.0.5:9097",
		"https://ci.example.com/tekton/":             "https://ci.example.com/tekton",
		"https://ci.example.com/#/pipelineruns?x=1":  "https://ci.example.com",
		"https://ci.example.com/tekton?tab=logs#/ns": "https://ci.example.com/tekton",
	}
	for in, want := range good {
		got, err := ParseBase(in)
		if err != nil || got != want {
			t.Errorf("ParseBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"tekton.example.com", "ftp://tekton.example.com", "https://", "/relative", "http://[::1"} {
		if got, err := ParseBase(in); err == nil {
			t.Errorf("ParseBase(%q) = %q, want an error", in, got)
		}
	}
}

func ingress(name string, mutate func(*networkingv1.Ingress)) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "tekton-dashboard.127.0.0.1.nip.io",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: Service, Port: networkingv1.ServiceBackendPort{Number: 9097}}},
			}}}},
		}}},
	}
	if mutate != nil {
		mutate(ing)
	}
	return ing
}

func lbService(mutate func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: Service, Namespace: Namespace},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Name: "http", Port: 9097}}},
		Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}}}},
	}
	if mutate != nil {
		mutate(svc)
	}
	return svc
}

func TestDiscoverIngressAndService(t *testing.T) {
	cases := map[string]struct {
		objs []runtime.Object
		want string
	}{
		"nothing installed": {nil, ""},
		"the Dashboard's Ingress (installer --ingress-url)": {
			[]runtime.Object{ingress(Service, nil)}, "http://tekton-dashboard.127.0.0.1.nip.io",
		},
		"TLS for its host": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) {
				i.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"other.example.com"}}, {Hosts: []string{"tekton-dashboard.127.0.0.1.nip.io"}, SecretName: "tls"}}
			})}, "https://tekton-dashboard.127.0.0.1.nip.io",
		},
		"TLS for another host only": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) {
				i.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"other.example.com"}}}
			})}, "http://tekton-dashboard.127.0.0.1.nip.io",
		},
		"TLS without hosts covers every host": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) { i.Spec.TLS = []networkingv1.IngressTLS{{SecretName: "tls"}} })},
			"https://tekton-dashboard.127.0.0.1.nip.io",
		},
		"any name, routing to the Dashboard's Service, under a path": {
			[]runtime.Object{ingress("ci", func(i *networkingv1.Ingress) {
				i.Spec.Rules[0].Host = "ci.example.com"
				i.Spec.Rules[0].HTTP.Paths[0].Path = "/tekton/"
			})}, "http://ci.example.com/tekton",
		},
		"a rewrite regex is no prefix": {
			[]runtime.Object{ingress("ci", func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].Path = "/tekton(/|$)(.*)" })},
			"http://tekton-dashboard.127.0.0.1.nip.io",
		},
		"an Ingress of something else is not the Dashboard": {
			[]runtime.Object{ingress("el-listener", func(i *networkingv1.Ingress) {
				i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "el-listener"
			})}, "",
		},
		"the first rule that routes to the Dashboard": {
			[]runtime.Object{ingress("shared", func(i *networkingv1.Ingress) {
				other := i.Spec.Rules[0].DeepCopy()
				other.Host = "hooks.example.com"
				other.HTTP.Paths[0].Backend.Service.Name = "el-listener"
				i.Spec.Rules = append([]networkingv1.IngressRule{*other}, i.Spec.Rules...)
			})}, "http://tekton-dashboard.127.0.0.1.nip.io",
		},
		"named tekton-dashboard, in front of a proxy: its first rule": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) {
				i.Spec.Rules[0].Host = "dash.example.com"
				i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "oauth2-proxy"
			})}, "http://dash.example.com",
		},
		"named tekton-dashboard wins over another": {
			[]runtime.Object{
				ingress("a-first-by-name", func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "a.example.com" }),
				ingress(Service, nil),
			}, "http://tekton-dashboard.127.0.0.1.nip.io",
		},
		"a rule for any host: the controller's address": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) {
				i.Spec.Rules[0].Host = ""
				i.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "198.51.100.4"}}
			})}, "http://198.51.100.4",
		},
		"a rule for any host, no address yet": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "" })}, "",
		},
		"a wildcard host cannot be opened": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "*.example.com" })}, "",
		},
		"an Ingress in another namespace is not Tekton's": {
			[]runtime.Object{ingress(Service, func(i *networkingv1.Ingress) { i.Namespace = "default" })}, "",
		},
		"a LoadBalancer Service": {
			[]runtime.Object{lbService(nil)}, "http://203.0.113.7:9097",
		},
		"a LoadBalancer Service on 443 with a hostname": {
			[]runtime.Object{lbService(func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{{Name: "https", Port: 443}}
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "lb.example.com"}}
			})}, "https://lb.example.com",
		},
		"a LoadBalancer with an IPv6 address on 80": {
			[]runtime.Object{lbService(func(s *corev1.Service) {
				s.Spec.Ports[0].Port = 80
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "2001:db8::7"}}
			})}, "http://[2001:db8::7]",
		},
		"a LoadBalancer still pending": {
			[]runtime.Object{lbService(func(s *corev1.Service) { s.Status.LoadBalancer.Ingress = nil })}, "",
		},
		"a ClusterIP Service (the default install) is not reachable": {
			[]runtime.Object{lbService(func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP })}, "",
		},
		"an Ingress wins over the Service": {
			[]runtime.Object{lbService(nil), ingress(Service, nil)}, "http://tekton-dashboard.127.0.0.1.nip.io",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Discover(context.Background(), fake.NewClientset(c.objs...), Namespace)
			if err != nil || got != c.want {
				t.Errorf("Discover = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestDiscoverNeverFails(t *testing.T) {
	if got, err := Discover(context.Background(), nil, Namespace); got != "" || err != nil {
		t.Errorf("no client: %q, %v", got, err)
	}
	// A user who may not read Tekton's namespace gets no link; err says why, for -v.
	kube := fake.NewClientset(lbService(nil))
	kube.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: a.GetResource().Resource}, "", nil)
	})
	got, err := Discover(context.Background(), kube, Namespace)
	if got != "" || err == nil || !apierrors.IsForbidden(err) {
		t.Errorf("forbidden: %q, %v; want no link and the forbidden error", got, err)
	}
	// One source forbidden, another readable: the link, no error.
	kube = fake.NewClientset(lbService(nil))
	kube.PrependReactor("list", "ingresses", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}, "", nil)
	})
	if got, err := Discover(context.Background(), kube, Namespace); got != "http://203.0.113.7:9097" || err != nil {
		t.Errorf("ingresses forbidden, service readable: %q, %v", got, err)
	}
}

// withREST gives a fake clientset the REST connection Routes are read through.
type withREST struct {
	kubernetes.Interface
	rc rest.Interface
}

func (w withREST) Discovery() discovery.DiscoveryInterfaces {
	return restDiscovery{w.Interface.Discovery(), w.rc}
}

type restDiscovery struct {
	discovery.DiscoveryInterfaces
	rc rest.Interface
}

func (d restDiscovery) RESTClient() rest.Interface { return d.rc }

// routesAnswer serves GET .../routes with status and body, recording the path.
func routesAnswer(status int, body string, path *string) rest.Interface {
	return &fakerest.RESTClient{
		NegotiatedSerializer: scheme.Codecs.WithoutConversion(),
		Client: fakerest.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			*path = req.URL.Path
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
		}),
	}
}

func TestDiscoverOpenShiftRoute(t *testing.T) {
	const routes = `{"kind":"RouteList","apiVersion":"route.openshift.io/v1","items":[
	  {"metadata":{"name":"el-hooks"},"spec":{"host":"hooks.apps.example.com","to":{"kind":"Service","name":"el-hooks"}}},
	  {"metadata":{"name":"dashboard"},"spec":{"host":"tekton.apps.example.com","to":{"kind":"Service","name":"tekton-dashboard"},"tls":{"termination":"edge"}}}]}`
	var path string
	kube := withREST{fake.NewClientset(lbService(nil)), routesAnswer(http.StatusOK, routes, &path)}
	got, err := Discover(context.Background(), kube, Namespace)
	if got != "https://tekton.apps.example.com" || err != nil {
		t.Errorf("Discover = %q, %v; want the Route's https host (over the LoadBalancer)", got, err)
	}
	if path != "/apis/route.openshift.io/v1/namespaces/tekton-pipelines/routes" {
		t.Errorf("read %s", path)
	}

	// A Route without TLS, its host only in status.
	kube = withREST{fake.NewClientset(), routesAnswer(http.StatusOK, `{"items":[{"metadata":{"name":"tekton-dashboard"},"spec":{"to":{"name":"tekton-dashboard"}},"status":{"ingress":[{"host":"td.apps.example.com"}]}}]}`, &path)}
	if got, err := Discover(context.Background(), kube, Namespace); got != "http://td.apps.example.com" || err != nil {
		t.Errorf("Discover = %q, %v", got, err)
	}

	// Not OpenShift: the API is not served (404), which is no error.
	kube = withREST{fake.NewClientset(), routesAnswer(http.StatusNotFound, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`, &path)}
	if got, err := Discover(context.Background(), kube, Namespace); got != "" || err != nil {
		t.Errorf("no Route API: %q, %v; want no link, no error", got, err)
	}

	// Forbidden: no link, the reason for -v.
	kube = withREST{fake.NewClientset(), routesAnswer(http.StatusForbidden, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}`, &path)}
	if got, err := Discover(context.Background(), kube, Namespace); got != "" || !apierrors.IsForbidden(err) {
		t.Errorf("forbidden routes: %q, %v", got, err)
	}
}

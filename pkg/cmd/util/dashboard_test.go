package util

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func dashboardIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "tekton-dashboard", Namespace: "tekton-pipelines"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "tekton-dashboard.127.0.0.1.nip.io",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "tekton-dashboard"}},
			}}}},
		}}},
	}
}

func TestDashboardPrecedence(t *testing.T) {
	discovered := "http://tekton-dashboard.127.0.0.1.nip.io/#/namespaces/ml/pipelineruns/r"
	cases := map[string]struct {
		flag, env string
		want      string
		warning   string
	}{
		"discovered":                     {want: discovered},
		"the environment over discovery": {env: "https://env.example.com/", want: "https://env.example.com/#/namespaces/ml/pipelineruns/r"},
		"the flag over the environment":  {flag: "https://flag.example.com", env: "https://env.example.com", want: "https://flag.example.com/#/namespaces/ml/pipelineruns/r"},
		"none in the flag: no link":      {flag: "none", env: "https://env.example.com", want: ""},
		"none in the environment":        {env: "none", want: ""},
		"a bad environment is a warning": {env: "env.example.com", want: discovered, warning: `Warning: MLPIPE_DASHBOARD_URL: "env.example.com" is not an absolute http(s) URL`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("MLPIPE_DASHBOARD_URL", c.env)
			var d Dashboard
			if c.flag != "" {
				if err := d.Set(c.flag); err != nil {
					t.Fatal(err)
				}
			}
			var errOut bytes.Buffer
			kube := fake.NewClientset(dashboardIngress())
			if got := d.RunURL(context.Background(), &errOut, kube, "ml", "r"); got != c.want {
				t.Errorf("RunURL = %q, want %q", got, c.want)
			}
			if c.warning == "" && errOut.Len() > 0 || !strings.Contains(errOut.String(), c.warning) {
				t.Errorf("stderr %q, want %q", errOut.String(), c.warning)
			}
			// Discovery is asked only when neither the flag nor the environment answers.
			asked := len(kube.Actions()) > 0
			if wantAsked := c.flag == "" && (c.env == "" || c.warning != ""); asked != wantAsked {
				t.Errorf("discovery sent requests: %v, want %v (%v)", asked, wantAsked, kube.Actions())
			}
		})
	}
}

func TestDashboardResolvesOnce(t *testing.T) {
	t.Setenv("MLPIPE_DASHBOARD_URL", "")
	kube := fake.NewClientset(dashboardIngress())
	var d Dashboard
	var errOut bytes.Buffer
	for _, name := range []string{"a", "b", "c"} {
		if got := d.RunURL(context.Background(), &errOut, kube, "ml", name); !strings.HasSuffix(got, "/#/namespaces/ml/pipelineruns/"+name) {
			t.Errorf("RunURL(%s) = %q", name, got)
		}
	}
	// One lookup (an Ingress list, a Service get) for the whole command.
	if n := len(kube.Actions()); n != 2 {
		t.Errorf("%d requests for three links, want 2: %v", n, kube.Actions())
	}
}

func TestDashboardNoLinkNoError(t *testing.T) {
	t.Setenv("MLPIPE_DASHBOARD_URL", "")
	var d Dashboard
	var errOut bytes.Buffer
	// A ClusterIP Service (the Dashboard's default install) and no Ingress: no link.
	kube := fake.NewClientset(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "tekton-dashboard", Namespace: "tekton-pipelines"}})
	d.PrintRunURL(context.Background(), &errOut, kube, "ml", "r")
	if errOut.Len() != 0 {
		t.Errorf("printed %q", errOut.String())
	}
	// No client at all (a client-side command): no link.
	var d2 Dashboard
	d2.PrintRunURL(context.Background(), &errOut, nil, "ml", "r")
	if errOut.Len() != 0 {
		t.Errorf("printed %q", errOut.String())
	}
}

func TestDashboardFlag(t *testing.T) {
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	var d Dashboard
	AddDashboardFlag(cmd, &d)
	if err := cmd.ParseFlags([]string{"--dashboard-url", "https://tekton.example.com/"}); err != nil {
		t.Fatal(err)
	}
	if d.String() != "https://tekton.example.com" {
		t.Errorf("flag = %q", d.String())
	}
	var bad Dashboard
	cmd = &cobra.Command{Use: "x"}
	AddDashboardFlag(cmd, &bad)
	err := cmd.ParseFlags([]string{"--dashboard-url=tekton.example.com"})
	if err == nil || !strings.Contains(err.Error(), `"tekton.example.com" is not an absolute http(s) URL`) {
		t.Errorf("bad URL: %v", err)
	}
	// What run prints after creating the run.
	var buf bytes.Buffer
	var lb Dashboard
	if err := lb.Set("http://10.0.0.5:9097/"); err != nil {
		t.Fatal(err)
	}
	lb.PrintRunURL(context.Background(), &buf, nil, "ml", "r")
	if got := buf.String(); got != "dashboard: http://10.0.0.5:9097/#/namespaces/ml/pipelineruns/r\n" {
		t.Errorf("printed %q", got)
	}
}

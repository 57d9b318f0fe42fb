//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Tekton Dashboard link of run, describe and list -o wide. Discovery
// reads Tekton's namespace, shared by every test, so the test that creates
// the Dashboard's Ingress there is not parallel (no parallel test runs
// beside it) and deletes it again; the others give --dashboard-url or
// $MLPIPE_DASHBOARD_URL, which discovery never overrides.

const dashboardHost = "tekton-dashboard.127.0.0.1.nip.io"

// mlpipeEnv is mlpipe with env added (it wins over this process's own), and
// $MLPIPE_DASHBOARD_URL unset unless env sets it.
func mlpipeEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return commandEnv(t, append([]string{"MLPIPE_DASHBOARD_URL="}, env...), "", "kubectl", append([]string{"mlpipe"}, args...)...)
}

// dashboardLinks checks what run (on stderr), describe and list -o wide
// say about the run's Dashboard page: want is the link, or "" for none.
func dashboardLinks(t *testing.T, env []string, ns, name, want string, args ...string) {
	t.Helper()
	d := mlpipeEnv(t, env, append([]string{"describe", "-n", ns, name}, args...)...)
	if d.Code != 0 {
		t.Fatalf("describe: exit %d\n%s", d.Code, d.Stderr)
	}
	line := regexp.MustCompile(`(?m)^Dashboard: (.*)$`).FindStringSubmatch(d.Stdout)
	switch {
	case want == "" && line != nil:
		t.Errorf("describe shows a Dashboard link where none is known:\n%s", d.Stdout)
	case want != "" && (line == nil || line[1] != want):
		t.Errorf("describe: want the line %q:\n%s", "Dashboard: "+want, d.Stdout)
	}
	if d.Stderr != "" {
		t.Errorf("describe wrote on stderr: %s", d.Stderr)
	}
	l := mlpipeEnv(t, env, append([]string{"list", "-n", ns, "-o", "wide"}, args...)...)
	if l.Code != 0 {
		t.Fatalf("list -o wide: exit %d\n%s", l.Code, l.Stderr)
	}
	cell := "-"
	if want != "" {
		cell = want
	}
	if !regexp.MustCompile(`(?m)^NAME\s.*\sREASON\s+DASHBOARD$`).MatchString(l.Stdout) ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(name)+`\s.*\s`+regexp.QuoteMeta(cell)+`$`).MatchString(l.Stdout) {
		t.Errorf("list -o wide: want %s in the DASHBOARD column:\n%s", cell, l.Stdout)
	}
	if plain := mlpipeEnv(t, env, append([]string{"list", "-n", ns}, args...)...); strings.Contains(plain.Stdout, "DASHBOARD") || (want != "" && strings.Contains(plain.Stdout, want)) {
		t.Errorf("list without -o wide shows the Dashboard:\n%s", plain.Stdout)
	}
}

// runWithLink runs the training example (simulated nodes; nothing waits)
// and checks the "dashboard:" line on stderr: want with NAME in place of
// the run's name, or "" for none. It returns the run's name.
func runWithLink(t *testing.T, env []string, ns, want string, args ...string) string {
	t.Helper()
	r := mlpipeEnv(t, env, append([]string{"run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml"), "-o", "name"}, args...)...)
	if r.Code != 0 {
		t.Fatalf("run: exit %d\n%s", r.Code, r.Stderr)
	}
	name := createdName(t, r)
	line := regexp.MustCompile(`(?m)^dashboard: (.*)$`).FindStringSubmatch(r.Stderr)
	switch want = strings.ReplaceAll(want, "NAME", name); {
	case want == "" && line != nil:
		t.Errorf("run printed a Dashboard link where none is known:\n%s", r.Stderr)
	case want != "" && (line == nil || line[1] != want):
		t.Errorf("run: want %q on stderr:\n%s", "dashboard: "+want, r.Stderr)
	}
	return name
}

func TestDashboardLinkFromFlagAndEnvironment(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	flag := "https://ci.example.com/tekton/"
	base := "https://ci.example.com/tekton/#/namespaces/" + ns + "/pipelineruns/"
	name := runWithLink(t, nil, ns, base+"NAME", "--dashboard-url", flag)
	dashboardLinks(t, nil, ns, name, base+name, "--dashboard-url", flag)

	env := []string{"MLPIPE_DASHBOARD_URL=http://10.0.0.5:9097"}
	envBase := "http://10.0.0.5:9097/#/namespaces/" + ns + "/pipelineruns/"
	runWithLink(t, env, ns, envBase+"NAME")
	dashboardLinks(t, env, ns, name, envBase+name)
	// The flag wins over the environment; none turns the link off.
	dashboardLinks(t, env, ns, name, base+name, "--dashboard-url", flag)
	dashboardLinks(t, env, ns, name, "", "--dashboard-url", "none")

	// A dry run creates nothing, so it links to nothing.
	for _, mode := range []string{"client", "server"} {
		r := mlpipeEnv(t, nil, "run", "-n", ns, "-f", filepath.Join(repoRoot, "examples", "training.yaml"), "--dry-run="+mode, "-o", "name", "--dashboard-url", flag)
		if r.Code != 0 || strings.Contains(r.Stderr, "dashboard:") {
			t.Errorf("run --dry-run=%s: exit %d, stderr:\n%s", mode, r.Code, r.Stderr)
		}
	}
	// A bad URL is a usage error, before anything is sent.
	if r := mlpipeEnv(t, nil, "describe", "-n", ns, name, "--dashboard-url", "ci.example.com"); r.Code != 2 || !strings.Contains(r.Stderr, `"ci.example.com" is not an absolute http(s) URL`) {
		t.Errorf("--dashboard-url ci.example.com: exit %d\n%s", r.Code, r.Stderr)
	}
}

// Found in the cluster: no Dashboard, no link and no error; the Ingress a
// Dashboard install creates (scripts/installer --ingress-url), then with
// TLS; a user who may not read Tekton's namespace gets no link, exit 0.
func TestDashboardLinkDiscovered(t *testing.T) {
	ctx := context.Background()
	ingresses := kube.NetworkingV1().Ingresses("tekton-pipelines")
	if list, err := ingresses.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) > 0 {
		t.Fatalf("the test needs tekton-pipelines without Ingresses; found %v (%v)", list, err)
	}
	ns := namespace(t)
	name := runWithLink(t, nil, ns, "")
	dashboardLinks(t, nil, ns, name, "")

	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "tekton-dashboard", Namespace: "tekton-pipelines"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: dashboardHost,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				PathType: ptr(networkingv1.PathTypeImplementationSpecific),
				Backend:  networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "tekton-dashboard", Port: networkingv1.ServiceBackendPort{Number: 9097}}},
			}}}},
		}}},
	}
	created, err := ingresses.Create(ctx, ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ingresses.Delete(context.Background(), ing.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting the Ingress: %v", err)
		}
	})
	link := "http://" + dashboardHost + "/#/namespaces/" + ns + "/pipelineruns/"
	dashboardLinks(t, nil, ns, name, link+name)
	second := runWithLink(t, nil, ns, link+"NAME")
	dashboardLinks(t, nil, ns, second, link+second)
	// The flag still wins over what is found.
	dashboardLinks(t, nil, ns, name, "https://mine.example.com/#/namespaces/"+ns+"/pipelineruns/"+name, "--dashboard-url", "https://mine.example.com")

	// TLS for the host: https.
	created.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{dashboardHost}, SecretName: "tekton-dashboard-tls"}}
	if _, err := ingresses.Update(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	dashboardLinks(t, nil, ns, name, "https://"+dashboardHost+"/#/namespaces/"+ns+"/pipelineruns/"+name)

	// A ServiceAccount that may read runs in its namespace, not Ingresses in
	// tekton-pipelines: the commands work, with no link; -v=1 says why.
	sa := readerKubeconfig(t, ns)
	r := mlpipeEnv(t, nil, "describe", "--kubeconfig", sa, name, "-v=1")
	if r.Code != 0 || strings.Contains(r.Stdout, "Dashboard:") {
		t.Errorf("describe as a reader: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "no Tekton Dashboard link from tekton-pipelines") || !strings.Contains(r.Stderr, "forbidden") {
		t.Errorf("describe -v=1 as a reader does not say why there is no link:\n%s", r.Stderr)
	}
	l := mlpipeEnv(t, nil, "list", "--kubeconfig", sa, "-o", "wide")
	if l.Code != 0 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(name)+`\s.*\s-$`).MatchString(l.Stdout) || l.Stderr != "" {
		t.Errorf("list -o wide as a reader: exit %d\n%s\n%s", l.Code, l.Stdout, l.Stderr)
	}

	// Gone again: no link.
	if err := ingresses.Delete(ctx, ing.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	dashboardLinks(t, nil, ns, name, "")
}

func ptr[T any](v T) *T { return &v }

// readerKubeconfig is a kubeconfig for ns's default ServiceAccount, bound to
// a Role that reads runs, their TaskRuns, pods and events in ns only.
func readerKubeconfig(t *testing.T, ns string) string {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "run-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"pods", "events"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
	if _, err := kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "run-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: ns}},
	}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expiry := int64(600)
	tr, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	server := regexp.MustCompile(`server: (\S+)`).FindStringSubmatch(string(raw))[1]
	ca := regexp.MustCompile(`certificate-authority(-data)?: (\S+)`).FindStringSubmatch(string(raw))
	caLine := "certificate-authority: " + ca[2]
	if ca[1] != "" {
		caLine = "certificate-authority-data: " + ca[2]
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + server + "\n    " + caLine +
		"\nusers:\n- name: reader\n  user:\n    token: " + tr.Status.Token + "\ncontexts:\n- name: reader\n  context: {cluster: local, user: reader, namespace: " + ns + "}\ncurrent-context: reader\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The authorizer sees the new binding a moment later.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		r := mlpipeEnv(t, nil, "list", "--kubeconfig", kc)
		if r.Code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader cannot list runs: %s", r.Stderr)
		}
	}
	return kc
}

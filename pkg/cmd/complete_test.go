package cmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -p completes NAME= from the spec of -f, leaving out params already set;
// --context, --cluster and --user complete from the kubeconfig.
func TestFlagCompletions(t *testing.T) {
	training := filepath.Join(examplesDir, "training.yaml")
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: "https://127.0.0.1:1"}}, {name: lab, cluster: {server: "https://127.0.0.1:2"}}]
users: [{name: alice, user: {}}]
contexts: [{name: prod-admin, context: {cluster: prod, user: alice}}, {name: lab-admin, context: {cluster: lab, user: alice}}]
current-context: lab-admin
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "run", "-f", training, "-p", ""}, "learning-rate=\tdefault 0.01\nepochs=\tdefault 10\ndeploy=\tdefault false\n:6\n"},
		{[]string{"__complete", "render", "-f", training, "-p", "epochs=3", "-p", "de"}, "deploy=\tdefault false\n:6\n"},
		{[]string{"__complete", "validate", "-p", ""}, ":4\n"},
		{[]string{"__complete", "list", "--kubeconfig", kubeconfig, "--context", ""}, "lab-admin\nprod-admin\n:4\n"},
		{[]string{"__complete", "describe", "--kubeconfig", kubeconfig, "--cluster", "p"}, "prod\n:4\n"},
		{[]string{"__complete", "logs", "--kubeconfig", kubeconfig, "--user", ""}, "alice\n:4\n"},
	} {
		stdout, _, code := run(t, c.args...)
		if code != 0 || stdout != c.want {
			t.Errorf("%s: exit %d\n%q\nwant\n%q", strings.Join(c.args, " "), code, stdout, c.want)
		}
	}
}

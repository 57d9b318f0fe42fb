//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// completions runs a shell's completion request and returns the candidates
// (cobra prints them one a line, then ":<directive>").
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	r := must(t, kubectl(t, "", args...), strings.Join(args, " "))
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if strings.HasPrefix(l, ":") {
			break
		}
		out = append(out, strings.SplitN(l, "\t", 2)[0])
	}
	return out
}

// Run and step names complete, both through kubectl's plugin completion
// (the kubectl_complete-mlpipe shim on PATH) and the plugin's own.
func TestCompletion(t *testing.T) {
	shim, err := os.ReadFile(filepath.Join(repoRoot, "kubectl_complete-mlpipe"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(binDir, "kubectl_complete-mlpipe"), shim, 0o755); err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	failing := runName(t, must(t, mlpipe(t, failingSpec, "run", "-n", ns, "-f", "-"), "run").Stdout)
	// Creation times have whole seconds: let the newest be clearly newest.
	time.Sleep(1100 * time.Millisecond)
	pending := runName(t, must(t, mlpipe(t, untoleratedGPU, "run", "-n", ns, "-f", "-"), "run").Stdout)

	for _, c := range []struct {
		args []string
		want string
	}{
		// Through kubectl, as TAB after `kubectl mlpipe logs ` asks.
		{[]string{"__complete", "mlpipe", "logs", "-n", ns, ""}, pending + "," + failing},
		{[]string{"__complete", "mlpipe", "logs", "-n", ns, failing, ""}, "prepare,train,evaluate,deploy,notify"},
		{[]string{"__complete", "mlpipe", "logs", "-n", ns, failing, "tr"}, "train"},
		// The plugin's own completion command.
		{[]string{"mlpipe", "__complete", "describe", "-n", ns, "fail"}, failing},
		{[]string{"mlpipe", "__complete", "cancel", "-n", ns, pending, ""}, failing},
		{[]string{"mlpipe", "__complete", "delete", "-n", ns, "--pipeline", ""}, "failing,untolerated"},
		{[]string{"mlpipe", "__complete", "list", "-n", ns, ""}, "failing,untolerated"},
		{[]string{"mlpipe", "__complete", "logs", "-n", ns, "--last", ""}, "failing,untolerated"},
		{[]string{"mlpipe", "__complete", "describe", "-n", ns, "--last", "unt"}, "untolerated"},
		// -n from the cluster's namespaces, as kubectl completes it.
		{[]string{"__complete", "mlpipe", "list", "-n", ns[:len(ns)-2]}, ns},
	} {
		if got := strings.Join(completions(t, c.args...), ","); got != c.want {
			t.Errorf("kubectl %s\n got: %s\nwant: %s", strings.Join(c.args, " "), got, c.want)
		}
	}
}

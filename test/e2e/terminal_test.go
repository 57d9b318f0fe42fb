//go:build e2e

package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// onTerminal runs `kubectl mlpipe args…` under a pseudo-terminal (util-linux
// script), as a user at a shell would, and returns what the terminal got.
func onTerminal(t *testing.T, env []string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script (util-linux) is needed for a pseudo-terminal")
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cmd := exec.Command("script", "-qefc", "kubectl mlpipe "+strings.Join(quoted, " "), "/dev/null")
	cmd.Dir = repoRoot
	cmd.Env = append(pluginEnv(), "TERM=xterm", "COLUMNS=200", "LINES=50")
	cmd.Env = append(withoutNoColor(cmd.Env), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl mlpipe %s on a terminal: %v\n%q", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func withoutNoColor(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "NO_COLOR=") {
			out = append(out, e)
		}
	}
	return out
}

// On a terminal, --wait keeps one table of the steps under a progress line
// and redraws it in place, in colour unless NO_COLOR is set.
func TestRunWaitOnATerminal(t *testing.T) {
	ns := namespace(t)
	spec := filepath.Join(repoRoot, "examples", "training.yaml")
	out := onTerminal(t, nil, "run", "-n", ns, "-f", spec, "--wait")
	redraws := regexp.MustCompile(`\x1b\[\d+A\x1b\[J`).FindAllString(out, -1)
	if len(redraws) < 3 {
		t.Errorf("want the table redrawn in place (cursor up, clear), got %d redraws:\n%q", len(redraws), out)
	}
	// The last frame: the run done, every step in the table.
	last := out[strings.LastIndex(out, "\x1b[J")+3:]
	plain := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(last, "")
	for _, want := range []string{"Succeeded — 6/6 steps done", "STEP", "load-data", "train", "gpu-a100-1", "notify"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the last frame lacks %q:\n%s", want, plain)
		}
	}
	if !strings.Contains(out, "\x1b[32m") {
		t.Errorf("no colour on a terminal:\n%q", out)
	}
	// One transition line per change is for pipes and logs, not terminals.
	if strings.Contains(out, "] load-data Succeeded after") {
		t.Errorf("transition lines on a terminal:\n%q", out)
	}

	noColor := onTerminal(t, []string{"NO_COLOR=1"}, "run", "-n", ns, "-f", spec, "--wait")
	if regexp.MustCompile(`\x1b\[[0-9;]*m`).MatchString(noColor) {
		t.Errorf("colour despite NO_COLOR:\n%q", noColor)
	}
	if !regexp.MustCompile(`\x1b\[\d+A\x1b\[J`).MatchString(noColor) {
		t.Errorf("NO_COLOR turns off colour, not the in-place table:\n%q", noColor)
	}
}

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	tknOnce sync.Once
	tknPath string
	tknErr  error
)

// tknBinary is tkn, the Tekton CLI, at the version test/cluster/build/tkn
// pins: `test/cluster/build.sh tkn` builds it into the cluster's binary
// cache when it is missing (a cold machine) and prints its path. A tkn of
// that version already built is used as it is, without waiting for the
// build lock another build may hold.
func tknBinary(t *testing.T) string {
	t.Helper()
	tknOnce.Do(func() {
		if p := builtTkn(); p != "" {
			tknPath = p
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot, "test", "cluster", "build.sh"), "tkn")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		cmd.Env = append(os.Environ(), "MLPIPE_CLUSTER_BUILD_QUIET=1")
		if tknErr = cmd.Run(); tknErr == nil {
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			tknPath = lines[len(lines)-1]
		}
	})
	if tknErr != nil {
		t.Fatalf("building tkn (test/cluster/build.sh tkn): %v", tknErr)
	}
	return tknPath
}

// builtTkn is the path of the pinned tkn in the cluster's binary cache
// ($MLPIPE_CLUSTER_CACHE/tkn-VERSION/tkn, as build.sh lays it out) when
// build.sh has finished it (its .stamp is written last), else "".
func builtTkn() string {
	mod, err := os.ReadFile(filepath.Join(repoRoot, "test", "cluster", "build", "tkn", "go.mod"))
	if err != nil {
		return ""
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/tektoncd/cli (v\S+)`).FindSubmatch(mod)
	if m == nil {
		return ""
	}
	cache := os.Getenv("MLPIPE_CLUSTER_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(home, ".cache", "kubectl-mlpipe", "cluster")
	}
	p := filepath.Join(cache, "tkn-"+string(m[1]), "tkn")
	if _, err := os.Stat(p + ".stamp"); err != nil {
		return ""
	}
	return p
}

// tknRun runs tkn against the local cluster, naming the kubeconfig and the
// namespace as a user would.
func tknRun(t *testing.T, ns string, args ...string) string {
	t.Helper()
	args = append(args, "--kubeconfig", kubeconfig, "-n", ns)
	return must(t, command(t, "", tknBinary(t), args...), "tkn "+strings.Join(args, " ")).Stdout
}

// tkn, Tekton's own CLI, reads a run the plugin created and that really ran
// on the real nodes: it lists it with its status, describes its params,
// tasks (and the skipped branch) and the steps' results, and prints the
// lines the steps printed, the same lines `kubectl mlpipe logs` shows.
func TestTknReadsARun(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	tknBinary(t) // before the run: a cold build must not eat into its timeout
	ns := namespace(t)
	spec := filepath.Join(repoRoot, "examples", "runnable", "tiny-regression.yaml")
	r := mlpipe(t, "", "run", "-n", ns, "-f", spec, "--wait", "--timeout", "5m")
	if r.Code != 0 {
		t.Fatalf("run: exit %d\n%s", r.Code, r.Stderr)
	}
	name := runName(t, r.Stdout)
	onRealNode(t, ns, name, map[string]string{"train": realGPU})

	// list: the run, its age, duration and status; -o name is what our verbs take.
	list := tknRun(t, ns, "pipelinerun", "list")
	if !regexp.MustCompile(`(?m)^NAME\s+STARTED\s+DURATION\s+STATUS$`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(name)+`\s+.*\sago\s+\S+\s+Succeeded$`).MatchString(list) {
		t.Errorf("tkn pipelinerun list lacks %s Succeeded:\n%s", name, list)
	}
	byLabel := tknRun(t, ns, "pipelinerun", "list", "--label", "mlpipe.dev/pipeline=tiny-regression", "-o", "name")
	if strings.TrimSpace(byLabel) != "pipelinerun.tekton.dev/"+name {
		t.Errorf("tkn pipelinerun list --label mlpipe.dev/pipeline=tiny-regression -o name = %q", byLabel)
	}
	if d := must(t, mlpipe(t, "", "describe", "-n", ns, strings.TrimSpace(byLabel)), "describe what tkn -o name printed").Stdout; !strings.Contains(d, "Name:      "+name) {
		t.Errorf("describe %s:\n%s", byLabel, d)
	}

	// describe: status, our labels, the params, each task and the skipped branch.
	d := tknRun(t, ns, "pipelinerun", "describe", name)
	for _, re := range []string{
		`(?m)^Name:\s+` + regexp.QuoteMeta(name) + `$`,
		`(?m)^Namespace:\s+` + regexp.QuoteMeta(ns) + `$`,
		`(?m)^ mlpipe\.dev/pipeline=tiny-regression$`,
		`(?m)^ app\.kubernetes\.io/managed-by=kubectl-mlpipe$`,
		`(?m)^\S.*ago\s+\S+\s+Succeeded$`, // the Status table
		`(?m)^ samples\s+120$`, `(?m)^ seed\s+7$`, `(?m)^ epochs\s+400$`, `(?m)^ min-r2\s+0\.9$`,
		`(?m)^Skipped Tasks$`, `(?m)^ review$`,
	} {
		if !regexp.MustCompile(re).MatchString(d) {
			t.Errorf("tkn pipelinerun describe lacks %s:\n%s", re, d)
		}
	}
	for _, task := range []string{"generate", "preprocess", "train", "evaluate", "deploy", "report"} {
		if !regexp.MustCompile(`(?m)^ ` + regexp.QuoteMeta(name+"-"+task) + `\s+` + task + `\s+.*Succeeded$`).MatchString(d) {
			t.Errorf("tkn pipelinerun describe lacks task %s Succeeded:\n%s", task, d)
		}
	}

	// The steps' outputs are their TaskRuns' results: tkn shows the values
	// the steps computed, the ones the API holds.
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name + ",tekton.dev/pipelineTask=evaluate"})
	if err != nil || len(trs.Items) != 1 {
		t.Fatalf("evaluate's TaskRun: %v (%d)", err, len(trs.Items))
	}
	results := map[string]string{}
	for _, res := range trs.Items[0].Status.Results {
		results[res.Name] = res.Value.StringVal
	}
	if !regexp.MustCompile(`^0\.9\d{3}$`).MatchString(results["r2"]) || results["passed"] != "true" {
		t.Fatalf("evaluate's results: %v", results)
	}
	td := tknRun(t, ns, "taskrun", "describe", trs.Items[0].Name)
	for _, re := range []string{`(?m)^Results$`, `(?m)^ r2\s+` + regexp.QuoteMeta(results["r2"]) + `$`, `(?m)^ passed\s+true$`, `(?m)^ min-r2\s+0\.9$`} {
		if !regexp.MustCompile(re).MatchString(td) {
			t.Errorf("tkn taskrun describe lacks %s:\n%s", re, td)
		}
	}

	// logs: what each step printed, in tkn's [task : step] prefix, and the
	// same lines `kubectl mlpipe logs` prints under [step].
	logs := tknRun(t, ns, "pipelinerun", "logs", name)
	for _, want := range []string{
		"[generate : main] generated 120 samples of y = 3x + 2 (seed 7, noise 1.0)",
		"[preprocess : main] split 120 samples: 96 to train, 24 to test",
		"[train : main] epoch 400/400 mse=",
		"[evaluate : main] R² on 24 held-out samples: " + results["r2"] + " (threshold 0.9)",
		"[deploy : main] deploying slope=",
		"[report : main] run " + name + " finished: Completed",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("tkn pipelinerun logs lacks %q:\n%s", want, logs)
		}
	}
	ours := logsOf(t, ns, name)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(ours), "\n") {
		step, text, ok := strings.Cut(strings.TrimPrefix(line, "["), "] ")
		if !ok || !strings.HasPrefix(line, "[") {
			continue
		}
		if want := "[" + step + " : main] " + text; !strings.Contains(logs, want) {
			t.Errorf("kubectl mlpipe logs printed %q; tkn lacks %q", line, want)
		}
		n++
	}
	if n < 10 {
		t.Errorf("kubectl mlpipe logs printed %d step lines:\n%s", n, ours)
	}
}

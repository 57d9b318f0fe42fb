//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// Proofs by execution: these runs land on the local cluster's real kubelet
// nodes (test/cluster/realnodes.sh), where each step's code really runs in
// containerd. Every test checks that its pods ran on a real node, so none can
// pass because KWOK "completed" a pod.

const (
	realCPU = "real-cpu-1"
	realGPU = "real-gpu-1"
)

// runnable is the head of a spec whose steps run on the real CPU node, in
// the busybox image the local cluster builds and imports.
func runnable(name, rest string) string {
	return `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: ` + name + `}
spec:
  image: local.invalid/mlpipe/busybox:1.35
  settings:
    resources: {cpu: 50m, memory: 64Mi}
    pod:
      nodeSelector: {node-pool: cpu, mlpipe.dev/executor: real}
      tolerations: [{key: mlpipe.dev/executor, operator: Equal, value: real, effect: NoSchedule}]
` + rest
}

// requireRealNodes skips nothing: a cluster without real nodes fails here,
// so a KWOK-only cluster cannot make these tests pass vacuously.
func requireRealNodes(t *testing.T) {
	t.Helper()
	for _, n := range []string{realCPU, realGPU} {
		node := node(t, n)
		if node.Labels["mlpipe.dev/executor"] != "real" || node.Annotations["kwok.x-k8s.io/node"] != "" {
			t.Fatalf("node %s is not a real kubelet node (labels %v)", n, node.Labels)
		}
		if !strings.HasPrefix(node.Status.NodeInfo.ContainerRuntimeVersion, "containerd://") {
			t.Fatalf("node %s runs %q, want containerd", n, node.Status.NodeInfo.ContainerRuntimeVersion)
		}
	}
}

// onRealNode checks that every pod of the run that ran a step ran on the
// node given for its step (or realCPU).
func onRealNode(t *testing.T, ns, run string, want map[string]string) map[string]corev1.Pod {
	t.Helper()
	pods := stepPods(t, ns, run)
	for step, p := range pods {
		node := want[step]
		if node == "" {
			node = realCPU
		}
		if p.Spec.NodeName != node {
			t.Errorf("step %s ran on %q, want the real node %s", step, p.Spec.NodeName, node)
		}
	}
	return pods
}

func logsOf(t *testing.T, ns, run string, args ...string) string {
	t.Helper()
	out := must(t, mlpipe(t, "", append([]string{"logs", "-n", ns, run}, args...)...), "logs").Stdout
	if strings.Contains(out, kwokLine) {
		t.Fatalf("logs of %s come from KWOK, not from a real container:\n%s", run, out)
	}
	return out
}

// The demo pipeline computes for real: results flow from step to step, the
// metric decides which branch runs, and each step is on its expected node.
func TestRealDemoComputes(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	spec := filepath.Join(repoRoot, "examples", "runnable", "tiny-regression.yaml")
	cases := []struct {
		name    string
		args    []string
		ran     string // the branch that runs
		skipped string // the branch that is skipped
	}{
		{"passes", nil, "deploy", "review"},
		{"fails the threshold", []string{"-p", "min-r2=1.5"}, "review", "deploy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t)
			r := mlpipe(t, "", append([]string{"run", "-n", ns, "-f", spec, "--wait", "--timeout", "5m"}, c.args...)...)
			if r.Code != 0 {
				t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
			}
			name := runName(t, r.Stdout)
			for _, want := range []string{"train Running on " + realGPU, "generate Running on " + realCPU, c.ran + " Succeeded", c.skipped + " Skipped — When Expressions evaluated to false", "report Succeeded"} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("the view lacks %q:\n%s", want, r.Stderr)
				}
			}
			pods := onRealNode(t, ns, name, map[string]string{"train": realGPU})
			if _, ok := pods[c.skipped]; ok {
				t.Errorf("the skipped branch %s has a pod", c.skipped)
			}
			if _, ok := pods[c.ran]; !ok {
				t.Errorf("the branch %s has no pod", c.ran)
			}

			d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
			model := regexp.MustCompile(`train\.model\s+slope=(\d+\.\d+) intercept=(-?\d+\.\d+)`).FindStringSubmatch(d)
			r2 := regexp.MustCompile(`evaluate\.r2\s+(\d\.\d{4})`).FindStringSubmatch(d)
			if model == nil || r2 == nil {
				t.Fatalf("describe lacks the computed outputs:\n%s", d)
			}
			slope, _ := strconv.ParseFloat(model[1], 64)
			score, _ := strconv.ParseFloat(r2[1], 64)
			if slope < 2.8 || slope > 3.2 || score < 0.9 || score > 1 {
				t.Errorf("the fit is not y ≈ 3x + 2: slope %v, R² %v", slope, score)
			}

			logs := logsOf(t, ns, name)
			for _, want := range []string{
				"[generate] generated 120 samples of y = 3x + 2",
				"[preprocess] split 120 samples: 96 to train, 24 to test",
				"[train] epoch 400/400 mse=",
				"[train] fitted y = " + model[1] + "x + " + model[2] + " on 96 samples",
				"[evaluate] R² on 24 held-out samples: " + r2[1],
				"[report] run " + name + " finished: Completed", // one branch is skipped
			} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
			if c.ran == "deploy" {
				// The downstream step printed what train computed, through the result.
				if want := "[deploy] deploying slope=" + model[1] + " intercept=" + model[2] + " (R² " + r2[1] + ")"; !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
				if !strings.Contains(d, "deploy.endpoint") || !strings.Contains(d, "http://models.local/tiny-regression/"+name) {
					t.Errorf("describe lacks deploy's endpoint:\n%s", d)
				}
			}
		})
	}
}

// A step that exits 3 fails the run; finally still runs and sees Failed;
// a step that outlives its timeout is stopped with Tekton's reason.
func TestRealFailureTimeoutAndFinally(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	spec := runnable("real-failure", `  steps:
    - name: boom
      script: |
        #!/bin/sh
        echo "about to fail"
        exit 3
    - name: slow
      timeout: 15s
      script: |
        #!/bin/sh
        echo "slow started"
        sleep 120
        echo "never printed"
    - {name: after-boom, after: [boom], command: [echo, unreachable]}
  finally:
    - name: report
      script: |
        #!/bin/sh
        echo "status=$(run.status)"
`)
	created := must(t, mlpipe(t, spec, "run", "-n", ns, "-f", "-", "-o", "name"), "run")
	name := strings.TrimPrefix(strings.TrimSpace(created.Stdout), "pipelinerun.tekton.dev/")
	// slow's code really starts before its timeout stops it (Tekton deletes
	// the pod then, and its logs with it).
	waitOwnOutput(t, ns, name, "slow", "slow started")
	if w := mlpipe(t, "", "describe", "-n", ns, name, "-w"); w.Code != 1 {
		t.Fatalf("describe -w: exit %d, want 1 (failed)\n%s", w.Code, w.Stderr)
	}
	onRealNode(t, ns, name, nil)
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Status:\s+Failed`),
		regexp.MustCompile(`(?m)^  boom\s+Failed\s+` + realCPU + `\s.*exit code 3$`),
		regexp.MustCompile(`(?m)^  slow\s+TimedOut\s.*TaskRunTimeout: TaskRun "` + name + `-slow" failed to finish within "15s"`),
		regexp.MustCompile(`(?m)^  after-boom\s+Skipped`),
		regexp.MustCompile(`(?m)^  report \(finally\)\s+Succeeded\s+` + realCPU),
	} {
		if !want.MatchString(d) {
			t.Errorf("describe does not match %s:\n%s", want, d)
		}
	}
	logs := logsOf(t, ns, name)
	for _, want := range []string{"[boom] about to fail", "[report] status=Failed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "never printed") {
		t.Errorf("the timed-out step ran to its end:\n%s", logs)
	}
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name + ",tekton.dev/pipelineTask=slow"})
	if err != nil || len(trs.Items) != 1 {
		t.Fatalf("TaskRun of slow: %v (%d found)", err, len(trs.Items))
	}
	if c := trs.Items[0].Status.GetCondition(apis.ConditionSucceeded); c == nil || c.Reason != "TaskRunTimeout" {
		t.Errorf("slow should end with Tekton's TaskRunTimeout, got %+v", c)
	}
}

// A retried step, files shared through the workspace (a real PVC on the real
// node), and env from a Secret that reaches the step without being shown.
func TestRealRetryWorkspaceAndSecret(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	const token = "tok-3f9a1c-real-node-secret"
	if _, err := kube.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "api"}, StringData: map[string]string{"token": token},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	spec := runnable("real-files", `  workspace: {size: 64Mi, accessModes: [ReadWriteOnce]}
  steps:
    - name: write
      script: |
        #!/bin/sh
        echo "hello from write on $(hostname)" > "$(workspace.path)/greeting"
    - name: flaky
      after: [write]
      retries: 2
      script: |
        #!/bin/sh
        if [ -f "$(workspace.path)/attempted" ]; then echo "second attempt succeeds"; exit 0; fi
        touch "$(workspace.path)/attempted"
        echo "first attempt fails"
        exit 1
    - name: read
      after: [flaky]
      outputs: [greeting]
      script: |
        #!/bin/sh
        cat "$(workspace.path)/greeting"
        head -c 100 "$(workspace.path)/greeting" | tr -d '\n' > "$(outputs.greeting.path)"
    - name: secret
      env:
        - name: API_TOKEN
          valueFrom: {secretKeyRef: {name: api, key: token}}
      script: |
        #!/bin/sh
        printf 'token sha256 %s\n' "$(printf %s "$API_TOKEN" | sha256sum | cut -d' ' -f1)"
`)
	r := mlpipe(t, spec, "run", "-n", ns, "-f", "-", "--wait", "--timeout", "3m")
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	name := runName(t, r.Stdout)
	onRealNode(t, ns, name, nil)
	d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
	if !regexp.MustCompile(`(?m)^  flaky\s+Succeeded\s+` + realCPU + `\s+\S+\s+\S+\s+1\s`).MatchString(d) {
		t.Errorf("describe should show flaky's one retry:\n%s", d)
	}
	if !regexp.MustCompile(`read\.greeting\s+hello from write on \S+`).MatchString(d) {
		t.Errorf("describe lacks the file's content as read's output:\n%s", d)
	}
	logs := logsOf(t, ns, name)
	sum := sha256.Sum256([]byte(token))
	for _, want := range []string{"[flaky] second attempt succeeds", "[read] hello from write on", "[secret] token sha256 " + hex.EncodeToString(sum[:])} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	// Each attempt of the retried step is marked; --tail and --prefix as kubectl logs.
	if !regexp.MustCompile(`\[flaky\] --- attempt 1/3 \(pod [a-z0-9-]+\) ---\n\[flaky\] first attempt fails\n\[flaky\] --- attempt 2/3 \(pod [a-z0-9-]+\) ---\n\[flaky\] second attempt succeeds\n`).MatchString(logs) {
		t.Errorf("logs do not mark flaky's two attempts:\n%s", logs)
	}
	tail := logsOf(t, ns, name, "flaky", "--tail", "1", "--prefix=false")
	if !regexp.MustCompile(`^--- attempt 1/3 \(pod [a-z0-9-]+\) ---\nfirst attempt fails\n--- attempt 2/3 \(pod [a-z0-9-]+\) ---\nsecond attempt succeeds\n$`).MatchString(tail) {
		t.Errorf("logs flaky --tail 1 --prefix=false:\n%s", tail)
	}
	if future := logsOf(t, ns, name, "flaky", "--since-time", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); strings.Contains(future, "attempt succeeds") {
		t.Errorf("logs --since-time in the future printed lines:\n%s", future)
	}
	for _, out := range []string{logs, d, r.Stderr} {
		if strings.Contains(out, token) {
			t.Fatalf("the secret's value was shown:\n%s", out)
		}
	}
	// The workspace was a real volume from the default StorageClass, on the real node.
	pvcs, err := kube.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(pvcs.Items) != 1 {
		t.Fatalf("want one workspace PVC: %v (%d)", err, len(pvcs.Items))
	}
	pv, err := kube.CoreV1().PersistentVolumes().Get(context.Background(), pvcs.Items[0].Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Spec.Local == nil || pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0] != realCPU {
		t.Errorf("the workspace should be a local volume on %s: %+v", realCPU, pv.Spec)
	}
}

// logs -f streams a running step's lines as they are printed, in order, and
// the lines of two concurrent steps stay whole and correctly prefixed.
func TestRealLogsFollowStreams(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	const n = 8
	step := func(s string) string {
		return fmt.Sprintf(`    - name: %[1]s
      script: |
        #!/bin/sh
        for i in $(seq %[2]d); do
          echo "%[1]s line $i of %[2]d"
          echo "%[1]s more $i: the quick brown fox jumps over the lazy dog"
          sleep 1
        done
`, s, n)
	}
	created := must(t, mlpipe(t, runnable("real-stream", "  steps:\n"+step("alpha")+step("bravo")), "run", "-n", ns, "-f", "-", "-o", "name"), "run")
	name := strings.TrimPrefix(strings.TrimSpace(created.Stdout), "pipelinerun.tekton.dev/")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", "mlpipe", "logs", "-n", ns, name, "-f")
	cmd.Dir, cmd.Env = repoRoot, append(pluginEnv(), "NO_COLOR=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type line struct {
		text string
		at   time.Time
	}
	var mu sync.Mutex
	var lines []line
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		mu.Lock()
		lines = append(lines, line{sc.Text(), time.Now()})
		mu.Unlock()
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logs -f: %v", err)
	}
	pr := waitDone(t, ns, name, time.Minute)
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c.Status != corev1.ConditionTrue {
		t.Fatalf("run did not succeed: %s", describe(pr))
	}
	onRealNode(t, ns, name, nil)
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + name})
	if err != nil {
		t.Fatal(err)
	}
	ended := map[string]time.Time{}
	for _, tr := range trs.Items {
		ended[tr.Labels["tekton.dev/pipelineTask"]] = tr.Status.CompletionTime.Time
	}
	for _, s := range []string{"alpha", "bravo"} {
		var got []string
		var first time.Time
		for _, l := range lines {
			if !strings.HasPrefix(l.text, "["+s+"] ") {
				continue
			}
			if first.IsZero() {
				first = l.at
			}
			got = append(got, strings.TrimPrefix(l.text, "["+s+"] "))
		}
		var want []string
		for i := 1; i <= n; i++ {
			want = append(want, fmt.Sprintf("%s line %d of %d", s, i, n), fmt.Sprintf("%s more %d: the quick brown fox jumps over the lazy dog", s, i))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s's lines, in order and whole:\n got %q\nwant %q", s, got, want)
		}
		// The step prints for 8 s: its first line must arrive well before it ends
		// (completion times have one-second resolution).
		if first.IsZero() || !first.Before(ended[s].Add(-4*time.Second)) {
			t.Errorf("%s's first line arrived at %s, its step ended at %s: not streamed while running", s, first.Format(time.RFC3339Nano), ended[s].Format(time.RFC3339))
		}
	}
	for _, l := range lines {
		if !regexp.MustCompile(`^\[(alpha|bravo)\] (alpha|bravo) `).MatchString(l.text) {
			continue
		}
		if p := l.text[1:6]; !strings.HasPrefix(l.text[8:], p) {
			t.Errorf("a line under the wrong prefix: %q", l.text)
		}
	}
}

// cancel --grace of a step that is really running kills its container and
// runs finally.
func TestRealCancelRunningStep(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	spec := runnable("real-cancel", `  steps:
    - name: long
      script: |
        #!/bin/sh
        echo "long started"
        sleep 300
  finally:
    - name: report
      script: |
        #!/bin/sh
        echo "report ran: $(run.status)"
`)
	cmd, stdout, stderr := startWait(t, ns, spec, "long Running on "+realCPU)
	name := runName(t, stdout.String())
	// Cancel once the step's code is really running (Tekton deletes the
	// cancelled pod, and its logs with it).
	waitOwnOutput(t, ns, name, "long", "long started")
	pod := stepPods(t, ns, name)["long"]
	start := time.Now()
	must(t, mlpipe(t, "", "cancel", "-n", ns, name, "--grace"), "cancel --grace")
	if code := exitCode(t, cmd); code != 3 {
		t.Fatalf("exit %d after cancel --grace, want 3\n%s", code, stderr.String())
	}
	for {
		p, err := kube.CoreV1().Pods(ns).Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err != nil || terminated(*p, "step-main") {
			t.Logf("long's container ended %s after cancel", time.Since(start).Round(100*time.Millisecond))
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("the cancelled step's container still runs: %+v", p.Status.ContainerStatuses)
		}
		time.Sleep(200 * time.Millisecond)
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c == nil || !strings.Contains(c.Reason, "Cancelled") {
		t.Errorf("want a Cancelled end: %s", describe(pr))
	}
	logs := logsOf(t, ns, name)
	for _, want := range []string{"[report] report ran: Failed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	onRealNode(t, ns, name, nil)
}

// waitOwnOutput waits until step's container is running on its node and has
// printed want.
func waitOwnOutput(t *testing.T, ns, run, step, want string) {
	t.Helper()
	// Generous: with the whole suite in parallel the real nodes' two CPUs are busy.
	deadline := time.Now().Add(150 * time.Second)
	for out := ""; !strings.Contains(out, want); {
		if time.Now().After(deadline) {
			t.Fatalf("%s never printed %q (got %q)", step, want, out)
		}
		time.Sleep(200 * time.Millisecond)
		if p := stepPods(t, ns, run)[step]; running(p, "step-main") {
			out = kubectl(t, "", "logs", "-n", ns, p.Name, "-c", "step-main").Stdout
		}
	}
}

func running(p corev1.Pod, container string) bool {
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == container && c.State.Running != nil {
			return true
		}
	}
	return false
}

func terminated(p corev1.Pod, container string) bool {
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == container && c.State.Terminated != nil {
			return true
		}
	}
	return false
}

// The kubelet's own reasons reach the live view within seconds: an image
// that cannot be pulled (the pull fails on this machine: containerd's proxy
// refuses everything) and a step killed for memory.
func TestRealKubeletReasons(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	t.Run("image pull", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		spec := strings.Replace(runnable("real-pull", `  steps:
    - {name: fetch, command: [echo, hi]}
`), "local.invalid/mlpipe/busybox:1.35", "local.invalid/mlpipe/never-built:1.0", 1)
		start := time.Now()
		cmd, stdout, stderr := startWait(t, ns, spec, "fetch Pending — ")
		pullError := regexp.MustCompile(`fetch Pending on ` + realCPU + ` — (ErrImagePull|ImagePullBackOff): .*local\.invalid/mlpipe/never-built:1\.0`)
		for !pullError.MatchString(stderr.String()) {
			if time.Since(start) > 60*time.Second {
				t.Fatalf("the view should show the kubelet's pull error:\n%s", stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(start)
		name := runName(t, stdout.String())
		t.Logf("pull error shown %s after run started", took.Round(100*time.Millisecond))
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
		d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
		if !regexp.MustCompile(`(?m)^  fetch\s+Pending\s+` + realCPU + `\s.*(ErrImagePull|ImagePullBackOff)`).MatchString(d) {
			t.Errorf("describe should show the pull error:\n%s", d)
		}
	})
	t.Run("out of memory", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		spec := runnable("real-oom", `  steps:
    - name: hog
      settings: {resources: {memory: 24Mi}}
      script: |
        #!/bin/sh
        echo "allocating"
        head -c 400000000 /dev/zero | tail > /dev/null
        echo "survived"
`)
		start := time.Now()
		r := mlpipe(t, spec, "run", "-n", ns, "-f", "-", "--wait", "--timeout", "2m")
		if r.Code != 1 {
			t.Fatalf("exit %d, want 1\n%s", r.Code, r.Stderr)
		}
		t.Logf("OOM run ended after %s", time.Since(start).Round(100*time.Millisecond))
		name := runName(t, r.Stdout)
		if !strings.Contains(r.Stderr, "OOMKilled") || !strings.Contains(r.Stderr, "memory limit 24Mi") {
			t.Errorf("the view should name OOMKilled and the limit:\n%s", r.Stderr)
		}
		d := must(t, mlpipe(t, "", "describe", "-n", ns, name), "describe").Stdout
		if !regexp.MustCompile(`(?m)^  hog\s+Failed\s+` + realCPU + `\s.*OOMKilled.*memory limit 24Mi`).MatchString(d) {
			t.Errorf("describe should show OOMKilled with the limit:\n%s", d)
		}
		onRealNode(t, ns, name, nil)
	})
}

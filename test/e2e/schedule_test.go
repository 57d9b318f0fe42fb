//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// kubectlImage is the image the local cluster builds for a schedule's pod:
// busybox and the kubectl of the control plane's release (test/cluster/lib.sh).
const kubectlImage = "local.invalid/mlpipe/kubectl:v1.35.4"

// localOverrides puts a schedule's pod where it can work on this machine: on
// the real CPU node, in the host's network namespace, talking to the
// apiserver on loopback (a pod may not dial the 10.x service address here).
func localOverrides(t *testing.T) string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("the apiserver is at %q, want 127.0.0.1", cfg.Host)
	}
	return fmt.Sprintf(`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{
		"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet",
		"nodeSelector": {"node-pool": "cpu", "mlpipe.dev/executor": "real"},
		"tolerations": [{"key": "mlpipe.dev/executor", "operator": "Equal", "value": "real", "effect": "NoSchedule"}],
		"containers": [{"name": "create-run", "env": [
			{"name": "KUBERNETES_SERVICE_HOST", "value": "127.0.0.1"},
			{"name": "KUBERNETES_SERVICE_PORT", "value": %q}]}]}}}}}}`, u.Port())
}

// waitJob waits for a Job to succeed and returns its pod's logs.
func waitJob(t *testing.T, ns, job string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j, err := kube.BatchV1().Jobs(ns).Get(context.Background(), job, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Succeeded > 0 {
			break
		}
		if j.Status.Failed > 1 || time.Now().After(deadline) {
			out := kubectl(t, "", "logs", "-n", ns, "job/"+job)
			t.Fatalf("job %s did not succeed (failed %d): %s%s", job, j.Status.Failed, out.Stdout, out.Stderr)
		}
		time.Sleep(time.Second)
	}
	pods, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "job-name=" + job})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("pods of job %s: %v", job, err)
	}
	p := pods.Items[len(pods.Items)-1]
	if p.Spec.NodeName != realCPU || p.Spec.ServiceAccountName != "mlpipe-nightly" {
		t.Errorf("job pod %s ran on %q as %q, want %s as mlpipe-nightly", p.Name, p.Spec.NodeName, p.Spec.ServiceAccountName, realCPU)
	}
	return must(t, kubectl(t, "", "logs", "-n", ns, p.Name), "job logs").Stdout
}

func scheduleRuns(t *testing.T, ns string) []string {
	t.Helper()
	prs, err := tkn.TektonV1().PipelineRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "mlpipe.dev/schedule=nightly"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pr := range prs.Items {
		names = append(names, pr.Name)
	}
	return names
}

func TestRealSchedule(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	spec := runnable("nightly-train", `  params: [{name: epochs, default: "1"}]
  steps:
    - name: train
      script: |
        #!/bin/sh
        echo "training for $(params.epochs) epochs"
        sleep 25
`)
	// Suspended: only trigger fires it, so the counts below are exact.
	// Create, resume and suspend again within one minute: a firing time that
	// passes while the CronJob is suspended is run as missed when it is
	// resumed, and the only run below must be the trigger's.
	for time.Now().Second() > 20 {
		time.Sleep(time.Second)
	}
	r := must(t, mlpipe(t, spec, "schedule", "create", "nightly", "-n", ns, "-f", "-", "--cron", "*/1 * * * *", "-p", "epochs=7",
		"--suspend", "--image", kubectlImage, "--overrides", localOverrides(t)), "schedule create")
	for _, want := range []string{"serviceaccount/mlpipe-nightly created", "role.rbac.authorization.k8s.io/mlpipe-nightly created", "rolebinding.rbac.authorization.k8s.io/mlpipe-nightly created", "configmap/mlpipe-nightly created", "cronjob.batch/mlpipe-nightly created"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("schedule create does not say %q:\n%s", want, r.Stdout)
		}
	}
	ctx := context.Background()
	cj, err := kube.BatchV1().CronJobs(ns).Get(ctx, "mlpipe-nightly", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cj.Spec.Schedule != "*/1 * * * *" || cj.Spec.ConcurrencyPolicy != "Forbid" || !*cj.Spec.Suspend {
		t.Errorf("CronJob spec: schedule %q, policy %s, suspend %v", cj.Spec.Schedule, cj.Spec.ConcurrencyPolicy, *cj.Spec.Suspend)
	}
	// The schedule's identity may create and list runs, and nothing else.
	sa := "system:serviceaccount:" + ns + ":mlpipe-nightly"
	for verb, want := range map[string]string{"create": "yes", "list": "yes", "delete": "no", "patch": "no"} {
		got := strings.TrimSpace(kubectl(t, "", "auth", "can-i", verb, "pipelineruns.tekton.dev", "-n", ns, "--as", sa).Stdout)
		if got != want {
			t.Errorf("can %s %s pipelineruns: %q, want %q", sa, verb, got, want)
		}
	}
	if got := strings.TrimSpace(kubectl(t, "", "auth", "can-i", "create", "pods", "-n", ns, "--as", sa).Stdout); got != "no" {
		t.Errorf("can %s create pods: %q, want no", sa, got)
	}
	must(t, mlpipe(t, "", "schedule", "resume", "nightly", "-n", ns), "schedule resume")
	if l := must(t, mlpipe(t, "", "schedule", "list", "-n", ns), "schedule list").Stdout; !regexp.MustCompile(`(?m)^nightly\s+nightly-train\s+\*/1 \* \* \* \*\s+forbid\s+in \d+s\s+never\s+-\s+-$`).MatchString(l) {
		t.Errorf("schedule list after resume:\n%s", l)
	}
	must(t, mlpipe(t, "", "schedule", "suspend", "nightly", "-n", ns), "schedule suspend")

	job := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(must(t, mlpipe(t, "", "schedule", "trigger", "nightly", "-n", ns), "trigger").Stdout), "job.batch/"), " created")
	logs := waitJob(t, ns, job)
	runs := scheduleRuns(t, ns)
	if len(runs) != 1 || !strings.Contains(logs, "schedule nightly: created pipelinerun.tekton.dev/"+runs[0]) {
		t.Fatalf("the first firing made runs %v; its pod said:\n%s", runs, logs)
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(ctx, runs[0], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Labels["mlpipe.dev/pipeline"] != "nightly-train" || pr.Labels["app.kubernetes.io/managed-by"] != "kubectl-mlpipe" || pr.Spec.Params[0].Value.StringVal != "7" {
		t.Errorf("the scheduled run: labels %v, params %v", pr.Labels, pr.Spec.Params)
	}

	// A second firing while that run goes on creates nothing (forbid).
	job2 := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(must(t, mlpipe(t, "", "schedule", "trigger", "nightly", "-n", ns), "trigger").Stdout), "job.batch/"), " created")
	logs2 := waitJob(t, ns, job2)
	if !strings.Contains(logs2, "not creating a run: "+runs[0]+" has not finished (concurrency forbid)") {
		t.Errorf("the second firing said:\n%s", logs2)
	}
	if again := scheduleRuns(t, ns); len(again) != 1 {
		t.Errorf("runs after a forbidden firing: %v, want only %s", again, runs[0])
	}
	l := must(t, mlpipe(t, "", "schedule", "list", "-n", ns), "schedule list").Stdout
	if !regexp.MustCompile(`(?m)^nightly\s+nightly-train\s+.*\s+suspended\s+never\s+` + runs[0] + `\s+(Running|Pending|Succeeded)$`).MatchString(l) {
		t.Errorf("schedule list:\n%s", l)
	}
	d := must(t, mlpipe(t, "", "schedule", "describe", "nightly", "-n", ns), "schedule describe").Stdout
	if !strings.Contains(d, "Concurrency: forbid") || !strings.Contains(d, runs[0]) {
		t.Errorf("schedule describe:\n%s", d)
	}

	// delete removes every object it made, and nothing else: the run stays.
	del := must(t, mlpipe(t, "", "schedule", "delete", "nightly", "-n", ns), "schedule delete").Stdout
	if n := strings.Count(del, " deleted"); n != 5 {
		t.Errorf("schedule delete deleted %d objects, want 5:\n%s", n, del)
	}
	gone := func(err error) bool { return apierrors.IsNotFound(err) }
	if _, err := kube.BatchV1().CronJobs(ns).Get(ctx, "mlpipe-nightly", metav1.GetOptions{}); !gone(err) {
		t.Errorf("CronJob: %v", err)
	}
	if _, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "mlpipe-nightly", metav1.GetOptions{}); !gone(err) {
		t.Errorf("ConfigMap: %v", err)
	}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, "mlpipe-nightly", metav1.GetOptions{}); !gone(err) {
		t.Errorf("ServiceAccount: %v", err)
	}
	if _, err := kube.RbacV1().Roles(ns).Get(ctx, "mlpipe-nightly", metav1.GetOptions{}); !gone(err) {
		t.Errorf("Role: %v", err)
	}
	if _, err := kube.RbacV1().RoleBindings(ns).Get(ctx, "mlpipe-nightly", metav1.GetOptions{}); !gone(err) {
		t.Errorf("RoleBinding: %v", err)
	}
	if _, err := tkn.TektonV1().PipelineRuns(ns).Get(ctx, runs[0], metav1.GetOptions{}); err != nil {
		t.Errorf("the schedule's run went with it: %v", err)
	}
	if _, err := kube.CoreV1().Secrets(ns).Get(ctx, "s3-creds", metav1.GetOptions{}); err != nil {
		t.Errorf("an object the schedule did not make went with it: %v", err)
	}
	// The Jobs are the CronJob's: the garbage collector takes them.
	deadline := time.Now().Add(time.Minute)
	for {
		jobs, err := kube.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: "mlpipe.dev/schedule=nightly"})
		if err == nil && len(jobs.Items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the schedule's Jobs outlived it: %d left (%v)", len(jobs.Items), err)
			break
		}
		time.Sleep(time.Second)
	}
}

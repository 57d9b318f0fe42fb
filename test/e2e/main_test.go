//go:build e2e

// Package e2e runs the built plugin through real kubectl plugin discovery
// against the local control plane (test/cluster): a real kube-apiserver,
// scheduler and Tekton, with KWOK simulating the nodes.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tektonv1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

var (
	repoRoot   string
	binDir     string
	kubeconfig string
	kube       *kubernetes.Clientset
	// tkn reads runs as tekton.dev/v1 whichever version the cluster serves.
	tkn tekton.Interface
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) (code int) {
	wd, _ := os.Getwd()
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	clusterDir := os.Getenv("MLPIPE_CLUSTER_DIR")
	if clusterDir == "" {
		clusterDir = "/tmp/mlpipe-cluster"
	}
	kubeconfig = filepath.Join(clusterDir, "kubeconfig")

	tmp, err := os.MkdirTemp("", "mlpipe-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binDir = tmp
	fmt.Fprintln(os.Stderr, "e2e: building kubectl-mlpipe")
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "kubectl-mlpipe"), "./cmd/kubectl-mlpipe")
	build.Dir, build.Env = repoRoot, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		return 1
	}

	startedHere := false
	if !clusterReady() {
		// The suite starts the cluster, so it also proves that cluster-down
		// leaves the host as it was: no process, mount, link, cgroup, firewall
		// rule, sysctl or host path of the cluster's is left behind. The build
		// (which may install Debian packages) comes before the snapshot: it
		// belongs to the machine, not to the running cluster.
		fmt.Fprintln(os.Stderr, "e2e: building the local cluster's binaries if needed (make cluster-build)")
		if err := makeTarget("cluster-build"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// A cluster whose processes were killed (a CI job or session that
		// ended mid-run) leaves its changes on the host; its own cluster-down
		// puts them back, so that comes before the snapshot, or the snapshot
		// would record the leftovers as the host's state.
		if err := makeTarget("cluster-down"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		before := filepath.Join(tmp, "host-before")
		if err := hostcheck("snapshot", before); err != nil {
			fmt.Fprintf(os.Stderr, "hostcheck snapshot: %v\n", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "e2e: the local cluster is not up; starting it (make cluster-up)")
		if err := makeTarget("cluster-up"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		startedHere = true
		// Leave the machine as we found it, and check that we did.
		defer func() {
			if err := makeTarget("cluster-down"); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
			if err := hostcheck("compare", before); err != nil {
				fmt.Fprintln(os.Stderr, "FAIL: cluster-down left the host changed:", err)
				code = 1
			}
		}()
	}
	if !startedHere {
		fmt.Fprintln(os.Stderr, "e2e: using the cluster that is already up; the host-cleanliness check runs only when the suite starts the cluster itself")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kube = kubernetes.NewForConfigOrDie(cfg)
	tkn = tektonclient.New(tekton.NewForConfigOrDie(cfg), tektonclient.Auto)
	return m.Run()
}

// makeTarget runs a target of the repository's Makefile, its output on stderr.
func makeTarget(target string) error {
	cmd := exec.Command("make", "--no-print-directory", target)
	cmd.Dir, cmd.Stdout, cmd.Stderr = repoRoot, os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("make %s: %w", target, err)
	}
	return nil
}

// hostcheck runs test/cluster/hostcheck.sh (snapshot or compare FILE).
func hostcheck(verb, file string) error {
	cmd := exec.Command("bash", filepath.Join(repoRoot, "test", "cluster", "hostcheck.sh"), verb, file)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func clusterReady() bool {
	if _, err := os.Stat(kubeconfig); err != nil {
		return false
	}
	cmd := exec.Command("kubectl", "--kubeconfig", kubeconfig, "get", "--raw", "/readyz", "--request-timeout=3s")
	return cmd.Run() == nil
}

// result is what a command printed and how it exited.
type result struct {
	Stdout, Stderr string
	Code           int
}

// command runs name (kubectl) with the built plugin first on PATH, so
// `kubectl mlpipe` goes through kubectl's own plugin discovery.
func command(t *testing.T, stdin string, name string, args ...string) result {
	t.Helper()
	return commandEnv(t, nil, stdin, name, args...)
}

// commandEnv is command with env added to the plugin's environment (env wins).
func commandEnv(t *testing.T, env []string, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(append(pluginEnv(), "NO_COLOR=1"), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return result{out.String(), errOut.String(), code}
}

// pluginEnv is this process's environment with the built plugin first on
// PATH and the local cluster's kubeconfig.
func pluginEnv() []string {
	return append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+kubeconfig)
}

func mlpipe(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return command(t, stdin, "kubectl", append([]string{"mlpipe"}, args...)...)
}

func kubectl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return command(t, stdin, "kubectl", args...)
}

func must(t *testing.T, r result, what string) result {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// namespace makes a namespace for one test, with the secret the examples
// read, and deletes it when the test ends.
func namespace(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	name = strings.Trim(name, "-") + "-" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s3-creds"}, StringData: map[string]string{"id": "AKIA-TEST", "secret": "not-a-real-secret"}}
	if _, err := kube.CoreV1().Secrets(name).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Pods are rejected until the namespace's default ServiceAccount exists.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := kube.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no default ServiceAccount in the new namespace")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return name
}

// createRendered renders a spec with the plugin for the cluster's Tekton
// (v1beta1 where only that is served) and creates it with kubectl,
// returning the PipelineRun's name.
func createRendered(t *testing.T, ns, file string, args ...string) string {
	t.Helper()
	rendered := must(t, mlpipe(t, "", append([]string{"render", "--for-cluster", "-f", file}, args...)...), "render "+file)
	created := must(t, kubectl(t, rendered.Stdout, "create", "-n", ns, "-f", "-", "-o", "name"), "kubectl create "+file)
	// In referenced mode the Tasks and the Pipeline come first, then the run.
	var name string
	for _, line := range strings.Split(strings.TrimSpace(created.Stdout), "\n") {
		switch {
		case strings.HasPrefix(line, "pipelinerun.tekton.dev/") && name == "":
			name = strings.TrimPrefix(line, "pipelinerun.tekton.dev/")
		case strings.HasPrefix(line, "task.tekton.dev/") || strings.HasPrefix(line, "pipeline.tekton.dev/"):
		default:
			t.Fatalf("unexpected kubectl create output %q", created.Stdout)
		}
	}
	if name == "" {
		t.Fatalf("kubectl create made no run: %q", created.Stdout)
	}
	return name
}

// waitDone watches the run until it has finished, and returns it.
func waitDone(t *testing.T, ns, name string, timeout time.Duration) *tektonv1.PipelineRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	for {
		list, err := tkn.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			t.Fatalf("waiting for %s: %v", name, err)
		}
		if len(list.Items) == 1 && done(&list.Items[0]) {
			return &list.Items[0]
		}
		w, err := tkn.TektonV1().PipelineRuns(ns).Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatalf("watching %s: %v", name, err)
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break
			}
			if pr, ok := ev.Object.(*tektonv1.PipelineRun); ok && done(pr) {
				w.Stop()
				return pr
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			pr, _ := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
			t.Fatalf("run %s did not finish within %s: %s", name, timeout, describe(pr))
		}
	}
}

func done(pr *tektonv1.PipelineRun) bool {
	c := pr.Status.GetCondition(apis.ConditionSucceeded)
	return c != nil && c.Status != corev1.ConditionUnknown
}

func describe(pr *tektonv1.PipelineRun) string {
	if pr == nil {
		return "<gone>"
	}
	c := pr.Status.GetCondition(apis.ConditionSucceeded)
	if c == nil {
		return "no condition yet"
	}
	return fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message)
}

// stepPods returns the run's pods keyed by their mlpipe.dev/step label.
func stepPods(t *testing.T, ns, run string) map[string]corev1.Pod {
	t.Helper()
	// Only step pods: Tekton's affinity assistant pod carries the run's label too.
	pods, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run + ",mlpipe.dev/step"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.Pod{}
	for _, p := range pods.Items {
		out[p.Labels["mlpipe.dev/step"]] = p
	}
	return out
}

func node(t *testing.T, name string) *corev1.Node {
	t.Helper()
	n, err := kube.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

package render_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

const examples = "../../../examples/"

// run executes the real command tree as main does, with no kubeconfig.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	var out, errOut bytes.Buffer
	root := cmd.NewRootCmd(genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), util.Code(err)
}

func decodeRuns(t *testing.T, out string) []v1.PipelineRun {
	t.Helper()
	var runs []v1.PipelineRun
	for _, doc := range strings.Split(out, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var pr v1.PipelineRun
		if err := yaml.UnmarshalStrict([]byte(doc), &pr); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		runs = append(runs, pr)
	}
	return runs
}

func TestRenderDirectoryIsAMultiDocumentStream(t *testing.T) {
	out, stderr, code := run(t, "", "render", "-f", examples)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// -f DIR reads the folder's own files, as kubectl does without -R.
	files, _ := filepath.Glob(examples + "*.yaml")
	runs := decodeRuns(t, out)
	if len(runs) != len(files) {
		t.Fatalf("got %d PipelineRuns for %d example files", len(runs), len(files))
	}
	for _, pr := range runs {
		if pr.GenerateName == "" || pr.Labels["mlpipe.dev/pipeline"] == "" || len(pr.Annotations["mlpipe.dev/spec-sha256"]) != 64 {
			t.Errorf("run metadata incomplete: %+v", pr.ObjectMeta)
		}
	}
}

func TestRenderParamsNameAndNamespace(t *testing.T) {
	out, stderr, code := run(t, "", "render", "-f", examples+"training.yaml", "-p", "deploy=true", "-p", "epochs=3", "--name", "churn-training-abc12", "-n", "ml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pr := decodeRuns(t, out)[0]
	if pr.Name != "churn-training-abc12" || pr.GenerateName != "" || pr.Namespace != "ml" {
		t.Errorf("got name %q generateName %q namespace %q", pr.Name, pr.GenerateName, pr.Namespace)
	}
	got := map[string]string{}
	for _, p := range pr.Spec.Params {
		got[p.Name] = p.Value.StringVal
	}
	if got["deploy"] != "true" || got["epochs"] != "3" || got["learning-rate"] != "0.01" {
		t.Errorf("params: %v", got)
	}
}

func TestRenderOutputFormats(t *testing.T) {
	f := examples + "minimal.yaml"
	out, _, code := run(t, "", "render", "-f", f, "-o", "json")
	var m map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["kind"] != "PipelineRun" {
		t.Errorf("-o json: exit %d, %s", code, out)
	}
	out, _, code = run(t, "", "render", "-f", f, "-o", "jsonpath={.spec.pipelineSpec.tasks[0].taskSpec.steps[0].image}")
	if code != 0 || out != "busybox:1.36" {
		t.Errorf("-o jsonpath: exit %d, %q", code, out)
	}
	out, _, code = run(t, "", "render", "-f", f, "--name", "hello-x1", "-o", "name")
	if code != 0 || out != "pipelinerun.tekton.dev/hello-x1\n" {
		t.Errorf("-o name: exit %d, %q", code, out)
	}
	out, _, code = run(t, "", "render", "-f", f, "-o", "go-template={{.metadata.generateName}}")
	if code != 0 || out != "hello-" {
		t.Errorf("-o go-template: exit %d, %q", code, out)
	}
	out, _, code = run(t, "", "render", "-f", examples+"training.yaml", "-o", "dot")
	if code != 0 || !strings.HasPrefix(out, "digraph \"churn-training\"") || !strings.Contains(out, `"train" -> "evaluate"`) || !strings.Contains(out, "1× nvidia.com/gpu") {
		t.Errorf("-o dot: exit %d\n%s", code, out)
	}
	out, _, code = run(t, "", "render", "-f", examples+"training.yaml", "-o", "mermaid")
	if code != 0 || !strings.HasPrefix(out, "flowchart LR") || !strings.Contains(out, "s_deploy -.-> s_notify") {
		t.Errorf("-o mermaid: exit %d\n%s", code, out)
	}
	_, stderr, code := run(t, "", "render", "-f", f, "-o", "wide")
	if code != 2 {
		t.Errorf("-o wide: want exit 2, got %d: %s", code, stderr)
	}
}

func TestRenderStdinAndErrors(t *testing.T) {
	data, err := os.ReadFile(examples + "minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := run(t, string(data), "render", "-f", "-"); code != 0 || !strings.Contains(out, "generateName: hello-") {
		t.Errorf("stdin: exit %d: %s", code, stderr)
	}
	bad := strings.Replace(string(data), "image: busybox:1.36", "image: busybox:1.36\n      gpus: 1", 1)
	_, stderr, code := run(t, bad, "render", "-f", "-")
	if code != 2 || !strings.Contains(stderr, `<stdin>:10:7: spec.steps[0].gpus: unknown field "gpus"`) {
		t.Errorf("want exit 2 with the position, got %d: %s", code, stderr)
	}
	for name, args := range map[string][]string{
		"no -f":              {"render"},
		"bad -p":             {"render", "-f", examples + "minimal.yaml", "-p", "novalue"},
		"unknown -p":         {"render", "-f", examples + "minimal.yaml", "-p", "x=1"},
		"missing file":       {"render", "-f", "nope.yaml"},
		"namespace conflict": {"render", "-f", "../../render/tekton/testdata/precedence/spec.yaml", "-n", "other"},
		"explain with -o":    {"render", "-f", examples + "minimal.yaml", "--explain", "-o", "name"},
	} {
		if _, stderr, code := run(t, "", args...); code != 2 {
			t.Errorf("%s: want exit 2, got %d: %s", name, code, stderr)
		}
	}
	// A param without a default must be given.
	_, stderr, code = run(t, "", "render", "-f", "../../render/tekton/testdata/run-name/spec.yaml")
	if code != 2 || !strings.Contains(stderr, "param required has no default: pass -p required=VALUE") {
		t.Errorf("want exit 2 naming the param, got %d: %s", code, stderr)
	}
}

func TestRenderExplain(t *testing.T) {
	out, _, code := run(t, "", "render", "-f", examples+"training.yaml", "--explain")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"spec.profiles[gpu].resources.gpu",
		"spec.pipelineSpec.tasks[2].taskSpec.steps[0].computeResources.limits[nvidia.com/gpu]",
		"spec.taskRunSpecs[2].podTemplate.tolerations[0]",
		"overridden by spec.profiles[gpu].pod.nodeSelector[node-pool]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain lacks %q", want)
		}
	}
	out, _, code = run(t, "", "render", "-f", examples+"training.yaml", "--explain", "-o", "json")
	var v []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v) != 1 || v[0]["pipeline"] != "churn-training" {
		t.Errorf("--explain -o json: exit %d: %.200s", code, out)
	}
}

func TestWarningsGoToStderr(t *testing.T) {
	spec := `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: ws}
spec:
  image: busybox
  workspace: {size: 1Gi}
  profiles:
    unused: {}
  steps:
    - {name: cpu, command: [true], settings: {pod: {nodeSelector: {pool: cpu}}}}
    - {name: gpu, command: [true], settings: {resources: {gpu: 1}, pod: {nodeSelector: {pool: gpu}}}}
`
	out, stderr, code := run(t, spec, "render", "-f", "-")
	if code != 0 {
		t.Fatalf("warnings must not fail the render: exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "warning") {
		t.Error("warnings leaked into stdout")
	}
	for _, want := range []string{
		"<stdin>:6:14: warning: spec.workspace: steps cpu and gpu share the workspace but ask for different nodes (cpu needs pool=cpu but gpu needs pool=gpu)",
		"artifactStore",
		"<stdin>:8:13: warning: spec.profiles[unused]",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// --explain tells the after edges the user wrote from those the outputs a
// step reads imply.
func TestExplainMarksImpliedAfter(t *testing.T) {
	out, stderr, code := run(t, "", "render", "-f", "../../../examples/training.yaml", "--explain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`spec\.steps\[1\]\.after +preprocess +spec\.pipelineSpec\.tasks\[1\]\.runAfter +implied, not written: it reads the outputs of load-data\n`,
		`spec\.steps\[4\]\.after +deploy +spec\.pipelineSpec\.tasks\[4\]\.runAfter +written: evaluate; implied by the outputs it reads: train\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("--explain lacks %s:\n%s", want, out)
		}
	}
}

// A finally step that reads a DAG step's output is skipped by Tekton when
// that output is missing, which is when the run fails: said as a warning.
func TestFinallyReadingAnOutputWarns(t *testing.T) {
	spec := `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: alert}
spec:
  image: busybox
  steps:
    - {name: evaluate, command: [sh, -c, "echo 0.9 > $(outputs.accuracy.path)"], outputs: [accuracy]}
  finally:
    - {name: notify, command: [echo, "$(run.status)", "$(steps.evaluate.outputs.accuracy)"]}
`
	out, stderr, code := run(t, spec, "render", "-f", "-")
	if code != 0 || !strings.Contains(out, "kind: PipelineRun") {
		t.Fatalf("a warning must not fail the render: exit %d: %s", code, stderr)
	}
	want := "<stdin>:9:55: warning: spec.finally[0].command[2]: finally step notify reads an output of step evaluate, so Tekton skips it whenever evaluate does not succeed"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "$(workspace.path)") {
		t.Errorf("stderr lacks %q and the alternative:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "Invalid value") {
		t.Errorf("a warning reads as an error:\n%s", stderr)
	}
}

// Instances placed by profile: $(matrix.KEY) are placed once per profile,
// so the workspace warning sees them too.
func TestWorkspaceWarningSeesPerInstanceProfiles(t *testing.T) {
	spec := `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: ws}
spec:
  image: busybox
  workspace: {size: 1Gi}
  profiles:
    cpu: {pod: {nodeSelector: {pool: cpu}}}
    gpu: {pod: {nodeSelector: {pool: gpu}}}
  steps:
    - {name: train, matrix: {hw: [cpu, gpu]}, profile: $(matrix.hw), command: [true]}
`
	_, stderr, code := run(t, spec, "render", "-f", "-")
	if want := "steps train (profile cpu) and train (profile gpu) share the workspace"; code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
	}
}

// Rendering for a named release: v1beta1 before v0.44 (converted with
// Tekton's code), the matrix fanned out where the release refuses it, and a
// field the release lacks refused with exit 2.
func TestRenderForATektonRelease(t *testing.T) {
	const matrixSpec = "../../render/tekton/testdata/matrix/spec.yaml"
	out, stderr, code := run(t, "", "render", "-f", matrixSpec, "--tekton-version", "v0.38.3")
	if code != 0 || !strings.HasPrefix(out, "apiVersion: tekton.dev/v1beta1\n") || strings.Contains(out, "matrix:") || !strings.Contains(stderr, "fanning out on the client") {
		t.Fatalf("exit %d, stderr %s\n%s", code, stderr, out)
	}
	out, _, code = run(t, "", "render", "-f", matrixSpec, "--tekton-version", "v1.15.1")
	if code != 0 || !strings.HasPrefix(out, "apiVersion: tekton.dev/v1\n") || !strings.Contains(out, "matrix:") {
		t.Fatalf("v1.15.1: exit %d\n%s", code, out)
	}
	spread := "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: spread}\nspec:\n  image: busybox\n  steps:\n    - name: a\n      command: [echo]\n      settings: {pod: {topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}}\n"
	out, stderr, code = run(t, spread, "render", "-f", "-", "--tekton-version", "v0.38.3")
	if code != util.ExitInvalid || out != "" || !strings.Contains(stderr, "task a: spec.taskRunSpecs[0].taskPodTemplate.topologySpreadConstraints needs Tekton v0.44.0 or later") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	for _, bad := range [][]string{{"--api-version", "tekton.dev/v2"}, {"--tekton-version", "v0.30.0"}, {"--tekton-version", "v0.38.3", "--api-version", "tekton.dev/v1"}, {"--for-cluster", "--tekton-version", "v1.0.0"}} {
		if _, stderr, code := run(t, spread, append([]string{"render", "-f", "-"}, bad...)...); code != util.ExitInvalid {
			t.Errorf("%v: exit %d, %s", bad, code, stderr)
		}
	}
}

// A long chain sent referenced is warned of Tekton's per-reconcile reads.
func TestReferencedChainWarns(t *testing.T) {
	chain := func(n int) string {
		var b strings.Builder
		b.WriteString("apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: chain}\nspec:\n  image: busybox\n  steps:\n")
		for i := range n {
			fmt.Fprintf(&b, "    - {name: s%d, command: [\"true\"]", i)
			if i > 0 {
				fmt.Fprintf(&b, ", after: [s%d]", i-1)
			}
			b.WriteString("}\n")
		}
		return b.String()
	}
	for _, c := range []struct {
		steps int
		mode  string
		warns bool
	}{{50, "referenced", true}, {49, "referenced", false}, {50, "embedded", false}} {
		_, stderr, code := run(t, chain(c.steps), "render", "-f", "-", "--mode", c.mode, "-o", "name")
		if code != 0 {
			t.Fatalf("%d steps %s: exit %d: %s", c.steps, c.mode, code, stderr)
		}
		if got := strings.Contains(stderr, fmt.Sprintf("Warning: referenced, a chain of %d steps is slow in Tekton", c.steps)); got != c.warns {
			t.Errorf("%d steps %s: warned %v, want %v: %s", c.steps, c.mode, got, c.warns, stderr)
		}
	}
}

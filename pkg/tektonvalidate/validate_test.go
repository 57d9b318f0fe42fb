package tektonvalidate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonvalidate"
)

// base is a valid rendered PipelineRun.
type base struct {
	name string
	pr   *v1.PipelineRun
}

// renderFile compiles every document of a spec file without Tekton's checks,
// with the name and params of an options.yaml next to it, if any.
func renderFile(t *testing.T, file string, data []byte) []base {
	t.Helper()
	docs, err := spec.Load(file, data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var opts compiler.Options
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "options.yaml")); err == nil {
		var o struct {
			Name   string            `json:"name"`
			Params map[string]string `json:"params"`
		}
		if err := yaml.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		opts.Name, opts.Params = o.Name, o.Params
	}
	opts.SkipTektonValidation = true
	var out []base
	for i, doc := range docs {
		res, err := compiler.Compile(context.Background(), doc, opts)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, base{fmt.Sprintf("%s#%d", filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), i), res.PipelineRun})
	}
	return out
}

// bases: the examples, the renderer's golden specs and synthetic pipelines.
func bases(t *testing.T) []base {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../../examples/*.yaml", "../render/tekton/testdata/*/spec.yaml"} {
		fs, _ := filepath.Glob(pattern)
		files = append(files, fs...)
	}
	if len(files) < 6 {
		t.Fatalf("found only %d spec files", len(files))
	}
	var out []base
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, renderFile(t, f, data)...)
	}
	for _, s := range []struct {
		n         int
		workspace bool
	}{{8, false}, {12, true}, {16, false}} {
		name := fmt.Sprintf("synthetic-%d.yaml", s.n)
		out = append(out, renderFile(t, name, []byte(synthetic(s.n, s.workspace)))...)
	}
	return out
}

// synthetic is a pipeline of n steps: sweeps that share a shape, fan-in
// steps reading several outputs, a script, a guarded step, env with
// references, and a finally step reading $(run.status).
func synthetic(n int, workspace bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: synth-%d}
spec:
  image: registry.example.com/ml:1.0
  timeout: 6h
  params:
    - {name: lr, default: "0.1"}
    - {name: deploy, default: "false"}
  env:
    - {name: LR, value: $(params.lr)}
  settings:
    resources: {cpu: "1", memory: 1Gi}
    pod: {nodeSelector: {pool: cpu}}
  profiles:
    gpu: {resources: {gpu: 1, memory: 8Gi}, pod: {nodeSelector: {pool: cpu}}}
`, n)
	if workspace {
		b.WriteString("  workspace: {size: 1Gi}\n")
	} else {
		b.WriteString("  artifactStore: s3://bucket/synth\n")
	}
	b.WriteString("  steps:\n    - name: s0\n      command: [prep]\n      args: [--out, $(outputs.o.path)]\n      outputs: [o]\n")
	for i := 1; i < n; i++ {
		switch i % 5 {
		case 1, 2, 3: // a sweep over the previous fan-in point
			up := i - i%5
			fmt.Fprintf(&b, "    - name: s%d\n      profile: gpu\n      command: [train]\n      args: [--in, $(steps.s%d.outputs.o), --lr, \"0.%d\", --lr-base, $(params.lr), --score, $(outputs.o.path)]\n      outputs: [o]\n      retries: 1\n", i, up, i)
		case 4: // fan-in
			fmt.Fprintf(&b, "    - name: s%d\n      script: |\n        #!/bin/sh\n        best $(steps.s%d.outputs.o) $(steps.s%d.outputs.o) $(steps.s%d.outputs.o) > $(outputs.o.path)\n      outputs: [o]\n", i, i-3, i-2, i-1)
			if workspace {
				fmt.Fprintf(&b, "      workingDir: $(workspace.path)/s%d\n", i)
			}
		default: // guarded, after only
			fmt.Fprintf(&b, "    - name: s%d\n      after: [s%d]\n      when:\n        - {input: $(params.deploy), operator: in, values: [\"true\"]}\n      command: [push, s%d]\n      outputs: [o]\n      env:\n        - {name: RUN, value: \"$(run.name)-s%d\"}\n", i, i-1, i, i)
		}
	}
	fmt.Fprintf(&b, "  finally:\n    - name: notify\n      command: [notify]\n      args: [\"$(run.status)\", \"$(steps.s%d.outputs.o)\"]\n", n-1)
	return b.String()
}

// mutation breaks (or, for a few, merely changes) a valid PipelineRun. It
// returns false when it does not apply to pr. perTask mutations break a
// step's param references, which Tekton reports without naming the task;
// the fast path must name it.
type mutation struct {
	name    string
	perTask bool
	apply   func(pr *v1.PipelineRun) bool
}

func tasksOf(pr *v1.PipelineRun) []v1.PipelineTask { return pr.Spec.PipelineSpec.Tasks }

// mid is the task a per-task mutation changes: one in the middle, so that
// it usually shares its shape with others.
func mid(pr *v1.PipelineRun) int { return len(tasksOf(pr)) / 2 }

func step0(pr *v1.PipelineRun, i int) *v1.Step { return &tasksOf(pr)[i].TaskSpec.Steps[0] }

func withFinally(fn func(pr *v1.PipelineRun, f *v1.PipelineTask)) func(pr *v1.PipelineRun) bool {
	return func(pr *v1.PipelineRun) bool {
		if len(pr.Spec.PipelineSpec.Finally) == 0 {
			return false
		}
		fn(pr, &pr.Spec.PipelineSpec.Finally[0])
		return true
	}
}

func atLeast(n int, fn func(pr *v1.PipelineRun)) func(pr *v1.PipelineRun) bool {
	return func(pr *v1.PipelineRun) bool {
		if len(tasksOf(pr)) < n {
			return false
		}
		fn(pr)
		return true
	}
}

func addArg(s string) func(pr *v1.PipelineRun) bool {
	return atLeast(1, func(pr *v1.PipelineRun) {
		st := step0(pr, mid(pr))
		if st.Script != "" {
			st.Script += "\necho " + s + "\n"
		} else {
			st.Args = append(st.Args, s)
		}
	})
}

func mutations() []mutation {
	str := func(s string) v1.ParamValue { return *v1.NewStructuredValues(s) }
	return []mutation{
		// Graph and names.
		{"runAfter-unknown", false, atLeast(1, func(pr *v1.PipelineRun) {
			tasksOf(pr)[mid(pr)].RunAfter = append(tasksOf(pr)[mid(pr)].RunAfter, "no-such-task")
		})},
		{"runAfter-cycle", false, atLeast(2, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)
			ts[0].RunAfter = append(ts[0].RunAfter, ts[1].Name)
			ts[1].RunAfter = append(ts[1].RunAfter, ts[0].Name)
		})},
		{"runAfter-self", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)
			ts[0].RunAfter = append(ts[0].RunAfter, ts[0].Name)
		})},
		{"param-result-ref-unknown-task", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.Params = append(t.Params, v1.Param{Name: "_nope_r", Value: str("$(tasks.nope.results.r)")})
		})},
		{"step-result-ref-unknown-task", false, addArg("$(tasks.nope.results.r)")},
		{"step-result-ref-cycle", false, atLeast(2, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)
			last := ts[len(ts)-1].Name
			ts[0].RunAfter = nil
			st := step0(pr, 0)
			st.Args = append(st.Args, "$(tasks."+last+".results.o)")
			// last must depend on task 0, directly or not.
			ts[len(ts)-1].RunAfter = append(ts[len(ts)-1].RunAfter, ts[0].Name)
		})},
		{"duplicate-task-names", false, atLeast(2, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)
			ts[len(ts)-1].Name = ts[0].Name
		})},
		{"task-name-not-dns", false, atLeast(1, func(pr *v1.PipelineRun) { tasksOf(pr)[mid(pr)].Name = "Bad_Name" })},
		{"finally-name-duplicates-task", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) { f.Name = tasksOf(pr)[0].Name })},

		// Params and references, pipeline level.
		{"task-param-unknown-pipeline-param", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.Params = append(t.Params, v1.Param{Name: "extra", Value: str("$(params.nope)")})
		})},
		{"task-param-duplicate", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			if len(t.Params) == 0 {
				t.Params = append(t.Params, v1.Param{Name: "p", Value: str("a")})
			}
			t.Params = append(t.Params, t.Params[0])
		})},
		{"task-param-execution-status", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.Params = append(t.Params, v1.Param{Name: "st", Value: str("$(tasks.status)")})
		})},
		{"context-var-unknown-last-task", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)
			t := &ts[len(ts)-1]
			t.Params = append(t.Params, v1.Param{Name: "c", Value: str("$(context.pipelineRun.nope)")})
		})},
		{"context-var-unknown-first-task", false, atLeast(2, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[0] // Tekton only checks the last task's params
			t.Params = append(t.Params, v1.Param{Name: "c", Value: str("$(context.pipelineRun.nope)")})
		})},
		{"param-value-bad-prefix", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.Params = append(t.Params, v1.Param{Name: "shell", Value: str("$(whoami)")})
		})},
		{"run-param-duplicate", false, func(pr *v1.PipelineRun) bool {
			if len(pr.Spec.Params) == 0 {
				return false
			}
			pr.Spec.Params = append(pr.Spec.Params, pr.Spec.Params[0])
			return true
		}},
		{"run-param-result-ref", false, func(pr *v1.PipelineRun) bool {
			if len(pr.Spec.Params) == 0 || len(tasksOf(pr)) == 0 {
				return false
			}
			pr.Spec.Params[0].Value = str("$(tasks." + tasksOf(pr)[0].Name + ".results.o)")
			return true
		}},
		{"pipeline-param-array-default-string-type", false, func(pr *v1.PipelineRun) bool {
			ps := pr.Spec.PipelineSpec
			if len(ps.Params) == 0 {
				return false
			}
			ps.Params[0].Default = v1.NewStructuredValues("a", "b")
			return true
		}},

		// Params and references inside steps.
		{"step-param-undeclared", true, addArg("$(params.undeclared)")},
		{"step-param-declared-elsewhere", false, atLeast(1, func(pr *v1.PipelineRun) {
			// Propagated params: a name another task declares is allowed.
			ts := tasksOf(pr)
			var other string
			for _, t := range ts {
				for _, p := range t.TaskSpec.Params {
					other = p.Name
				}
			}
			if other == "" {
				other = "undeclared"
			}
			st := step0(pr, 0)
			st.Args = append(st.Args, "$(params."+other+")")
		})},
		{"step-param-three-dots", true, addArg("$(params.a.b.c)")},
		{"step-param-brackets-undeclared", true, addArg(`$(params["nope"])`)},
		{"step-context-unknown", false, addArg("$(context.taskRun.nope)")},
		{"step-artifact-ref", false, addArg("$(steps.s.outputs.o)")},
		{"step-env-context-unknown", false, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.Env = append(st.Env, corev1.EnvVar{Name: "X", Value: "a-$(context.task.nope)-b"})
		})},
		{"step-image-param-undeclared", true, atLeast(1, func(pr *v1.PipelineRun) {
			step0(pr, mid(pr)).Image = "registry/$(params.nope):1"
		})},
		{"step-image-step-result", false, atLeast(1, func(pr *v1.PipelineRun) {
			step0(pr, mid(pr)).Image = "$(steps.a.results.b)"
		})},
		{"step-workingdir-param-undeclared", true, atLeast(1, func(pr *v1.PipelineRun) {
			step0(pr, mid(pr)).WorkingDir = "/w/$(params.nope)"
		})},
		{"script-result-undeclared", false, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.Command, st.Args = nil, nil
			st.Script = "#!/bin/sh\necho > $(results.nope.path)\n"
		})},
		{"finally-step-param-undeclared", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) {
			// Tekton does not check finally steps' params against the union.
			f.TaskSpec.Steps[0].Args = append(f.TaskSpec.Steps[0].Args, "$(params.undeclared)")
		})},
		{"finally-step-context-unknown", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) {
			f.TaskSpec.Steps[0].Args = append(f.TaskSpec.Steps[0].Args, "$(context.taskRun.nope)")
		})},
		{"step-param-fresh-name", true, addArg("$(params.zmlpipe-norm-0)")},
		{"step-param-indexed-undeclared", true, addArg("$(params.nope[0])")},
		{"step-param-bracket-declared", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			if len(t.TaskSpec.Params) == 0 {
				t.TaskSpec.Params = append(t.TaskSpec.Params, v1.ParamSpec{Name: "p", Type: v1.ParamTypeString})
			}
			st := step0(pr, mid(pr))
			st.Args = append(st.Args, `$(params["`+t.TaskSpec.Params[0].Name+`"])`)
		})},
		{"pipeline-param-fresh-name", false, atLeast(1, func(pr *v1.PipelineRun) {
			ps := pr.Spec.PipelineSpec
			ps.Params = append(ps.Params, v1.ParamSpec{Name: "zmlpipe-norm-0", Type: v1.ParamTypeString, Default: v1.NewStructuredValues("d")})
			st := step0(pr, mid(pr))
			st.Args = append(st.Args, "$(params.zmlpipe-norm-0)")
		})},
		{"script-first-line-ref", true, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.Command, st.Args = nil, nil
			st.Script = "echo $(params.nope)\necho done\n"
		})},
		{"step-env-param-undeclared", true, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.Env = append(st.Env, corev1.EnvVar{Name: "X", Value: "s3://b/$(params.nope)/x"})
		})},
		{"args-result-undeclared", false, addArg("$(results.nope.path)")},
		{"two-members-of-a-shape-broken", false, atLeast(3, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)
			ts[len(ts)-1].TaskSpec.Steps[0].Image = ""
			st := &ts[len(ts)-2].TaskSpec.Steps[0]
			st.Env = append(st.Env, corev1.EnvVar{Name: "X", Value: "$(context.taskRun.nope)"})
		})},
		{"step-ref-with-image", false, atLeast(1, func(pr *v1.PipelineRun) {
			step0(pr, mid(pr)).Ref = &v1.Ref{Name: "action"}
		})},
		{"step-template-env", false, atLeast(1, func(pr *v1.PipelineRun) {
			tasksOf(pr)[mid(pr)].TaskSpec.StepTemplate = &v1.StepTemplate{Env: []corev1.EnvVar{{Name: "A", Value: "$(params.nope)"}}}
		})},
		{"sidecar-without-image", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			ts.Sidecars = append(ts.Sidecars, v1.Sidecar{Name: "side"})
		})},
		{"task-volumes-duplicate", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			v := corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
			ts.Volumes = append(ts.Volumes, v, v)
		})},
		{"step-literal-change-only", false, atLeast(1, func(pr *v1.PipelineRun) {
			// Stays valid: only text between references changes.
			st := step0(pr, mid(pr))
			st.Args = append(st.Args, "--flag=(value)]", "$$(params.x", "tail)")
		})},

		// Steps.
		{"step-without-image", false, atLeast(1, func(pr *v1.PipelineRun) { step0(pr, mid(pr)).Image = "" })},
		{"script-and-command", false, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.Script = "#!/bin/sh\necho hi\n"
			st.Command = []string{"sh"}
		})},
		{"script-windows", false, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.Command, st.Args = nil, nil
			st.Script = "  #!win powershell\nWrite-Host hi\n"
		})},
		{"step-name-not-dns", false, atLeast(1, func(pr *v1.PipelineRun) { step0(pr, mid(pr)).Name = "Main!" })},
		{"duplicate-step-names", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			ts.Steps = append(ts.Steps, *ts.Steps[0].DeepCopy())
		})},
		{"no-steps", false, atLeast(1, func(pr *v1.PipelineRun) { tasksOf(pr)[mid(pr)].TaskSpec.Steps = nil })},
		{"empty-steps", false, atLeast(1, func(pr *v1.PipelineRun) { tasksOf(pr)[mid(pr)].TaskSpec.Steps = []v1.Step{} })},
		{"step-onerror-invalid", false, atLeast(1, func(pr *v1.PipelineRun) { step0(pr, mid(pr)).OnError = "ignore" })},
		{"volume-mount-under-tekton", false, atLeast(1, func(pr *v1.PipelineRun) {
			st := step0(pr, mid(pr))
			st.VolumeMounts = append(st.VolumeMounts, corev1.VolumeMount{Name: "v", MountPath: "/tekton/results"})
		})},
		{"step-negative-timeout", false, atLeast(1, func(pr *v1.PipelineRun) {
			step0(pr, mid(pr)).Timeout = &metav1.Duration{Duration: -time.Second}
		})},

		// Task declarations.
		{"invalid-result-name", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			ts.Results = append(ts.Results, v1.TaskResult{Name: "-bad-"})
		})},
		{"task-param-decl-duplicate", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			ts.Params = append(ts.Params, v1.ParamSpec{Name: "dup", Type: v1.ParamTypeString}, v1.ParamSpec{Name: "dup", Type: v1.ParamTypeString})
		})},
		{"task-param-decl-bad-name", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			ts.Params = append(ts.Params, v1.ParamSpec{Name: "1bad", Type: v1.ParamTypeString})
		})},
		{"task-workspace-decl-duplicate", false, atLeast(1, func(pr *v1.PipelineRun) {
			ts := tasksOf(pr)[mid(pr)].TaskSpec
			ts.Workspaces = append(ts.Workspaces, v1.WorkspaceDeclaration{Name: "w"}, v1.WorkspaceDeclaration{Name: "w"})
		})},
		{"custom-task-spec", false, atLeast(1, func(pr *v1.PipelineRun) {
			et := tasksOf(pr)[mid(pr)].TaskSpec
			et.APIVersion, et.Kind = "example.dev/v1", "Thing"
		})},
		{"object-param", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.Params = append(t.Params, v1.Param{Name: "obj", Value: *v1.NewObject(map[string]string{"k": "v"})})
		})},

		// When expressions.
		{"when-bad-operator", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.When = append(t.When, v1.WhenExpression{Input: "a", Operator: "exists", Values: []string{"b"}})
		})},
		{"when-no-values", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.When = append(t.When, v1.WhenExpression{Input: "a", Operator: "in"})
		})},
		{"when-unknown-param", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.When = append(t.When, v1.WhenExpression{Input: "$(params.nope)", Operator: "in", Values: []string{"x"}})
		})},
		{"when-result-of-unknown-task", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.When = append(t.When, v1.WhenExpression{Input: "$(tasks.nope.results.r)", Operator: "in", Values: []string{"x"}})
		})},

		// Finally.
		{"finally-unknown-task-result", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) {
			f.Params = append(f.Params, v1.Param{Name: "r", Value: str("$(tasks.nope.results.r)")})
		})},
		{"finally-runafter", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) {
			f.RunAfter = []string{tasksOf(pr)[0].Name}
		})},
		{"finally-status-of-unknown-task", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) {
			f.Params = append(f.Params, v1.Param{Name: "s", Value: str("$(tasks.nope.status)")})
		})},
		{"finally-without-tasks", false, withFinally(func(pr *v1.PipelineRun, f *v1.PipelineTask) {
			pr.Spec.PipelineSpec.Tasks = nil
		})},

		// Workspaces.
		{"task-workspace-binding-unknown", false, atLeast(1, func(pr *v1.PipelineRun) {
			t := &tasksOf(pr)[mid(pr)]
			t.Workspaces = append(t.Workspaces, v1.WorkspacePipelineTaskBinding{Name: "ws", Workspace: "nope"})
		})},
		{"run-workspace-duplicate", false, func(pr *v1.PipelineRun) bool {
			ws := pr.Spec.Workspaces
			if len(ws) == 0 {
				pr.Spec.Workspaces = []v1.WorkspaceBinding{{Name: "a", EmptyDir: &corev1.EmptyDirVolumeSource{}}, {Name: "a", EmptyDir: &corev1.EmptyDirVolumeSource{}}}
			} else {
				pr.Spec.Workspaces = append(ws, ws[0])
			}
			return true
		}},

		// Timeouts and taskRunSpecs.
		{"timeouts-tasks-over-pipeline", false, func(pr *v1.PipelineRun) bool {
			pr.Spec.Timeouts = &v1.TimeoutFields{Pipeline: &metav1.Duration{Duration: time.Hour}, Tasks: &metav1.Duration{Duration: 5 * time.Hour}}
			return true
		}},
		{"timeouts-negative-finally", false, func(pr *v1.PipelineRun) bool {
			pr.Spec.Timeouts = &v1.TimeoutFields{Finally: &metav1.Duration{Duration: -time.Minute}}
			return true
		}},
		{"task-timeout-negative", false, atLeast(1, func(pr *v1.PipelineRun) {
			tasksOf(pr)[mid(pr)].Timeout = &metav1.Duration{Duration: -time.Minute}
		})},
		{"taskrunspecs-duplicate", false, func(pr *v1.PipelineRun) bool {
			if len(pr.Spec.TaskRunSpecs) == 0 {
				return false
			}
			pr.Spec.TaskRunSpecs = append(pr.Spec.TaskRunSpecs, pr.Spec.TaskRunSpecs[0])
			return true
		}},
		{"taskrunspecs-timeout-over-pipeline", false, func(pr *v1.PipelineRun) bool {
			if len(tasksOf(pr)) == 0 {
				return false
			}
			pr.Spec.Timeouts = &v1.TimeoutFields{Pipeline: &metav1.Duration{Duration: time.Hour}}
			pr.Spec.TaskRunSpecs = append(pr.Spec.TaskRunSpecs, v1.PipelineTaskRunSpec{PipelineTaskName: tasksOf(pr)[0].Name, Timeout: &metav1.Duration{Duration: 2 * time.Hour}})
			return true
		}},

		{"run-workspace-binding-no-source", false, func(pr *v1.PipelineRun) bool {
			pr.Spec.Workspaces = append(pr.Spec.Workspaces, v1.WorkspaceBinding{Name: "empty", SubPath: "x"})
			return true
		}},
		{"run-workspace-binding-pvc-without-claim", false, func(pr *v1.PipelineRun) bool {
			pr.Spec.Workspaces = append(pr.Spec.Workspaces, v1.WorkspaceBinding{Name: "pvc", PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{}})
			return true
		}},

		// Metadata.
		{"label-key-invalid", false, func(pr *v1.PipelineRun) bool {
			pr.Labels["bad key!"] = "x"
			return true
		}},
		{"run-name-too-long", false, func(pr *v1.PipelineRun) bool {
			pr.GenerateName, pr.Name = "", strings.Repeat("a", 64)
			return true
		}},
		{"run-name-invalid", false, func(pr *v1.PipelineRun) bool {
			pr.GenerateName, pr.Name = "", "Not_A_Name"
			return true
		}},
		{"run-pending-and-started", false, func(pr *v1.PipelineRun) bool {
			pr.Spec.Status = v1.PipelineRunSpecStatusPending
			pr.Status.StartTime = &metav1.Time{Time: time.Unix(1, 0)}
			return true
		}},
		{"run-spec-status-invalid", false, func(pr *v1.PipelineRun) bool {
			pr.Spec.Status = "Paused"
			return true
		}},
	}
}

var taskPath = regexp.MustCompile(`spec\.pipelineSpec\.(tasks|finally)\[\d+\]`)

// TestFastAgreesWithFull: on every base and every mutation of it, the fast
// validator rejects exactly when Tekton's full SetDefaults+Validate does.
func TestFastAgreesWithFull(t *testing.T) {
	// Feature flags reach both paths: with enable-api-fields=alpha, Tekton
	// accepts what the default (beta) rejects, e.g. Windows scripts.
	cfg := *config.FromContextOrDefaults(context.Background())
	ff := *cfg.FeatureFlags
	ff.EnableAPIFields = config.AlphaAPIFields
	cfg.FeatureFlags = &ff
	alpha := config.ToContext(context.Background(), &cfg)
	ctxs := []struct {
		name     string
		ctx      context.Context
		maxTasks int
	}{{"default", context.Background(), 1 << 20}, {"alpha", alpha, 5}}
	bs := bases(t)
	ms := mutations()
	if len(ms) < 25 {
		t.Fatalf("only %d mutations", len(ms))
	}
	sample := 3
	if testing.Short() || raceEnabled {
		sample, ctxs = 9, ctxs[:1]
	}
	rejected := map[string]int{}
	applied := map[string]int{}
	fastPath := 0
	cases := 0
	for _, c := range ctxs {
		for bi, b := range bs {
			if len(tasksOf(b.pr)) > c.maxTasks {
				continue
			}
			check := func(what string, pr *v1.PipelineRun, m *mutation) {
				t.Helper()
				cases++
				full := tektonvalidate.Full(c.ctx, pr)
				// What PipelineRun does, keeping note of the path taken.
				var got error
				if fe, ok := tektonvalidate.Fast(c.ctx, pr); ok {
					fastPath++
					if fe != nil {
						got = fe
					}
				} else {
					got = tektonvalidate.Full(c.ctx, pr)
				}
				if (full == nil) != (got == nil) {
					t.Errorf("%s %s: full validation says %v, the fast path says %v", c.name, what, full, got)
					return
				}
				if m == nil {
					return
				}
				applied[m.name]++
				if full != nil {
					rejected[m.name]++
				}
				// Every task Tekton's error names, the fast path's names too.
				if full != nil {
					for _, want := range taskPath.FindAllString(full.Error(), -1) {
						if !strings.Contains(got.Error(), want) {
							t.Errorf("%s %s: error does not point at %s like Tekton's does:\n%v\nTekton: %v", c.name, what, want, got, full)
						}
					}
				}
				// Tekton reports a step's bad param reference without the
				// task; the fast path names it.
				// (Renders with Tekton's matrix take the full validation.)
				if m.perTask && got != nil && !matrixed(pr) {
					want := fmt.Sprintf("spec.pipelineSpec.tasks[%d].taskSpec.steps[0]", mid(pr))
					if !strings.Contains(got.Error(), want) {
						t.Errorf("%s %s: error does not point at %s: %v", c.name, what, want, got)
					}
				}
			}
			check(b.name, b.pr, nil)
			for i := range ms {
				// Every mutation meets the synthetic pipelines (the ones
				// with many tasks of one shape) and a third of the others
				// (a ninth with -short or -race), a different third for
				// each mutation: the whole cross product costs minutes of
				// Full validation for little more.
				if !strings.HasPrefix(b.name, "./synthetic") && (bi+i)%sample != 0 {
					continue
				}
				m := &ms[i]
				pr := b.pr.DeepCopy()
				if !m.apply(pr) {
					continue
				}
				check(b.name+" / "+m.name, pr, m)
			}
		}
	}
	for _, m := range ms {
		if applied[m.name] == 0 {
			t.Errorf("mutation %s applied to no base", m.name)
		}
		t.Logf("%-42s applied %3d  rejected by Tekton %3d", m.name, applied[m.name], rejected[m.name])
	}
	t.Logf("%d cases, %d on the fast path, %d bases, %d mutations", cases, fastPath, len(bs), len(ms))
	if fastPath < cases*3/4 {
		t.Errorf("only %d of %d cases took the fast path", fastPath, cases)
	}
}

// TestFastPathTakesRenders: every valid render takes the fast path (so the
// agreement above is not Full agreeing with itself) and passes.
func TestFastPathTakesRenders(t *testing.T) {
	for _, b := range bases(t) {
		fe, ok := tektonvalidate.Fast(context.Background(), b.pr)
		if matrixed(b.pr) {
			// Tekton's matrix is outside the fast path's shapes: full validation.
			if ok {
				t.Errorf("%s: a matrixed task took the fast path", b.name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: not on the fast path", b.name)
		}
		if fe != nil {
			t.Errorf("%s: %v", b.name, fe)
		}
	}
}

func matrixed(pr *v1.PipelineRun) bool {
	for _, t := range pr.Spec.PipelineSpec.Tasks {
		if t.IsMatrixed() {
			return true
		}
	}
	return false
}

// TestFastDoesNotModifyInput: validation works on copies.
func TestFastDoesNotModifyInput(t *testing.T) {
	for _, b := range bases(t) {
		before := b.pr.DeepCopy()
		_ = tektonvalidate.PipelineRun(context.Background(), b.pr)
		if !reflect.DeepEqual(before, b.pr) {
			t.Errorf("%s: PipelineRun modified its input", b.name)
		}
	}
}

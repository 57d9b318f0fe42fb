package tektonvalidate_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonvalidate"
)

// fragments build adversarial strings: references of every kind Tekton's
// checks look for, well and badly formed, and the punctuation that decides
// where a reference ends.
var fragments = []string{
	"$(", ")", "$(params.", "$(params.NAME)", "$(params.NAME", "$(params.nope)", "$(params.NAME.key)",
	"$(params.a.b.c)", `$(params["NAME"])`, `$(params['nope'])`, "$(params.NAME[*])", "$(params.NAME[0])",
	"$(context.taskRun.name)", "$(context.taskRun.nope)", "$(context.task.retry-count)", "$(context.task.nope)",
	"$(context.pipelineRun.name)", "$(results.RESULT.path)", "$(results.nope.path)", "$(step.results.x.path)",
	"$(steps.s.results.r)", "$(steps.s.outputs.o)", "$(tasks.t.outputs.o)", "$(tasks.TASK.results.o)",
	"$(tasks.nope.results.o)", "$(workspaces.workspace.path)", "$(artifacts.path)", "$(step.artifacts.path)",
	"$(params.zmlpipe-norm-0)", "zmlpipe-norm-1", "NAME", "[", "]", "*", ".", "\"", "'", "\n", " ", "#!win ",
	"x", "--flag=", "0.5", "$$", "$", "(", "$(whoami)", "${HOME}",
}

func randomText(r *rand.Rand, names, results, tasks []string) string {
	var b strings.Builder
	for i := 0; i < 1+r.Intn(6); i++ {
		b.WriteString(fragments[r.Intn(len(fragments))])
	}
	s := b.String()
	pick := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return l[r.Intn(len(l))]
	}
	for strings.Contains(s, "NAME") {
		s = strings.Replace(s, "NAME", pick(names), 1)
	}
	for strings.Contains(s, "RESULT") {
		s = strings.Replace(s, "RESULT", pick(results), 1)
	}
	for strings.Contains(s, "TASK") {
		s = strings.Replace(s, "TASK", pick(tasks), 1)
	}
	return s
}

// TestFastAgreesOnRandomStrings puts random references into random step
// fields, param values and when expressions of random tasks, several tasks
// at a time (so that changed tasks still share shapes with others), and
// compares the fast path with Full.
func TestFastAgreesOnRandomStrings(t *testing.T) {
	base := renderFile(t, "synthetic-10.yaml", []byte(synthetic(10, false)))[0].pr
	n, seed := 150, int64(1)
	if testing.Short() || raceEnabled {
		n = 30
	}
	// For a longer hunt: TEKTONVALIDATE_RANDOM=cases[,seed].
	if v := os.Getenv("TEKTONVALIDATE_RANDOM"); v != "" {
		if _, err := fmt.Sscanf(strings.ReplaceAll(v, ",", " "), "%d %d", &n, &seed); err != nil && n == 150 {
			t.Fatalf("TEKTONVALIDATE_RANDOM=%q: want cases[,seed]", v)
		}
	}
	r := rand.New(rand.NewSource(seed))
	ctx := context.Background()
	rejected, fast := 0, 0
	for i := 0; i < n; i++ {
		pr := base.DeepCopy()
		all := append(append([]v1.PipelineTask(nil), pr.Spec.PipelineSpec.Tasks...), pr.Spec.PipelineSpec.Finally...)
		var names, results, tasks []string
		for _, pt := range all {
			tasks = append(tasks, pt.Name)
			for _, p := range pt.TaskSpec.Params {
				names = append(names, p.Name)
			}
			for _, res := range pt.TaskSpec.Results {
				results = append(results, res.Name)
			}
		}
		var what []string
		for k := 0; k < 1+r.Intn(3); k++ {
			var pt *v1.PipelineTask
			if j := r.Intn(len(all)); j < len(pr.Spec.PipelineSpec.Tasks) {
				pt = &pr.Spec.PipelineSpec.Tasks[j]
			} else {
				pt = &pr.Spec.PipelineSpec.Finally[j-len(pr.Spec.PipelineSpec.Tasks)]
			}
			st := &pt.TaskSpec.Steps[0]
			s := randomText(r, names, results, tasks)
			switch f := r.Intn(10); f {
			case 0:
				st.Args = append(st.Args, s)
			case 1:
				st.Command = append(st.Command, s)
			case 2:
				st.Env = append(st.Env, corev1.EnvVar{Name: "R", Value: s})
			case 3:
				st.Image += s
			case 4:
				st.WorkingDir = s
			case 5:
				st.Command, st.Args = nil, nil
				st.Script = randomText(r, names, results, tasks) + "\n" + s + "\n"
			case 6:
				st.Command, st.Args = nil, nil
				st.Script = s
			case 7: // a param value, under a name the task declares or not
				name := "extra"
				if len(pt.TaskSpec.Params) > 0 && r.Intn(2) == 0 {
					name = pt.TaskSpec.Params[r.Intn(len(pt.TaskSpec.Params))].Name
					for j := range pt.Params {
						if pt.Params[j].Name == name {
							pt.Params[j].Value = *v1.NewStructuredValues(s)
						}
					}
				} else {
					pt.Params = append(pt.Params, v1.Param{Name: name, Value: *v1.NewStructuredValues(s)})
				}
			case 8:
				pt.When = append(pt.When, v1.WhenExpression{Input: s, Operator: "in", Values: []string{"x"}})
			case 9:
				pt.When = append(pt.When, v1.WhenExpression{Input: "$(params.lr)", Operator: "notin", Values: []string{s}})
			}
			what = append(what, fmt.Sprintf("%s: %q", pt.Name, s))
		}
		full := tektonvalidate.Full(ctx, pr)
		fe, ok := tektonvalidate.Fast(ctx, pr)
		if ok {
			fast++
		}
		got := error(nil)
		if !ok {
			got = tektonvalidate.Full(ctx, pr)
		} else if fe != nil {
			got = fe
		}
		if full != nil {
			rejected++
		}
		if (full == nil) != (got == nil) {
			t.Errorf("case %d %v: full validation says %v, the fast path says %v", i, what, full, got)
		}
	}
	t.Logf("%d cases, %d rejected by Tekton, %d on the fast path", n, rejected, fast)
	if rejected == 0 || rejected == n {
		t.Errorf("random cases are all %s: the test is not telling anything apart", map[bool]string{true: "rejected", false: "accepted"}[rejected == n])
	}
}

// TestShapesCollapse: tasks that differ only in literal text and in which
// upstream outputs they read share one check.
func TestShapesCollapse(t *testing.T) {
	pr := renderFile(t, "synthetic-40.yaml", []byte(synthetic(40, false)))[0].pr
	tasks, shapes, checks := tektonvalidate.Plan(context.Background(), pr)
	t.Logf("%d tasks, %d shapes, %d checks", tasks, shapes, checks)
	if tasks != 41 || shapes > 6 || checks > 6 {
		t.Errorf("%d tasks make %d shapes and %d checks; want 41 tasks in at most 6 shapes and 6 checks", tasks, shapes, checks)
	}
}

// TestPlanOfBenchSpecs logs how the benchmark specs collapse. It runs when
// MLPIPE_BENCH_SPECS_DIR holds them (go test -run TestWriteBenchSpecs
// ./pkg/compiler/ with the same variable writes them).
func TestPlanOfBenchSpecs(t *testing.T) {
	dir := os.Getenv("MLPIPE_BENCH_SPECS_DIR")
	if dir == "" {
		t.Skip("MLPIPE_BENCH_SPECS_DIR not set")
	}
	for _, n := range []int{10, 100, 1000} {
		file := fmt.Sprintf("%s/bench-%d.yaml", dir, n)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		pr := renderFile(t, file, data)[0].pr
		tasks, shapes, checks := tektonvalidate.Plan(context.Background(), pr)
		t.Logf("bench-%d.yaml: %d tasks, %d shapes, %d per-task checks", n, tasks, shapes, checks)
	}
}

// TestDistinctScriptsCollapse: steps whose scripts differ in every line,
// the first included ("echo step 7"), share one check, as long as no line
// holds a reference; a first line starting with "#!win" keeps its own
// check, and the fast path still agrees with Full on it.
func TestDistinctScriptsCollapse(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: scripts}\nspec:\n  image: busybox:1.36\n  steps:\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "    - name: s%d\n      script: |\n        echo step %d\n        # %d %s\n", i, i, i, strings.Repeat("x", 40))
	}
	pr := renderFile(t, "scripts.yaml", []byte(b.String()))[0].pr
	tasks, shapes, checks := tektonvalidate.Plan(context.Background(), pr)
	if tasks != 60 || shapes != 1 || checks != 1 {
		t.Errorf("60 distinct scripts make %d tasks, %d shapes, %d checks; want 60, 1, 1", tasks, shapes, checks)
	}
	win := pr.DeepCopy()
	win.Spec.PipelineSpec.Tasks[7].TaskSpec.Steps[0].Script = "\n  #!win powershell\nWrite-Host hi\n"
	if _, shapes, _ := tektonvalidate.Plan(context.Background(), win); shapes != 2 {
		t.Errorf("a #!win script shares its shape with the others (%d shapes)", shapes)
	}
	ctx := context.Background()
	fastErr, ok := tektonvalidate.Fast(ctx, win)
	if !ok {
		t.Fatal("the fast path did not take the run")
	}
	if fullErr := tektonvalidate.Full(ctx, win); (fastErr == nil) != (fullErr == nil) || fullErr == nil {
		t.Errorf("#!win without alpha fields: fast %v, Full %v; want both to refuse", fastErr, fullErr)
	}
}

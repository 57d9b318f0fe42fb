package tekton_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

func referencedYAML(t *testing.T, ref *tekton.Referenced) []byte {
	t.Helper()
	var out bytes.Buffer
	for i, o := range ref.Objects() {
		u, err := tekton.Unstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes()
}

// TestGoldenReferenced: every golden case in referenced mode, byte for byte
// (want-referenced.yaml beside want.yaml).
func TestGoldenReferenced(t *testing.T) {
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, res := compile(t, c)
			got := referencedYAML(t, tekton.Reference(res.PipelineRun))
			want := filepath.Join(filepath.Dir(c.want), "want-referenced.yaml")
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/render/tekton -update)", err)
			}
			if !bytes.Equal(got, b) {
				t.Errorf("referenced render of %s differs from %s (run with -update and review the diff):\n%s", c.spec, want, lineDiff(string(b), string(got)))
			}
		})
	}
}

// TestReferenceRoundTrip: Inline undoes Reference exactly, so every reader
// sees a referenced run as the embedded one it was split from; the objects
// are valid Tekton, named within 63 characters, one Task per distinct spec.
func TestReferenceRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, res := compile(t, c)
			pr := res.PipelineRun
			ref := tekton.Reference(pr)
			if !tekton.IsReferenced(ref.Run) || tekton.IsReferenced(pr) {
				t.Fatal("IsReferenced is wrong")
			}
			if ref.Run.Spec.PipelineRef.Name != ref.Pipeline.Name {
				t.Fatalf("run names %q, Pipeline is %q", ref.Run.Spec.PipelineRef.Name, ref.Pipeline.Name)
			}
			tasks := map[string]*v1.Task{}
			specs := map[string]string{}
			for _, tk := range ref.Tasks {
				if len(tk.Name) > 63 || !strings.HasPrefix(tk.Name, pr.Labels[tekton.LabelPipeline][:min(len(pr.Labels[tekton.LabelPipeline]), 54)]) {
					t.Errorf("Task name %q", tk.Name)
				}
				b, _ := yaml.Marshal(tk.Spec)
				if other, dup := specs[string(b)]; dup {
					t.Errorf("Tasks %s and %s have the same spec", other, tk.Name)
				}
				specs[string(b)] = tk.Name
				tasks[tk.Name] = tk
				if err := tk.Validate(ctx); err != nil {
					t.Errorf("Tekton rejects Task %s: %v", tk.Name, err)
				}
			}
			if got, want := tekton.TaskNames(ref.Pipeline), len(ref.Tasks); len(got) != want {
				t.Errorf("the Pipeline names %d Tasks, the split made %d", len(got), want)
			}
			p := ref.Pipeline.DeepCopy()
			p.SetDefaults(ctx)
			ff, err := config.NewFeatureFlagsFromMap(map[string]string{"enable-api-fields": "beta"})
			if err != nil {
				t.Fatal(err)
			}
			defaults, err := config.NewDefaultsFromMap(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(config.ToContext(ctx, &config.Config{FeatureFlags: ff, Defaults: defaults})); err != nil {
				t.Errorf("Tekton rejects the Pipeline: %v", err)
			}
			back, err := tekton.Inline(ref.Run, ref.Pipeline, tasks)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, pr) {
				a, _ := yaml.Marshal(pr)
				b, _ := yaml.Marshal(back)
				t.Errorf("Inline(Reference(pr)) differs from pr:\n%s", lineDiff(string(a), string(b)))
			}
			// A Task gone from the cluster is named.
			if len(ref.Tasks) > 0 {
				delete(tasks, ref.Tasks[0].Name)
				if _, err := tekton.Inline(ref.Run, ref.Pipeline, tasks); err == nil || !strings.Contains(err.Error(), ref.Tasks[0].Name) {
					t.Errorf("missing Task: got %v", err)
				}
			}
		})
	}
}

// TestReferenceSharesTasks: steps that differ only in their params and
// metadata (a sweep's instances, expanded on the client) share one Task,
// and each keeps its own labels through taskRunSpecs.
func TestReferenceSharesTasks(t *testing.T) {
	c := goldenCase{name: "sweep", spec: "../../../examples/hyperparameter-sweep.yaml"}
	_, res := compile(t, c)
	ref := tekton.Reference(res.PipelineRun)
	train := 0
	for _, pt := range ref.Pipeline.Spec.Tasks {
		if strings.HasPrefix(pt.Name, "train-") {
			train++
			if pt.TaskRef == nil || pt.TaskRef.Name != ref.Pipeline.Spec.Tasks[0].TaskRef.Name {
				t.Errorf("%s does not share the first train step's Task: %+v", pt.Name, pt.TaskRef)
			}
		}
	}
	if train < 2 {
		t.Fatalf("the sweep has %d train steps", train)
	}
	if len(ref.Tasks) >= train {
		t.Errorf("%d Tasks for %d train steps and the rest: the sweep's steps should share one", len(ref.Tasks), train)
	}
	for _, trs := range ref.Run.Spec.TaskRunSpecs {
		if trs.Metadata == nil || trs.Metadata.Labels[tekton.LabelStep] != trs.PipelineTaskName {
			t.Errorf("taskRunSpecs %s: step label %v", trs.PipelineTaskName, trs.Metadata)
		}
	}
	if a, b := tekton.Reference(res.PipelineRun), tekton.Reference(res.PipelineRun); a.Pipeline.Name != b.Pipeline.Name || a.Tasks[0].Name != b.Tasks[0].Name {
		t.Error("names are not stable")
	}
}

func TestHashNameFitsTekton(t *testing.T) {
	long := strings.Repeat("p", 57)
	sum := strings.Repeat("ab", 32)
	if n := tekton.HashName(long, sum); len(n) != 63 || !strings.HasSuffix(n, "-abababab") {
		t.Errorf("HashName(57 chars) = %q (%d)", n, len(n))
	}
	if n := tekton.HashName("train", sum); n != "train-abababab" {
		t.Errorf("got %q", n)
	}
}

// The budget marshals an embedded run a task at a time; the size it adds up
// must be the run's JSON to the byte, and every step must be measured.
func TestBudgetMeasuresEveryRenderExactly(t *testing.T) {
	for _, c := range cases(t) {
		_, res := compile(t, c)
		pr := res.PipelineRun
		e := budget.Run(pr, nil)
		if want := budget.Size(pr); e.Sent != want {
			t.Errorf("%s: budget counts %d bytes sent, the JSON is %d", c.name, e.Sent, want)
		}
		if n := len(pr.Spec.PipelineSpec.Tasks) + len(pr.Spec.PipelineSpec.Finally); len(e.Steps) != n {
			t.Errorf("%s: %d steps measured, the run has %d tasks", c.name, len(e.Steps), n)
		}
	}
}

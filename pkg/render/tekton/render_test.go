package tekton_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

var update = flag.Bool("update", false, "rewrite the golden want.yaml files")

type goldenCase struct {
	name, spec, want, options string
}

// cases are testdata/<case>/spec.yaml and every examples/*.yaml (golden in
// testdata/example-<name>/want.yaml).
func cases(t *testing.T) []goldenCase {
	t.Helper()
	var out []goldenCase
	dirs, err := filepath.Glob("testdata/*/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range dirs {
		dir := filepath.Dir(s)
		out = append(out, goldenCase{name: filepath.Base(dir), spec: s, want: filepath.Join(dir, "want.yaml"), options: filepath.Join(dir, "options.yaml")})
	}
	examples, err := filepath.Glob("../../../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 6 {
		t.Fatalf("found %d examples, want at least 6", len(examples))
	}
	for _, e := range examples {
		name := "example-" + strings.TrimSuffix(filepath.Base(e), ".yaml")
		out = append(out, goldenCase{name: name, spec: e, want: filepath.Join("testdata", name, "want.yaml")})
	}
	return out
}

type caseOptions struct {
	Name   string            `json:"name"`
	Params map[string]string `json:"params"`
}

func compile(t *testing.T, c goldenCase) (*spec.Document, *compiler.Result) {
	t.Helper()
	data, err := os.ReadFile(c.spec)
	if err != nil {
		t.Fatal(err)
	}
	var opts caseOptions
	if c.options != "" {
		if b, err := os.ReadFile(c.options); err == nil {
			if err := yaml.UnmarshalStrict(b, &opts); err != nil {
				t.Fatal(err)
			}
		}
	}
	docs, err := spec.Load(filepath.Base(c.spec), data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), docs[0], compiler.Options{Name: opts.Name, Params: opts.Params, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	return docs[0], res
}

func renderYAML(t *testing.T, res *compiler.Result) []byte {
	t.Helper()
	obj, err := tekton.Unstructured(res.PipelineRun)
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, res := compile(t, c)
			got := renderYAML(t, res)
			if *update {
				if err := os.MkdirAll(filepath.Dir(c.want), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(c.want, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(c.want)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/render/tekton -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("render of %s differs from %s (run with -update and review the diff):\n%s", c.spec, c.want, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestGoldenIsValidTekton decodes every golden file strictly into Tekton's
// types (catching invented fields) and runs Tekton's SetDefaults and
// Validate on it under the default and the stable-only feature flags.
func TestGoldenIsValidTekton(t *testing.T) {
	flagSets := map[string]string{"default": "", "stable": "stable", "beta": "beta"}
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(c.want)
			if err != nil {
				t.Fatal(err)
			}
			var pr v1.PipelineRun
			if err := yaml.UnmarshalStrict(b, &pr); err != nil {
				t.Fatalf("golden is not a strict tekton.dev/v1 PipelineRun: %v", err)
			}
			if pr.APIVersion != "tekton.dev/v1" || pr.Kind != "PipelineRun" {
				t.Fatalf("got %s %s", pr.APIVersion, pr.Kind)
			}
			for name, fields := range flagSets {
				ctx := context.Background()
				if fields != "" {
					ff, err := config.NewFeatureFlagsFromMap(map[string]string{"enable-api-fields": fields})
					if err != nil {
						t.Fatal(err)
					}
					defaults, err := config.NewDefaultsFromMap(nil)
					if err != nil {
						t.Fatal(err)
					}
					ctx = config.ToContext(ctx, &config.Config{FeatureFlags: ff, Defaults: defaults})
				}
				c := pr.DeepCopy()
				if c.Name == "" {
					c.Name = "placeholder"
				}
				c.SetDefaults(ctx)
				err := c.Validate(ctx)
				if fields == "stable" && matrixed(c) {
					// Tekton's matrix is a beta field: a stable-only cluster
					// refuses it, and render --expand-matrix is the way out.
					if err == nil || !strings.Contains(err.Error(), `matrix requires "enable-api-fields" feature gate to be "alpha" or "beta"`) {
						t.Errorf("feature flags stable: want Tekton to refuse the matrix, got %v", err)
					}
					continue
				}
				if err != nil {
					t.Errorf("feature flags %s: Tekton rejects the golden render: %v", name, err)
				}
			}
		})
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

func TestRenderIsDeterministic(t *testing.T) {
	for _, c := range cases(t) {
		_, first := compile(t, c)
		want := renderYAML(t, first)
		for i := 0; i < 5; i++ {
			_, again := compile(t, c)
			if got := renderYAML(t, again); !bytes.Equal(got, want) {
				t.Fatalf("%s: render %d differs from the first:\n%s", c.name, i, lineDiff(string(want), string(got)))
			}
		}
	}
}

// TestExplainCoversEverySetting: every value a spec sets appears in
// render --explain, on the field itself or on an enclosing one.
func TestExplainCoversEverySetting(t *testing.T) {
	skip := map[string]bool{"apiVersion": true, "kind": true}
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			doc, res := compile(t, c)
			var explained []string
			for _, e := range res.Explain {
				explained = append(explained, e.Spec)
			}
			for _, leaf := range doc.Leaves {
				if skip[leaf] {
					continue
				}
				if !coveredBy(leaf, explained) {
					t.Errorf("%s: spec field %s is set but render --explain says nothing of it", c.name, leaf)
				}
			}
		})
	}
}

func coveredBy(leaf string, explained []string) bool {
	for _, e := range explained {
		if leaf == e || strings.HasPrefix(leaf, e+".") || strings.HasPrefix(leaf, e+"[") {
			return true
		}
	}
	return false
}

// lineDiff shows the first differing lines, enough to find the change.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown >= 10 {
				break
			}
		}
	}
	return b.String()
}

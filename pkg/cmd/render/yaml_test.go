package render

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// both prints objs with cli-runtime's YAMLPrinter and with ours. kubectl's
// printer refuses some control characters its JSON round trip meets (ok is
// false then); ours must print them all.
func both(t *testing.T, objs []*unstructured.Unstructured) (want, got []byte, ok bool) {
	t.Helper()
	var w, g bytes.Buffer
	kp, fp := &printers.YAMLPrinter{}, &yamlPrinter{fallback: &printers.YAMLPrinter{}}
	ok = true
	for _, o := range objs {
		if err := kp.PrintObj(o, &w); err != nil {
			ok = false
		}
		if err := fp.PrintObj(o, &g); err != nil {
			t.Fatal(err)
		}
	}
	return w.Bytes(), g.Bytes(), ok
}

// Every golden spec and every example, embedded and referenced (several
// objects, with the --- between them), prints the same bytes as kubectl's
// YAML printer would.
func TestYAMLPrinterPrintsAsKubectl(t *testing.T) {
	files, _ := filepath.Glob("../../render/tekton/testdata/*/spec.yaml")
	examples, _ := filepath.Glob("../../../examples/*.yaml")
	files = append(files, examples...)
	if len(files) < 10 {
		t.Fatalf("found %d specs; the test is looking in the wrong place", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := spec.Load(f, data)
		if err != nil {
			continue // specs that test load errors
		}
		for _, doc := range docs {
			res, err := compiler.Compile(context.Background(), doc, compiler.Options{})
			if err != nil {
				continue // specs that test other errors
			}
			var objs []*unstructured.Unstructured
			var typed []k8sruntime.Object
			for _, o := range append([]tekton.Object{res.PipelineRun}, tekton.Reference(res.PipelineRun).Objects()...) {
				u, err := tekton.Unstructured(o)
				if err != nil {
					t.Fatal(err)
				}
				objs = append(objs, u)
				typed = append(typed, o)
			}
			want, got, ok := both(t, objs)
			if !ok || !bytes.Equal(want, got) {
				t.Errorf("%s: our YAML differs from kubectl's printer:\n%s\n--- kubectl's:\n%s", f, got, want)
			}
			var all bytes.Buffer
			if err := (&yamlPrinter{}).printAll(typed, &all); err != nil || !bytes.Equal(all.Bytes(), want) {
				t.Errorf("%s: printAll (%v) differs from printing one by one:\n%s", f, err, all.String())
			}
		}
	}
}

// Strings that YAML must quote, fold or block, in keys and values, print the
// same bytes as kubectl's YAML printer would.
func TestYAMLPrinterQuotesAsKubectl(t *testing.T) {
	pieces := []string{"a", "yes", "no", "on", "null", "~", "true", "1", "0x1F", "1e3", "-", "- ", ": ", ":", "#", " #", "'", "\"", "\\", "\n", "\t", " ", "  ",
		"é", "日本", "\u00a0", "\u2028", "\x7f", "{", "}", "[", "]", ",", "&", "*", "!", "|", ">", "%", "@", "`", "?", "$(params.x)", "---", "...", strings.Repeat("word ", 20)}
	rng := rand.New(rand.NewPCG(3, 4))
	str := func() string {
		var b strings.Builder
		for n := rng.IntN(8); n >= 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for i := 0; i < 3000; i++ {
		labels := map[string]any{}
		var list []any
		for j := 0; j < 4; j++ {
			labels[str()] = str()
			list = append(list, map[string]any{"name": str(), "script": str(), "args": []any{str(), str()}, "n": int64(rng.IntN(100))})
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
			"metadata": map[string]any{"name": "x", "labels": labels},
			"spec":     map[string]any{"steps": list, "empty": map[string]any{}, "none": []any{}, "flag": rng.IntN(2) == 0},
		}}
		if want, got, ok := both(t, []*unstructured.Unstructured{u}); ok && !bytes.Equal(want, got) {
			t.Fatalf("our YAML differs from kubectl's printer:\n%s\n--- kubectl's:\n%s", got, want)
		}
	}
}

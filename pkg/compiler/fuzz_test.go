package compiler

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonvalidate"
)

// FuzzCompile feeds arbitrary bytes through load, validation, model,
// render and Tekton's validation. It must never panic, and every rejection
// must be one of the typed errors the CLI turns into a precise message.
func FuzzCompile(f *testing.F) {
	for _, pattern := range []string{"../../examples/*.yaml", "../../testdata/invalid/*.yaml", "../render/tekton/testdata/*/spec.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: a}\nspec: {steps: [{name: s, image: x}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := spec.Load("fuzz.yaml", data)
		if err != nil {
			var ie *spec.InvalidError
			if !errors.As(err, &ie) || len(ie.Diagnostics) == 0 {
				t.Fatalf("load rejected input with an untyped or empty error: %v", err)
			}
			return
		}
		for _, doc := range docs {
			_, err := Compile(context.Background(), doc, Options{})
			if err == nil {
				continue
			}
			var ie *spec.InvalidError
			var pe *model.ParamError
			var be *tektonvalidate.BugError
			switch {
			case errors.As(err, &ie):
				for _, d := range ie.Diagnostics {
					if d.Line < 1 || d.Column < 1 || d.File != "fuzz.yaml" {
						t.Fatalf("diagnostic without a position: %+v", d)
					}
				}
			case errors.As(err, &pe):
			case errors.As(err, &be):
				// A spec our validation accepts but Tekton rejects is a renderer bug.
				t.Fatalf("valid spec renders to an object Tekton rejects: %v\n%s", err, data)
			default:
				t.Fatalf("untyped error: %v", err)
			}
		}
	})
}

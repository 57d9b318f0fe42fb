package compiler

import (
	"context"
	"fmt"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonvalidate"
)

// The stage benchmarks run each stage alone on genSpec(n) for n in
// benchSizes; BenchmarkCompile runs them all, from YAML text to a validated
// PipelineRun. docs/performance.md records the figures. Run with
//
//	go test -run '^$' -bench . -benchmem -count 5 ./pkg/compiler/

type benchInput struct {
	data []byte
	doc  *spec.Document
	m    *model.Model
	pr   *v1.PipelineRun
}

func prepare(b *testing.B, n int) benchInput {
	b.Helper()
	doc, data := loadGen(b, n)
	if ds := Check(doc); len(ds.Errors()) > 0 {
		b.Fatalf("generated spec is invalid: %v", ds)
	}
	m, err := model.Build(doc.Pipeline, nil)
	if err != nil {
		b.Fatal(err)
	}
	pr, _ := tekton.Render(m, tekton.Options{})
	return benchInput{data: data, doc: doc, m: m, pr: pr}
}

func eachSize(b *testing.B, fn func(b *testing.B, in benchInput)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			in := prepare(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			fn(b, in)
		})
	}
}

// BenchmarkLoad: YAML text → spec.Document (strict decode with positions).
func BenchmarkLoad(b *testing.B) {
	eachSize(b, func(b *testing.B, in benchInput) {
		b.SetBytes(int64(len(in.data)))
		for b.Loop() {
			if _, err := spec.Load("bench.yaml", in.data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidate: compiler.Check, our own validation of the spec.
func BenchmarkValidate(b *testing.B) {
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			if ds := Check(in.doc); len(ds.Errors()) > 0 {
				b.Fatal(ds)
			}
		}
	})
}

// BenchmarkBuild: model.Build, settings merged per step.
func BenchmarkBuild(b *testing.B) {
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			if _, err := model.Build(in.doc.Pipeline, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRender: model → PipelineRun (with the --explain records).
func BenchmarkRender(b *testing.B) {
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			tekton.Render(in.m, tekton.Options{})
		}
	})
}

// BenchmarkTektonValidate: what Compile runs, tektonvalidate.PipelineRun.
func BenchmarkTektonValidate(b *testing.B) {
	ctx := context.Background()
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			if err := tektonvalidate.PipelineRun(ctx, in.pr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTektonValidateFull: Tekton's SetDefaults and Validate on the
// whole object at once, the reference the fast path is tested against.
func BenchmarkTektonValidateFull(b *testing.B) {
	ctx := context.Background()
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			if err := tektonvalidate.Full(ctx, in.pr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompileFull: end to end as it was before the fast path: the
// stages of Compile, then Tekton's full validation of the whole object.
func BenchmarkCompileFull(b *testing.B) {
	ctx := context.Background()
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			docs, err := spec.Load("bench.yaml", in.data)
			if err != nil {
				b.Fatal(err)
			}
			res, err := Compile(ctx, docs[0], Options{SkipTektonValidation: true})
			if err != nil {
				b.Fatal(err)
			}
			if err := tektonvalidate.Full(ctx, res.PipelineRun); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompile: end to end, YAML text → validated PipelineRun, every
// check on: Load, Check, Build, Render and Tekton's validation.
func BenchmarkCompile(b *testing.B) {
	ctx := context.Background()
	eachSize(b, func(b *testing.B, in benchInput) {
		for b.Loop() {
			docs, err := spec.Load("bench.yaml", in.data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Compile(ctx, docs[0], Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package model

import (
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

func load(t *testing.T, src string) *spec.Pipeline {
	t.Helper()
	docs, err := spec.Load("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return docs[0].Pipeline
}

func TestSpecHashIgnoresFormatting(t *testing.T) {
	a := load(t, "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: h, labels: {b: '2', a: '1'}}\nspec: {steps: [{name: s, image: x}]}\n")
	b := load(t, "# a comment\nkind: Pipeline\napiVersion: mlpipe.dev/v1alpha1\nmetadata:\n  name: h\n  labels:\n    a: \"1\"\n    b: \"2\"\nspec:\n  steps:\n    - image: x\n      name: s\n")
	c := load(t, "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: h, labels: {b: '2', a: '1'}}\nspec: {steps: [{name: s, image: y}]}\n")
	if SpecHash(a) != SpecHash(b) {
		t.Error("formatting, comments and key order must not change the hash")
	}
	if SpecHash(a) == SpecHash(c) {
		t.Error("a changed image must change the hash")
	}
}

func TestBuildDataDependenciesAndParams(t *testing.T) {
	p := load(t, `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: m}
spec:
  image: x
  params: [{name: lr, default: "0.1"}, {name: need}]
  steps:
    - {name: a, command: [x], outputs: [o]}
    - {name: b, command: [x], outputs: [o]}
    - {name: c, command: [x, $(steps.b.outputs.o), $(steps.a.outputs.o)], after: [a], env: [{name: E, value: $(params.lr)}]}
`)
	m, err := Build(p, map[string]string{"need": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Steps[2].After; len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("after: explicit first, then data deps, deduplicated: got %v", got)
	}
	if m.Params[0].Value != "0.1" || m.Params[1].Value != "v" || !m.Params[1].FromFlag {
		t.Errorf("params: %+v", m.Params)
	}
	if _, err := Build(p, nil); err == nil {
		t.Error("a param without default and without -p must fail")
	}
	if _, err := Build(p, map[string]string{"need": "v", "typo": "1"}); err == nil || err.Error() != `unknown param "typo" in -p (declared: lr, need)` {
		t.Errorf("unknown -p: %v", err)
	}
	if got := m.Graph().Deps("c"); len(got) != 2 {
		t.Errorf("graph deps: %v", got)
	}
}

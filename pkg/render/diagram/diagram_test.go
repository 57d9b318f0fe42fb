package diagram_test

import (
	"strings"
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/diagram"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

const src = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: d}
spec:
  image: x
  settings: {pod: {nodeSelector: {node-pool: cpu}}}
  params: [{name: deploy, default: "true"}]
  steps:
    - {name: a, command: [x], outputs: [o]}
    - {name: g, command: [x], when: [{input: $(params.deploy), operator: in, values: ["true"]}]}
    - {name: b, command: [x, $(steps.a.outputs.o)], settings: {resources: {gpu: 2, memory: 8Gi}, pod: {nodeSelector: {node-pool: gpu}}}}
    - {name: c, command: [x], after: [a]}
  finally:
    - {name: f, command: [x]}
`

func build(t *testing.T) *model.Model {
	t.Helper()
	docs, err := spec.Load("d.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(docs[0].Pipeline, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDot(t *testing.T) {
	out := diagram.Dot(build(t))
	for _, want := range []string{
		`"b" [label="b\n2× nvidia.com/gpu\nmem 8Gi\nnode-pool=gpu", color="darkgreen", penwidth=2];`,
		`"a" -> "b";`, `"a" -> "c";`,
		`"b" -> "f" [style=dashed];`, `"c" -> "f" [style=dashed];`,
		`"g" [label="g\nnode-pool=cpu", xlabel="when"];`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dot lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"a" -> "f"`) {
		t.Error("finally hangs off the leaves only")
	}
}

func TestMermaid(t *testing.T) {
	out := diagram.Mermaid(build(t))
	for _, want := range []string{"flowchart LR", `s_b["<b>b</b><br/>2× nvidia.com/gpu<br/>mem 8Gi<br/>node-pool=gpu"]`, "s_a --> s_b", "s_c -.-> s_f", "class s_b gpu", `s_f(["<b>f</b><br/>node-pool=cpu"])`,
		`s_g["<b>g</b><br/>node-pool=cpu<br/><i>when</i>"]`, "class s_g when"} {
		if !strings.Contains(out, want) {
			t.Errorf("mermaid lacks %s:\n%s", want, out)
		}
	}
}

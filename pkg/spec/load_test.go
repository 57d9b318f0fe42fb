package spec

import (
	"errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"strings"
	"testing"
)

const valid = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata:
  name: p
spec:
  params:
    - name: lr
      default: 0.01
  settings:
    resources:
      memory: 2Gi
      gpu: 1
    pod:
      nodeSelector:
        nvidia.com/gpu.product: a100
  steps:
    - name: a
      image: busybox
      command: [echo, hi]
`

func TestLoadPositions(t *testing.T) {
	docs, err := Load("p.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	for path, want := range map[string]Pos{
		"spec.settings.resources.memory":                         {11, 15},
		"spec.settings.pod.nodeSelector[nvidia.com/gpu.product]": {15, 33},
		"spec.steps[0].command[1]":                               {19, 23},
		"spec.steps[0].name":                                     {17, 13},
		"spec.steps[0].settings.resources.memory":                {17, 7}, // not set: the step itself
	} {
		if got := d.Positions.Lookup(path); got != want {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
	// A bare number in a string field keeps its text exactly.
	if got := *d.Pipeline.Spec.Params[0].Default; got != "0.01" {
		t.Errorf("default: got %q", got)
	}
	if g := d.Pipeline.Spec.Settings.Resources.GPU; g == nil || *g != 1 {
		t.Errorf("gpu: got %v", g)
	}
}

func loadErrs(t *testing.T, src string) Diagnostics {
	t.Helper()
	_, err := Load("x.yaml", []byte(src))
	var ie *InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InvalidError, got %v", err)
	}
	return ie.Diagnostics
}

func TestLoadReportsEveryStructuralError(t *testing.T) {
	src := strings.Replace(valid, "      image: busybox\n", "      image: busybox\n      imag: x\n      retries: many\n", 1)
	src = strings.Replace(src, "      memory: 2Gi\n", "      memory: 2Gi\n      memory: 3Gi\n", 1)
	ds := loadErrs(t, src)
	want := []string{
		"x.yaml:12:7: spec.settings.resources.memory: duplicate field \"memory\" (first set on line 11)",
		"x.yaml:20:7: spec.steps[0].imag: unknown field \"imag\" (did you mean \"image\"?)",
		"x.yaml:21:16: spec.steps[0].retries: Invalid value: \"many\": expected a whole number, got a string",
	}
	if len(ds) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%v", len(ds), len(want), ds)
	}
	for i, w := range want {
		if ds[i].String() != w {
			t.Errorf("got  %s\nwant %s", ds[i].String(), w)
		}
	}
}

func TestLoadTypeErrors(t *testing.T) {
	for name, c := range map[string]struct{ src, want string }{
		"list for object":                {strings.Replace(valid, "    pod:\n", "    pod: [a]\n    podx:\n", 1), "spec.settings.pod: expected an object, got a list"},
		"fractional gpu":                 {strings.Replace(valid, "gpu: 1", "gpu: 1.5", 1), "spec.settings.resources.gpu: Invalid value: 1.5: must be a whole number"},
		"bad quantity in a corev1 field": {strings.Replace(valid, "    - name: a\n", "    - name: a\n      settings: {pod: {volumes: [{name: v, emptyDir: {sizeLimit: 3GB}}]}}\n", 1), "sizeLimit: Invalid value: \"3GB\""},
		"syntax":                         {"spec: [\n", "YAML syntax error"},
		"duplicate key":                  {strings.Replace(valid, "nvidia.com/gpu.product: a100", "{a: b, a: c}", 1), "duplicate key \"a\""},
	} {
		t.Run(name, func(t *testing.T) {
			ds := loadErrs(t, c.src)
			found := false
			for _, d := range ds {
				if strings.Contains(d.String(), c.want) {
					found = true
				}
				if d.Line < 1 || d.Column < 1 {
					t.Errorf("no position: %+v", d)
				}
			}
			if !found {
				t.Errorf("want %q in %v", c.want, ds)
			}
		})
	}
}

func TestLoadAliasBomb(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 8; i++ {
		name := string(rune('b' + i))
		src += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	src += "metadata: {labels: {x: *" + prev + "}}\n"
	ds := loadErrs(t, src)
	if len(ds) == 0 {
		t.Fatal("want errors")
	}
}

func TestLoadMultiDocument(t *testing.T) {
	docs, err := Load("m.yaml", []byte(valid+"---\n"+strings.Replace(valid, "name: p\n", "name: q\n", 1)+"---\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[1].Pipeline.Metadata.Name != "q" || docs[1].Index != 1 {
		t.Fatalf("got %d docs", len(docs))
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{
		"spec.steps[1].settings.pod.nodeSelector[a.b/c]": "spec.steps[1].settings.pod.nodeSelector",
		"spec.steps[1]": "spec.steps",
		"spec":          "",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// The loader's string paths print as field.Path does, which is how every
// check names a field and finds its position.
func TestPathsPrintAsFieldPath(t *testing.T) {
	type step struct {
		kind  byte // c: child, i: index, k: key
		name  string
		index int
	}
	for _, steps := range [][]step{
		{{'c', "spec", 0}, {'c', "steps", 0}, {'i', "", 3}, {'c', "env", 0}, {'k', "A.B[c]", 0}},
		{{'c', "", 0}, {'c', "x", 0}},
		{{'c', "spec", 0}, {'c', "", 0}, {'k', "", 0}, {'i', "", 0}},
		{{'c', "params", 0}, {'k', "lr", 0}, {'c', "default", 0}},
	} {
		var fp *field.Path
		s := ""
		for _, st := range steps {
			switch st.kind {
			case 'c':
				if fp == nil {
					fp = field.NewPath(st.name)
				} else {
					fp = fp.Child(st.name)
				}
				s = childPath(s, st.name)
			case 'i':
				fp, s = fp.Index(st.index), indexPath(s, st.index)
			case 'k':
				fp, s = fp.Key(st.name), keyPath(s, st.name)
			}
			if s != fp.String() {
				t.Errorf("%q, want %q", s, fp.String())
			}
		}
	}
}

// The scalar rule: a bare number or boolean where text is wanted is its text
// as written; a quoted whole number or true/false where a number or a
// boolean is wanted is that value. Anything else names the field.
func TestScalarRule(t *testing.T) {
	docs, err := Load("s.yaml", []byte(`apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: s}
spec:
  image: busybox
  params: [{name: lr, default: 0.10}, {name: on, default: true}]
  settings: {pod: {nodeSelector: {gpu-count: 1}}}
  steps:
    - {name: a, command: [x], retries: "2", settings: {resources: {gpu: "1"}, pod: {gpuToleration: "false"}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := docs[0].Pipeline.Spec
	if *s.Params[0].Default != "0.10" || *s.Params[1].Default != "true" || s.Settings.Pod.NodeSelector["gpu-count"] != "1" {
		t.Errorf("text fields: %q %q %q", *s.Params[0].Default, *s.Params[1].Default, s.Settings.Pod.NodeSelector["gpu-count"])
	}
	st := s.Steps[0]
	if st.Retries != 2 || *st.Settings.Resources.GPU != 1 || st.Settings.Pod.GPUToleration == nil || *st.Settings.Pod.GPUToleration {
		t.Errorf("number and boolean fields: %v %+v %+v", st.Retries, st.Settings.Resources, st.Settings.Pod)
	}
	_, err = Load("s.yaml", []byte(`apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: s}
spec:
  image: busybox
  steps:
    - {name: a, command: [x], retries: "two", settings: {resources: {gpu: "1.5"}}}
`))
	if err == nil || !strings.Contains(err.Error(), `spec.steps[0].retries: Invalid value: "two": expected a whole number`) || !strings.Contains(err.Error(), `spec.steps[0].settings.resources.gpu: Invalid value: "1.5": expected a whole number`) {
		t.Errorf("bad numbers: %v", err)
	}
}

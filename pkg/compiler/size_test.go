package compiler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// bigSpec is a pipeline of n steps; step(i) writes each step's extra YAML.
func bigSpec(n int, step func(i int) string) string {
	var b strings.Builder
	b.WriteString("apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: big\nspec:\n  image: busybox:1.36\n  steps:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    - name: s%d\n%s", i, step(i))
	}
	return b.String()
}

// block is a YAML literal block whose text is at least size bytes,
// distinct per seed.
func block(indent string, seed, size int) string {
	var b strings.Builder
	b.WriteString("|\n")
	for n := 0; n < size; {
		line := fmt.Sprintf("# %d %s\n", seed, strings.Repeat("x", 60))
		b.WriteString(indent + line)
		n += len(line)
	}
	return b.String()
}

func compileText(t *testing.T, text string) (*compiler.Result, error) {
	t.Helper()
	docs, err := spec.Load("big.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return compiler.Compile(context.Background(), docs[0], compiler.Options{})
}

func invalidAt(t *testing.T, err error, path, want string) spec.Diagnostic {
	t.Helper()
	var ie *spec.InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("want an invalid spec at %s, got %v", path, err)
	}
	for _, d := range ie.Diagnostics {
		if d.Path == path && strings.Contains(d.Message, want) {
			if d.Line < 2 || d.Column < 1 || d.File != "big.yaml" {
				t.Errorf("diagnostic not located: %+v", d)
			}
			return d
		}
	}
	t.Fatalf("no error at %s containing %q in:\n%v", path, want, ie)
	return spec.Diagnostic{}
}

// A string no process can receive is refused where it is written.
func TestArgumentSizesAreRefused(t *testing.T) {
	big := budget.MaxScript + 1024
	_, err := compileText(t, bigSpec(1, func(int) string { return "      script: " + block("        ", 0, big) }))
	invalidAt(t, err, "spec.steps[0].script", "keep a script under 96 KiB")

	_, err = compileText(t, bigSpec(1, func(int) string {
		return fmt.Sprintf("      command: [echo, %s]\n", strings.Repeat("a", budget.Arg+1))
	}))
	invalidAt(t, err, "spec.steps[0].command[1]", "over 128 KiB")

	_, err = compileText(t, bigSpec(1, func(int) string {
		return fmt.Sprintf("      command: [env]\n      env:\n        - name: BIG\n          value: %s\n", strings.Repeat("a", budget.Arg))
	}))
	invalidAt(t, err, "spec.steps[0].env[0].value", "NAME=value")

	// Just under the script limit is fine.
	if _, err := compileText(t, bigSpec(1, func(int) string { return "      script: " + block("        ", 0, budget.MaxScript-2048) })); err != nil {
		t.Fatalf("a script under the limit: %v", err)
	}
}

// A step whose TaskRun cannot be stored in any mode is an error naming it,
// its size and the limit.
func TestStepOverObjectLimitIsRefused(t *testing.T) {
	_, err := compileText(t, bigSpec(2, func(i int) string {
		if i == 0 {
			return "      command: [env]\n"
		}
		var b strings.Builder
		b.WriteString("      command: [env]\n      env:\n")
		for j := 0; j < 14; j++ {
			fmt.Fprintf(&b, "        - name: V%d\n          value: %s\n", j, strings.Repeat("v", 120*1024))
		}
		return b.String()
	}))
	d := invalidAt(t, err, "spec.steps[1]", "step s1's TaskRun would be")
	if !strings.Contains(d.Message, "1.5 MiB") {
		t.Errorf("the limit is not named: %s", d.Message)
	}
}

// Over the embedded budget, auto sends the run referenced and says why;
// validate warns; a run that fits stays embedded.
func TestModeFollowsTheBudget(t *testing.T) {
	res, err := compileText(t, bigSpec(20, func(i int) string { return "      script: " + block("        ", i, 90*1024) }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Size.Over == "" || res.Size.Embedded.Stored <= budget.Safe {
		t.Fatalf("20 steps of 90 KiB scripts fit the embedded budget? %+v", res.Size)
	}
	ref, note, err := compiler.ChooseMode(compiler.ModeAuto, res)
	if err != nil || !ref || !strings.Contains(note, "referenced mode") {
		t.Fatalf("auto: referenced=%v note=%q err=%v", ref, note, err)
	}
	if ref, _, _ := compiler.ChooseMode(compiler.ModeEmbedded, res); ref {
		t.Error("--mode embedded was not obeyed")
	}
	r, warning, err := compiler.Referenced(res.PipelineRun, "big")
	if err != nil || warning != "" || len(r.Tasks) != 20 {
		t.Fatalf("referenced: %d Tasks, warning %q, err %v", len(r.Tasks), warning, err)
	}
	ws := compiler.SizeWarnings(res)
	if len(ws) != 1 || ws[0].Path != "spec.steps" || !strings.Contains(ws[0].Message, "referenced mode") {
		t.Errorf("validate's warnings: %v", ws)
	}
	if _, _, err := compiler.ChooseMode("inline", res); err == nil {
		t.Error("an unknown mode was accepted")
	}

	small, err := compileText(t, bigSpec(3, func(int) string { return "      command: [true]\n" }))
	if err != nil {
		t.Fatal(err)
	}
	if ref, note, _ := compiler.ChooseMode(compiler.ModeAuto, small); ref || note != "" || compiler.SizeWarnings(small) != nil {
		t.Errorf("a small run left embedded mode: %q", note)
	}
}

// One large step (its task spec is stored in the run, in the run's status
// copy, and twice in its TaskRun when embedded) needs referenced mode.
func TestOneLargeStepNeedsReferencedMode(t *testing.T) {
	res, err := compileText(t, bigSpec(1, func(int) string {
		var b strings.Builder
		b.WriteString("      command: [env]\n      env:\n")
		for j := 0; j < 7; j++ {
			fmt.Fprintf(&b, "        - name: V%d\n          value: %s\n", j, strings.Repeat("v", 120*1024))
		}
		return b.String()
	}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Size.Over == "" {
		t.Fatalf("a step of 840 KiB fits embedded mode: %+v", res.Size)
	}
	if _, warning, err := compiler.Referenced(res.PipelineRun, "big"); err != nil || warning != "" {
		t.Errorf("referenced: warning %q, err %v", warning, err)
	}
}

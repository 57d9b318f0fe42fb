package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDocsAreCurrent fails when docs/cmd differs from what `make docs` writes.
func TestDocsAreCurrent(t *testing.T) {
	want := t.TempDir()
	if err := generate(want); err != nil {
		t.Fatal(err)
	}
	const committed = "../../docs/cmd"
	wantFiles, _ := filepath.Glob(filepath.Join(want, "*.md"))
	gotFiles, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	base := func(fs []string) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = filepath.Base(f)
		}
		return out
	}
	if !slices.Equal(base(wantFiles), base(gotFiles)) {
		t.Fatalf("docs/cmd is stale: run make docs\n  pages now: %v\n  committed: %v", base(wantFiles), base(gotFiles))
	}
	for _, f := range wantFiles {
		w, _ := os.ReadFile(f)
		g, err := os.ReadFile(filepath.Join(committed, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if string(w) != string(g) {
			t.Errorf("docs/cmd/%s is stale: run make docs", filepath.Base(f))
		}
	}
}

// TestPagesSayKubectlMlpipe: the pages name the command the way users type it.
func TestPagesSayKubectlMlpipe(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kubectl_mlpipe.md", "kubectl_mlpipe_render.md", "kubectl_mlpipe_version.md", "kubectl_mlpipe_completion_bash.md"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		bads := []string{"## kubectl-mlpipe", "\nkubectl-mlpipe ", "kubectl-mlpipe completion", "Auto generated"}
		if home, _ := os.UserHomeDir(); home != "" && home != "/" {
			bads = append(bads, home+"/") // the pages must not depend on who generates them
		}
		for _, bad := range bads {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

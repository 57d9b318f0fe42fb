package compiler_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// corpusDir holds one invalid spec per file and cases.yaml, the errors
// each must produce.
const corpusDir = "../../testdata/invalid"

// minCorpusCases keeps the corpus from shrinking unnoticed.
const minCorpusCases = 45

type expectedError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e expectedError) String() string {
	return fmt.Sprintf("%d:%d: %s: ...%s...", e.Line, e.Column, e.Path, e.Message)
}

type corpusCase struct {
	File   string          `json:"file"`
	Errors []expectedError `json:"errors"`
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []corpusCase `json:"cases"`
	}
	if err := yaml.UnmarshalStrict(data, &table); err != nil {
		t.Fatalf("cases.yaml: %v", err)
	}
	seen := map[string]bool{}
	for _, c := range table.Cases {
		if seen[c.File] {
			t.Errorf("cases.yaml: %s has two cases", c.File)
		}
		seen[c.File] = true
		if len(c.Errors) == 0 {
			t.Errorf("cases.yaml: %s expects no errors", c.File)
		}
		for _, e := range c.Errors {
			if e.Line < 1 || e.Column < 1 || e.Message == "" {
				t.Errorf("cases.yaml: %s: incomplete expectation %+v", c.File, e)
			}
		}
	}
	return table.Cases
}

// diagnose loads and checks one file as the CLI does, turning a panic into
// a test failure that names the file.
func diagnose(t *testing.T, file string, data []byte) (ds spec.Diagnostics) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v\n%s", file, r, debug.Stack())
		}
	}()
	docs, err := spec.Load(file, data)
	if err != nil {
		var ie *spec.InvalidError
		if !errors.As(err, &ie) {
			t.Fatalf("%s: load returned %T, not *spec.InvalidError: %v", file, err, err)
		}
		return ie.Diagnostics
	}
	for _, doc := range docs {
		ds = append(ds, compiler.Check(doc)...)
	}
	return ds
}

// TestInvalidCorpus checks that every invalid spec produces exactly the
// errors cases.yaml lists, each at its line, column and field path.
func TestInvalidCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < minCorpusCases {
		t.Errorf("the corpus has %d cases, want at least %d", len(cases), minCorpusCases)
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.File, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			got := diagnose(t, c.File, data).Errors()
			used := make([]bool, len(got))
			for _, want := range c.Errors {
				found := false
				for i, d := range got {
					if !used[i] && d.File == c.File && d.Line == want.Line && d.Column == want.Column && d.Path == want.Path && strings.Contains(d.Message, want.Message) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing error %s", want)
				}
			}
			for i, d := range got {
				if !used[i] {
					t.Errorf("unexpected error %s", d)
				}
			}
			if t.Failed() {
				for _, d := range got {
					t.Logf("got: %s", d)
				}
			}
		})
	}
}

// TestInvalidCorpusHasExpectations makes sure nobody adds a spec without
// saying what it must report, and that no case names a missing file.
func TestInvalidCorpusHasExpectations(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cased := map[string]bool{}
	for _, c := range loadCorpus(t) {
		cased[c.File] = true
	}
	onDisk := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "cases.yaml" {
			continue
		}
		onDisk[name] = true
		if !cased[name] {
			t.Errorf("%s has no case in cases.yaml", name)
		}
	}
	for name := range cased {
		if !onDisk[name] {
			t.Errorf("cases.yaml names %s, which does not exist", name)
		}
	}
	if entries, err := os.ReadDir(corpusDir); err == nil {
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); ext != ".yaml" {
				t.Errorf("%s: corpus files end in .yaml (this one is not checked)", e.Name())
			}
		}
	}
}

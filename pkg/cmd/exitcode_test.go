package cmd_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

const (
	corpusDir   = "../../testdata/invalid"
	examplesDir = "../../examples"
)

// run executes the real command tree in-process, exactly as main does:
// the error is printed as "error: ..." on stderr and mapped by util.Code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	var out, errOut bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("kubectl-mlpipe %s: panic: %v\n%s", strings.Join(args, " "), r, debug.Stack())
		}
	}()
	root := cmd.NewRootCmd(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), util.Code(err)
}

type corpusCase struct {
	File   string `json:"file"`
	Errors []struct {
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"errors"`
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
	if len(table.Cases) == 0 {
		t.Fatal("cases.yaml has no cases")
	}
	return table.Cases
}

// TestInvalidSpecsExit2 runs validate and render on every spec of the
// invalid corpus: each must exit 2 and name every error as
// file:line:col: path.
func TestInvalidSpecsExit2(t *testing.T) {
	for _, c := range loadCorpus(t) {
		file := filepath.Join(corpusDir, c.File)
		for _, verb := range []string{"validate", "render"} {
			t.Run(verb+"/"+strings.TrimSuffix(c.File, ".yaml"), func(t *testing.T) {
				stdout, stderr, code := run(t, verb, "-f", file)
				if code != util.ExitInvalid {
					t.Errorf("exit %d, want %d\nstderr:\n%s", code, util.ExitInvalid, stderr)
				}
				if verb == "render" && stdout != "" {
					t.Errorf("render printed output for an invalid spec:\n%s", stdout)
				}
				for _, e := range c.Errors {
					want := fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Column, e.Path)
					if e.Path == "" {
						want = fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Column, e.Message)
					}
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, stderr)
					}
				}
			})
		}
	}
}

func TestValidExamplesExit0(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, stderr, code := run(t, "validate", "-f", f); code != util.ExitOK {
				t.Errorf("validate exit %d, want 0\n%s", code, stderr)
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	minimal := filepath.Join(examplesDir, "minimal.yaml")
	for name, args := range map[string][]string{
		"render unknown param":      {"render", "-p", "unknown=1", "-f", minimal},
		"render unknown flag":       {"render", "--no-such-flag", "-f", minimal},
		"validate unknown flag":     {"validate", "--no-such-flag", "-f", minimal},
		"unknown shorthand flag":    {"validate", "-Z", "-f", minimal},
		"render malformed -p":       {"render", "-p", "no-equals-sign", "-f", minimal},
		"validate without a file":   {"validate"},
		"logs since and since-time": {"logs", "some-run", "--since", "1h", "--since-time", "2026-11-30T00:00:00Z"},
		"logs bad since-time":       {"logs", "some-run", "--since-time", "yesterday"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := run(t, args...)
			if code != util.ExitInvalid {
				t.Errorf("kubectl-mlpipe %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), code, util.ExitInvalid, stderr)
			}
			if stdout != "" {
				t.Errorf("printed output on a usage error:\n%s", stdout)
			}
		})
	}
}

// A bad -o is refused before any request (there is no cluster here) with
// exit 2 and every format the verb takes, its own ones included.
func TestBadOutputFormatListsTheVerbsFormats(t *testing.T) {
	minimal := filepath.Join(examplesDir, "minimal.yaml")
	printFlags := "go-template, go-template-file, json, jsonpath, jsonpath-as-json, jsonpath-file, kyaml, "
	for _, c := range []struct {
		args    []string
		formats string
	}{
		{[]string{"render", "-f", minimal}, "dot, " + printFlags + "mermaid, name, template, templatefile, yaml"},
		{[]string{"run", "-f", minimal}, printFlags + "name, template, templatefile, yaml"},
		{[]string{"list"}, "custom-columns-file=, custom-columns=, " + printFlags + "name, template, templatefile, wide, yaml"},
		{[]string{"doctor"}, printFlags + "template, templatefile, yaml"},
		{[]string{"schedule", "list"}, printFlags + "name, template, templatefile, yaml"},
		{[]string{"schedule", "create", "nightly", "-f", minimal, "--cron", "0 3 * * *"}, printFlags + "name, template, templatefile, yaml"},
	} {
		args := append(c.args, "-o", "bad")
		_, stderr, code := run(t, args...)
		want := `unsupported output format "bad": use one of ` + c.formats + "\n"
		if code != util.ExitInvalid || !strings.Contains(stderr, want) {
			t.Errorf("kubectl-mlpipe %s: exit %d\n%s\nwant exit 2 and %q", strings.Join(args, " "), code, stderr, want)
		}
	}
}

// Each verb's help lists the exit codes it can return, and no other.
func TestHelpListsTheVerbsExitCodes(t *testing.T) {
	for verb, want := range map[string]string{
		"render": "0 1 2", "validate": "0 1 2", "delete": "0 1 2", "cancel": "0 1 2", "schedule": "0 1 2",
		"logs": "0 1 2 130", "run": "0 1 2 3 130", "describe": "0 1 2 3 130",
	} {
		stdout, _, _ := run(t, append(strings.Fields(verb), "--help")...)
		_, codes, found := strings.Cut(stdout, "Exit codes:\n")
		if !found {
			t.Errorf("%s --help has no exit codes", verb)
			continue
		}
		var got []string
		for _, l := range strings.Split(codes, "\n") {
			if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(l, "  ") && f[0] >= "0" && f[0] <= "999" {
				got = append(got, f[0])
			} else {
				break
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s --help lists exit codes %v, want %s:\n%s", verb, got, want, codes)
		}
	}
}

// Every --dry-run says what client mode prints.
func TestDryRunHelpSaysWhatItPrints(t *testing.T) {
	for _, verb := range []string{"run", "delete", "cancel", "schedule create", "schedule delete"} {
		stdout, _, _ := run(t, append(strings.Fields(verb), "--help")...)
		i := strings.Index(stdout, "--dry-run string")
		if i < 0 {
			t.Errorf("%s --help has no --dry-run", verb)
			continue
		}
		line, _, _ := strings.Cut(stdout[i:], "\n")
		if !strings.Contains(line, "If client strategy, only print the ") {
			t.Errorf("%s --dry-run does not say what it prints: %s", verb, line)
		}
	}
}

// A directory is named in the errors about it; documents of other kinds are
// reported once per kind, not as fields a Pipeline lacks.
func TestDirectoryErrors(t *testing.T) {
	two, mixed := t.TempDir(), t.TempDir()
	minimal, err := os.ReadFile(filepath.Join(examplesDir, "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	training, err := os.ReadFile(filepath.Join(examplesDir, "training.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for path, body := range map[string]string{
		filepath.Join(two, "a.yaml"):        string(minimal),
		filepath.Join(two, "b.yaml"):        string(training),
		filepath.Join(mixed, "a.yaml"):      string(minimal),
		filepath.Join(mixed, "deploy.yaml"): "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n",
		filepath.Join(mixed, "cm.yaml"):     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr, code := run(t, "run", "-f", two)
	if want := "error: " + two + " holds 2 pipelines (hello in " + filepath.Join(two, "a.yaml") + ", churn-training in " + filepath.Join(two, "b.yaml") + "); run takes one: pass its file with -f\n"; code != 2 || !strings.HasPrefix(stderr, want) {
		t.Errorf("run -f DIR of two pipelines: exit %d\n%s\nwant %s", code, stderr, want)
	}
	stdout, stderr, code := run(t, "validate", "-f", mixed)
	want := filepath.Join(mixed, "cm.yaml") + ":2:7: kind: kind ConfigMap (v1) is not an mlpipe Pipeline: want apiVersion: mlpipe.dev/v1alpha1 and kind: Pipeline (2 documents of this kind)\n" +
		filepath.Join(mixed, "deploy.yaml") + ":2:7: kind: kind Deployment (apps/v1) is not an mlpipe Pipeline: want apiVersion: mlpipe.dev/v1alpha1 and kind: Pipeline\n"
	if code != 2 || !strings.Contains(stdout+stderr, want) || strings.Contains(stdout+stderr, "replicas") || strings.Contains(stdout+stderr, "spec.steps") {
		t.Errorf("validate -f DIR with other kinds: exit %d\n%s%s\nwant\n%s", code, stdout, stderr, want)
	}
}

package refs

import (
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	got, errs := Parse(`--lr $(params.lr) $(steps.load-data.outputs.row_count) > $(outputs.auc.path) $(workspace.path) $(run.name)/$(run.uid) $(run.status) $(date) $(context.pipelineRun.name) $(matrix.lr) '$(steps.train.outputs.score[*])'`)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []Ref{
		{Kind: Param, Text: "$(params.lr)", Name: "lr"},
		{Kind: StepOutput, Text: "$(steps.load-data.outputs.row_count)", Step: "load-data", Name: "row_count"},
		{Kind: OutputPath, Text: "$(outputs.auc.path)", Name: "auc"},
		{Kind: WorkspacePath, Text: "$(workspace.path)"},
		{Kind: RunName, Text: "$(run.name)"},
		{Kind: RunUID, Text: "$(run.uid)"},
		{Kind: RunStatus, Text: "$(run.status)"},
		{Kind: MatrixValue, Text: "$(matrix.lr)", Name: "lr"},
		{Kind: StepOutputs, Text: "$(steps.train.outputs.score[*])", Step: "train", Name: "score"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"$(params.)", "$(steps.a.output.x)", "$(outputs.x)", "$(workspace.name)", "$(run.id)", "$(tasks.a.results.b)", "$(results.x.path)", "$(workspaces.w.path)", "$(matrix.)", "$(matrix.a.b)", "$(steps.a.outputs.x[0])"} {
		if _, errs := Parse(s); len(errs) != 1 {
			t.Errorf("%s: want one error, got %v", s, errs)
		}
	}
}

// Tekton's spellings get the spec's exact equivalent, ready to paste.
func TestTektonFormsGetTheirRewrite(t *testing.T) {
	for in, want := range map[string]string{
		"$(tasks.train.results.model-uri)": "$(tasks.train.results.model-uri) is Tekton's form: write $(steps.train.outputs.model-uri)",
		"$(tasks.sweep.results.score[*])":  "$(tasks.sweep.results.score[*]) is Tekton's form: write $(steps.sweep.outputs.score[*])",
		"$(tasks.status)":                  "$(tasks.status) is Tekton's form: write $(run.status)",
		"$(results.accuracy.path)":         "$(results.accuracy.path) is Tekton's form: write $(outputs.accuracy.path)",
		"$(workspaces.data.path)":          "$(workspaces.data.path) is Tekton's form: write $(workspace.path)",
		"$(tasks.train.status)":            "$(tasks.train.status) is Tekton's form: write $(steps.STEP.outputs.NAME) or $(run.status)",
		"$(results.x)":                     "$(results.x) is Tekton's form: write $(outputs.NAME.path)",
	} {
		_, errs := Parse(in)
		if len(errs) != 1 || errs[0].Error() != want {
			t.Errorf("%s: got %v, want %q", in, errs, want)
		}
	}
}

func TestReplaceLeavesShellAndMalformedAlone(t *testing.T) {
	in := `echo $(date) $(params.a) $(steps.x.output.y)`
	got := Replace(in, func(r Ref) string { return "<" + r.Name + ">" })
	if want := `echo $(date) <a> $(steps.x.output.y)`; got != want {
		t.Errorf("got %q", got)
	}
}

// The grammar as regular expressions: what the scanner must agree with.
var (
	refPattern  = regexp.MustCompile(`\$\((params|steps|outputs|workspace|run|matrix|tasks|results|workspaces)\.([^()\s]*)\)`)
	nameRe      = `[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?`
	paramRe     = regexp.MustCompile(`^params\.(` + nameRe + `)$`)
	stepOutRe   = regexp.MustCompile(`^steps\.(` + nameRe + `)\.outputs\.(` + nameRe + `)(\[\*\])?$`)
	matrixRe    = regexp.MustCompile(`^matrix\.(` + nameRe + `)$`)
	outputPthRe = regexp.MustCompile(`^outputs\.(` + nameRe + `)\.path$`)
)

var fixed = map[string]Kind{"workspace.path": WorkspacePath, "run.name": RunName, "run.uid": RunUID, "run.namespace": RunNamespace, "run.status": RunStatus}

// byRegexp is Parse as the regular expressions say it.
func byRegexp(s string) (out []Ref, bad []string) {
	for _, m := range refPattern.FindAllStringSubmatch(s, -1) {
		text, body := m[0], m[1]+"."+m[2]
		var r *Ref
		if x := paramRe.FindStringSubmatch(body); x != nil {
			r = &Ref{Kind: Param, Text: text, Name: x[1]}
		} else if x := stepOutRe.FindStringSubmatch(body); x != nil {
			r = &Ref{Kind: StepOutput, Text: text, Step: x[1], Name: x[3]}
			if x[5] != "" {
				r.Kind = StepOutputs
			}
		} else if x := matrixRe.FindStringSubmatch(body); x != nil {
			r = &Ref{Kind: MatrixValue, Text: text, Name: x[1]}
		} else if x := outputPthRe.FindStringSubmatch(body); x != nil {
			r = &Ref{Kind: OutputPath, Text: text, Name: x[1]}
		} else if k, ok := fixed[body]; ok {
			r = &Ref{Kind: k, Text: text}
		}
		if r == nil {
			bad = append(bad, text)
			continue
		}
		out = append(out, *r)
	}
	return out, bad
}

// The scanner finds the same references, with the same parts, and calls the
// same ones malformed, as the regular expressions, on random strings made of
// the grammar's pieces (and on every piece alone).
func TestScannerAgreesWithTheGrammar(t *testing.T) {
	pieces := []string{"$(", ")", "(", "params", "steps", "outputs", "workspace", "workspaces", "run", "matrix", "tasks", "results", "context",
		".", "a", "b-1", "_x", "x_", "-", "Z9", "[*]", "[", "*", "]", "path", "name", "uid", "status", " ", "\t", "\n", "\r", "\f", "\v", "$", "é", "outputs.o.path", "steps.s.outputs.o"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		var b strings.Builder
		for n := rng.IntN(14); n >= 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		want, wantBad := byRegexp(s)
		got, errs := Parse(s)
		if !reflect.DeepEqual(got, want) || len(errs) != len(wantBad) {
			t.Fatalf("%q: scanner %+v (%d malformed), regexp %+v (%v malformed)", s, got, len(errs), want, wantBad)
		}
		wantRepl := refPattern.ReplaceAllStringFunc(s, func(text string) string {
			if r, _ := byRegexp(text); len(r) == 1 {
				return "<" + r[0].Name + ">"
			}
			return text
		})
		if gotRepl := Replace(s, func(r Ref) string { return "<" + r.Name + ">" }); gotRepl != wantRepl {
			t.Fatalf("Replace(%q) = %q, the regexp gives %q", s, gotRepl, wantRepl)
		}
	}
}

package refs

import (
	"reflect"
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

func TestReplaceLeavesShellAndMalformedAlone(t *testing.T) {
	in := `echo $(date) $(params.a) $(steps.x.output.y)`
	got := Replace(in, func(r Ref) string { return "<" + r.Name + ">" })
	if want := `echo $(date) <a> $(steps.x.output.y)`; got != want {
		t.Errorf("got %q", got)
	}
}

package util

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestNoPositionalSpecSaysUseF(t *testing.T) {
	root := &cobra.Command{Use: "kubectl-mlpipe"}
	run := &cobra.Command{Use: "run"}
	root.AddCommand(run)
	for args, want := range map[string]string{
		"fraud.yaml":         "run reads specs with -f: kubectl-mlpipe run -f fraud.yaml",
		"a.yaml b.yml":       "kubectl-mlpipe run -f a.yaml -f b.yml",
		"churn-training-abc": `run takes no arguments, got "churn-training-abc"`,
	} {
		err := NoPositionalSpec(run, strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) || Code(err) != ExitInvalid {
			t.Errorf("%s: %v, want %q and exit 2", args, err, want)
		}
	}
	if err := NoPositionalSpec(run, nil); err != nil {
		t.Errorf("no arguments: %v", err)
	}
}

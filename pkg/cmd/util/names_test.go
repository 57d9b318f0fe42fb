package util

import (
	"strings"
	"testing"
)

func TestRunNameTakesWhatKubectlPrints(t *testing.T) {
	for _, arg := range []string{
		"churn-x7k2p", "pipelinerun/churn-x7k2p", "pipelineruns/churn-x7k2p", "pr/churn-x7k2p",
		"pipelinerun.tekton.dev/churn-x7k2p", "PipelineRun/churn-x7k2p", "pipelineruns.v1.tekton.dev/churn-x7k2p",
	} {
		got, err := RunName("kubectl mlpipe describe", arg)
		if err != nil || got != "churn-x7k2p" {
			t.Errorf("%q: %q, %v", arg, got, err)
		}
	}
	for arg, want := range map[string]string{
		"taskrun/churn-x7k2p-train": "is not a PipelineRun",
		"pod/x":                     "is not a PipelineRun",
		"pipelinerun/":              "is not a run name",
		"pipelinerun/a/b":           "is not a run name",
		"Churn_X":                   "is not a run name",
	} {
		_, err := RunName("kubectl mlpipe describe", arg)
		if err == nil || !strings.Contains(err.Error(), want) || Code(err) != ExitInvalid {
			t.Errorf("%q: %v (exit %d), want %q and exit 2", arg, err, Code(err), want)
		}
	}
}

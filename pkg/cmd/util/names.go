package util

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// runTypes are the ways kubectl (and tkn) name the PipelineRun resource in
// TYPE/NAME: what `kubectl mlpipe run -o name` and `kubectl get -o name` print.
var runTypes = map[string]bool{
	"pipelinerun": true, "pipelineruns": true, "pr": true,
	"pipelinerun.tekton.dev": true, "pipelineruns.tekton.dev": true,
	"pipelinerun.v1.tekton.dev": true, "pipelineruns.v1.tekton.dev": true,
	"pipelinerun.v1beta1.tekton.dev": true, "pipelineruns.v1beta1.tekton.dev": true,
}

// RunName takes a run as kubectl takes a resource: NAME or TYPE/NAME, where
// TYPE names PipelineRuns (pipelinerun, pipelineruns, pr, pipelinerun.tekton.dev, …).
// Anything else is a usage error (exit 2) that says what was expected.
func RunName(cmdPath, arg string) (string, error) {
	name := arg
	if typ, n, ok := strings.Cut(arg, "/"); ok {
		if !runTypes[strings.ToLower(typ)] {
			return "", UsageError(cmdPath, "%q is not a PipelineRun: give a run as NAME or pipelinerun/NAME (as `kubectl mlpipe run -o name` prints it)", arg)
		}
		name = n
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 || strings.Contains(name, "/") {
		why := "want NAME or pipelinerun/NAME"
		if len(errs) > 0 {
			why = errs[0]
		}
		return "", UsageError(cmdPath, "%q is not a run name: %s", arg, why)
	}
	return name, nil
}

// RunNames applies RunName to each argument.
func RunNames(cmdPath string, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		n, err := RunName(cmdPath, a)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

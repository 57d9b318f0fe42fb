package util

import (
	"k8s.io/apimachinery/pkg/labels"
)

// Selection is how cancel and delete pick runs: by name, or the runs made by
// kubectl mlpipe of a pipeline, matching a label selector, or all of them.
type Selection struct {
	Pipeline string
	Selector string
	All      bool
}

// Set reports whether runs are picked by selection rather than by name.
func (s Selection) Set() bool { return s.Pipeline != "" || s.Selector != "" || s.All }

// LabelSelector is the server-side selector of the selected runs.
func (s Selection) LabelSelector() string {
	sel := RunSelector(s.Pipeline)
	if s.Selector != "" {
		sel += "," + s.Selector
	}
	return sel
}

// Check validates the selection against the arguments of a verb ("cancel",
// "delete") and returns the named runs.
func (s Selection) Check(cmdPath, verb string, args []string) ([]string, error) {
	switch {
	case !s.Set() && len(args) == 0:
		return nil, UsageError(cmdPath, "name the runs to %s, or select them with --pipeline, -l or --all", verb)
	case s.Set() && len(args) > 0:
		return nil, UsageError(cmdPath, "give run names or a selection (--pipeline, -l, --all), not both")
	}
	if s.Selector != "" {
		if _, err := labels.Parse(s.Selector); err != nil {
			return nil, UsageError(cmdPath, "-l %q: %v", s.Selector, err)
		}
	}
	return RunNames(cmdPath, args)
}

// Package refs parses the $(...) references a spec may write in commands,
// args, scripts, env values, workingDir and when inputs.
package refs

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind is what a reference points at.
type Kind int

const (
	// Param is $(params.NAME).
	Param Kind = iota + 1
	// StepOutput is $(steps.STEP.outputs.NAME).
	StepOutput
	// OutputPath is $(outputs.NAME.path).
	OutputPath
	// WorkspacePath is $(workspace.path).
	WorkspacePath
	// RunName is $(run.name).
	RunName
	// RunUID is $(run.uid).
	RunUID
	// RunNamespace is $(run.namespace).
	RunNamespace
	// RunStatus is $(run.status), in finally steps only.
	RunStatus
	// MatrixValue is $(matrix.KEY): this instance's value of a matrix key.
	MatrixValue
	// StepOutputs is $(steps.STEP.outputs.NAME[*]): the output of every
	// instance of a fanned-out step, as one JSON array of strings.
	StepOutputs
)

// Ref is one parsed reference.
type Ref struct {
	Kind Kind
	// Text is the whole reference as written, e.g. "$(params.lr)".
	Text string
	// Step is set for StepOutput and StepOutputs.
	Step string
	// Name is the param, output or matrix key name.
	Name string
}

// Our namespaces; any other $(...) (a shell command substitution, a Tekton
// $(context...) variable) is left alone, as Tekton itself does.
var refPattern = regexp.MustCompile(`\$\((params|steps|outputs|workspace|run|matrix|tasks|results|workspaces)\.([^()\s]*)\)`)

var (
	nameRe      = `[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?`
	paramRe     = regexp.MustCompile(`^params\.(` + nameRe + `)$`)
	stepOutRe   = regexp.MustCompile(`^steps\.(` + nameRe + `)\.outputs\.(` + nameRe + `)(\[\*\])?$`)
	matrixRe    = regexp.MustCompile(`^matrix\.(` + nameRe + `)$`)
	outputPthRe = regexp.MustCompile(`^outputs\.(` + nameRe + `)\.path$`)
)

// Parse returns the references in s, and an error for each one that is
// malformed or uses a Tekton form the spec spells differently.
func Parse(s string) ([]Ref, []error) {
	if !strings.Contains(s, "$(") {
		return nil, nil
	}
	var out []Ref
	var errs []error
	for _, m := range refPattern.FindAllStringSubmatch(s, -1) {
		text, body := m[0], m[1]+"."+m[2]
		r, err := parseOne(text, body)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errs
}

func parseOne(text, body string) (Ref, error) {
	switch {
	case strings.HasPrefix(body, "params."):
		if m := paramRe.FindStringSubmatch(body); m != nil {
			return Ref{Kind: Param, Text: text, Name: m[1]}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(params.NAME)", text)
	case strings.HasPrefix(body, "steps."):
		if m := stepOutRe.FindStringSubmatch(body); m != nil {
			if m[5] != "" {
				return Ref{Kind: StepOutputs, Text: text, Step: m[1], Name: m[3]}, nil
			}
			return Ref{Kind: StepOutput, Text: text, Step: m[1], Name: m[3]}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(steps.STEP.outputs.NAME), or NAME[*] for every instance of a fanned-out step", text)
	case strings.HasPrefix(body, "matrix."):
		if m := matrixRe.FindStringSubmatch(body); m != nil {
			return Ref{Kind: MatrixValue, Text: text, Name: m[1]}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(matrix.KEY)", text)
	case strings.HasPrefix(body, "outputs."):
		if m := outputPthRe.FindStringSubmatch(body); m != nil {
			return Ref{Kind: OutputPath, Text: text, Name: m[1]}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(outputs.NAME.path)", text)
	case body == "workspace.path":
		return Ref{Kind: WorkspacePath, Text: text}, nil
	case body == "run.name":
		return Ref{Kind: RunName, Text: text}, nil
	case body == "run.uid":
		return Ref{Kind: RunUID, Text: text}, nil
	case body == "run.namespace":
		return Ref{Kind: RunNamespace, Text: text}, nil
	case body == "run.status":
		return Ref{Kind: RunStatus, Text: text}, nil
	case strings.HasPrefix(body, "workspace."):
		return Ref{}, fmt.Errorf("unknown reference %s: the workspace offers only $(workspace.path)", text)
	case strings.HasPrefix(body, "run."):
		return Ref{}, fmt.Errorf("unknown reference %s: want $(run.name), $(run.uid), $(run.namespace) or $(run.status)", text)
	case strings.HasPrefix(body, "tasks."):
		return Ref{}, fmt.Errorf("%s is Tekton's form: write $(steps.STEP.outputs.NAME) or $(run.status)", text)
	case strings.HasPrefix(body, "results."):
		return Ref{}, fmt.Errorf("%s is Tekton's form: write $(outputs.NAME.path)", text)
	default: // workspaces.
		return Ref{}, fmt.Errorf("%s is Tekton's form: write $(workspace.path)", text)
	}
}

// Replace rewrites every well-formed reference in s with fn's answer.
// Malformed references are left as written (validation reports them).
func Replace(s string, fn func(Ref) string) string {
	if !strings.Contains(s, "$(") {
		return s
	}
	return refPattern.ReplaceAllStringFunc(s, func(text string) string {
		m := refPattern.FindStringSubmatch(text)
		r, err := parseOne(text, m[1]+"."+m[2])
		if err != nil {
			return text
		}
		return fn(r)
	})
}

// Package refs parses the $(...) references a spec may write in commands,
// args, scripts, env values, workingDir and when inputs.
package refs

import (
	"fmt"
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
// $(context...) variable) is left alone, as Tekton itself does. A reference
// is $(NS.BODY) where BODY has no parenthesis or white space; refs_test.go
// holds the same grammar as regular expressions and checks the scanner
// against them. The scanner is what every spec string goes through, twice
// (validation and model), so it avoids the regexp engine.
var namespaces = []string{"params", "steps", "outputs", "workspace", "run", "matrix", "tasks", "results", "workspaces"}

// scan calls fn with each reference in s, leftmost first and not
// overlapping: where it starts, its text and its body (NS.REST).
func scan(s string, fn func(start int, text, body string)) {
	for i := 0; i+2 < len(s); {
		j := strings.Index(s[i:], "$(")
		if j < 0 {
			return
		}
		i += j
		if end := refAt(s, i); end > 0 {
			fn(i, s[i:end], s[i+2:end-1])
			i = end
			continue
		}
		i++
	}
}

// refAt is the end of the reference that starts at s[i] ("$("), or 0.
func refAt(s string, i int) int {
	rest := s[i+2:]
	for _, ns := range namespaces {
		if len(rest) <= len(ns) || rest[:len(ns)] != ns || rest[len(ns)] != '.' {
			continue
		}
		for k := len(ns) + 1; k < len(rest); k++ {
			switch rest[k] {
			case ')':
				return i + 2 + k + 1
			case '(', ' ', '\t', '\n', '\f', '\r':
				return 0
			}
		}
		return 0
	}
	return 0
}

// isName is a step, param, output or matrix key name as references write it:
// letters and digits, with -_ inside.
func isName(s string) bool {
	if s == "" || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// nameBetween returns the name in body = prefix + NAME + suffix, if it is one.
func nameBetween(body, prefix, suffix string) (string, bool) {
	if !strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, suffix) || len(body) < len(prefix)+len(suffix) {
		return "", false
	}
	n := body[len(prefix) : len(body)-len(suffix)]
	return n, isName(n)
}

// Parse returns the references in s, and an error for each one that is
// malformed or uses a Tekton form the spec spells differently.
func Parse(s string) ([]Ref, []error) {
	if !strings.Contains(s, "$(") {
		return nil, nil
	}
	var out []Ref
	var errs []error
	scan(s, func(_ int, text, body string) {
		r, err := parseOne(text, body)
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, r)
	})
	return out, errs
}

func parseOne(text, body string) (Ref, error) {
	switch {
	case strings.HasPrefix(body, "params."):
		if n, ok := nameBetween(body, "params.", ""); ok {
			return Ref{Kind: Param, Text: text, Name: n}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(params.NAME)", text)
	case strings.HasPrefix(body, "steps."):
		kind, b := StepOutput, body
		if strings.HasSuffix(b, "[*]") {
			kind, b = StepOutputs, strings.TrimSuffix(b, "[*]")
		}
		if parts := strings.Split(b, "."); len(parts) == 4 && parts[2] == "outputs" && isName(parts[1]) && isName(parts[3]) {
			return Ref{Kind: kind, Text: text, Step: parts[1], Name: parts[3]}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(steps.STEP.outputs.NAME), or NAME[*] for every instance of a fanned-out step", text)
	case strings.HasPrefix(body, "matrix."):
		if n, ok := nameBetween(body, "matrix.", ""); ok {
			return Ref{Kind: MatrixValue, Text: text, Name: n}, nil
		}
		return Ref{}, fmt.Errorf("malformed reference %s: want $(matrix.KEY)", text)
	case strings.HasPrefix(body, "outputs."):
		if n, ok := nameBetween(body, "outputs.", ".path"); ok {
			return Ref{Kind: OutputPath, Text: text, Name: n}, nil
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
	case tektonForm(body) != "":
		return Ref{}, fmt.Errorf("%s is Tekton's form: write %s", text, tektonForm(body))
	case strings.HasPrefix(body, "tasks."):
		return Ref{}, fmt.Errorf("%s is Tekton's form: write $(steps.STEP.outputs.NAME) or $(run.status)", text)
	case strings.HasPrefix(body, "results."):
		return Ref{}, fmt.Errorf("%s is Tekton's form: write $(outputs.NAME.path)", text)
	default: // workspaces.
		return Ref{}, fmt.Errorf("%s is Tekton's form: write $(workspace.path)", text)
	}
}

// tektonForm is the spec's spelling of a Tekton reference body, or "" when
// it has none: a task's result is a step's output, a step's result file is
// its output's path, the (only) workspace's path is $(workspace.path).
func tektonForm(body string) string {
	parts := strings.Split(body, ".")
	switch {
	case body == "tasks.status":
		return "$(run.status)"
	case parts[0] == "tasks" && len(parts) == 4 && parts[2] == "results" && isName(parts[1]):
		name, all := strings.CutSuffix(parts[3], "[*]")
		if !isName(name) {
			return ""
		}
		if all {
			name += "[*]"
		}
		return "$(steps." + parts[1] + ".outputs." + name + ")"
	case parts[0] == "results" && len(parts) == 3 && parts[2] == "path" && isName(parts[1]):
		return "$(outputs." + parts[1] + ".path)"
	case parts[0] == "workspaces" && len(parts) == 3 && parts[2] == "path":
		return "$(workspace.path)"
	}
	return ""
}

// Replace rewrites every well-formed reference in s with fn's answer.
// Malformed references are left as written (validation reports them).
func Replace(s string, fn func(Ref) string) string {
	if !strings.Contains(s, "$(") {
		return s
	}
	var b strings.Builder
	last := 0
	scan(s, func(start int, text, body string) {
		b.WriteString(s[last:start])
		if r, err := parseOne(text, body); err == nil {
			b.WriteString(fn(r))
		} else {
			b.WriteString(text)
		}
		last = start + len(text)
	})
	b.WriteString(s[last:])
	return b.String()
}

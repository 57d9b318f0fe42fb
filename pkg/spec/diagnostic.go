package spec

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Severity tells errors from warnings.
type Severity string

const (
	// SeverityError makes a spec invalid.
	SeverityError Severity = "error"
	// SeverityWarning is shown but does not stop a render.
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem in a spec file, located at a line and column.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

// String renders the diagnostic as file:line:col: path: message, the shape
// compilers and editors recognise.
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Column)
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is a sortable list of diagnostics.
type Diagnostics []Diagnostic

// Sort orders diagnostics by file, then position, then path, so output is stable.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}

// Errors returns only the error-severity diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// Warnings returns only the warning-severity diagnostics.
func (ds Diagnostics) Warnings() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityWarning {
			out = append(out, d)
		}
	}
	return out
}

// InvalidError is returned when a spec cannot be loaded or fails validation.
// It carries every problem found, not only the first.
type InvalidError struct {
	Diagnostics Diagnostics
}

func (e *InvalidError) Error() string {
	errs := e.Diagnostics.Errors()
	lines := make([]string, 0, len(errs)+1)
	if len(errs) == 1 {
		return "invalid spec: " + errs[0].String()
	}
	lines = append(lines, fmt.Sprintf("invalid spec: %d errors:", len(errs)))
	for _, d := range errs {
		lines = append(lines, "  "+d.String())
	}
	return strings.Join(lines, "\n")
}

// Pos is a 1-based line and column in a spec file.
type Pos struct {
	Line   int
	Column int
}

// Positions maps a field path (as field.Path prints it) to where its value
// starts in the file, so errors found after loading still point at a line.
type Positions map[string]Pos

// Lookup returns the position of path, or of its nearest ancestor that has one.
func (p Positions) Lookup(path string) Pos {
	for path != "" {
		if pos, ok := p[path]; ok {
			return pos
		}
		path = parentPath(path)
	}
	if pos, ok := p[""]; ok {
		return pos
	}
	return Pos{Line: 1, Column: 1}
}

// parentPath strips the last element of a field.Path string: a .name, an
// [index] or a [key] (keys may themselves contain dots, e.g. [nvidia.com/gpu]).
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// Locate turns field errors into diagnostics positioned in doc's file.
func (doc *Document) Locate(errs field.ErrorList, sev Severity) Diagnostics {
	out := make(Diagnostics, 0, len(errs))
	for _, e := range errs {
		pos := doc.Positions.Lookup(e.Field)
		out = append(out, Diagnostic{
			File:     doc.File,
			Line:     pos.Line,
			Column:   pos.Column,
			Path:     e.Field,
			Message:  message(e, sev),
			Severity: sev,
		})
	}
	return out
}

// message reads as a sentence where the detail allows it ("32GB" is not a
// Kubernetes quantity …), as SPEC.md shows; otherwise field.Error's own shape.
// A warning is its detail alone: "warning: spec.workspace: steps a and b …",
// not "Invalid value: …" for something that is not invalid.
func message(e *field.Error, sev Severity) string {
	if sev == SeverityWarning && e.Detail != "" {
		return e.Detail
	}
	if v, ok := e.BadValue.(string); ok && e.Type == field.ErrorTypeInvalid && strings.HasPrefix(e.Detail, "is ") {
		return fmt.Sprintf("%q %s", v, e.Detail)
	}
	return e.ErrorBody()
}

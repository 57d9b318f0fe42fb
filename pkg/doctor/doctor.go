// Package doctor decides, from objects read from a cluster, whether
// kubectl-mlpipe's runs can work there: is Tekton installed and running,
// which of its feature flags matter, may the user create runs, and can each
// step of a spec be placed on a node, with everything it references in place.
//
// It reads nothing itself. pkg/cmd/doctor fetches the objects (nodes,
// Deployments, ConfigMaps, access reviews, …) and passes them in, with the
// error of each read; every check here is a function of its arguments, so
// it is tested without a cluster.
package doctor

import (
	"fmt"
	"io"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Status is a check's outcome: ok, warn (worth knowing, not blocking) or
// fail (a run would not work; there is a fix).
type Status string

// The outcomes, and the marks the checklist prints for them.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Mark is the checklist's symbol for the status: ✓, ! or ✗.
func (s Status) Mark() string {
	switch s {
	case OK:
		return "✓"
	case Fail:
		return "✗"
	}
	return "!"
}

// Finding is one line of the checklist.
type Finding struct {
	// Check names what was checked, stably, for scripts: tekton-api,
	// tekton-release, tekton-controller, tekton-webhook, feature-flag/<key>,
	// access/<verb>-<resource>, namespace, placement, serviceaccount, secret,
	// configmap, priorityclass, runtimeclass, storageclass,
	// persistentvolumeclaim, coschedule.
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Step is the step the finding is about, when it is about one.
	Step string `json:"step,omitempty"`
	// Message says what was found and why it matters.
	Message string `json:"message"`
	// Fix says what to do about it (always set for fail).
	Fix string `json:"fix,omitempty"`
	// Field is the spec field the finding points at, when there is one.
	Field string `json:"field,omitempty"`
}

// Blocking counts the failed findings: a run would not work while any remain.
func Blocking(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Status == Fail {
			n++
		}
	}
	return n
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	reset  = "\x1b[0m"
)

// Write prints the checklist: one line per finding, its mark first, and the
// fix indented on the next line. color adds ANSI colours to the marks.
func Write(w io.Writer, fs []Finding, color bool) {
	for _, f := range fs {
		mark := f.Status.Mark()
		if color {
			c := yellow
			switch f.Status {
			case OK:
				c = green
			case Fail:
				c = red
			}
			mark = c + mark + reset
		}
		fmt.Fprintf(w, "%s %s\n", mark, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", f.Fix)
		}
	}
}

// Summary is the one-line verdict: how many checks passed, warned, failed.
func Summary(fs []Finding) string {
	var ok, warn, fail int
	for _, f := range fs {
		switch f.Status {
		case OK:
			ok++
		case Warn:
			warn++
		case Fail:
			fail++
		}
	}
	return fmt.Sprintf("%d checks: %d ok, %d warnings, %d failed", len(fs), ok, warn, fail)
}

// names lists up to max names, then how many more there are.
func names(list []string, max int) string {
	if len(list) <= max {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:max], ", "), len(list)-max)
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// CheckNamespace fails when the namespace the runs go to does not exist;
// any other answer (it exists, or may not be read) adds nothing.
func CheckNamespace(ns string, err error) []Finding {
	if !apierrors.IsNotFound(err) {
		return nil
	}
	return []Finding{{
		Check: "namespace", Status: Fail,
		Message: fmt.Sprintf("namespace %s does not exist: runs cannot be created there", ns),
		Fix:     fmt.Sprintf("kubectl create namespace %s, or pick another with -n", ns),
	}}
}

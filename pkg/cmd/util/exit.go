// Package util holds what every command shares: exit codes and error shapes.
package util

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Exit codes. They are part of the interface: scripts branch on them.
const (
	// ExitOK: success (with --wait: the run succeeded).
	ExitOK = 0
	// ExitFailure: an API, I/O or auth error, a failed run, or a bug.
	ExitFailure = 1
	// ExitInvalid: bad flags or arguments, or an invalid spec.
	ExitInvalid = 2
	// ExitTimeout: a wait timed out, or the run was cancelled.
	ExitTimeout = 3
)

// ExitCodesHelp documents every exit code, for the root command's --help.
var ExitCodesHelp = ExitCodes(ExitOK, ExitFailure, ExitInvalid, ExitTimeout, ExitInterrupted)

// ExitCodes documents, for a command's --help, the exit codes it can return.
func ExitCodes(codes ...int) string {
	waits := slices.Contains(codes, ExitTimeout)
	lines := []string{"Exit codes:"}
	for _, c := range codes {
		switch c {
		case ExitOK:
			lines = append(lines, "  0  success")
		case ExitFailure:
			if waits {
				lines = append(lines, "  1  error: API, network, auth or I/O failure; with --wait, the run failed")
			} else {
				lines = append(lines, "  1  error: API, network, auth or I/O failure")
			}
		case ExitInvalid:
			lines = append(lines, "  2  invalid input: bad flags or arguments, or an invalid spec")
		case ExitTimeout:
			lines = append(lines, "  3  a wait timed out (--timeout), or the run was cancelled")
		case ExitInterrupted:
			lines = append(lines, "  130  Ctrl-C while waiting: the run goes on")
		}
	}
	return strings.Join(lines, "\n")
}

// ExitError carries an exit code with its cause.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError is a bad flag or argument; it exits 2.
func UsageError(cmdPath string, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmdPath != "" {
		msg += fmt.Sprintf("\nSee '%s -h' for help and examples", cmdPath)
	}
	return &ExitError{Code: ExitInvalid, Err: errors.New(msg)}
}

// Code maps an error to the process exit code.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ie *spec.InvalidError
	var pe *model.ParamError
	if errors.As(err, &ie) || errors.As(err, &pe) {
		return ExitInvalid
	}
	// cobra's own argument errors.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) {
			return ExitInvalid
		}
	}
	return ExitFailure
}

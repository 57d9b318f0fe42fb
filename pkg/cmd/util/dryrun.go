package util

import (
	"strings"

	"github.com/spf13/cobra"
)

// Dry-run modes, as kubectl names them.
const (
	DryRunNone   = "none"
	DryRunClient = "client"
	DryRunServer = "server"
)

// dryRunNoValue is what a bare --dry-run leaves (kubectl requires a value).
const dryRunNoValue = "unchanged"

// AddDryRunFlag registers --dry-run as kubectl has it; usage says what the
// command does in each mode.
func AddDryRunFlag(cmd *cobra.Command, target *string, usage string) {
	cmd.Flags().StringVar(target, "dry-run", DryRunNone, usage)
	cmd.Flags().Lookup("dry-run").NoOptDefVal = dryRunNoValue
}

// CheckDryRun validates a --dry-run value against the modes a command takes.
func CheckDryRun(cmdPath, value string, modes ...string) error {
	quoted := make([]string, len(modes))
	for i, m := range modes {
		quoted[i] = `"` + m + `"`
	}
	want := strings.Join(quoted, ", ")
	if n := len(quoted); n > 1 {
		want = strings.Join(quoted[:n-1], ", ") + ", or " + quoted[n-1]
		if n == 2 {
			want = quoted[0] + " or " + quoted[1]
		}
	}
	if value == dryRunNoValue {
		return UsageError(cmdPath, "--dry-run needs a value: %s", want)
	}
	for _, m := range modes {
		if value == m {
			return nil
		}
	}
	return UsageError(cmdPath, "Invalid dry-run value (%v). Must be %s.", value, want)
}

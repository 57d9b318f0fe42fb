package util

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// NoPositionalSpec is cobra.NoArgs for the commands that read specs with -f:
// a file given without -f gets a message that says how to pass it.
func NoPositionalSpec(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if looksLikeSpec(args[0]) {
		return UsageError(cmd.CommandPath(), "%s reads specs with -f: %s -f %s", cmd.Name(), cmd.CommandPath(), strings.Join(args, " -f "))
	}
	return UsageError(cmd.CommandPath(), "%s takes no arguments, got %q (specs are passed with -f FILE|DIR|-)", cmd.Name(), args[0])
}

func looksLikeSpec(arg string) bool {
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") || strings.HasSuffix(arg, ".json") || arg == "-" {
		return true
	}
	_, err := os.Stat(arg)
	return err == nil
}

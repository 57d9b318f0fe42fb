// Package schema is the `kubectl mlpipe schema` command.
package schema

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	gen "github.com/mlpipe/kubectl-mlpipe/pkg/schema"
)

// NewCmd returns the schema command.
func NewCmd(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the pipeline spec",
		Long: `Schema prints the JSON Schema (draft 2020-12) of the mlpipe.dev/v1alpha1 Pipeline spec,
generated from the same Go types the loader decodes into. Point your editor's YAML
language server at it for validation and completion.`,
		Example: `  kubectl mlpipe schema > pipeline.schema.json

  # In a spec file, for the YAML language server:
  # yaml-language-server: $schema=./pipeline.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := streams.Out.Write(gen.JSON())
			return err
		},
	}
}

// Package cmd wires the kubectl-mlpipe command tree. Commands live in their
// own packages; this one only assembles them and the shared flags.
package cmd

import (
	"flag"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/cancel"
	deletecmd "github.com/mlpipe/kubectl-mlpipe/pkg/cmd/delete"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/describe"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/doctor"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/list"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/logs"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/render"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/run"
	schedulecmd "github.com/mlpipe/kubectl-mlpipe/pkg/cmd/schedule"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/schema"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/validate"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/versioncmd"
)

// NewRootCmd returns the root command with every subcommand attached.
func NewRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	cf := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:   "kubectl-mlpipe",
		Short: "Run machine-learning pipelines on Tekton",
		Long: `kubectl mlpipe turns one YAML file describing an ML pipeline (steps, their DAG, params,
outputs, and where each step runs: node selectors, tolerations, affinity, CPU, memory,
GPUs) into Tekton resources, and prints them or runs them.

Nothing in the spec is silently dropped: every setting lands on a Tekton field
('render --explain' shows which), and every problem is reported with its file, line,
column and field path.

` + util.ExitCodesHelp,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl mlpipe",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return util.UsageError(c.CommandPath(), "%s", err.Error())
	})
	cf.AddFlags(root.PersistentFlags())
	addLogFlags(root.PersistentFlags())

	root.AddCommand(
		render.NewCmd(cf, streams),
		run.NewCmd(cf, streams),
		list.NewCmd(cf, streams),
		logs.NewCmd(cf, streams),
		describe.NewCmd(cf, streams),
		cancel.NewCmd(cf, streams),
		deletecmd.NewCmd(cf, streams),
		schedulecmd.NewCmd(cf, streams),
		doctor.NewCmd(cf, streams),
		validate.NewCmd(streams),
		schema.NewCmd(streams),
		versioncmd.NewCmd(streams),
	)
	util.RegisterConnectionCompletions(root, cf)
	registerParamCompletions(root)
	return root
}

// registerParamCompletions completes -p NAME= from the spec of -f on every
// command that takes params.
func registerParamCompletions(c *cobra.Command) {
	if c.Flags().Lookup("param") != nil {
		_ = c.RegisterFlagCompletionFunc("param", util.CompleteParams)
	}
	for _, sub := range c.Commands() {
		registerParamCompletions(sub)
	}
}

// addLogFlags adds kubectl's -v and --vmodule: -v=6 shows each request,
// -v=9 its headers and bodies (client-go masks bearer tokens).
func addLogFlags(fs *pflag.FlagSet) {
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	for _, name := range []string{"v", "vmodule"} {
		f := pflag.PFlagFromGoFlag(klogFlags.Lookup(name))
		if name == "v" {
			f.Shorthand = "v"
		}
		fs.AddFlag(f)
	}
}

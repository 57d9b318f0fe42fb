// Package delete is the `kubectl mlpipe delete` command.
package delete

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

// Options are the delete command's inputs.
type Options struct {
	Pipeline string
	Keep     int
}

// NewCmd returns the delete command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "delete RUN... | --pipeline PIPELINE [--keep N]",
		Short: "Delete runs, with their TaskRuns and pods",
		Long: `Delete removes runs. Their TaskRuns and pods go with them (the cluster's garbage
collector follows the owner references). With --pipeline, every run of that pipeline
is deleted except the --keep newest.

RUN is a run's name, or TYPE/NAME as kubectl prints it (pipelinerun/NAME,
pipelinerun.tekton.dev/NAME from 'run -o name'), so output pipes between verbs.

` + util.ExitCodesHelp,
		ValidArgsFunction: util.CompleteRuns(cf),
		Example: `  kubectl mlpipe delete churn-training-x7k2p
  kubectl mlpipe delete --pipeline churn-training --keep 5`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.Pipeline == "" && len(args) == 0:
				return util.UsageError(cmd.CommandPath(), "name the runs to delete, or pass --pipeline")
			case o.Pipeline != "" && len(args) > 0:
				return util.UsageError(cmd.CommandPath(), "give run names or --pipeline, not both")
			case o.Keep < 0:
				return util.UsageError(cmd.CommandPath(), "--keep must be zero or more")
			case o.Keep > 0 && o.Pipeline == "":
				return util.UsageError(cmd.CommandPath(), "--keep needs --pipeline")
			}
			names, err := util.RunNames(cmd.CommandPath(), args)
			if err != nil {
				return err
			}
			tc, ns, err := util.TektonClient(cf)
			if err != nil {
				return err
			}
			if o.Pipeline != "" {
				if names, err = o.victims(cmd.Context(), tc, ns); err != nil {
					return err
				}
				if len(names) == 0 {
					fmt.Fprintf(streams.ErrOut, "No runs of %s to delete in namespace %q.\n", o.Pipeline, ns)
					return nil
				}
			}
			for _, n := range names {
				err := tc.TektonV1().PipelineRuns(ns).Delete(cmd.Context(), n, metav1.DeleteOptions{})
				if apierrors.IsNotFound(err) {
					return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("no run %q in namespace %q", n, ns)}
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "pipelinerun.tekton.dev/%s deleted\n", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Pipeline, "pipeline", "", "delete the runs of this pipeline")
	cmd.Flags().IntVar(&o.Keep, "keep", 0, "with --pipeline, keep this many of the newest runs")
	_ = cmd.RegisterFlagCompletionFunc("pipeline", util.CompletePipelines(cf))
	return cmd
}

// victims lists the pipeline's runs, newest first, and returns all but the --keep newest.
func (o *Options) victims(ctx context.Context, tc tekton.Interface, ns string) ([]string, error) {
	list, err := tc.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: util.RunSelector(o.Pipeline)})
	if err != nil {
		return nil, err
	}
	items := list.Items
	util.NewestFirst(items)
	var out []string
	for i, pr := range items {
		if i >= o.Keep {
			out = append(out, pr.Name)
		}
	}
	return out, nil
}

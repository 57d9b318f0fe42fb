// Package cancel is the `kubectl mlpipe cancel` command.
package cancel

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

// Options are the cancel command's inputs.
type Options struct {
	Grace bool
	util.Selection
	DryRun string
	genericiooptions.IOStreams
}

// NewCmd returns the cancel command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "cancel RUN... | --pipeline PIPELINE | -l SELECTOR | --all  [--grace]",
		Short: "Cancel runs",
		Long: `Cancel stops runs: their running steps are stopped and nothing else starts (Tekton's
Cancelled). With --grace, running steps are stopped but the finally steps still run
(CancelledRunFinally), so notifications and clean-up happen.

Which runs: the RUNs named (each must still be running); or, of the runs made by
kubectl mlpipe in the namespace, those of --pipeline, those matching -l/--selector, or
--all of them — runs of a selection that have already finished are left alone.
--dry-run=client prints what would be cancelled and changes nothing; --dry-run=server
sends the patches with dryRun=All.

RUN is a run's name, or TYPE/NAME as kubectl prints it (pipelinerun/NAME,
pipelinerun.tekton.dev/NAME from 'run -o name'), so output pipes between verbs.

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid),
		Example: `  kubectl mlpipe cancel churn-training-x7k2p
  kubectl mlpipe cancel churn-training-x7k2p --grace
  kubectl mlpipe cancel --pipeline churn-training --dry-run=client
  kubectl mlpipe cancel -l team=ds --grace`,
		ValidArgsFunction: util.CompleteRuns(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := o.check(cmd.CommandPath(), args)
			if err != nil {
				return err
			}
			tc, ns, err := util.TektonClient(cf)
			if err != nil {
				return err
			}
			return o.Run(cmd.Context(), tc, ns, names)
		},
	}
	cmd.Flags().BoolVar(&o.Grace, "grace", false, "let the finally steps run (CancelledRunFinally)")
	cmd.Flags().StringVar(&o.Pipeline, "pipeline", "", "cancel the running runs of this pipeline")
	cmd.Flags().StringVarP(&o.Selector, "selector", "l", "", "cancel the running runs matching this label selector (e.g. team=ds)")
	cmd.Flags().BoolVar(&o.All, "all", false, "cancel every running run made by kubectl mlpipe in the namespace")
	util.AddDryRunFlag(cmd, &o.DryRun, `Must be "none", "server", or "client". If client strategy, only print the runs that would be cancelled, changing nothing. If server strategy, send the patches with dryRun=All: nothing changes.`)
	_ = cmd.RegisterFlagCompletionFunc("pipeline", util.CompletePipelines(cf))
	return cmd
}

func (o *Options) check(cmdPath string, args []string) ([]string, error) {
	if err := util.CheckDryRun(cmdPath, o.DryRun, util.DryRunNone, util.DryRunServer, util.DryRunClient); err != nil {
		return nil, err
	}
	return o.Selection.Check(cmdPath, "cancel", args)
}

// Run cancels the named runs (an error for one that has finished) or the
// selected runs that are still running.
func (o *Options) Run(ctx context.Context, tc tekton.Interface, ns string, names []string) error {
	runs := tc.TektonV1().PipelineRuns(ns)
	var targets []string
	if len(names) > 0 {
		for _, n := range names {
			pr, err := util.GetRun(ctx, tc, ns, n)
			if err != nil {
				return err
			}
			if util.Finished(pr) {
				return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("run %s has already finished (%s)", n, pr.Status.GetCondition(apis.ConditionSucceeded).Reason)}
			}
			targets = append(targets, n)
		}
	} else {
		list, err := runs.List(ctx, metav1.ListOptions{LabelSelector: o.LabelSelector()})
		if err != nil {
			return err
		}
		util.NewestFirst(list.Items)
		for i := range list.Items {
			if !util.Finished(&list.Items[i]) {
				targets = append(targets, list.Items[i].Name)
			}
		}
		if len(targets) == 0 {
			fmt.Fprintf(o.ErrOut, "No running runs to cancel in namespace %q.\n", ns)
			return nil
		}
	}
	status := v1.PipelineRunSpecStatusCancelled
	if o.Grace {
		status = v1.PipelineRunSpecStatusCancelledRunFinally
	}
	patch := []byte(fmt.Sprintf(`{"spec":{"status":%q}}`, status))
	suffix := ""
	if o.DryRun != util.DryRunNone {
		suffix = " (dry run)"
	}
	for _, n := range targets {
		if o.DryRun != util.DryRunClient {
			opts := metav1.PatchOptions{FieldManager: "kubectl-mlpipe"}
			if o.DryRun == util.DryRunServer {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			if _, err := runs.Patch(ctx, n, types.MergePatchType, patch, opts); err != nil {
				return err
			}
		}
		fmt.Fprintf(o.Out, "pipelinerun.tekton.dev/%s cancelled%s\n", n, suffix)
	}
	return nil
}

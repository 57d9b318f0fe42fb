// Package cancel is the `kubectl mlpipe cancel` command.
package cancel

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

// NewCmd returns the cancel command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	var grace bool
	cmd := &cobra.Command{
		Use:   "cancel RUN... [--grace]",
		Short: "Cancel runs",
		Long: `Cancel stops runs: their running steps are stopped and nothing else starts (Tekton's
Cancelled). With --grace, running steps are stopped but the finally steps still run
(CancelledRunFinally), so notifications and clean-up happen.

RUN is a run's name, or TYPE/NAME as kubectl prints it (pipelinerun/NAME,
pipelinerun.tekton.dev/NAME from 'run -o name'), so output pipes between verbs.

` + util.ExitCodesHelp,
		Example: `  kubectl mlpipe cancel churn-training-x7k2p
  kubectl mlpipe cancel churn-training-x7k2p --grace`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: util.CompleteRuns(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := util.RunNames(cmd.CommandPath(), args)
			if err != nil {
				return err
			}
			tc, ns, err := util.TektonClient(cf)
			if err != nil {
				return err
			}
			status := v1.PipelineRunSpecStatusCancelled
			if grace {
				status = v1.PipelineRunSpecStatusCancelledRunFinally
			}
			patch := []byte(fmt.Sprintf(`{"spec":{"status":%q}}`, status))
			for _, name := range names {
				if err := cancelOne(cmd.Context(), tc.TektonV1().PipelineRuns(ns), name, ns, patch); err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "pipelinerun.tekton.dev/%s cancelled\n", name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&grace, "grace", false, "let the finally steps run (CancelledRunFinally)")
	return cmd
}

type runs interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*v1.PipelineRun, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (*v1.PipelineRun, error)
}

func cancelOne(ctx context.Context, c runs, name, ns string, patch []byte) error {
	pr, err := c.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("no run %q in namespace %q", name, ns)}
	}
	if err != nil {
		return err
	}
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c != nil && !c.IsUnknown() {
		return fmt.Errorf("run %s has already finished (%s)", name, c.Reason)
	}
	_, err = c.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-mlpipe"})
	return err
}

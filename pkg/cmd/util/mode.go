package util

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
)

// AddModeFlag adds --mode.
func AddModeFlag(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "mode", compiler.ModeAuto, "how the pipeline is sent: embedded (one PipelineRun holding it all), referenced (Tasks and a Pipeline named by content hash, and a PipelineRun naming the Pipeline), or auto (embedded while it fits the size budget)")
	_ = cmd.RegisterFlagCompletionFunc("mode", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return compiler.Modes, cobra.ShellCompDirectiveNoFileComp
	})
}

// CheckMode refuses a --mode value that is not one of compiler.Modes.
func CheckMode(cmdPath, mode string) error {
	for _, m := range compiler.Modes {
		if mode == m {
			return nil
		}
	}
	return UsageError(cmdPath, "--mode must be one of %s, not %q", strings.Join(compiler.Modes, ", "), mode)
}

// Prepared is what a render prints and a run sends.
type Prepared struct {
	// Run is the PipelineRun (tekton.dev/v1): embedded, or naming the
	// Pipeline of Referenced.
	Run *v1.PipelineRun
	// Referenced is set in referenced mode.
	Referenced *tekton.Referenced
	// Objects are what is sent, in write order, each as the API version
	// the target serves.
	Objects []runtime.Object
}

// slowReferencedChain is the chain length past which a referenced run is
// warned of Tekton's per-reconcile Task reads (docs/performance.md).
const slowReferencedChain = 50

// Prepare chooses the mode for res (saying so on w when auto switches),
// fits the run to the target's release when there is one (see ForTarget)
// and, in referenced mode, splits it into Tasks, Pipeline and run.
func Prepare(ctx context.Context, w io.Writer, t *tektonapi.Target, res *compiler.Result, mode string) (*Prepared, error) {
	referenced, note, err := compiler.ChooseMode(mode, res)
	if err != nil {
		return nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	if note != "" {
		fmt.Fprintf(w, "Note: %s\n", note)
	}
	pr := res.PipelineRun
	var sent runtime.Object = pr
	if t != nil {
		if sent, err = ForTarget(ctx, w, *t, pr); err != nil {
			return nil, err
		}
	}
	if !referenced {
		if mode == compiler.ModeEmbedded && res.Size.Over != "" {
			fmt.Fprintf(w, "Warning: %s; Tekton will fail to store it (--mode auto or referenced sends it in parts)\n", res.Size.Over)
		}
		return &Prepared{Run: pr, Objects: []runtime.Object{sent}}, nil
	}
	//lint:ignore SA1019 sent as v1beta1 where the cluster serves nothing newer
	if b, ok := sent.(*v1beta1.PipelineRun); ok {
		// Split what ForTarget kept (it may have left cosmetic fields out).
		if pr, err = tektonapi.PipelineRunToV1(ctx, b); err != nil {
			return nil, err
		}
	}
	ref, warning, err := compiler.Referenced(pr, res.Model.Name)
	if err != nil {
		return nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	if warning != "" {
		fmt.Fprintf(w, "Warning: %s\n", warning)
	}
	if chain := len(res.Model.Graph().Levels()); chain >= slowReferencedChain {
		fmt.Fprintf(w, "Warning: referenced, a chain of %d steps is slow in Tekton: its controller reads every referenced Task from the apiserver on each reconcile, at its client's rate limit, so each step waits longer than the last (measured: 18 s a step at 40 of a 200-step chain, 1.8 s embedded); raise the controller's -kube-api-qps and -kube-api-burst, or shorten the chain\n", chain)
	}
	p := &Prepared{Run: ref.Run, Referenced: ref}
	api := tektonapi.V1
	if t != nil {
		api = t.API
	}
	for _, o := range ref.Objects() {
		c, err := tektonapi.ToAPI(ctx, o, api)
		if err != nil {
			return nil, err
		}
		p.Objects = append(p.Objects, c)
	}
	return p, nil
}

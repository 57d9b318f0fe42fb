// Package describe is the `kubectl mlpipe describe` command.
package describe

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"
	"github.com/mlpipe/kubectl-mlpipe/pkg/runspec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// Options are the describe command's inputs.
type Options struct {
	Watch     bool
	Last      bool
	Timeout   time.Duration
	Dashboard util.Dashboard
	now       func() time.Time
}

// NewCmd returns the describe command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{now: time.Now}
	cmd := &cobra.Command{
		Use:   "describe RUN [-w] | --last [PIPELINE]",
		Short: "Show a run: status, params, each step, outputs and the DAG",
		Long: `Describe shows a run: its status and params; each step with its status, node,
start, duration, retries and, when it failed or cannot start, why (the exit code,
the scheduler's message, an image that cannot be pulled); the steps' outputs; the
environment variables filled from secrets and config maps (as references: values
are never read); and the DAG as a tree. When a Tekton Dashboard is known
(--dashboard-url, $MLPIPE_DASHBOARD_URL, or found in tekton-pipelines: an Ingress,
OpenShift Route or LoadBalancer Service of the Dashboard), a Dashboard: line links
to the run's page.

--last picks the newest run (of PIPELINE when given). -w keeps following the run
like 'run --wait' and exits with its outcome.

RUN is a run's name, or TYPE/NAME as kubectl prints it (pipelinerun/NAME,
pipelinerun.tekton.dev/NAME from 'run -o name'), so output pipes between verbs.

` + util.ExitCodesHelp,
		Example: `  kubectl mlpipe describe churn-training-x7k2p
  kubectl mlpipe describe "$(kubectl mlpipe run -f churn.yaml -o name)"
  kubectl mlpipe describe --last churn-training
  kubectl mlpipe describe churn-training-x7k2p -w`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if o.Last {
				return util.CompletePipelines(cf)(cmd, args, prefix)
			}
			return util.CompleteRuns(cf)(cmd, args, prefix)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !o.Last && len(args) != 1 {
				return util.UsageError(cmd.CommandPath(), "name the run to describe, or pass --last")
			}
			if o.Timeout != 0 && !o.Watch {
				return util.UsageError(cmd.CommandPath(), "--timeout needs -w")
			}
			c, err := util.NewClients(cf)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var pr *v1.PipelineRun
			if o.Last {
				pipeline := ""
				if len(args) == 1 {
					pipeline = args[0]
				}
				pr, err = util.LastRun(ctx, c.Tekton, c.Namespace, pipeline)
			} else {
				var name string
				if name, err = util.RunName(cmd.CommandPath(), args[0]); err != nil {
					return err
				}
				pr, err = util.GetRun(ctx, c.Tekton, c.Namespace, name)
			}
			if err != nil {
				return err
			}
			if in, err := runspec.Run(ctx, c.Tekton, pr); err != nil {
				fmt.Fprintf(streams.ErrOut, "Warning: %v; its steps are shown as far as its TaskRuns tell\n", err)
			} else {
				pr = in
			}
			// The Dashboard's address is looked up alongside the run's own reads.
			link := make(chan string, 1)
			go func() { link <- o.Dashboard.RunURL(ctx, streams.ErrOut, c.Kube, pr.Namespace, pr.Name) }()
			if o.Watch {
				view := liveview.For(streams.Out)
				r, err := util.Wait(ctx, c, pr.Name, view, o.Timeout)
				if r.Name != "" && !view.TTY {
					r.Dashboard = <-link
					streams.Out.Write([]byte("\n"))
					status.Describe(streams.Out, r, o.now(), view.Style)
				}
				return err
			}
			r, err := snapshot(ctx, c, pr)
			if err != nil {
				return err
			}
			r.Dashboard = <-link
			status.Describe(streams.Out, r, o.now(), liveview.For(streams.Out).Style)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", false, "keep following the run until it ends; exit with its outcome")
	cmd.Flags().BoolVar(&o.Last, "last", false, "describe the newest run (of PIPELINE when given)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 0, "with -w, stop waiting after this long (exit 3); 0 waits for ever")
	util.AddDashboardFlag(cmd, &o.Dashboard)
	return cmd
}

// snapshot reads the run's TaskRuns, pods and warning events once.
func snapshot(ctx context.Context, c *util.Clients, pr *v1.PipelineRun) (status.Run, error) {
	sel := metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name}
	trs, err := c.Tekton.TektonV1().TaskRuns(pr.Namespace).List(ctx, sel)
	if err != nil {
		return status.Run{}, err
	}
	pods, err := c.Kube.CoreV1().Pods(pr.Namespace).List(ctx, sel)
	if err != nil {
		return status.Run{}, err
	}
	var events []*corev1.Event
	if len(pods.Items) > 0 {
		warnings := fields.AndSelectors(fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.kind", "Pod")).String()
		evs, err := c.Kube.CoreV1().Events(pr.Namespace).List(ctx, metav1.ListOptions{FieldSelector: warnings})
		if err != nil {
			return status.Run{}, err
		}
		for i := range evs.Items {
			events = append(events, &evs.Items[i])
		}
	}
	own := fields.AndSelectors(fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.kind", "PipelineRun"), fields.OneTermEqualSelector("involvedObject.name", pr.Name)).String()
	evs, err := c.Kube.CoreV1().Events(pr.Namespace).List(ctx, metav1.ListOptions{FieldSelector: own})
	if err != nil {
		return status.Run{}, err
	}
	for i := range evs.Items {
		events = append(events, &evs.Items[i])
	}
	return status.Build(pr, ptrs(trs.Items), ptrs(pods.Items), events), nil
}

func ptrs[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// Package logs is the `kubectl mlpipe logs` command.
package logs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/logs"
	"github.com/mlpipe/kubectl-mlpipe/pkg/runspec"
)

// Options are the logs command's inputs.
type Options struct {
	Follow     bool
	Last       bool
	Timestamps bool
	// Tail, Since and SinceTime are kubectl logs' flags; Bare is
	// --prefix=false.
	Tail      int64
	Since     time.Duration
	SinceTime string
	Bare      bool
	// connect builds the clients and the log source; tests replace it.
	connect func() (*util.Clients, logs.Source, error)
}

// readOptions checks --tail, --since and --since-time and sets them on src.
func (o *Options) readOptions(cmdPath string, src logs.Source) error {
	if o.Since != 0 && o.SinceTime != "" {
		return util.UsageError(cmdPath, "give at most one of --since and --since-time")
	}
	if o.Since < 0 {
		return util.UsageError(cmdPath, "--since must be positive, as in --since=1h")
	}
	var since *metav1.Time
	if o.SinceTime != "" {
		t, err := time.Parse(time.RFC3339, o.SinceTime)
		if err != nil {
			return util.UsageError(cmdPath, "--since-time %q: want an RFC3339 time, as in 2026-11-30T15:04:05Z", o.SinceTime)
		}
		since = &metav1.Time{Time: t}
	}
	p, ok := src.(*logs.PodLogSource)
	if !ok {
		return nil
	}
	if o.Tail >= 0 {
		p.TailLines = &o.Tail
	}
	if o.Since > 0 {
		secs := int64((o.Since + time.Second - 1) / time.Second)
		p.SinceSeconds = &secs
	}
	p.SinceTime = since
	return nil
}

// NewCmd returns the logs command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{Tail: -1}
	prefix := true
	o.connect = func() (*util.Clients, logs.Source, error) { return connect(cf, o.Timestamps) }
	cmd := &cobra.Command{
		Use:   "logs RUN [STEP] [-f] [--last]",
		Short: "Print the logs of a run's steps",
		Long: `Logs prints what a run's steps wrote, each line prefixed with its step, as in
"[train] epoch 3/10". Without STEP it prints every step, in the order the DAG runs
them (finally steps last); with STEP, only that one.

Log lines go to stdout. What cannot be shown is said on stderr: a step that was
skipped, has not started yet or printed nothing, and a step whose pod is gone
(deleted, or cleaned up after the run), whose logs are no longer available.

With -f, logs waits for steps that have not started yet and streams their lines as
they are written, until the run ends (with STEP, until that step ends). Steps that
run at the same time interleave their lines; each line stays whole.

RUN is a run's name, or TYPE/NAME as kubectl prints it (pipelinerun/NAME,
pipelinerun.tekton.dev/NAME from 'run -o name'), so output pipes between verbs.

With --last, logs reads the newest run, and the arguments become [PIPELINE] [STEP]:
PIPELINE picks the newest run of that pipeline.

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid, util.ExitInterrupted),
		Example: `  kubectl mlpipe logs churn-training-x7k2p
  kubectl mlpipe logs churn-training-x7k2p train
  kubectl mlpipe logs churn-training-x7k2p -f
  kubectl mlpipe logs --last churn-training train -f`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if o.Last && len(args) == 0 {
				return util.CompletePipelines(cf)(cmd, args, prefix)
			}
			if o.Last {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return util.CompleteRunThenStep(cf)(cmd, args, prefix)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Bare = !prefix
			return o.Run(cmd.Context(), cmd.CommandPath(), args, streams)
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "wait for steps to start and stream their logs until the run ends")
	cmd.Flags().BoolVar(&o.Last, "last", false, "use the newest run (of PIPELINE, when given): the arguments become [PIPELINE] [STEP]")
	cmd.Flags().BoolVar(&o.Timestamps, "timestamps", false, "prefix each line with the time it was written")
	cmd.Flags().Int64Var(&o.Tail, "tail", o.Tail, "lines of each step's log to show, from its end (-1: all), as kubectl logs --tail; with retries, of each attempt")
	cmd.Flags().DurationVar(&o.Since, "since", 0, "only lines newer than this, as kubectl logs --since (e.g. 10m, 1h)")
	cmd.Flags().StringVar(&o.SinceTime, "since-time", "", "only lines after this RFC3339 time, as kubectl logs --since-time")
	cmd.Flags().BoolVar(&prefix, "prefix", prefix, "begin each line with its step, as [train] (--prefix=false: the lines as the step wrote them)")
	return cmd
}

// Run prints the logs args ask for.
func (o *Options) Run(ctx context.Context, cmdPath string, args []string, streams genericiooptions.IOStreams) error {
	switch {
	case o.Last && len(args) > 2:
		return util.UsageError(cmdPath, "with --last, give at most PIPELINE and STEP")
	case !o.Last && (len(args) < 1 || len(args) > 2):
		return util.UsageError(cmdPath, "give RUN and optionally STEP (or --last for the newest run)")
	}
	// The flags are checked before any client is made (src nil), then set.
	if err := o.readOptions(cmdPath, nil); err != nil {
		return err
	}
	c, src, err := o.connect()
	if err != nil {
		return err
	}
	if err := o.readOptions(cmdPath, src); err != nil {
		return err
	}
	var (
		pr   *v1.PipelineRun
		step string
	)
	if len(args) == 2 {
		step = args[1]
	}
	if o.Last {
		pipeline := ""
		if len(args) > 0 {
			pipeline = args[0]
		}
		if pr, err = util.LastRun(ctx, c.Tekton, c.Namespace, pipeline); err != nil {
			return err
		}
		// Say which run: "the newest" is a moving target.
		fmt.Fprintf(streams.ErrOut, "run %s\n", pr.Name)
	} else {
		name, err := util.RunName(cmdPath, args[0])
		if err != nil {
			return err
		}
		if pr, err = util.GetRun(ctx, c.Tekton, c.Namespace, name); err != nil {
			return err
		}
	}
	if in, err := runspec.Run(ctx, c.Tekton, pr); err != nil {
		fmt.Fprintf(streams.ErrOut, "Warning: %v; its steps are listed as its TaskRuns tell\n", err)
	} else {
		pr = in
	}
	err = logs.Print(ctx, logs.Options{
		Tekton: c.Tekton, Kube: c.Kube, Namespace: c.Namespace, Source: src,
		Step: step, Follow: o.Follow, Out: streams.Out, ErrOut: streams.ErrOut, NoPrefix: o.Bare,
	}, pr)
	var unknown *logs.UnknownStepError
	switch {
	case errors.As(err, &unknown):
		return util.UsageError(cmdPath, "%s", err)
	case err != nil && ctx.Err() != nil:
		return &util.ExitError{Code: util.ExitInterrupted, Err: fmt.Errorf("interrupted; the run goes on")}
	}
	return err
}

// connect builds our clients, and a source reading pod logs with them, from
// kubectl's connection flags.
func connect(cf *genericclioptions.ConfigFlags, timestamps bool) (*util.Clients, logs.Source, error) {
	c, err := util.NewClients(cf)
	if err != nil {
		return nil, nil, err
	}
	src := logs.NewPodLogSource(c.Kube)
	src.Timestamps = timestamps
	return c, src, nil
}

// Package delete is the `kubectl mlpipe delete` command.
package delete

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"golang.org/x/term"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

// Options are the delete command's inputs.
type Options struct {
	util.Selection
	Keep           int
	Yes            bool
	IncludeRunning bool
	DryRun         string
	// GCGrace spares unused Pipelines and Tasks younger than this.
	GCGrace time.Duration

	genericiooptions.IOStreams
	// terminal reports whether a person can answer a question on In; tests replace it.
	terminal func() bool
}

// NewCmd returns the delete command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, terminal: func() bool { return isTerminal(streams.In) }}
	cmd := &cobra.Command{
		Use:   "delete RUN... | --pipeline PIPELINE [--keep N] | -l SELECTOR | --all",
		Short: "Delete runs, with their TaskRuns and pods",
		Long: `Delete removes runs. Their TaskRuns and pods go with them (the cluster's garbage
collector follows the owner references). Tasks and Pipelines that referenced runs
used are deleted too once no run in the namespace refers to them any more (and they
are older than --gc-grace), whoever deleted the runs.

Which runs: the RUNs named; or the runs of --pipeline; or those matching -l/--selector;
or --all runs made by kubectl mlpipe in the namespace (of --pipeline, when given). With
--keep N, the N newest of those are kept.

Safe by default:
  - a run that has not finished (running, pending or not yet started) is never
    deleted unless --include-running is given: a named one is an error, one in a
    set is kept and reported on stderr;
  - --pipeline without --keep would delete every run of the pipeline: on a
    terminal it asks first; elsewhere it refuses unless --all or --yes says so;
  - --dry-run=client prints what would be deleted and what would be kept, and
    touches nothing; --dry-run=server sends the deletes with dryRun=All.
` + `
RUN is a run's name, or TYPE/NAME as kubectl prints it (pipelinerun/NAME,
pipelinerun.tekton.dev/NAME from 'run -o name'), so output pipes between verbs.

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid),
		ValidArgsFunction: util.CompleteRuns(cf),
		Example: `  kubectl mlpipe delete churn-training-x7k2p
  kubectl mlpipe delete --pipeline churn-training --keep 5
  kubectl mlpipe delete --pipeline churn-training --all --dry-run=client
  kubectl mlpipe delete -l team=ds --keep 10
  kubectl mlpipe delete churn-training-x7k2p --include-running`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := o.check(cmd.CommandPath(), args)
			if err != nil {
				return err
			}
			tc, ns, err := util.TektonClient(cf)
			if err != nil {
				return err
			}
			return o.Run(cmd.Context(), cmd.CommandPath(), tc, ns, names)
		},
	}
	cmd.Flags().StringVar(&o.Pipeline, "pipeline", "", "delete the runs of this pipeline")
	cmd.Flags().IntVar(&o.Keep, "keep", 0, "keep this many of the newest selected runs")
	cmd.Flags().StringVarP(&o.Selector, "selector", "l", "", "delete the runs matching this label selector (e.g. team=ds)")
	cmd.Flags().BoolVar(&o.All, "all", false, "delete every run made by kubectl mlpipe in the namespace (of --pipeline, when given)")
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask before deleting every run of --pipeline")
	cmd.Flags().BoolVar(&o.IncludeRunning, "include-running", false, "also delete runs that have not finished (their steps are stopped)")
	cmd.Flags().DurationVar(&o.GCGrace, "gc-grace", time.Minute, "Pipelines and Tasks of referenced runs that no run refers to any more are deleted too, once older than this (a run being created writes them a moment before the run)")
	util.AddDryRunFlag(cmd, &o.DryRun, `Must be "none", "server", or "client". If client strategy, only print the runs that would be deleted (and those kept), deleting nothing. If server strategy, send the deletes with dryRun=All: nothing is deleted.`)
	_ = cmd.RegisterFlagCompletionFunc("pipeline", util.CompletePipelines(cf))
	return cmd
}

// check validates the flags and returns the named runs.
func (o *Options) check(cmdPath string, args []string) ([]string, error) {
	if err := util.CheckDryRun(cmdPath, o.DryRun, util.DryRunNone, util.DryRunServer, util.DryRunClient); err != nil {
		return nil, err
	}
	switch {
	case o.Keep < 0:
		return nil, util.UsageError(cmdPath, "--keep must be zero or more")
	case o.Keep > 0 && !o.Set():
		return nil, util.UsageError(cmdPath, "--keep needs a selection: --pipeline, -l or --all")
	}
	return o.Selection.Check(cmdPath, "delete", args)
}

// plan is what a delete would do.
type plan struct {
	delete []string
	kept   []string // not finished and spared
	newest int      // kept by --keep
}

// Run deletes the named or selected runs that the rules allow.
func (o *Options) Run(ctx context.Context, cmdPath string, tc tekton.Interface, ns string, names []string) error {
	runs := tc.TektonV1().PipelineRuns(ns)
	var p plan
	if len(names) > 0 {
		for _, n := range names {
			pr, err := util.GetRun(ctx, tc, ns, n)
			if err != nil {
				return err
			}
			if !util.Finished(pr) && !o.IncludeRunning {
				return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("run %s has not finished (%s); nothing was deleted. Cancel it first (kubectl mlpipe cancel %s), or pass --include-running", n, state(pr), n)}
			}
			p.delete = append(p.delete, n)
		}
	} else {
		items, err := util.AllRunSummaries(ctx, tc, ns, metav1.ListOptions{LabelSelector: o.LabelSelector()}, util.ChunkSize)
		if err != nil {
			return err
		}
		p = o.choose(items)
		if len(p.delete)+len(p.kept) == 0 {
			fmt.Fprintf(o.ErrOut, "No runs %sto delete in namespace %q.\n", o.what(), ns)
			return nil
		}
		if err := o.confirm(cmdPath, ns, p); err != nil {
			return err
		}
	}
	suffix := ""
	if o.DryRun != util.DryRunNone {
		suffix = " (dry run)"
	}
	for _, n := range p.kept {
		fmt.Fprintf(o.ErrOut, "kept pipelinerun.tekton.dev/%s: it has not finished (--include-running deletes it too)\n", n)
	}
	if err := o.deleteAll(ctx, runs, p.delete, suffix); err != nil {
		return err
	}
	if len(p.delete) == 0 {
		return nil
	}
	gone := map[string]bool{}
	for _, n := range p.delete {
		gone[n] = true
	}
	return o.sweep(ctx, tc, ns, gone, time.Now())
}

// choose keeps the --keep newest, spares unfinished runs unless told, and
// deletes the rest, oldest last as listed newest first.
func (o *Options) choose(items []v1.PipelineRun) plan {
	util.NewestFirst(items)
	var p plan
	for i := range items {
		pr := &items[i]
		switch {
		case i < o.Keep:
			p.newest++
		case !util.Finished(pr) && !o.IncludeRunning:
			p.kept = append(p.kept, pr.Name)
		default:
			p.delete = append(p.delete, pr.Name)
		}
	}
	return p
}

// confirm guards deleting every run of a pipeline when the user did not say
// so: ask on a terminal, refuse elsewhere.
func (o *Options) confirm(cmdPath, ns string, p plan) error {
	if o.Pipeline == "" || o.Keep > 0 || o.All || o.Yes || o.Selector != "" || o.DryRun == util.DryRunClient || len(p.delete) == 0 {
		return nil
	}
	if !o.terminal() {
		return util.UsageError(cmdPath, "this would delete every finished run of %s in namespace %q (%d); pass --all (or -y) to do that, or --keep N to keep the newest", o.Pipeline, ns, len(p.delete))
	}
	fmt.Fprintf(o.ErrOut, "Delete %d run(s) of %s in namespace %q (%s)? [y/N] ", len(p.delete), o.Pipeline, ns, strings.Join(p.delete, ", "))
	answer, _ := bufio.NewReader(o.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("nothing deleted")}
	}
	return nil
}

func (o *Options) what() string {
	var parts []string
	if o.Pipeline != "" {
		parts = append(parts, "of "+o.Pipeline)
	}
	if o.Selector != "" {
		parts = append(parts, "matching "+o.Selector)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " ") + " "
}

func state(pr *v1.PipelineRun) string {
	if c := pr.Status.GetCondition("Succeeded"); c != nil && c.Reason != "" {
		return c.Reason
	}
	if pr.Spec.Status != "" {
		return string(pr.Spec.Status)
	}
	return "not started"
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

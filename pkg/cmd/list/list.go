// Package list is the `kubectl mlpipe list` command.
package list

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/render"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/dashboard"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/runcache"
	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// Options are the list command's inputs.
type Options struct {
	AllNamespaces bool
	Selector      string
	Output        string
	// SortBy is a JSONPath the runs are ordered by (kubectl get --sort-by).
	SortBy string
	// Watch prints each change after the list; WatchOnly without the list.
	Watch, WatchOnly bool
	NoHeaders        bool
	// ChunkSize is the page size of the LIST of runs (0: one LIST).
	ChunkSize int64
	// Cache lists finished runs from their metadata and CachePath.
	Cache     bool
	CachePath string
	Dashboard util.Dashboard
	now       func() time.Time
	// kube finds the Tekton Dashboard for -o wide; nil: only --dashboard-url or the environment.
	kube kubernetes.Interface
	meta metadata.Interface
	// printer prints the runs for -o name, yaml, json, jsonpath and the
	// templates; columns for -o custom-columns. Neither for the table.
	printer printers.ResourcePrinter
	columns *util.CustomColumns
}

// tableFormats are list's own -o formats, beside PrintFlags'.
var tableFormats = []string{"wide", "custom-columns=", "custom-columns-file="}

func printFlags(format string) *genericclioptions.PrintFlags {
	pf := genericclioptions.NewPrintFlags("").WithTypeSetter(render.Scheme)
	*pf.OutputFormat = format
	return pf
}

// complete checks -o and --sort-by before any request.
func (o *Options) complete(cmdPath string) error {
	if o.SortBy != "" {
		if _, err := util.SortBy(o.SortBy, nil); err != nil {
			return util.UsageError(cmdPath, "%v", err)
		}
	}
	switch o.Output {
	case "", "wide":
		return nil
	}
	cc, ok, err := util.ParseCustomColumns(o.Output)
	if err != nil {
		return util.UsageError(cmdPath, "%v", err)
	}
	if ok {
		o.columns = cc
		return nil
	}
	o.printer, err = util.Printer(cmdPath, printFlags(o.Output), tableFormats...)
	return err
}

// NewCmd returns the list command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{now: time.Now, Cache: true}
	cmd := &cobra.Command{
		Use:   "list [PIPELINE] [-A] [-l selector] [-o wide|yaml|json|name|jsonpath=…|go-template=…|custom-columns=…] [--sort-by JSONPATH]",
		Short: "List runs, newest first",
		Long: `List shows the runs kubectl-mlpipe created (label app.kubernetes.io/managed-by=kubectl-mlpipe),
newest first: their pipeline, status, steps done of all steps, start and duration.
Give a pipeline name to see only its runs.

-o wide adds the reason of the run's status and a DASHBOARD column: the run's page
on the Tekton Dashboard when one is known (--dashboard-url, $MLPIPE_DASHBOARD_URL, or
found in tekton-pipelines: an Ingress, OpenShift Route or LoadBalancer Service of the
Dashboard), else -.

The table needs a few fields of each run, but the API sends runs whole, each with
its pipeline twice. So list keeps the rows of finished runs in --cache-dir (one file
per API server, like kubectl's discovery cache) and, in a namespace of many runs,
lists only the runs' metadata: a kept row is used while its run's uid and
resourceVersion are unchanged (any change to a run gives it a new resourceVersion);
new, changed and unfinished runs are read whole. --local-cache=false reads every run.`,
		Example: `  kubectl mlpipe list
  kubectl mlpipe list churn-training
  kubectl mlpipe list -A -o wide
  # as kubectl get: every -o of its printers, and --sort-by
  kubectl mlpipe list -o custom-columns=RUN:.metadata.name,REASON:.status.conditions[0].reason
  kubectl mlpipe list --sort-by .status.startTime -o jsonpath='{.items[*].metadata.name}'`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: util.CompletePipelines(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd.CommandPath()); err != nil {
				return err
			}
			c, err := util.NewClients(cf)
			if err != nil {
				return err
			}
			tc, ns := c.Tekton, c.Namespace
			o.kube, o.meta = c.Kube, c.Metadata
			if cf.CacheDir != nil && *cf.CacheDir != "" {
				o.CachePath = runcache.Path(*cf.CacheDir, c.Host)
			}
			if o.AllNamespaces {
				ns = ""
			}
			pipeline := ""
			if len(args) == 1 {
				pipeline = args[0]
			}
			sel := util.RunSelector(pipeline)
			if o.Selector != "" {
				sel += "," + o.Selector
			}
			return o.run(cmd.Context(), tc, ns, sel, streams)
		},
	}
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "list runs in every namespace")
	cmd.Flags().StringVarP(&o.Selector, "selector", "l", "", "label selector to filter runs")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format. One of: ("+strings.Join(util.Formats(printFlags(""), tableFormats...), ", ")+"). The table is the default")
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", false, "after the list, print each change to the runs as it happens (a table row, or the run in the -o format), as kubectl get -w; Ctrl-C ends it")
	cmd.Flags().BoolVar(&o.WatchOnly, "watch-only", false, "print the changes only, without the list first")
	cmd.Flags().StringVar(&o.SortBy, "sort-by", "", "sort the runs by this JSONPath of a run, as kubectl get does (e.g. '{.status.startTime}'); the default is newest first. The table reads only what it shows of a run (metadata and status): sort it by those")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return util.Formats(printFlags(""), tableFormats...), cobra.ShellCompDirectiveNoFileComp
	})
	cmd.Flags().BoolVar(&o.NoHeaders, "no-headers", false, "leave out the header line")
	cmd.Flags().Int64Var(&o.ChunkSize, "chunk-size", util.ChunkSize, "read runs in pages of this many, as kubectl does (0: all in one LIST). The table is sorted newest first, so it is printed once every page is in")
	cmd.Flags().BoolVar(&o.Cache, "local-cache", o.Cache, "keep the rows of finished runs in --cache-dir, and list the runs by their metadata, reading only those new or changed since (--local-cache=false: read every run)")
	util.AddDashboardFlag(cmd, &o.Dashboard)
	return cmd
}

func (o *Options) run(ctx context.Context, tc tekton.Interface, ns, sel string, streams genericiooptions.IOStreams) error {
	// list holds thousands of runs at once; at the binary's GOGC=400 (made
	// for compiling, cmd/kubectl-mlpipe) its peak memory would be five
	// times what it holds. GOGC in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	if o.printer == nil && o.columns == nil {
		if err := o.complete(""); err != nil {
			return err
		}
	}
	if !o.Watch && !o.WatchOnly {
		return o.list(ctx, tc, ns, sel, streams)
	}
	// The watch starts from a version read before the list, so no change
	// made while the list is read is missed (one may be shown twice).
	l, err := tc.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: sel, Limit: 1})
	if err != nil {
		return err
	}
	if !o.WatchOnly {
		if err := o.list(ctx, tc, ns, sel, streams); err != nil {
			return err
		}
	}
	return o.watch(ctx, tc, ns, sel, l.ResourceVersion, streams)
}

func (o *Options) list(ctx context.Context, tc tekton.Interface, ns, sel string, streams genericiooptions.IOStreams) error {
	// The Dashboard's address is looked up alongside the lists.
	base := make(chan string, 1)
	if o.Output == "wide" {
		go func() { base <- o.Dashboard.Base(ctx, streams.ErrOut, o.kube) }()
	} else {
		base <- ""
	}
	// The table needs a few fields of each run; yaml, json and name print
	// whole runs. Rows go newest first and the API lists in name order, so
	// every page is read before the first row is printed.
	var items []v1.PipelineRun
	var err error
	opts := metav1.ListOptions{LabelSelector: sel}
	switch {
	case o.Output == "name" && o.SortBy == "" && o.meta != nil:
		// Names and creation times are metadata: no run is read whole.
		items, err = util.AllRunNames(ctx, o.meta, ns, opts, o.ChunkSize)
	case o.Output != "" && o.Output != "wide":
		// Every other format can show any field of a run.
		items, err = util.AllRuns(ctx, tc, ns, opts, o.ChunkSize)
	case o.Cache && o.CachePath != "":

		cache := runcache.Open(o.CachePath)
		items, err = util.CachedRunSummaries(ctx, tc, o.meta, cache, ns, opts, o.ChunkSize)
		if err == nil {
			// A cache that cannot be written costs the next list time, not its rows.
			_ = cache.Save()
		}
	default:
		items, err = util.AllRunSummaries(ctx, tc, ns, opts, o.ChunkSize)
	}
	if err != nil {
		return err
	}
	// Only the table shows steps and warnings: the other formats print runs.
	table := o.printer == nil && o.columns == nil
	// A finished run's steps are all done (N/N) without reading its
	// TaskRuns; only the unfinished runs' TaskRuns are listed, by run name.
	byRun := map[string][]*v1.TaskRun{}
	if trSel := unfinishedSelector(items); table && trSel != "" {
		trs, err := tc.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: trSel})
		if err != nil {
			return err
		}
		for i := range trs.Items {
			tr := &trs.Items[i]
			key := tr.Namespace + "/" + tr.Labels["tekton.dev/pipelineRun"]
			byRun[key] = append(byRun[key], tr)
		}
	}
	dash := <-base
	// The runs' own Warning events: how Tekton says it cannot update a run.
	// One LIST, read only when a run has not finished.
	warned := map[string][]*corev1.Event{}
	if table && o.kube != nil && anyUnfinished(items) {
		sel := fields.AndSelectors(fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.kind", "PipelineRun")).String()
		if evs, err := o.kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel}); err == nil {
			for i := range evs.Items {
				e := &evs.Items[i]
				key := e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name
				warned[key] = append(warned[key], e)
			}
		}
	}
	util.NewestFirst(items)
	if o.SortBy != "" || o.columns != nil {
		for i := range items {
			items[i].SetGroupVersionKind(v1.SchemeGroupVersion.WithKind("PipelineRun"))
		}
		maps, err := util.ToMaps(items)
		if err != nil {
			return err
		}
		if o.SortBy != "" {
			idx, err := util.SortBy(o.SortBy, maps)
			if err != nil {
				return util.UsageError("", "%v", err)
			}
			sorted, sortedMaps := make([]v1.PipelineRun, len(items)), make([]map[string]any, len(maps))
			for i, j := range idx {
				sorted[i], sortedMaps[i] = items[j], maps[j]
			}
			items, maps = sorted, sortedMaps
		}
		if o.columns != nil {
			return o.columns.Print(streams.Out, maps, o.NoHeaders)
		}
	}
	if o.printer != nil {
		for i := range items {
			items[i].SetGroupVersionKind(v1.SchemeGroupVersion.WithKind("PipelineRun"))
		}
		if o.Output == "name" {
			for i := range items {
				if err := o.printer.PrintObj(&items[i], streams.Out); err != nil {
					return err
				}
			}
			return nil
		}
		l := &v1.PipelineRunList{Items: items}
		l.SetGroupVersionKind(v1.SchemeGroupVersion.WithKind("PipelineRunList"))
		return o.printer.PrintObj(l, streams.Out)
	}
	if len(items) == 0 {
		where := fmt.Sprintf("in namespace %q", ns)
		if ns == "" {
			where = "in any namespace"
		}
		fmt.Fprintf(streams.ErrOut, "No runs found %s.\n", where)
		return nil
	}
	tw := tabwriter.NewWriter(streams.Out, 0, 4, 3, ' ', 0)
	var head []string
	if ns == "" {
		head = append(head, "NAMESPACE")
	}
	head = append(head, "NAME", "PIPELINE", "STATUS", "STEPS", "REUSED", "STARTED", "DURATION")
	if o.Output == "wide" {
		head = append(head, "REASON", "DASHBOARD")
	}
	if !o.NoHeaders {
		fmt.Fprintln(tw, strings.Join(head, "\t"))
	}
	now := o.now()
	var notes []string
	for i := range items {
		pr := &items[i]
		row, note := o.row(pr, byRun[pr.Namespace+"/"+pr.Name], warned[pr.Namespace+"/"+pr.Name], ns == "", dash, now)
		if note != "" {
			notes = append(notes, note)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(streams.ErrOut, n)
	}
	return nil
}

// row is a run's line of the table, and a note for stderr when Tekton
// warns of a run it has not finished.
func (o *Options) row(pr *v1.PipelineRun, trs []*v1.TaskRun, warnings []*corev1.Event, allNamespaces bool, dash string, now time.Time) ([]string, string) {
	// The same view describe and --wait build, so the counts agree.
	r := status.Build(pr, trs, nil, warnings)
	done, total := r.Progress()
	note := ""
	if !r.Done() && r.Warning != "" {
		note = fmt.Sprintf("Warning: run %s: Tekton warns %s", pr.Name, r.Warning)
	}
	reason := ""
	if c := pr.Status.GetCondition(apis.ConditionSucceeded); c != nil {
		reason = c.Reason
	}
	started, dur := "-", "-"
	if st := pr.Status.StartTime; st != nil {
		started = duration.HumanDuration(now.Sub(st.Time)) + " ago"
		end := now
		if ct := pr.Status.CompletionTime; ct != nil {
			end = ct.Time
		}
		dur = duration.HumanDuration(end.Sub(st.Time))
	}
	var row []string
	if allNamespaces {
		row = append(row, pr.Namespace)
	}
	row = append(row, pr.Name, pr.Labels[rendertekton.LabelPipeline], string(r.Phase), fmt.Sprintf("%d/%d", done, total), dashIfEmpty(r.ReusedSummary()), started, dur)
	if o.Output == "wide" {
		row = append(row, dashIfEmpty(reason), dashIfEmpty(dashboard.RunURL(dash, pr.Namespace, pr.Name)))
	}
	return row, note
}

// watch prints each change to the runs from version rv on, as kubectl get
// -w does: a table row (no header), or the run in the -o format, until
// Ctrl-C. A watch the server ends is opened again from the last version seen.
func (o *Options) watch(ctx context.Context, tc tekton.Interface, ns, sel, rv string, streams genericiooptions.IOStreams) error {
	dash := ""
	if o.Output == "wide" {
		dash = o.Dashboard.Base(ctx, streams.ErrOut, o.kube)
	}
	for {
		w, err := tc.TektonV1().PipelineRuns(ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: rv, AllowWatchBookmarks: true})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		for {
			var ev watch.Event
			var open bool
			select {
			case <-ctx.Done():
				w.Stop()
				return nil
			case ev, open = <-w.ResultChan():
			}
			if !open {
				break
			}
			switch ev.Type {
			case watch.Error:
				w.Stop()
				return fmt.Errorf("watching runs: %w", apierrors.FromObject(ev.Object))
			case watch.Bookmark:
				if m, err := meta.Accessor(ev.Object); err == nil {
					rv = m.GetResourceVersion()
				}
				continue
			}
			pr, ok := ev.Object.(*v1.PipelineRun)
			if !ok {
				continue
			}
			rv = pr.ResourceVersion
			if err := o.printChange(ctx, tc, pr, ns == "", dash, streams); err != nil {
				w.Stop()
				return err
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return nil
		}
	}
}

// printChange prints one run as the watch saw it.
func (o *Options) printChange(ctx context.Context, tc tekton.Interface, pr *v1.PipelineRun, allNamespaces bool, dash string, streams genericiooptions.IOStreams) error {
	pr.SetGroupVersionKind(v1.SchemeGroupVersion.WithKind("PipelineRun"))
	switch {
	case o.printer != nil:
		return o.printer.PrintObj(pr, streams.Out)
	case o.columns != nil:
		maps, err := util.ToMaps([]v1.PipelineRun{*pr})
		if err != nil {
			return err
		}
		return o.columns.Print(streams.Out, maps, true)
	}
	var trs []*v1.TaskRun
	if !util.Finished(pr) {
		l, err := tc.TektonV1().TaskRuns(pr.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
		if err == nil {
			for i := range l.Items {
				trs = append(trs, &l.Items[i])
			}
		}
	}
	row, note := o.row(pr, trs, nil, allNamespaces, dash, o.now())
	tw := tabwriter.NewWriter(streams.Out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(row, "\t"))
	if note != "" {
		fmt.Fprintln(streams.ErrOut, note)
	}
	return tw.Flush()
}

// unfinishedSelector selects the TaskRuns of the runs that have not
// finished: by name while they are few, else every run's of the list's
// selection (one LIST either way); "" when every run has finished.
func unfinishedSelector(items []v1.PipelineRun) string {
	var names []string
	for i := range items {
		if !util.Finished(&items[i]) {
			names = append(names, items[i].Name)
		}
	}
	switch {
	case len(names) == 0:
		return ""
	case len(names) > 100:
		return util.RunSelector("")
	}
	return "tekton.dev/pipelineRun in (" + strings.Join(names, ",") + ")"
}

func anyUnfinished(items []v1.PipelineRun) bool {
	for i := range items {
		if !util.Finished(&items[i]) {
			return true
		}
	}
	return false
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

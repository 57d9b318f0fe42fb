package schedule

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/schedule"
	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// row is one schedule as list and describe show it.
type row struct {
	cj   *batchv1.CronJob
	runs []v1.PipelineRun // newest first
}

func (r row) name() string { return r.cj.Labels[schedule.LabelSchedule] }

func (r row) next(now time.Time) string {
	if r.cj.Spec.Suspend != nil && *r.cj.Spec.Suspend {
		return "suspended"
	}
	tz := ""
	if r.cj.Spec.TimeZone != nil {
		tz = *r.cj.Spec.TimeZone
	}
	t, err := schedule.Next(r.cj.Spec.Schedule, tz, now)
	if err != nil {
		return "?"
	}
	return "in " + strings.TrimSuffix(ago(now, t), " ago")
}

func (r row) lastFired(now time.Time) string {
	if t := r.cj.Status.LastScheduleTime; t != nil {
		return ago(t.Time, now)
	}
	return "never"
}

func (r row) lastRun() (name, phase string) {
	if len(r.runs) == 0 {
		return "-", "-"
	}
	st := status.Build(&r.runs[0], nil, nil, nil)
	return r.runs[0].Name, string(st.Phase)
}

// rows reads the schedules (one name, or all) and their runs: one LIST of
// CronJobs and one of PipelineRuns.
func rows(ctx context.Context, c *util.Clients, ns, name string) ([]row, error) {
	cjs, err := c.Kube.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{LabelSelector: scheduleSelector(name)})
	if err != nil {
		return nil, err
	}
	prs, err := c.Tekton.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: scheduleSelector(name)})
	if err != nil {
		return nil, err
	}
	util.NewestFirst(prs.Items)
	var out []row
	for i := range cjs.Items {
		cj := &cjs.Items[i]
		r := row{cj: cj}
		for _, pr := range prs.Items {
			if pr.Namespace == cj.Namespace && pr.Labels[schedule.LabelSchedule] == cj.Labels[schedule.LabelSchedule] {
				r.runs = append(r.runs, pr)
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].cj.Namespace != out[j].cj.Namespace {
			return out[i].cj.Namespace < out[j].cj.Namespace
		}
		return out[i].name() < out[j].name()
	})
	return out, nil
}

func newListCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	var all bool
	pf := genericclioptions.NewPrintFlags("").WithTypeSetter(scheme.Scheme)
	cmd := &cobra.Command{
		Use:   "list [-A] [-o json|yaml|name]",
		Short: "List schedules: cron, next and last firing, the last run and its status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p printers.ResourcePrinter
			if *pf.OutputFormat != "" {
				var err error
				if p, err = util.Printer(cmd.CommandPath(), pf); err != nil {
					return err
				}
			}
			c, err := util.NewClients(cf)
			if err != nil {
				return err
			}
			ns := c.Namespace
			if all {
				ns = ""
			}
			rs, err := rows(cmd.Context(), c, ns, "")
			if err != nil {
				return err
			}
			if p != nil {
				objs := make([]runtime.Object, len(rs))
				for i := range rs {
					objs[i] = rs[i].cj
				}
				return printObjects(p, streams.Out, objs)
			}
			if len(rs) == 0 {
				where := fmt.Sprintf("in namespace %q", ns)
				if all {
					where = "in any namespace"
				}
				fmt.Fprintf(streams.ErrOut, "No schedules %s.\n", where)
				return nil
			}
			table(streams.Out, rs, all, time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the schedules of every namespace")
	pf.AddFlags(cmd)
	return cmd
}

func table(w io.Writer, rs []row, all bool, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	head := "NAME\tPIPELINE\tCRON\tCONCURRENCY\tNEXT\tLAST FIRED\tLAST RUN\tSTATUS"
	if all {
		head = "NAMESPACE\t" + head
	}
	fmt.Fprintln(tw, head)
	for _, r := range rs {
		cron := r.cj.Spec.Schedule
		if r.cj.Spec.TimeZone != nil {
			cron += " (" + *r.cj.Spec.TimeZone + ")"
		}
		run, phase := r.lastRun()
		line := strings.Join([]string{r.name(), r.cj.Labels[rendertekton.LabelPipeline], cron, r.cj.Annotations[schedule.AnnotationConcurrency], r.next(now), r.lastFired(now), run, phase}, "\t")
		if all {
			line = r.cj.Namespace + "\t" + line
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
}

func newDescribeCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:               "describe NAME",
		Short:             "Show a schedule: its cron, policy, objects, firings and recent runs",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSchedules(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := connectTo(cmd.Context(), cf, args[0])
			if err != nil {
				return err
			}
			rs, err := rows(cmd.Context(), c, c.Namespace, args[0])
			if err != nil {
				return err
			}
			if len(rs) != 1 {
				return fmt.Errorf("schedule %q: found %d CronJobs", args[0], len(rs))
			}
			describe(streams.Out, rs[0], time.Now())
			return nil
		},
	}
}

func describe(w io.Writer, r row, now time.Time) {
	cj := r.cj
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	tz := "(the controller's, UTC)"
	if cj.Spec.TimeZone != nil {
		tz = *cj.Spec.TimeZone
	}
	suspended := cj.Spec.Suspend != nil && *cj.Spec.Suspend
	img := ""
	if cs := cj.Spec.JobTemplate.Spec.Template.Spec.Containers; len(cs) > 0 {
		img = cs[0].Image
	}
	fmt.Fprintf(tw, "Name:\t%s\nNamespace:\t%s\nPipeline:\t%s\nCron:\t%s\nTime zone:\t%s\nConcurrency:\t%s\nSuspended:\t%t\nNext firing:\t%s\nLast fired:\t%s\nImage:\t%s\n",
		r.name(), cj.Namespace, cj.Labels[rendertekton.LabelPipeline], cj.Spec.Schedule, tz, cj.Annotations[schedule.AnnotationConcurrency], suspended, r.next(now), r.lastFired(now), img)
	fmt.Fprintf(tw, "Objects:\tcronjob.batch, configmap, serviceaccount, role, rolebinding %s\n", cj.Name)
	if len(cj.Status.Active) > 0 {
		var jobs []string
		for _, a := range cj.Status.Active {
			jobs = append(jobs, a.Name)
		}
		fmt.Fprintf(tw, "Active jobs:\t%s\n", strings.Join(jobs, ", "))
	}
	_ = tw.Flush()
	if len(r.runs) == 0 {
		fmt.Fprintln(w, "Runs:          none yet")
		return
	}
	fmt.Fprintln(w, "Runs (newest first):")
	tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSTATUS\tSTARTED")
	for i, pr := range r.runs {
		if i == 10 {
			fmt.Fprintf(tw, "  … %d more\t\t\n", len(r.runs)-10)
			break
		}
		st := status.Build(&pr, nil, nil, nil)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", pr.Name, st.Phase, ago(pr.CreationTimestamp.Time, now))
	}
	_ = tw.Flush()
}

// Package schedule is `kubectl mlpipe schedule`: runs of a pipeline created
// on a cron schedule by a CronJob (see pkg/schedule for its objects).
package schedule

import (
	"context"

	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/schedule"
)

// NewCmd returns the schedule command and its subcommands.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Create runs of a pipeline on a cron schedule",
		Long: `A schedule creates a run of a pipeline each time its cron expression fires, with
nothing but Kubernetes objects in the namespace, all named mlpipe-NAME and labelled
mlpipe.dev/schedule=NAME: a CronJob whose pod creates the rendered PipelineRun kept in
a ConfigMap, under a ServiceAccount whose Role may create PipelineRuns (and, for
--concurrency forbid, list them; for replace, list and cancel them) and nothing else.
The runs it creates carry mlpipe.dev/schedule=NAME too.

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid),
		Example: `  # Retrain every night at 02:00, Paris time, never two runs at once
  kubectl mlpipe schedule create nightly -f train.yaml --cron "0 2 * * *" --time-zone Europe/Paris -p epochs=50

  # What is scheduled: next and last firing, the last run's status
  kubectl mlpipe schedule list

  # Fire it now, pause it, delete it (its runs stay)
  kubectl mlpipe schedule trigger nightly
  kubectl mlpipe schedule suspend nightly
  kubectl mlpipe schedule delete nightly`,
	}
	cmd.AddCommand(newCreateCmd(cf, streams), newListCmd(cf, streams), newDescribeCmd(cf, streams), newDeleteCmd(cf, streams),
		newSuspendCmd(cf, streams, true), newSuspendCmd(cf, streams, false), newTriggerCmd(cf, streams))
	return cmd
}

// scheduleSelector selects the objects (or runs) of one schedule, or of all.
func scheduleSelector(name string) string {
	sel := rendertekton.LabelManagedBy + "=" + rendertekton.ManagedBy + "," + schedule.LabelSchedule
	if name != "" {
		sel += "=" + name
	}
	return sel
}

// getCronJob finds a schedule's CronJob, or says plainly there is none.
func getCronJob(ctx context.Context, c *util.Clients, name string) (*batchv1.CronJob, error) {
	cj, err := c.Kube.BatchV1().CronJobs(c.Namespace).Get(ctx, schedule.ObjectName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("no schedule %q in namespace %q (kubectl mlpipe schedule list shows them)", name, c.Namespace)}
	}
	if err == nil && cj.Labels[schedule.LabelSchedule] != name {
		return nil, &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("CronJob %s in namespace %q is not a schedule of kubectl mlpipe", cj.Name, c.Namespace)}
	}
	return cj, err
}

// connectTo connects and finds schedule name's CronJob.
func connectTo(ctx context.Context, cf *genericclioptions.ConfigFlags, name string) (*util.Clients, *batchv1.CronJob, error) {
	c, err := util.NewClients(cf)
	if err != nil {
		return nil, nil, err
	}
	cj, err := getCronJob(ctx, c, name)
	return c, cj, err
}

func newSuspendCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, suspend bool) *cobra.Command {
	verb, does := "suspend", "Stop a schedule from firing (its objects and runs stay)"
	if !suspend {
		verb, does = "resume", "Let a suspended schedule fire again"
	}
	return &cobra.Command{
		Use:               verb + " NAME...",
		Short:             does,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeSchedules(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			patch := []byte(fmt.Sprintf(`{"spec":{"suspend":%t}}`, suspend))
			for _, name := range args {
				c, _, err := connectTo(cmd.Context(), cf, name)
				if err != nil {
					return err
				}
				if _, err := c.Kube.BatchV1().CronJobs(c.Namespace).Patch(cmd.Context(), schedule.ObjectName(name), "application/merge-patch+json", patch, metav1.PatchOptions{FieldManager: rendertekton.ManagedBy}); err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "schedule %s %sed\n", name, strings.TrimSuffix(verb, "e"))
			}
			return nil
		},
	}
}

func newTriggerCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "trigger NAME",
		Short: "Fire a schedule now: create a Job from its CronJob",
		Long: `Trigger creates one Job from the schedule's CronJob, as 'kubectl create job --from=cronjob/…'
does: its pod applies the schedule's concurrency policy and creates the run. The Job is
owned by the CronJob, so deleting the schedule deletes it. stdout gets the Job's name.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSchedules(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, cj, err := connectTo(cmd.Context(), cf, args[0])
			if err != nil {
				return err
			}
			job := &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{
					Name:            cj.Name + "-manual-" + utilrand.String(5),
					Namespace:       c.Namespace,
					Labels:          cj.Spec.JobTemplate.Labels,
					Annotations:     map[string]string{"cronjob.kubernetes.io/instantiate": "manual"},
					OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))},
				},
				Spec: cj.Spec.JobTemplate.Spec,
			}
			created, err := c.Kube.BatchV1().Jobs(c.Namespace).Create(cmd.Context(), job, metav1.CreateOptions{FieldManager: rendertekton.ManagedBy})
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "job.batch/%s created\n", created.Name)
			return nil
		},
	}
}

func newDeleteCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	var dryRun string
	cmd := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete schedules: every object they are made of (their runs stay)",
		Long: `Delete removes what 'schedule create' made, and nothing else: the CronJob (its Jobs and
their pods follow by garbage collection), the ConfigMap, the ServiceAccount, the Role
and the RoleBinding named mlpipe-NAME and labelled mlpipe.dev/schedule=NAME. The runs
the schedule created are left: delete them with 'kubectl mlpipe delete -l
mlpipe.dev/schedule=NAME'.`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeSchedules(cf),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := util.CheckDryRun(cmd.CommandPath(), dryRun, util.DryRunNone, util.DryRunServer, util.DryRunClient); err != nil {
				return err
			}
			c, err := util.NewClients(cf)
			if err != nil {
				return err
			}
			for _, name := range args {
				if _, err := getCronJob(cmd.Context(), c, name); err != nil {
					return err
				}
			}
			suffix := ""
			if dryRun != util.DryRunNone {
				suffix = " (" + dryRun + " dry run)"
			}
			for _, name := range args {
				for _, o := range objectsOf(c, name) {
					if dryRun != util.DryRunClient {
						err := o.delete(cmd.Context(), dryRun == util.DryRunServer)
						if apierrors.IsNotFound(err) {
							continue
						}
						if err != nil {
							return fmt.Errorf("deleting %s %s: %w", o.kind, o.name, err)
						}
					}
					fmt.Fprintf(streams.Out, "%s/%s deleted%s\n", o.kind, o.name, suffix)
				}
			}
			return nil
		},
	}
	util.AddDryRunFlag(cmd, &dryRun, `Must be "none", "server", or "client". If client strategy, only print the objects of the schedule that would be deleted, deleting nothing. If server strategy, send the deletes with dryRun=All: nothing is deleted.`)
	return cmd
}

// object is one object of a schedule, and how to delete it.
type object struct {
	kind, name string
	delete     func(ctx context.Context, dryRun bool) error
}

// objectsOf lists a schedule's objects, the CronJob first: once it is gone
// nothing fires while the rest are deleted.
func objectsOf(c *util.Clients, name string) []object {
	n, ns := schedule.ObjectName(name), c.Namespace
	bg := metav1.DeletePropagationBackground
	opts := func(dryRun bool) metav1.DeleteOptions {
		o := metav1.DeleteOptions{PropagationPolicy: &bg}
		if dryRun {
			o.DryRun = []string{metav1.DryRunAll}
		}
		return o
	}
	return []object{
		{"cronjob.batch", n, func(ctx context.Context, d bool) error { return c.Kube.BatchV1().CronJobs(ns).Delete(ctx, n, opts(d)) }},
		{"configmap", n, func(ctx context.Context, d bool) error { return c.Kube.CoreV1().ConfigMaps(ns).Delete(ctx, n, opts(d)) }},
		{"rolebinding.rbac.authorization.k8s.io", n, func(ctx context.Context, d bool) error {
			return c.Kube.RbacV1().RoleBindings(ns).Delete(ctx, n, opts(d))
		}},
		{"role.rbac.authorization.k8s.io", n, func(ctx context.Context, d bool) error { return c.Kube.RbacV1().Roles(ns).Delete(ctx, n, opts(d)) }},
		{"serviceaccount", n, func(ctx context.Context, d bool) error {
			return c.Kube.CoreV1().ServiceAccounts(ns).Delete(ctx, n, opts(d))
		}},
	}
}

func completeSchedules(cf *genericclioptions.ConfigFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c, err := util.NewClients(cf)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		list, err := c.Kube.BatchV1().CronJobs(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: scheduleSelector("")})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, cj := range list.Items {
			if n := cj.Labels[schedule.LabelSchedule]; strings.HasPrefix(n, prefix) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// printObjects prints objects with kubectl's printers (apiVersion and kind set).
func printObjects(p printers.ResourcePrinter, w io.Writer, objs []runtime.Object) error {
	tp := printers.NewTypeSetter(scheme.Scheme).ToPrinter(p)
	for _, o := range objs {
		if err := tp.PrintObj(o, w); err != nil {
			return err
		}
	}
	return nil
}

func ago(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t)) + " ago"
}

package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/schedule"
)

type createOptions struct {
	Filenames                                             []string
	Params                                                []string
	Cron, TimeZone, Concurrency, Image, Overrides, DryRun string
	Suspend, ExpandMatrix                                 bool
	PrintFlags                                            *genericclioptions.PrintFlags
}

func newCreateCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &createOptions{PrintFlags: genericclioptions.NewPrintFlags("created").WithTypeSetter(scheme.Scheme)}
	cmd := &cobra.Command{
		Use:   "create NAME -f SPEC --cron EXPR [-p name=value]... [--time-zone TZ] [--concurrency forbid|allow|replace] [--suspend] [--image IMAGE]",
		Short: "Create a schedule: a run of the spec each time the cron expression fires",
		Long: `Create validates and renders the spec like 'render' (params from -p are fixed in the
schedule), then creates, all named mlpipe-NAME: a ServiceAccount, a Role and RoleBinding,
a ConfigMap holding the rendered PipelineRun, and a CronJob. A failure part-way deletes
what was created; --dry-run=client prints the objects instead.

--concurrency says what a firing does while a run of the schedule has not finished:
forbid (the default) creates nothing, allow creates another run, replace cancels the
unfinished runs and creates a new one. It holds for the runs, not only for the Jobs.

The pod that creates the run uses --image (default ` + schedule.DefaultImage + `): any
image with kubectl and a POSIX sh; the plugin never pulls it. --overrides takes a JSON
strategic merge patch of the CronJob, as 'kubectl run --overrides' does (a node
selector for the pod, a different service host, resource requests).

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid),
		Example: `  kubectl mlpipe schedule create nightly -f train.yaml --cron "0 2 * * *"
  kubectl mlpipe schedule create hourly-eval -f eval.yaml --cron @hourly --concurrency replace -p split=val
  kubectl mlpipe schedule create nightly -f train.yaml --cron "0 2 * * *" --dry-run=client -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, cf, streams, args[0])
		},
	}
	cmd.Flags().StringArrayVarP(&o.Filenames, "filename", "f", nil, "spec file, or - for stdin")
	cmd.Flags().StringArrayVarP(&o.Params, "param", "p", nil, "set a param of every run: name=value (repeatable)")
	cmd.Flags().StringVar(&o.Cron, "cron", "", "when to fire: a cron expression (minute hour day-of-month month day-of-week) or @hourly, @daily, …")
	cmd.Flags().StringVar(&o.TimeZone, "time-zone", "", "the time zone of --cron (IANA name, e.g. Europe/Paris); default the controller's (UTC)")
	cmd.Flags().StringVar(&o.Concurrency, "concurrency", schedule.Forbid, "while a run of the schedule has not finished, a firing: forbid (creates nothing), allow, or replace (cancels it)")
	cmd.Flags().BoolVar(&o.Suspend, "suspend", false, "create the schedule suspended (kubectl mlpipe schedule resume starts it)")
	cmd.Flags().StringVar(&o.Image, "image", schedule.DefaultImage, "image of the pod that creates the run: any image with kubectl and sh")
	cmd.Flags().StringVar(&o.Overrides, "overrides", "", "a JSON strategic merge patch applied to the generated CronJob")
	cmd.Flags().BoolVar(&o.ExpandMatrix, "expand-matrix", false, "expand every matrix into one task per instance")
	util.AddDryRunFlag(cmd, &o.DryRun, `Must be "none", "server", or "client". If client strategy, only print the ServiceAccount, Role, RoleBinding, ConfigMap and CronJob that would be created, creating nothing. If server strategy, send them with dryRun=All: nothing is stored.`)
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.MarkFlagRequired("cron")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	_ = cmd.RegisterFlagCompletionFunc("concurrency", cobra.FixedCompletions([]string{schedule.Forbid, schedule.Allow, schedule.Replace}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *createOptions) run(cmd *cobra.Command, cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, name string) error {
	ctx, path := cmd.Context(), cmd.CommandPath()
	if err := util.CheckDryRun(path, o.DryRun, util.DryRunNone, util.DryRunServer, util.DryRunClient); err != nil {
		return err
	}
	if len(o.Filenames) != 1 {
		return util.UsageError(path, "schedule create takes exactly one -f FILE (or -f -)")
	}
	opts := schedule.Options{Name: name, Cron: o.Cron, TimeZone: o.TimeZone, Concurrency: o.Concurrency, Suspend: o.Suspend, Image: o.Image}
	if errs := schedule.Check(opts); len(errs) > 0 {
		return util.UsageError(path, "%s", strings.Join(errs, "; "))
	}
	params, err := util.ParseParams(path, o.Params)
	if err != nil {
		return err
	}
	if o.DryRun != util.DryRunNone {
		if err := o.PrintFlags.Complete("%s (" + o.DryRun + " dry run)"); err != nil {
			return err
		}
	}
	printer, err := util.Printer(path, o.PrintFlags)
	if err != nil {
		return err
	}
	doc, err := util.LoadOne(path, o.Filenames, streams.In, "a schedule runs")
	if err != nil {
		return err
	}
	res, err := compiler.Compile(ctx, doc, compiler.Options{Params: params, ExpandMatrix: o.ExpandMatrix})
	if err != nil {
		return err
	}
	util.PrintWarnings(streams.ErrOut, res.Warnings)
	ns, explicit, err := cf.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return err
	}
	if specNS := doc.Pipeline.Metadata.Namespace; specNS != "" {
		if explicit && specNS != ns {
			return util.UsageError("", "the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.", specNS, ns, specNS)
		}
		ns = specNS
	}
	pr := res.PipelineRun
	pr.Namespace = ""
	pr.Labels[schedule.LabelSchedule] = name
	u, err := rendertekton.Unstructured(pr)
	if err != nil {
		return err
	}
	run, err := yaml.Marshal(u.Object)
	if err != nil {
		return err
	}
	// A ConfigMap holds at most 1 MiB (the apiserver's limit on its data).
	if limit := 1<<20 - 16<<10; len(run) > limit || res.Size.Over != "" {
		why := res.Size.Over
		if why == "" {
			why = fmt.Sprintf("its PipelineRun is %s", budget.Human(len(run)))
		}
		return &util.ExitError{Code: util.ExitInvalid, Err: fmt.Errorf("pipeline %s is too big to schedule: %s, and a schedule keeps its run embedded in a ConfigMap (at most 1 MiB). Run it with 'kubectl mlpipe run' (referenced mode) instead, or make it smaller", res.Model.Name, why)}
	}
	opts.Namespace, opts.Pipeline, opts.Run = ns, res.Model.Name, run
	opts.Labels = map[string]string{rendertekton.LabelManagedBy: rendertekton.ManagedBy, rendertekton.LabelPipeline: res.Model.Name}
	objs := schedule.Build(opts)
	if o.Overrides != "" {
		if objs.CronJob, err = override(objs.CronJob, o.Overrides); err != nil {
			return util.UsageError(path, "--overrides: %v", err)
		}
	}
	list := []runtime.Object{objs.ServiceAccount, objs.Role, objs.RoleBinding, objs.ConfigMap, objs.CronJob}
	if o.DryRun == util.DryRunClient {
		return printObjects(printer, streams.Out, list)
	}
	c, err := util.NewClients(cf)
	if err != nil {
		return err
	}
	c.Namespace = ns
	if _, err := c.Kube.BatchV1().CronJobs(ns).Get(ctx, schedule.ObjectName(name), metav1.GetOptions{}); err == nil {
		return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("schedule %q already exists in namespace %q: delete it first (kubectl mlpipe schedule delete %s) or pick another name", name, ns, name)}
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	created, err := create(ctx, c, objs, o.DryRun == util.DryRunServer)
	if err != nil {
		// No half-made schedule: what was created goes again.
		if o.DryRun == util.DryRunNone {
			for _, ob := range objectsOf(c, name) {
				if created[ob.kind] {
					_ = ob.delete(context.Background(), false)
				}
			}
		}
		if apierrors.IsForbidden(err) {
			return fmt.Errorf("forbidden: creating a schedule needs create on serviceaccounts, roles, rolebindings, configmaps and cronjobs in namespace %q (and the Role it grants: create on pipelineruns.tekton.dev): %w", ns, err)
		}
		return err
	}
	return printObjects(printer, streams.Out, list)
}

// create sends the objects in order; created says which kinds exist now.
func create(ctx context.Context, c *util.Clients, objs *schedule.Objects, dryRun bool) (map[string]bool, error) {
	opts := metav1.CreateOptions{FieldManager: rendertekton.ManagedBy}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ns := objs.CronJob.Namespace
	created := map[string]bool{}
	steps := []struct {
		kind string
		do   func() error
	}{
		{"serviceaccount", func() error {
			_, err := c.Kube.CoreV1().ServiceAccounts(ns).Create(ctx, objs.ServiceAccount, opts)
			return err
		}},
		{"role.rbac.authorization.k8s.io", func() error { _, err := c.Kube.RbacV1().Roles(ns).Create(ctx, objs.Role, opts); return err }},
		{"rolebinding.rbac.authorization.k8s.io", func() error {
			_, err := c.Kube.RbacV1().RoleBindings(ns).Create(ctx, objs.RoleBinding, opts)
			return err
		}},
		{"configmap", func() error { _, err := c.Kube.CoreV1().ConfigMaps(ns).Create(ctx, objs.ConfigMap, opts); return err }},
		{"cronjob.batch", func() error { _, err := c.Kube.BatchV1().CronJobs(ns).Create(ctx, objs.CronJob, opts); return err }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return created, fmt.Errorf("creating %s %s: %w", s.kind, objs.CronJob.Name, err)
		}
		created[s.kind] = true
	}
	return created, nil
}

// override applies a strategic merge patch to the CronJob.
func override(cj *batchv1.CronJob, patch string) (*batchv1.CronJob, error) {
	orig, err := json.Marshal(cj)
	if err != nil {
		return nil, err
	}
	merged, err := strategicpatch.StrategicMergePatch(orig, []byte(patch), batchv1.CronJob{})
	if err != nil {
		return nil, err
	}
	out := &batchv1.CronJob{}
	if err := json.Unmarshal(merged, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Package run is the `kubectl mlpipe run` command: compile a spec and
// create its PipelineRun in one API write.
package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/discovery"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/doctor"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/render"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	checks "github.com/mlpipe/kubectl-mlpipe/pkg/doctor"
	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

// Dry-run modes, as kubectl names them.
const (
	DryRunNone   = util.DryRunNone
	DryRunClient = util.DryRunClient
	DryRunServer = util.DryRunServer
)

// Options are the run command's inputs.
type Options struct {
	Filenames    []string
	Params       []string
	DryRun       string
	FieldManager string
	Wait         bool
	Follow       bool
	Timeout      time.Duration
	// Resume names a finished run whose succeeded steps this run reuses.
	Resume     string
	ResumeLast bool
	Force      bool
	NoCache    bool
	// ExpandMatrix expands fan-outs on the client instead of Tekton's matrix.
	ExpandMatrix bool
	// Preflight runs doctor's spec checks before the write.
	Preflight bool
	// Mode is --mode: embedded, referenced or auto.
	Mode string
	// Dashboard is --dashboard-url: where the created run's link points.
	Dashboard util.Dashboard

	PrintFlags  *genericclioptions.PrintFlags
	ConfigFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	cmdPath string
	params  map[string]string
	ns      string
	nsSet   bool
	context string
	printer printers.ResourcePrinter
	// now is the clock cache ages are measured against; tests replace it.
	now   func() time.Time
	conn  *connection
	nsErr error
	// newClients builds the clients; tests replace it.
	newClients func() (*util.Clients, discovery.DiscoveryInterface, error)
}

// NewCmd returns the run command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	cmd, _ := newCmd(cf, streams)
	return cmd
}

func newCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) (*cobra.Command, *Options) {
	o := &Options{
		PrintFlags:  genericclioptions.NewPrintFlags("created").WithTypeSetter(render.Scheme),
		ConfigFlags: cf,
		IOStreams:   streams,
	}
	cmd := &cobra.Command{
		Use:   "run -f FILE [-p name=value]... [--dry-run=none|client|server] [-o yaml|json|name|...]",
		Short: "Create a run of a pipeline on the cluster",
		Long: `Run validates and renders a pipeline spec like 'render', then creates its PipelineRun
with one API write (referenced mode, below, writes its Tasks and Pipeline first). The
run is named <pipeline>-<random suffix>, chosen on the client, so a create retried
after a lost response finds its own run instead of starting a second one.

The namespace comes from -n, else the spec's metadata.namespace, else the context's.

  --dry-run=client   print what would be sent; send nothing
  --dry-run=server   send it with dryRun=All: the apiserver and Tekton's webhook
                     validate it, and nothing is stored

With --wait (-w) it then follows the run to its end. On a terminal a table of the
steps (status, node, duration, reason) is redrawn in place under a progress line;
elsewhere each change is one line. A step that cannot start says why: the
scheduler's own message for an unschedulable pod ("0/7 nodes are available: 3
Insufficient nvidia.com/gpu, ..."), an image that cannot be pulled, a missing
secret. --follow streams the steps' logs instead. The view goes to stderr; stdout
keeps the created object's name. Ctrl-C stops waiting, not the run.

--resume RUN (or --resume --last) reuses every step of a finished run of the same
spec that succeeded and runs the rest; RUN's params carry over, -p overrides them.
Steps with 'cache' set take the outputs of a succeeded TaskRun in the namespace
that did the same work (same recipe and inputs, within maxAge), found with one
labelled LIST. A reused step creates no pod; its outputs become literal values
downstream. stderr says which steps are reused and why the others run. When every
step is reused nothing is created. See docs/spec.md, "Resume and caching".

Run sends what the cluster's Tekton release accepts: tekton.dev/v1 where it is
served, else v1beta1 converted with Tekton's own code; a fan-out on the client where
the release refuses Tekton's matrix. It refuses, before any write, a field the
release would silently drop, and steps that share the workspace but need different
nodes on a cluster whose affinity assistant pins the workspace to one node (it
warns instead when Tekton's feature flags cannot be read).
--preflight first runs the checks of 'doctor -f' and creates nothing when one fails.

A run is sent embedded (one PipelineRun holding its pipeline and tasks) while it fits
the size budget: Tekton copies the pipeline into the run's status, and an object over
1.5 MiB cannot be stored. Past that, --mode auto (the default) sends it referenced and
says so: Tasks named by content hash (<pipeline>-<8 hex>, one per distinct step, so a
sweep of identical steps stores one), a Pipeline naming them, then a PipelineRun
naming the Pipeline, in that order. Tasks and Pipeline that exist are reused; pod
settings still reach each step through the run's taskRunSpecs. 'delete' removes them
once no run refers to them. --mode embedded|referenced overrides.

` + util.ExitCodesHelp,
		Example: `  # Start a run in the current namespace
  kubectl mlpipe run -f train.yaml -p learning-rate=0.1

  # Let the cluster (and Tekton's webhook) check it without storing anything
  kubectl mlpipe run -f train.yaml --dry-run=server

  # Print only the run's name, for scripts
  kubectl mlpipe run -f train.yaml -o name

  # Start it and follow it to its end; exit 0 only if it succeeds
  kubectl mlpipe run -f train.yaml --wait --timeout 30m

  # Start it and stream its steps' logs
  kubectl mlpipe run -f train.yaml --follow

  # The last run failed at evaluate: run evaluate and what follows it, reusing the rest
  kubectl mlpipe run -f train.yaml --resume --last --wait

  # Run every step, even the ones whose results are cached
  kubectl mlpipe run -f train.yaml --no-cache

  # Check first that some node fits every step and the secrets it reads exist
  kubectl mlpipe run -f train.yaml --preflight --wait`,
		Args: util.NoPositionalSpec,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(cmd); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Filenames, "filename", "f", nil, "spec file, or - for stdin")
	cmd.Flags().StringArrayVarP(&o.Params, "param", "p", nil, "set a param: name=value (repeatable)")
	util.AddDryRunFlag(cmd, &o.DryRun, `Must be "none", "server", or "client". If client strategy, only print the PipelineRun that would be created (in referenced mode also its Tasks and Pipeline), sending nothing. If server strategy, send them with dryRun=All: the apiserver and Tekton's webhook check them, and nothing is stored.`)
	cmd.Flags().StringVar(&o.FieldManager, "field-manager", "kubectl-mlpipe", "name of the manager recorded in managedFields")
	cmd.Flags().BoolVarP(&o.Wait, "wait", "w", false, "follow the run to its end, showing each step; the exit code is the run's outcome")
	cmd.Flags().BoolVar(&o.Follow, "follow", false, "follow the run to its end, streaming its steps' logs")
	cmd.Flags().StringVar(&o.Resume, "resume", "", "reuse every step of this finished run that succeeded, and run the rest (same spec, or --force)")
	cmd.Flags().BoolVar(&o.ExpandMatrix, "expand-matrix", false, "expand every matrix into one task per instance, for clusters whose Tekton refuses its beta matrix field")
	cmd.Flags().BoolVar(&o.Preflight, "preflight", false, "before creating the run, check that some node fits each step and that what the spec names exists (as 'doctor -f' does); refuse the run when a check fails")
	cmd.Flags().BoolVar(&o.ResumeLast, "last", false, "with --resume: resume the newest run of this pipeline")
	cmd.Flags().BoolVar(&o.Force, "force", false, "with --resume: resume a run of a different version of the spec, reusing only the steps that did not change")
	cmd.Flags().BoolVar(&o.NoCache, "no-cache", false, "run every step: do not look up cached results (this run's results are still recorded for later runs)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 0, "with --wait or --follow, stop waiting after this long (exit 3; the run goes on); 0 waits for ever")
	util.AddModeFlag(cmd, &o.Mode)
	o.PrintFlags.AddFlags(cmd)
	util.AddDashboardFlag(cmd, &o.Dashboard)
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd, o
}

// Complete checks flags and resolves the namespace and printer.
func (o *Options) Complete(cmd *cobra.Command) error {
	o.cmdPath = cmd.CommandPath()
	if err := util.CheckDryRun(o.cmdPath, o.DryRun, DryRunNone, DryRunServer, DryRunClient); err != nil {
		return err
	}
	if (o.Wait || o.Follow) && o.DryRun != DryRunNone {
		return util.UsageError(o.cmdPath, "--wait and --follow cannot be used with --dry-run: nothing runs")
	}
	if o.Wait && o.Follow {
		return util.UsageError(o.cmdPath, "use --wait or --follow, not both")
	}
	if o.Timeout != 0 && !o.Wait && !o.Follow {
		return util.UsageError(o.cmdPath, "--timeout needs --wait or --follow")
	}
	if o.Timeout < 0 {
		return util.UsageError(o.cmdPath, "--timeout must not be negative")
	}
	if len(o.Filenames) != 1 {
		return util.UsageError(o.cmdPath, "run takes exactly one -f FILE (or -f -)")
	}
	if err := util.CheckMode(o.cmdPath, o.Mode); err != nil {
		return err
	}
	var err error
	// pflag gives a string flag the next word even when it is a flag, so
	// "--resume --last" arrives as --resume="--last".
	if o.Resume == "--last" {
		o.Resume, o.ResumeLast = "", true
	}
	switch {
	case o.ResumeLast && o.Resume != "":
		return util.UsageError(o.cmdPath, "use --resume RUN or --resume --last, not both")
	case o.Resume != "":
		if o.Resume, err = util.RunName(o.cmdPath, o.Resume); err != nil {
			return err
		}
	case o.Force && !o.ResumeLast:
		return util.UsageError(o.cmdPath, "--force only applies to --resume")
	}
	if o.params, err = util.ParseParams(o.cmdPath, o.Params); err != nil {
		return err
	}
	if o.DryRun != DryRunNone {
		if err := o.PrintFlags.Complete("%s (" + o.DryRun + " dry run)"); err != nil {
			return err
		}
	}
	if o.printer, err = util.Printer(cmd.CommandPath(), o.PrintFlags); err != nil {
		return err
	}
	if o.newClients == nil {
		o.newClients = o.clientsFromFlags
	}
	if o.now == nil {
		o.now = time.Now
	}
	return nil
}

func (o *Options) resuming() bool { return o.Resume != "" || o.ResumeLast }

func (o *Options) namespace() error {
	loader := o.ConfigFlags.ToRawKubeConfigLoader()
	ns, explicit, err := loader.Namespace()
	if err != nil {
		return err
	}
	o.ns, o.nsSet = ns, explicit
	if raw, err := loader.RawConfig(); err == nil {
		o.context = raw.CurrentContext
		if c := o.ConfigFlags.Context; c != nil && *c != "" {
			o.context = *c
		}
	}
	return nil
}

func (o *Options) clientsFromFlags() (*util.Clients, discovery.DiscoveryInterface, error) {
	c, err := util.NewClients(o.ConfigFlags)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Kube.Discovery(), nil
}

// Run compiles the spec and creates the run.
func (o *Options) Run(ctx context.Context) error {
	// Connect and check for Tekton while the spec is read and compiled: the
	// TLS handshake and the discovery request overlap the compiler's work.
	// An invalid spec still wins, and nothing is written before both are done.
	nsErr := o.namespace()
	o.nsErr = nsErr
	var connected chan connection
	if o.DryRun != DryRunClient && nsErr == nil {
		connected = make(chan connection, 1)
		go func() { connected <- o.dial(ctx) }()
	}
	doc, err := util.LoadOne(o.cmdPath, o.Filenames, o.In, "run takes")
	if err != nil {
		return err
	}
	if nsErr != nil && o.DryRun != DryRunClient {
		return nsErr
	}
	specNS := doc.Pipeline.Metadata.Namespace
	if specNS != "" && o.nsSet && specNS != o.ns {
		return util.UsageError("", "the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.", specNS, o.ns, specNS)
	}
	if specNS != "" {
		o.ns = specNS
	}
	if o.ns == "" {
		o.ns = "default"
	}
	name := doc.Pipeline.Metadata.Name + "-" + utilrand.String(5)
	params := o.params
	var src *resumeSource
	if o.resuming() {
		conn := o.connect(connected)
		if conn.err != nil {
			return conn.err
		}
		if src, err = o.fetchResume(ctx, conn.clients, doc.Pipeline.Metadata.Name); err != nil {
			return err
		}
		params = resumeParams(src, declaredParams(doc), o.params)
	}
	copts := compiler.Options{Params: params, Name: name, ExpandMatrix: o.ExpandMatrix}
	res, err := compiler.Compile(ctx, doc, copts)
	if err != nil {
		return err
	}
	util.PrintWarnings(o.ErrOut, res.Warnings)
	if o.DryRun != DryRunClient {
		// What the cluster's release accepts decides the render: wait for it.
		conn := o.connect(connected)
		if conn.err != nil {
			return conn.err
		}
		if res, err = util.FitMatrix(ctx, o.ErrOut, conn.target, doc, res, copts); err != nil {
			return err
		}
		if err := util.CheckCoschedule(conn.target, doc); util.IsWarning(err) {
			fmt.Fprintf(o.ErrOut, "Warning: %v\n", err)
		} else if err != nil {
			return err
		}
	}
	if o.Preflight {
		if err := o.preflight(ctx, connected, res); err != nil {
			return err
		}
	}
	if done, err := o.reuse(ctx, connected, res, src, name); done || err != nil {
		return err
	}
	pr := res.PipelineRun
	pr.Namespace = o.ns
	if src != nil {
		pr.Labels[LabelResumedFrom] = src.run.Name
	}
	if o.DryRun == DryRunClient {
		p, err := util.Prepare(ctx, o.ErrOut, nil, res, o.Mode)
		if err != nil {
			return err
		}
		for _, obj := range p.Objects {
			if err := o.printObject(obj); err != nil {
				return err
			}
		}
		return nil
	}
	conn := o.connect(connected)
	if conn.err != nil {
		return conn.err
	}
	c := conn.clients
	p, err := util.Prepare(ctx, o.ErrOut, &conn.target, res, o.Mode)
	if err != nil {
		return err
	}
	var created *v1.PipelineRun
	if p.Referenced != nil {
		created, err = o.createReferenced(ctx, c.Tekton, p)
	} else {
		created, err = o.create(ctx, c.Tekton, p.Objects[0])
	}
	if err != nil {
		return err
	}
	if err := o.printAs(created, conn.target.API); err != nil {
		return err
	}
	if o.DryRun == DryRunNone {
		o.Dashboard.PrintRunURL(ctx, o.ErrOut, c.Kube, created.Namespace, created.Name)
	}
	c.Namespace = o.ns
	switch {
	case o.Wait:
		_, err = util.Wait(ctx, c, created.Name, liveview.For(o.ErrOut), o.Timeout)
		return err
	case o.Follow:
		return o.followLogs(ctx, c, created)
	}
	return nil
}

// preflight runs doctor's spec checks against the cluster: every finding
// on stderr, and no run when one of them fails.
func (o *Options) preflight(ctx context.Context, connected chan connection, res *compiler.Result) error {
	conn := o.connect(connected)
	if conn.err != nil {
		return conn.err
	}
	fs, err := doctor.CheckSpec(ctx, conn.clients, o.ns, res)
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	checks.Write(o.ErrOut, fs, liveview.For(o.ErrOut).Style.Color)
	if n := checks.Blocking(fs); n > 0 {
		return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("preflight: %d check(s) failed; nothing was created", n)}
	}
	return nil
}

// connection is the clients and what the cluster runs, or why there are
// none (no cluster, no Tekton).
type connection struct {
	clients *util.Clients
	target  tektonapi.Target
	err     error
}

// dial builds the clients and reads which Tekton the cluster runs.
func (o *Options) dial(ctx context.Context) connection {
	c, dc, err := o.newClients()
	if err != nil {
		return connection{err: err}
	}
	t, err := o.checkTekton(ctx, dc, c)
	if err != nil {
		return connection{err: err}
	}
	if cs, ok := c.Tekton.(*tektonclient.Clientset); ok && t.API == tektonapi.V1beta1 {
		cs.SetMode(tektonclient.V1beta1)
	}
	return connection{clients: c, target: t}
}

// connect waits for the connection started in the background, or, for a
// client dry run that did not start one, makes it now: resuming and the
// cache lookup read from the cluster even when nothing will be written.
func (o *Options) connect(ch chan connection) connection {
	if o.conn != nil {
		return *o.conn
	}
	var conn connection
	if ch != nil {
		conn = <-ch
	} else if o.DryRun == DryRunClient {
		conn = o.dial(context.Background())
	} else {
		conn = connection{err: o.nsErr}
	}
	o.conn = &conn
	// Said here, on the command's goroutine, not where the connection was made.
	if conn.err == nil && conn.target.Assumed != "" {
		fmt.Fprintf(o.ErrOut, "Warning: which Tekton Pipelines release runs is unknown: %s\n", conn.target.Assumed)
	}
	return conn
}

// checkTekton reads what the cluster runs and turns a cluster without
// Tekton into a plain sentence.
func (o *Options) checkTekton(ctx context.Context, dc discovery.DiscoveryInterface, c *util.Clients) (tektonapi.Target, error) {
	t, err := tektonclient.Detect(ctx, dc, c.Kube)
	var missing tektonclient.NotInstalledError
	switch {
	case errors.As(err, &missing):
		//lint:ignore ST1005 the sentence starts with the product's name
		return t, fmt.Errorf("Tekton Pipelines is not installed in context %q (it serves no tekton.dev/v1 or v1beta1 PipelineRuns): install it (https://tekton.dev/docs/installation/pipelines/) or pick another context with --context", o.context)
	case err != nil:
		return t, fmt.Errorf("in context %q: %w", o.context, err)
	}
	return t, nil
}

// create makes the one write. The run's name is chosen here, so the write
// is safe to repeat: one whose answer was lost is sent again, and the
// AlreadyExists it then meets, for a run with the same name and spec hash,
// is our own earlier attempt.
func (o *Options) create(ctx context.Context, tc tekton.Interface, obj runtime.Object) (*v1.PipelineRun, error) {
	opts := metav1.CreateOptions{FieldManager: o.FieldManager}
	if o.DryRun == DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var pr *v1.PipelineRun
	send := func() (*v1.PipelineRun, error) { return tc.TektonV1().PipelineRuns(o.ns).Create(ctx, pr, opts) }
	switch obj := obj.(type) {
	case *v1.PipelineRun:
		pr = obj
	//lint:ignore SA1019 sent as v1beta1 where the cluster serves nothing newer
	case *v1beta1.PipelineRun:
		pr = &v1.PipelineRun{ObjectMeta: obj.ObjectMeta}
		send = func() (*v1.PipelineRun, error) {
			out, err := tc.TektonV1beta1().PipelineRuns(o.ns).Create(ctx, obj, opts)
			if err != nil {
				return nil, err
			}
			return tektonapi.PipelineRunToV1(ctx, out)
		}
	default:
		return nil, fmt.Errorf("cannot send a %T", obj)
	}
	created, err := createRetrying(ctx, o.ErrOut, send)
	switch {
	case err == nil:
		return created, nil
	case apierrors.IsAlreadyExists(err) && o.DryRun == DryRunNone:
		existing, gerr := tc.TektonV1().PipelineRuns(o.ns).Get(ctx, pr.Name, metav1.GetOptions{})
		if gerr == nil && existing.Annotations[rendertekton.AnnotationSpecHash] == pr.Annotations[rendertekton.AnnotationSpecHash] {
			return existing, nil
		}
		return nil, err
	case apierrors.IsForbidden(err):
		return nil, forbidden(err, o.ns)
	case webhookTimedOut(err):
		return nil, webhookTimeout("PipelineRun", budget.Size(obj), err)
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		// The spec passed our checks, so the cluster's webhook knows something we do not.
		if strings.Contains(err.Error(), `matrix requires "enable-api-fields"`) {
			return nil, fmt.Errorf("the cluster rejected the PipelineRun: its Tekton does not allow the (beta) matrix field; run again with --expand-matrix to fan out on the client: %w", err)
		}
		return nil, fmt.Errorf("the cluster rejected the PipelineRun: %w", err)
	}
	return nil, err
}

// webhookTimedOut reports the apiserver giving up on Tekton's admission
// webhook (10 s by default): on a busy cluster, a big object takes longer
// to validate.
func webhookTimedOut(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed calling webhook") && (strings.Contains(msg, "context deadline exceeded") || strings.Contains(msg, "Client.Timeout exceeded"))
}

func webhookTimeout(kind string, size int, err error) error {
	//lint:ignore ST1005 the sentence starts with the product's name
	return fmt.Errorf("Tekton's webhook did not answer in time while validating the %s %s (the apiserver waits 10 s for it; big objects on a busy cluster take longer). Nothing with this name was stored: run again, or send smaller objects with --mode referenced: %w", budget.Human(size), kind, err)
}

func forbidden(err error, ns string) error {
	var status apierrors.APIStatus
	who := ""
	if errors.As(err, &status) {
		msg := status.Status().Message
		if i := strings.Index(msg, "User \""); i >= 0 {
			if j := strings.Index(msg[i+6:], "\""); j >= 0 {
				who = " as user " + msg[i+6:i+6+j]
			}
		}
	}
	return fmt.Errorf("forbidden: you may not create pipelineruns.tekton.dev in namespace %q%s; ask for a Role granting \"create\" on pipelineruns.tekton.dev there: %w", ns, who, err)
}

// printAs prints pr as the API version it was sent as.
func (o *Options) printAs(pr *v1.PipelineRun, api string) error {
	if api != tektonapi.V1beta1 {
		return o.print(pr)
	}
	b, err := tektonapi.ToV1beta1(context.Background(), pr)
	if err != nil {
		return err
	}
	obj, err := rendertekton.Unstructured(b)
	if err != nil {
		return err
	}
	return o.printer.PrintObj(obj, o.Out)
}

func (o *Options) print(pr *v1.PipelineRun) error {
	// Typed clients drop apiVersion and kind from what the server returns.
	pr.TypeMeta = metav1.TypeMeta{APIVersion: v1.SchemeGroupVersion.String(), Kind: "PipelineRun"}
	return o.printObject(pr)
}

func (o *Options) printObject(obj runtime.Object) error {
	u, err := rendertekton.Unstructured(obj)
	if err != nil {
		return err
	}
	return o.printer.PrintObj(u, o.Out)
}

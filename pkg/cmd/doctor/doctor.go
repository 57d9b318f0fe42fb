// Package doctor is the `kubectl mlpipe doctor` command: a read-only
// preflight of the cluster the kube context points at, and optionally of a
// spec against it. The checks themselves are pure (pkg/doctor); this
// package reads what they need, concurrently, and prints the checklist.
package doctor

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	checks "github.com/mlpipe/kubectl-mlpipe/pkg/doctor"
	"github.com/mlpipe/kubectl-mlpipe/pkg/liveview"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

const example = `  # Is Tekton installed and running here, and may I create runs?
  kubectl mlpipe doctor

  # Can every step of this pipeline be placed, and does everything it names exist?
  kubectl mlpipe doctor -f train.yaml -n ml

  # The failed checks' fixes, for a script
  kubectl mlpipe doctor -f train.yaml -o jsonpath='{range .checks[?(@.status=="fail")]}{.fix}{"\n"}{end}'`

// Options are the doctor command's inputs.
type Options struct {
	Filenames    []string
	Params       []string
	ExpandMatrix bool
	// TektonNamespace is where Tekton Pipelines runs.
	TektonNamespace string

	PrintFlags  *genericclioptions.PrintFlags
	ConfigFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	cmdPath string
	params  map[string]string
	printer printers.ResourcePrinter
	// newClients connects; tests replace it with fake clientsets.
	newClients func() (*util.Clients, error)
}

// NewCmd returns the doctor command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	return newCmd(NewOptions(cf, streams))
}

// NewOptions returns the options with their defaults.
func NewOptions(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *Options {
	pf := genericclioptions.NewPrintFlags("")
	pf.NamePrintFlags = nil // a report has no name to print
	return &Options{PrintFlags: pf, ConfigFlags: cf, IOStreams: streams, TektonNamespace: checks.TektonNamespace}
}

func newCmd(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor [-f FILE|-] [-p name=value]... [-o json|yaml|jsonpath=...]",
		Short: "Check that the cluster can run pipelines, and that a spec's steps can be placed",
		Long: `Doctor checks the cluster the kube context points at, reading and never writing, and
prints one line per check: ✓ passed, ! worth knowing, ✗ a run would not work (with the fix).

Without a spec it checks that Tekton Pipelines is installed (which tekton.dev versions
serve pipelineruns) and which release runs; that its controller and webhook Deployments
are available, and if not why, from their pods and recent events; what the feature flags
that matter here mean for kubectl-mlpipe (coschedule, enable-api-fields, results-from,
disable-inline-spec); and whether you may create, watch and read the logs of runs in
the namespace.

With -f it also compiles the spec as 'render' does and checks, for every step, that at
least one node satisfies its node selector, required node affinity, tolerations (against
NoSchedule and NoExecute taints) and resource requests, GPUs included, against each
node's allocatable capacity (not what other pods use right now); when none does, it
counts the reasons as the scheduler does and names the spec field to change. It checks
that the ServiceAccount, the Secrets and ConfigMaps read by env or volumes (and their
keys), claims, PriorityClass, RuntimeClass and the workspace's StorageClass exist, and,
when Tekton's affinity assistant puts all steps on one node, that one node fits them all.

A check you may not make (listing nodes, reading a secret) is a ! line saying so; the
other checks still run. -o json or yaml prints the checks as a DoctorReport.

Exit codes: 0 when nothing blocks (only ✓ and !), 1 when a check failed (✗) or the
cluster cannot be reached, 2 for bad flags or an invalid spec.`,
		Example: example,
		Args:    util.NoPositionalSpec,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(cmd); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Filenames, "filename", "f", nil, "a spec to check against the cluster, or - for stdin")
	cmd.Flags().StringArrayVarP(&o.Params, "param", "p", nil, "set a param of the spec: name=value (repeatable)")
	cmd.Flags().BoolVar(&o.ExpandMatrix, "expand-matrix", false, "check the spec as 'run --expand-matrix' sends it (fan-outs expanded on the client)")
	cmd.Flags().StringVar(&o.TektonNamespace, "tekton-namespace", o.TektonNamespace, "the namespace Tekton Pipelines runs in")
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return o.PrintFlags.AllowedFormats(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete fills in what flags imply.
func (o *Options) Complete(cmd *cobra.Command) error {
	o.cmdPath = cmd.CommandPath()
	var err error
	if o.params, err = util.ParseParams(o.cmdPath, o.Params); err != nil {
		return err
	}
	if *o.PrintFlags.OutputFormat != "" {
		if o.printer, err = util.Printer(o.cmdPath, o.PrintFlags); err != nil {
			return err
		}
	}
	if o.newClients == nil {
		o.newClients = func() (*util.Clients, error) { return util.NewClients(o.ConfigFlags) }
	}
	return nil
}

// Validate checks flag combinations.
func (o *Options) Validate() error {
	if len(o.Filenames) > 1 {
		return util.UsageError(o.cmdPath, "doctor checks one spec at a time; got -f %d times", len(o.Filenames))
	}
	if (len(o.Params) > 0 || o.ExpandMatrix) && len(o.Filenames) == 0 {
		return util.UsageError(o.cmdPath, "-p and --expand-matrix apply to a spec: pass it with -f")
	}
	if o.TektonNamespace == "" {
		return util.UsageError(o.cmdPath, "--tekton-namespace must not be empty")
	}
	return nil
}

// Report is what -o json and -o yaml print.
type Report struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Context    string `json:"context,omitempty"`
	Namespace  string `json:"namespace"`
	// File and Pipeline name the spec checked, if any.
	File     string `json:"file,omitempty"`
	Pipeline string `json:"pipeline,omitempty"`
	// Blocking counts the failed checks; the command exits 1 when it is not 0.
	Blocking int              `json:"blocking"`
	Checks   []checks.Finding `json:"checks"`
}

// Run checks and prints.
func (o *Options) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loader := o.ConfigFlags.ToRawKubeConfigLoader()
	ns, nsSet, err := loader.Namespace()
	if err != nil {
		return err
	}
	kubeContext := ""
	if raw, err := loader.RawConfig(); err == nil {
		kubeContext = raw.CurrentContext
		if c := o.ConfigFlags.Context; c != nil && *c != "" {
			kubeContext = *c
		}
	}
	var doc *spec.Document
	if len(o.Filenames) == 1 {
		// Read the spec first: an unreadable -f - is a usage error whatever the cluster.
		if doc, err = util.LoadOne(o.cmdPath, o.Filenames, o.In, "doctor checks"); err != nil {
			return err
		}
		specNS := doc.Pipeline.Metadata.Namespace
		if specNS != "" && nsSet && specNS != ns {
			return util.UsageError("", "the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.", specNS, ns, specNS)
		}
		if specNS != "" {
			ns = specNS
		}
	}
	if ns == "" {
		ns = "default"
	}
	// Connect, and start the cluster reads (they need no spec), while the
	// spec compiles; an invalid spec still wins (exit 2), cluster or not.
	type connection struct {
		k       *checker
		cluster func() *clusterReads
		err     error
	}
	connected := make(chan connection, 1)
	go func() {
		c, err := o.newClients()
		if err != nil {
			connected <- connection{err: err}
			return
		}
		k := newChecker(c, ns, o.TektonNamespace)
		connected <- connection{k: k, cluster: k.startCluster(ctx)}
	}()
	var res *compiler.Result
	if doc != nil {
		if res, err = compiler.Compile(ctx, doc, compiler.Options{Params: o.params, ExpandMatrix: o.ExpandMatrix}); err != nil {
			return err
		}
		res.PipelineRun.Namespace = ns
		util.PrintWarnings(o.ErrOut, res.Warnings)
	}
	conn := <-connected
	if conn.err != nil {
		return conn.err
	}
	findings, err := conn.k.check(ctx, conn.cluster, res)
	if err != nil {
		if kubeContext == "" {
			return fmt.Errorf("checking the cluster (no kube context is set): %w", err)
		}
		return fmt.Errorf("checking context %q: %w", kubeContext, err)
	}
	rep := Report{APIVersion: "mlpipe.dev/v1alpha1", Kind: "DoctorReport", Context: kubeContext, Namespace: ns,
		Blocking: checks.Blocking(findings), Checks: findings}
	if doc != nil {
		rep.File, rep.Pipeline = doc.File, doc.Pipeline.Metadata.Name
	}
	if err := o.print(rep); err != nil {
		return err
	}
	if rep.Blocking > 0 {
		return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf("%d of %d checks failed: see the ✗ lines and their fixes", rep.Blocking, len(findings))}
	}
	return nil
}

func (o *Options) print(rep Report) error {
	if o.printer != nil {
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&rep)
		if err != nil {
			return err
		}
		return o.printer.PrintObj(&unstructured.Unstructured{Object: obj}, o.Out)
	}
	what := "namespace " + rep.Namespace
	if rep.Context != "" {
		what = fmt.Sprintf("context %s, %s", rep.Context, what)
	}
	if rep.File != "" {
		what += fmt.Sprintf(", pipeline %s (%s)", rep.Pipeline, rep.File)
	}
	fmt.Fprintf(o.Out, "Checking %s\n", what)
	checks.Write(o.Out, rep.Checks, liveview.For(o.Out).Style.Color)
	fmt.Fprintln(o.Out, checks.Summary(rep.Checks))
	return nil
}

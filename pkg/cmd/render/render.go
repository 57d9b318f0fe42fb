// Package render is the `kubectl mlpipe render` command: spec in, Tekton
// PipelineRun out, nothing sent anywhere.
package render

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/input"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/diagram"
	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

const example = `  # Print the PipelineRun for a spec, ready for kubectl create -f -
  kubectl mlpipe render -f train.yaml

  # Override params, and create the run with kubectl
  kubectl mlpipe render -f train.yaml -p learning-rate=0.1 | kubectl create -f -

  # Show the DAG as a picture, each step labelled with its hardware
  kubectl mlpipe render -f train.yaml -o dot | dot -Tsvg > train.svg
  kubectl mlpipe render -f train.yaml -o mermaid

  # Show where every setting of the spec landed in the PipelineRun
  kubectl mlpipe render -f train.yaml --explain`

// Options are the render command's inputs.
type Options struct {
	Filenames []string
	Recursive bool
	Params    []string
	Name      string
	Explain   bool
	// ExpandMatrix expands fan-outs on the client instead of Tekton's matrix.
	ExpandMatrix bool
	// APIVersion, TektonVersion and ForCluster render for a Tekton release:
	// named offline, or read from the current context.
	APIVersion    string
	TektonVersion string
	ForCluster    bool
	// Mode is --mode: embedded, referenced or auto.
	Mode string

	PrintFlags  *genericclioptions.PrintFlags
	ConfigFlags *genericclioptions.ConfigFlags

	genericiooptions.IOStreams
	cmdPath string
	format  string
	printer printers.ResourcePrinter
	params  map[string]string
	ns      string
	target  *tektonapi.Target
}

// Scheme knows the Tekton types, so printers can set apiVersion and kind.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = v1.AddToScheme(s)
	return s
}()

// NewCmd returns the render command.
func NewCmd(cf *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{
		PrintFlags:  genericclioptions.NewPrintFlags("rendered").WithTypeSetter(Scheme).WithDefaultOutput("yaml"),
		ConfigFlags: cf,
		IOStreams:   streams,
	}
	cmd := &cobra.Command{
		Use:   "render -f FILE|DIR|- [-p name=value]... [-o yaml|json|name|jsonpath=...|go-template=...|dot|mermaid]",
		Short: "Render a pipeline spec into a Tekton PipelineRun, offline",
		Long: `Render validates a pipeline spec and prints the Tekton PipelineRun it becomes, with every
step's settings in place. It needs no cluster and no kubeconfig.

The output is a multi-document YAML stream that 'kubectl create -f -' accepts. Runs are
named by the server from generateName (<pipeline>-); 'kubectl mlpipe run' picks the
name itself. Every render is checked with Tekton's own validation: a failure there is
a bug in kubectl-mlpipe, reported as such.

With --mode referenced (or auto, the default, when the run is over the size budget
that embedding allows) it prints the Tasks and the Pipeline the run refers to, then the
run, in the order 'kubectl create -f -' must create them. See 'run --help'.

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid),
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
	cmd.Flags().StringArrayVarP(&o.Filenames, "filename", "f", nil, "spec file, directory of specs, or - for stdin (repeatable)")
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "R", false, "read directories given with -f recursively")
	cmd.Flags().StringArrayVarP(&o.Params, "param", "p", nil, "set a param: name=value (repeatable)")
	cmd.Flags().StringVar(&o.Name, "name", "", "name the run instead of using generateName")
	cmd.Flags().BoolVar(&o.ExpandMatrix, "expand-matrix", false, "expand every matrix into one task per instance, for clusters whose Tekton refuses its beta matrix field")
	cmd.Flags().StringVar(&o.APIVersion, "api-version", "", "render as this PipelineRun API version: tekton.dev/v1 (default) or tekton.dev/v1beta1, converted with Tekton's own code")
	cmd.Flags().StringVar(&o.TektonVersion, "tekton-version", "", "render for this Tekton Pipelines release (e.g. v0.38.3): refuse fields it lacks, fan out on the client where its matrix is not allowed")
	cmd.Flags().BoolVar(&o.ForCluster, "for-cluster", false, "render for the Tekton of the current context, as run would send it (reads the cluster; writes nothing)")
	util.AddModeFlag(cmd, &o.Mode)
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "print, for every setting in the spec, the PipelineRun field it landed on")
	o.PrintFlags.AddFlags(cmd)
	// -o also takes dot and mermaid, which PrintFlags does not know.
	cmd.Flags().Lookup("output").Usage = "Output format. One of: (" + strings.Join(append(o.PrintFlags.AllowedFormats(), "dot", "mermaid"), ", ") + ")."
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(o.PrintFlags.AllowedFormats(), "dot", "mermaid"), cobra.ShellCompDirectiveNoFileComp
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
	if err := util.CheckMode(o.cmdPath, o.Mode); err != nil {
		return err
	}
	if o.ConfigFlags != nil && o.ConfigFlags.Namespace != nil {
		o.ns = *o.ConfigFlags.Namespace
	}
	if err := o.completeTarget(cmd.Context()); err != nil {
		return err
	}
	o.format = *o.PrintFlags.OutputFormat
	if o.format == "dot" || o.format == "mermaid" || o.Explain {
		return nil
	}
	o.printer, err = util.Printer(o.cmdPath, o.PrintFlags, "dot", "mermaid")
	if err != nil {
		return err
	}
	if o.format == "yaml" {
		// Rendered objects carry no managedFields for the printer to omit.
		o.printer = &yamlPrinter{fallback: o.printer}
	}
	return nil
}

// completeTarget reads which Tekton to render for, if any: --for-cluster
// asks the current context; --tekton-version and --api-version name it.
func (o *Options) completeTarget(ctx context.Context) error {
	switch o.APIVersion {
	case "", tektonapi.V1, tektonapi.V1beta1:
	default:
		return util.UsageError(o.cmdPath, "--api-version must be %s or %s, not %q", tektonapi.V1, tektonapi.V1beta1, o.APIVersion)
	}
	if o.ForCluster {
		if o.TektonVersion != "" || o.APIVersion != "" {
			return util.UsageError(o.cmdPath, "--for-cluster reads the API version and release from the cluster: drop --api-version and --tekton-version")
		}
		c, err := util.NewClients(o.ConfigFlags)
		if err != nil {
			return err
		}
		t, err := tektonclient.Detect(ctx, c.Kube.Discovery(), c.Kube)
		if err != nil {
			return err
		}
		if t.Assumed != "" {
			fmt.Fprintf(o.ErrOut, "Warning: which Tekton Pipelines release runs is unknown: %s\n", t.Assumed)
		}
		o.target = &t
		return nil
	}
	if o.TektonVersion == "" && o.APIVersion == "" {
		return nil
	}
	t := tektonapi.Target{API: o.APIVersion, Release: tektonapi.MustParse(tektonapi.TrackedReleases[len(tektonapi.TrackedReleases)-1])}
	if o.TektonVersion != "" {
		r, err := tektonapi.ParseRelease(o.TektonVersion)
		if err != nil {
			return util.UsageError(o.cmdPath, "--tekton-version: %v", err)
		}
		if r.Less(tektonapi.Oldest) {
			return util.UsageError(o.cmdPath, "--tekton-version %s: the oldest Tekton Pipelines release supported is %s", r, tektonapi.Oldest)
		}
		t.Release = r
	}
	if t.API == "" {
		// Before v0.44 only v1beta1 is served.
		t.API = tektonapi.V1
		if t.Release.Less(tektonapi.MustParse("v0.44.0")) {
			t.API = tektonapi.V1beta1
		}
	}
	if t.API == tektonapi.V1 && t.Release.Less(tektonapi.MustParse("v0.44.0")) {
		return util.UsageError(o.cmdPath, "Tekton %s serves only tekton.dev/v1beta1 PipelineRuns: use --api-version %s", t.Release, tektonapi.V1beta1)
	}
	o.target = &t
	return nil
}

// Validate checks flag combinations.
func (o *Options) Validate() error {
	if len(o.Filenames) == 0 {
		return util.UsageError(o.cmdPath, "no spec given: pass -f FILE, -f DIR or -f -")
	}
	if o.Explain && o.format != "yaml" && o.format != "json" && o.format != "" {
		return util.UsageError(o.cmdPath, "--explain prints a table, or JSON with -o json; it cannot be combined with -o %s", o.format)
	}
	return nil
}

// Run renders every pipeline and prints it.
func (o *Options) Run(ctx context.Context) error {
	sources, err := input.Read(o.Filenames, o.Recursive, o.In)
	if err != nil {
		return &util.ExitError{Code: util.ExitInvalid, Err: err}
	}
	docs, err := util.LoadDocs(sources)
	if err != nil {
		return err
	}
	var results []*compiler.Result
	for _, doc := range docs {
		if o.ns != "" && doc.Pipeline.Metadata.Namespace != "" && o.ns != doc.Pipeline.Metadata.Namespace {
			return util.UsageError("", "the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.", doc.Pipeline.Metadata.Namespace, o.ns, doc.Pipeline.Metadata.Namespace)
		}
		copts := compiler.Options{Params: o.params, Name: o.Name, ExpandMatrix: o.ExpandMatrix, Explain: o.Explain}
		res, err := compiler.Compile(ctx, doc, copts)
		if err != nil {
			return err
		}
		if o.target != nil {
			if res, err = util.FitMatrix(ctx, o.ErrOut, *o.target, doc, res, copts); err != nil {
				return err
			}
			if err := util.CheckCoschedule(*o.target, doc); util.IsWarning(err) {
				fmt.Fprintf(o.ErrOut, "Warning: %v\n", err)
			} else if err != nil {
				return err
			}
		}
		if o.ns != "" {
			res.PipelineRun.Namespace = o.ns
		}
		util.PrintWarnings(o.ErrOut, res.Warnings)
		results = append(results, res)
	}
	switch {
	case o.Explain:
		return o.printExplain(results)
	case o.format == "dot":
		for _, r := range results {
			fmt.Fprint(o.Out, diagram.Dot(r.Model))
		}
		return nil
	case o.format == "mermaid":
		for _, r := range results {
			fmt.Fprint(o.Out, diagram.Mermaid(r.Model))
		}
		return nil
	}
	for _, r := range results {
		p, err := util.Prepare(ctx, o.ErrOut, o.target, r, o.Mode)
		if err != nil {
			return err
		}
		if yp, ok := o.printer.(*yamlPrinter); ok {
			if err := yp.printAll(p.Objects, o.Out); err != nil {
				return err
			}
			continue
		}
		for _, sent := range p.Objects {
			obj, err := tekton.Unstructured(sent)
			if err != nil {
				return err
			}
			if err := o.printer.PrintObj(obj, o.Out); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *Options) printExplain(results []*compiler.Result) error {
	if o.format == "json" {
		type out struct {
			Pipeline string               `json:"pipeline"`
			File     string               `json:"file"`
			Settings []tekton.Explanation `json:"settings"`
		}
		var all []out
		for _, r := range results {
			tekton.SortExplanations(r.Explain)
			all = append(all, out{Pipeline: r.Model.Name, File: r.Doc.File, Settings: r.Explain})
		}
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(o.Out)
		}
		WriteExplain(o.Out, r)
	}
	return nil
}

// WriteExplain prints the explanation table of one compiled pipeline.
func WriteExplain(w io.Writer, r *compiler.Result) {
	tekton.SortExplanations(r.Explain)
	fmt.Fprintf(w, "# %s (%s)\n", r.Model.Name, r.Doc.File)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPEC FIELD\tSTEP\tPIPELINERUN FIELD\tNOTE")
	for _, e := range r.Explain {
		step, target := e.Step, e.Tekton
		if step == "" {
			step = "-"
		}
		if target == "" {
			target = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Spec, step, target, e.Note)
	}
	_ = tw.Flush()
}

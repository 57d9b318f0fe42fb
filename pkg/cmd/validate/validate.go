// Package validate is the `kubectl mlpipe validate` command: lint only.
package validate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/input"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Options are the validate command's inputs.
type Options struct {
	Filenames []string
	Recursive bool
	Params    []string
	Output    string
	genericiooptions.IOStreams
	cmdPath string
}

// NewCmd returns the validate command.
func NewCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "validate -f FILE|DIR|- [-o json]",
		Short: "Check pipeline specs without rendering or contacting a cluster",
		Long: `Validate checks every spec given with -f and reports every problem at once, each as
file:line:column: field.path: message. It exits 0 when all specs are valid and 2 when
any is not. Warnings (such as steps sharing the workspace but asking for different
nodes) are printed but do not fail the check.

With -o json the report is written to stdout as JSON, for editors and CI.

` + util.ExitCodes(util.ExitOK, util.ExitFailure, util.ExitInvalid),
		Example: `  # Check one spec
  kubectl mlpipe validate -f train.yaml

  # Check every spec in a directory, as JSON
  kubectl mlpipe validate -f pipelines/ -o json`,
		Args: util.NoPositionalSpec,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmdPath = cmd.CommandPath()
			if len(o.Filenames) == 0 {
				return util.UsageError(o.cmdPath, "no spec given: pass -f FILE, -f DIR or -f -")
			}
			if o.Output != "" && o.Output != "json" {
				return util.UsageError(o.cmdPath, "unsupported output format %q: the only one is json", o.Output)
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Filenames, "filename", "f", nil, "spec file, directory of specs, or - for stdin (repeatable)")
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "R", false, "read directories given with -f recursively")
	cmd.Flags().StringArrayVarP(&o.Params, "param", "p", nil, "set a param: name=value (repeatable); params without a default need not be set")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

type fileReport struct {
	File        string           `json:"file"`
	Pipeline    string           `json:"pipeline,omitempty"`
	Valid       bool             `json:"valid"`
	Diagnostics spec.Diagnostics `json:"diagnostics"`
}

// Run validates and reports.
func (o *Options) Run(ctx context.Context) error {
	params, err := util.ParseParams(o.cmdPath, o.Params)
	if err != nil {
		return err
	}
	sources, err := input.Read(o.Filenames, o.Recursive, o.In)
	if err != nil {
		return &util.ExitError{Code: util.ExitInvalid, Err: err}
	}
	var reports []fileReport
	invalid := 0
	for _, src := range sources {
		docs, err := spec.Load(src.Name, src.Data)
		if err != nil {
			var ie *spec.InvalidError
			if !errors.As(err, &ie) {
				return err
			}
			reports = append(reports, fileReport{File: src.Name, Diagnostics: ie.Diagnostics})
			invalid++
			continue
		}
		for _, doc := range docs {
			rep, err := o.check(ctx, doc, params)
			if err != nil {
				return err
			}
			if !rep.Valid {
				invalid++
			}
			reports = append(reports, rep)
		}
	}
	if o.Output == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else {
		for _, r := range reports {
			util.PrintWarnings(o.ErrOut, r.Diagnostics)
			if r.Valid {
				fmt.Fprintf(o.ErrOut, "%s: pipeline %s is valid\n", r.File, r.Pipeline)
			}
		}
	}
	if invalid > 0 {
		return &util.ExitError{Code: util.ExitInvalid, Err: fmt.Errorf("%d of %d specs are invalid", invalid, len(reports))}
	}
	return nil
}

// check runs the whole compile, so a renderer bug shows in lint too.
// Params without a default get a placeholder: lint needs no values.
func (o *Options) check(ctx context.Context, doc *spec.Document, params map[string]string) (fileReport, error) {
	rep := fileReport{File: doc.File, Pipeline: doc.Pipeline.Metadata.Name}
	ps := make(map[string]string, len(params))
	for k, v := range params {
		ps[k] = v
	}
	for _, p := range doc.Pipeline.Spec.Params {
		if _, ok := ps[p.Name]; !ok && p.Default == nil {
			ps[p.Name] = "placeholder"
		}
	}
	res, err := compiler.Compile(ctx, doc, compiler.Options{Params: ps})
	if err != nil {
		var ie *spec.InvalidError
		if errors.As(err, &ie) {
			rep.Diagnostics = ie.Diagnostics
			return rep, nil
		}
		return rep, err
	}
	rep.Valid = true
	rep.Diagnostics = append(res.Warnings, compiler.SizeWarnings(res)...)
	if rep.Diagnostics == nil {
		rep.Diagnostics = spec.Diagnostics{}
	}
	return rep, nil
}

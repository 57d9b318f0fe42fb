package util

import (
	"fmt"
	"io"
	"strings"

	"github.com/mlpipe/kubectl-mlpipe/pkg/input"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// LoadDocs strictly loads every source and reports the problems of all of
// them together, not only the first file's.
func LoadDocs(sources []input.Source) ([]*spec.Document, error) {
	var docs []*spec.Document
	var diags spec.Diagnostics
	for _, src := range sources {
		ds, err := spec.Load(src.Name, src.Data)
		if err != nil {
			if ie, ok := err.(*spec.InvalidError); ok {
				diags = append(diags, ie.Diagnostics...)
				continue
			}
			return nil, err
		}
		docs = append(docs, ds...)
	}
	if len(diags) > 0 {
		return nil, &spec.InvalidError{Diagnostics: diags}
	}
	return docs, nil
}

// LoadOne reads the one -f FILE (or -f -) of a command that takes a single
// pipeline; more documents than one are a usage error naming what was given.
func LoadOne(cmdPath string, filenames []string, in io.Reader, takes string) (*spec.Document, error) {
	sources, err := input.Read(filenames, false, in)
	if err != nil {
		return nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	docs, err := LoadDocs(sources)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		// Name what was given (a directory, several files), and each pipeline
		// with its file, so the one wanted can be passed alone.
		var names []string
		for _, d := range docs {
			names = append(names, d.Pipeline.Metadata.Name+" in "+d.File)
		}
		return nil, UsageError(cmdPath, "%s holds %d pipelines (%s); %s one: pass its file with -f", strings.Join(filenames, ", "), len(docs), strings.Join(names, ", "), takes)
	}
	return docs[0], nil
}

// ParseParams turns repeated -p name=value flags into a map.
func ParseParams(cmdPath string, kvs []string) (map[string]string, error) {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, UsageError(cmdPath, "invalid -p %q: want name=value", kv)
		}
		if _, dup := out[k]; dup {
			return nil, UsageError(cmdPath, "-p %s given more than once", k)
		}
		out[k] = v
	}
	return out, nil
}

// PrintWarnings writes warnings in the file:line:col shape.
func PrintWarnings(w interface{ Write([]byte) (int, error) }, ds spec.Diagnostics) {
	for _, d := range ds {
		fmt.Fprintln(w, d.String())
	}
}

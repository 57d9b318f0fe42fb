package util

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/util/jsonpath"
)

// Printer is PrintFlags' printer for -o, with an error that lists every
// format the command takes (extra: its own, such as wide or dot) and exits
// 2, checked before any request is made.
func Printer(cmdPath string, pf *genericclioptions.PrintFlags, extra ...string) (printers.ResourcePrinter, error) {
	p, err := pf.ToPrinter()
	if genericclioptions.IsNoCompatiblePrinterError(err) {
		return nil, UsageError(cmdPath, "unsupported output format %q: use one of %s", *pf.OutputFormat, strings.Join(Formats(pf, extra...), ", "))
	}
	if err != nil {
		return nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	return p, nil
}

// Formats lists the -o formats of pf and extra, as kubectl's help lists them.
func Formats(pf *genericclioptions.PrintFlags, extra ...string) []string {
	out := append(append([]string(nil), extra...), pf.AllowedFormats()...)
	sort.Strings(out)
	return out
}

// CustomColumns is kubectl's -o custom-columns=HEADER:JSONPATH,… and
// -o custom-columns-file=FILE (a line of headers, then a line of paths).
type CustomColumns struct {
	headers []string
	paths   []*jsonpath.JSONPath
}

// ParseCustomColumns reads the value of -o custom-columns=… or
// custom-columns-file=…; ok is false for any other format.
func ParseCustomColumns(format string) (c *CustomColumns, ok bool, err error) {
	var headers, exprs []string
	switch {
	case strings.HasPrefix(format, "custom-columns="):
		spec := strings.TrimPrefix(format, "custom-columns=")
		if spec == "" {
			return nil, true, fmt.Errorf("custom-columns needs at least one HEADER:JSONPATH, e.g. -o custom-columns=NAME:.metadata.name")
		}
		for _, col := range strings.Split(spec, ",") {
			h, e, found := strings.Cut(col, ":")
			if !found || h == "" || e == "" {
				return nil, true, fmt.Errorf("custom-columns: %q is not HEADER:JSONPATH", col)
			}
			headers, exprs = append(headers, h), append(exprs, e)
		}
	case strings.HasPrefix(format, "custom-columns-file="):
		b, err := os.ReadFile(strings.TrimPrefix(format, "custom-columns-file="))
		if err != nil {
			return nil, true, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		var lines [][]string
		for sc.Scan() && len(lines) < 2 {
			if f := strings.Fields(sc.Text()); len(f) > 0 {
				lines = append(lines, f)
			}
		}
		if len(lines) != 2 || len(lines[0]) != len(lines[1]) {
			return nil, true, fmt.Errorf("custom-columns-file: want a line of headers and a line of as many JSONPATHs")
		}
		headers, exprs = lines[0], lines[1]
	default:
		return nil, false, nil
	}
	c = &CustomColumns{headers: headers}
	for i, e := range exprs {
		jp := jsonpath.New(headers[i]).AllowMissingKeys(true)
		if err := jp.Parse(RelaxedJSONPath(e)); err != nil {
			return nil, true, fmt.Errorf("custom-columns: column %s: %v", headers[i], err)
		}
		c.paths = append(c.paths, jp)
	}
	return c, true, nil
}

// RelaxedJSONPath accepts a path as kubectl does: ".a.b", "a.b" or "{.a.b}".
func RelaxedJSONPath(p string) string {
	if strings.HasPrefix(p, "{") {
		return p
	}
	return "{." + strings.TrimPrefix(p, ".") + "}"
}

// Print writes a table of objs (as JSON-shaped maps), a row each: every
// value a path finds, joined by commas, or <none>.
func (c *CustomColumns) Print(w io.Writer, objs []map[string]any, noHeaders bool) error {
	tw := tabwriter.NewWriter(w, 5, 8, 3, ' ', 0)
	if !noHeaders {
		fmt.Fprintln(tw, strings.Join(c.headers, "\t"))
	}
	for _, o := range objs {
		cells := make([]string, len(c.paths))
		for i, jp := range c.paths {
			rs, err := jp.FindResults(o)
			if err != nil {
				return err
			}
			var vals []string
			for _, r := range rs {
				for _, v := range r {
					vals = append(vals, fmt.Sprint(v.Interface()))
				}
			}
			cells[i] = strings.Join(vals, ",")
			if len(vals) == 0 {
				cells[i] = "<none>"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// ToMaps converts objects to the JSON-shaped maps paths are evaluated on.
func ToMaps[T any](items []T) ([]map[string]any, error) {
	out := make([]map[string]any, len(items))
	for i := range items {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&items[i])
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// SortBy orders idx (indexes into objs) by the value the JSONPath expr finds
// in each, as kubectl get --sort-by: numbers as numbers, the rest as text;
// objects where it finds nothing go first. Equal values keep their order.
func SortBy(expr string, objs []map[string]any) ([]int, error) {
	jp := jsonpath.New("sort-by").AllowMissingKeys(true)
	if err := jp.Parse(RelaxedJSONPath(expr)); err != nil {
		return nil, fmt.Errorf("--sort-by %q: %v", expr, err)
	}
	type key struct {
		num   float64
		isNum bool
		text  string
		none  bool
	}
	keys := make([]key, len(objs))
	for i, o := range objs {
		rs, err := jp.FindResults(o)
		if err != nil {
			return nil, fmt.Errorf("--sort-by %q: %v", expr, err)
		}
		if len(rs) == 0 || len(rs[0]) == 0 {
			keys[i].none = true
			continue
		}
		if len(rs) > 1 || len(rs[0]) > 1 {
			return nil, fmt.Errorf("--sort-by %q finds more than one value in an item: give a path to one field", expr)
		}
		v := rs[0][0]
		for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				break
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Int, reflect.Int32, reflect.Int64:
			keys[i] = key{num: float64(v.Int()), isNum: true}
		case reflect.Float32, reflect.Float64:
			keys[i] = key{num: v.Float(), isNum: true}
		default:
			keys[i] = key{text: fmt.Sprint(v.Interface())}
		}
	}
	idx := make([]int, len(objs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		switch {
		case ka.none || kb.none:
			return ka.none && !kb.none
		case ka.isNum && kb.isNum:
			return ka.num < kb.num
		}
		return ka.text < kb.text
	})
	return idx, nil
}

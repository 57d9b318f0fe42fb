package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// Document is one Pipeline loaded from a file, with the position of every
// field so that later validation can point at lines.
type Document struct {
	// File is the name errors are reported against ("-" reads as <stdin>).
	File string
	// Index is the document's position in a multi-document file.
	Index     int
	Pipeline  *Pipeline
	Positions Positions
	// Leaves are the paths of every scalar value the file sets, in file order.
	Leaves []string
}

// Load strictly decodes every YAML (or JSON) document in data. Unknown and
// duplicate fields, and values of the wrong type, are reported together, each
// with its line, column and field path. Load does no I/O.
func Load(file string, data []byte) ([]*Document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*Document
	var diags Diagnostics
	// Documents of another kind are reported once per kind, not field by field.
	foreign := map[string]int{} // kind and apiVersion → index in diags
	counts := map[string]int{}
	for i := 0; ; i++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			diags = append(diags, syntaxDiagnostic(file, data, err))
			break
		}
		if len(root.Content) == 0 || isNull(root.Content[0]) {
			continue // an empty document between separators
		}
		if d, key, ok := foreignKind(file, root.Content[0]); ok {
			counts[key]++
			if j, seen := foreign[key]; seen {
				diags[j].Message = fmt.Sprintf("%s (%d documents of this kind)", d.Message, counts[key])
				continue
			}
			foreign[key] = len(diags)
			diags = append(diags, d)
			continue
		}
		doc, ds := loadDocument(file, i, &root)
		diags = append(diags, ds...)
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	if len(diags) > 0 {
		diags.Sort()
		return nil, &InvalidError{Diagnostics: diags}
	}
	if len(docs) == 0 {
		return nil, &InvalidError{Diagnostics: Diagnostics{{File: file, Line: 1, Column: 1, Message: "no Pipeline document found", Severity: SeverityError}}}
	}
	return docs, nil
}

// foreignKind reports a document that is not an mlpipe Pipeline at all (a
// Deployment, a Tekton Pipeline): one line naming its kind, rather than every
// field that a Pipeline lacks or does not know.
func foreignKind(file string, n *yaml.Node) (Diagnostic, string, bool) {
	if n.Kind != yaml.MappingNode {
		return Diagnostic{}, "", false
	}
	var apiVersion, kind string
	at := n
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			continue
		}
		switch k.Value {
		case "apiVersion":
			apiVersion = v.Value
		case "kind":
			kind, at = v.Value, v
		}
	}
	group, _, _ := strings.Cut(apiVersion, "/")
	if kind == "" || group == "mlpipe.dev" || apiVersion == "" && kind == "Pipeline" {
		return Diagnostic{}, "", false
	}
	what := "kind " + kind
	if apiVersion != "" {
		what += " (" + apiVersion + ")"
	}
	if kind == "Pipeline" && group == "tekton.dev" {
		what = "a Tekton Pipeline (" + apiVersion + ")"
	}
	msg := what + " is not an mlpipe Pipeline: want apiVersion: mlpipe.dev/v1alpha1 and kind: Pipeline"
	return Diagnostic{File: file, Line: at.Line, Column: at.Column, Path: "kind", Message: msg, Severity: SeverityError}, kind + " " + apiVersion, true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxDiagnostic(file string, data []byte, err error) Diagnostic {
	d := Diagnostic{File: file, Line: 1, Column: 1, Message: err.Error(), Severity: SeverityError}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		d.Message = "YAML syntax error: " + m[2]
		// yaml.v3 reports scanner errors with 1-based lines but parser
		// errors with the 0-based line of its mark; the problems tell the
		// two apart (parserc.go raises only these).
		if parserProblem(m[2]) {
			d.Line++
		}
		// A tab in the indentation reads as "found character that cannot
		// start any token": name the tab and where it is.
		if strings.Contains(m[2], "cannot start any token") || strings.Contains(m[2], "tab character") {
			if line, col, ok := indentTab(data, d.Line); ok {
				d.Line, d.Column = line, col
				d.Message = "YAML syntax error: a tab indents this line; YAML indents with spaces only"
			}
		}
	}
	return d
}

// indentTab finds a tab in the indentation of line (1-based) or the line
// after it, and returns where it is.
func indentTab(data []byte, line int) (int, int, bool) {
	lines := strings.Split(string(data), "\n")
	for _, l := range []int{line, line + 1} {
		if l < 1 || l > len(lines) {
			continue
		}
		text := lines[l-1]
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		if i := strings.IndexByte(indent, '\t'); i >= 0 {
			return l, i + 1, true
		}
	}
	return 0, 0, false
}

func parserProblem(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected <") || strings.HasPrefix(msg, "did not find expected key") ||
		strings.HasPrefix(msg, "did not find expected node content") || strings.HasPrefix(msg, "did not find expected '-' indicator") ||
		strings.HasPrefix(msg, "did not find expected ',' or") || strings.HasPrefix(msg, "found duplicate %") ||
		strings.HasPrefix(msg, "found incompatible YAML document") || strings.HasPrefix(msg, "found undefined tag handle")
}

func loadDocument(file string, index int, root *yaml.Node) (*Document, Diagnostics) {
	w := &walker{file: file, pos: Positions{}}
	node := root.Content[0]
	w.pos[""] = Pos{node.Line, node.Column}
	value := w.walk(node, reflect.TypeOf(Pipeline{}), "")
	if len(w.diags) > 0 {
		return nil, w.diags
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, Diagnostics{w.diag(node, "", err.Error())}
	}
	p := &Pipeline{}
	if err := json.Unmarshal(raw, p); err != nil {
		// The walker checks every type json would; reaching here is our bug.
		return nil, Diagnostics{w.diag(node, "", "internal error decoding spec: "+err.Error())}
	}
	return &Document{File: file, Index: index, Pipeline: p, Positions: w.pos, Leaves: w.leaves}, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// walker converts a YAML node tree into JSON-ready values while checking it
// against the Go type it will decode into. Doing the check here, rather than
// trusting a JSON decoder, is what lets every error carry a position and lets
// all of them be reported at once.
type walker struct {
	file   string
	pos    Positions
	leaves []string
	diags  Diagnostics
	// visits bounds the work aliases can cause (a "billion laughs" file).
	visits int
}

// maxVisits is far above any real pipeline (1,000 steps is about 50,000 nodes).
const maxVisits = 5_000_000

var jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// boolOrObject is implemented by types written as true/false or an object.
var boolOrObject = reflect.TypeOf((*interface{ BoolOrObject() })(nil)).Elem()

// KeyedTyper is a mapping whose values' type depends on the key (Matrix).
type KeyedTyper interface {
	KeyedTypes() (fixed map[string]reflect.Type, rest reflect.Type)
}

var keyedTyper = reflect.TypeOf((*KeyedTyper)(nil)).Elem()

func (w *walker) diag(n *yaml.Node, path, msg string) Diagnostic {
	return Diagnostic{File: w.file, Line: n.Line, Column: n.Column, Path: path, Message: msg, Severity: SeverityError}
}

func (w *walker) fail(n *yaml.Node, path string, msg string) {
	w.diags = append(w.diags, w.diag(n, path, msg))
}

// Paths are built as strings, exactly as field.Path prints them ("" is the
// document's root): every node's path is recorded, and printing a
// field.Path of each was a tenth of a 1,000-step compile.
func childPath(path, name string) string {
	switch {
	case name == "":
		return path + "[]"
	case path == "":
		return name
	}
	return path + "." + name
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func keyPath(path, key string) string { return path + "[" + key + "]" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a " + strings.TrimPrefix(n.Tag, "!!")
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) any {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if w.visits++; w.visits > maxVisits {
		if w.visits == maxVisits+1 {
			w.fail(n, path, "the document is too large once its aliases are expanded")
		}
		return nil
	}
	if path != "" {
		w.pos[path] = Pos{n.Line, n.Column}
	}
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode && path != "" {
		w.leaves = append(w.leaves, path)
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(boolOrObject) {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
			return n.Value == "true"
		}
		if n.Kind != yaml.MappingNode {
			w.fail(n, path, "expected true, false or an object, got "+kindName(n))
			return nil
		}
		return w.walkStruct(n, t, path)
	}
	if reflect.PointerTo(t).Implements(keyedTyper) {
		return w.walkKeyed(n, t, path)
	}
	if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return w.walkCustom(n, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.walkStruct(n, t, path)
	case reflect.Map:
		return w.walkMap(n, t, path)
	case reflect.Slice:
		return w.walkSlice(n, t, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.fail(n, path, "expected a string, got "+kindName(n))
			return nil
		}
		// Numbers and booleans written bare (default: 0.01) keep their text.
		return n.Value
	case reflect.Bool:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && (n.Value == "true" || n.Value == "false") {
			return n.Value == "true" // the scalar rule, as for numbers
		}
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			w.fail(n, path, "expected true or false, got "+kindName(n))
			return nil
		}
		return n.Value == "true"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return w.walkInt(n, t, path)
	case reflect.Interface:
		var v any
		if err := n.Decode(&v); err != nil {
			w.fail(n, path, err.Error())
		}
		return v
	}
	w.fail(n, path, fmt.Sprintf("unsupported field type %s", t))
	return nil
}

func (w *walker) walkInt(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.ScalarNode {
		w.fail(n, path, "expected a whole number, got "+kindName(n))
		return nil
	}
	switch n.Tag {
	case "!!int":
		v, err := strconv.ParseInt(n.Value, 0, t.Bits())
		if err != nil {
			w.fail(n, path, fmt.Sprintf("%s is out of range", n.Value))
			return nil
		}
		return v
	case "!!str":
		// The scalar rule (docs/spec.md): a quoted whole number is that
		// number, as a bare number is its text where text is wanted.
		if v, err := strconv.ParseInt(n.Value, 10, t.Bits()); err == nil {
			return v
		}
		w.fail(n, path, fmt.Sprintf("Invalid value: %q: expected a whole number, got a string", n.Value))
	case "!!float":
		w.fail(n, path, fmt.Sprintf("Invalid value: %s: must be a whole number", n.Value))
	default:
		w.fail(n, path, fmt.Sprintf("Invalid value: %q: expected a whole number, got %s", n.Value, kindName(n)))
	}
	return nil
}

// walkCustom handles types with their own JSON decoding (quantities,
// int-or-string, durations): the value is decoded on the spot so its error,
// if any, is reported at this node.
func (w *walker) walkCustom(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.ScalarNode {
		w.fail(n, path, "expected a string or number, got "+kindName(n))
		return nil
	}
	var v any = n.Value
	if n.Tag == "!!int" || n.Tag == "!!float" {
		v = json.Number(n.Value)
	}
	raw, _ := json.Marshal(v)
	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		w.fail(n, path, fmt.Sprintf("Invalid value: %q: %s", n.Value, strings.TrimPrefix(err.Error(), "json: ")))
		return nil
	}
	return v
}

func (w *walker) walkSlice(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.SequenceNode {
		w.fail(n, path, "expected a list, got "+kindName(n))
		return nil
	}
	out := make([]any, 0, len(n.Content))
	for i, item := range n.Content {
		out = append(out, w.walk(item, t.Elem(), indexPath(path, i)))
	}
	return out
}

// walkKeyed walks a mapping whose values' type depends on the key.
func (w *walker) walkKeyed(n *yaml.Node, t reflect.Type, path string) any {
	fixed, rest := reflect.New(t).Interface().(KeyedTyper).KeyedTypes()
	return w.walkMapOf(n, func(key string) reflect.Type {
		if ft, ok := fixed[key]; ok {
			return ft
		}
		return rest
	}, path)
}

func (w *walker) walkMap(n *yaml.Node, t reflect.Type, path string) any {
	return w.walkMapOf(n, func(string) reflect.Type { return t.Elem() }, path)
}

func (w *walker) walkMapOf(n *yaml.Node, elem func(key string) reflect.Type, path string) any {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "expected an object, got "+kindName(n))
		return nil
	}
	out := make(map[string]any, len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.fail(k, path, "keys must be strings")
			continue
		}
		child := keyPath(path, k.Value)
		if prev, dup := seen[k.Value]; dup {
			w.fail(k, child, fmt.Sprintf("duplicate key %q (first set on line %d)", k.Value, prev.Line))
			continue
		}
		seen[k.Value] = k
		out[k.Value] = w.walk(v, elem(k.Value), child)
	}
	return out
}

// JSONField is one field of a struct as JSON sees it.
type JSONField struct {
	Name string
	Type reflect.Type
	// Owner declares the field: the struct itself, or one it inlines.
	Owner reflect.Type
	// Optional is true for omitempty, omitzero and pointer fields.
	Optional bool
}

// JSONFields lists a struct's JSON fields, flattening inline embeds
// (corev1.Volume inlines its VolumeSource). The loader and the schema
// generator both read types through it, so they cannot disagree.
func JSONFields(t reflect.Type) []JSONField {
	var out []JSONField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, JSONFields(ft)...)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") || f.Type.Kind() == reflect.Pointer
		out = append(out, JSONField{Name: name, Type: f.Type, Owner: t, Optional: optional})
	}
	return out
}

// structInfo is a struct's JSON fields, computed once per type: the walker
// meets the same types thousands of times in a large pipeline.
type structInfo struct {
	fields []JSONField
	byName map[string]reflect.Type
}

var structInfos sync.Map // reflect.Type → *structInfo

func infoOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	fields := JSONFields(t)
	info := &structInfo{fields: fields, byName: make(map[string]reflect.Type, len(fields))}
	for _, f := range fields {
		info.byName[f.Name] = f.Type
	}
	structInfos.Store(t, info)
	return info
}

func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "expected an object, got "+kindName(n))
		return nil
	}
	info := infoOf(t)
	fields, byName := info.fields, info.byName
	out := make(map[string]any, len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.fail(k, path, "keys must be strings")
			continue
		}
		child := childPath(path, k.Value)
		if prev, dup := seen[k.Value]; dup {
			w.fail(k, child, fmt.Sprintf("duplicate field %q (first set on line %d)", k.Value, prev.Line))
			continue
		}
		seen[k.Value] = k
		ft, ok := byName[k.Value]
		if !ok {
			w.pos[child] = Pos{k.Line, k.Column}
			if hint, ok := absentFields[t.Name()+"."+k.Value]; ok {
				w.fail(k, child, fmt.Sprintf("unknown field %q: %s", k.Value, hint))
				continue
			}
			w.fail(k, child, unknownFieldMessage(k.Value, fields))
			continue
		}
		out[k.Value] = w.walk(v, ft, child)
	}
	return out
}

// absentFields are fields users bring from Kubernetes pods and ZenML's pod
// settings that the spec does not take, with why and what to write instead.
var absentFields = map[string]string{
	"PodSettings.hostIPC":               "Tekton's pod template has no hostIPC (nor hostPID), so no Tekton step can share the node's IPC namespace",
	"PodSettings.hostPID":               "Tekton's pod template has no hostPID (nor hostIPC), so no Tekton step can share the node's process namespace",
	"PodSettings.shareProcessNamespace": "Tekton's pod template has no shareProcessNamespace",
	"Step.serviceAccountName":           "a step's ServiceAccount is set in settings.pod.serviceAccountName (or in a profile's pod settings)",
	"Settings.serviceAccountName":       "set it in pod.serviceAccountName",
}

func unknownFieldMessage(name string, fields []JSONField) string {
	msg := fmt.Sprintf("unknown field %q", name)
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.Name)
		if d := editDistance(strings.ToLower(name), strings.ToLower(f.Name)); d < bestD {
			best, bestD = f.Name, d
		}
	}
	if best != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	}
	sort.Strings(names)
	return msg + " (known fields: " + strings.Join(names, ", ") + ")"
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

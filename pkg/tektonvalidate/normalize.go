package tektonvalidate

import (
	"reflect"
	"strconv"
	"strings"
	"unicode"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
)

// Normalization turns a taskSpec into a smaller representative that Tekton's
// per-task checks judge exactly as they judge the original, so that tasks
// which differ only in what those checks never look at are validated once.
//
// What the per-task checks read (task_validation.go, container_validation.go,
// result_validation.go and, for DAG tasks, the inline-parameter checks in
// pipelinerun_validation.go; Tekton v1.15.1):
//
//   - step name (DNS label), onError, imagePullPolicy, timeout, volume
//     mounts and devices, envFrom, workspaces, results, when, params, ref,
//     stdout/stderr config; task params, results, workspaces, volumes,
//     sidecars and stepTemplate. All kept verbatim (apart from descriptions
//     and display names, which nothing reads).
//   - step image: whether it is empty, and the $(...) references in it.
//   - command, args, env values, workingDir and script: only through
//     regular expressions that all begin with a literal "$(" (the
//     substitution package's brace pattern for params, context, results and
//     step.results; the artifact, step-result and result-ref patterns) and
//     substring tests for "$(step.artifacts.path)" and "$(artifacts.path)";
//     plus whether command is empty, and whether the trimmed script starts
//     with "#!win".
//   - step computeResources and env value sources: not read at all.
//
// So the text between references can change without changing a verdict,
// provided every place a match could start or end is kept. normText keeps
// each "$(" with everything up to the first ")" after it (a "clean region":
// every brace-pattern match ends at that ")", because the dot form's lazy
// body stops at the first ")" and the bracket forms need a "[" before it),
// keeps everything from a "$(" to the end of the string when the region
// contains "[", a newline, "$(steps." or "$(tasks." (patterns whose bodies
// can run past a ")"), or has no ")" at all, and replaces each stretch of
// text between regions by "x" (empty stays empty, so whether a value is a
// lone reference is preserved too). A string without "$(" can make no check
// fail, so such entries of command, args and env are dropped (command keeps
// one entry so that its emptiness is unchanged), and identical entries are
// kept once (the checks judge each entry alone).
//
// Then param names are alpha-renamed: a task param whose name occurs in the
// representative only in its declaration and in clean regions that are
// exactly "$(params.NAME)" gets the canonical name freshPrefix+index. The
// inline checks judge $(params.X) against the union of all params in the
// pipeline; the caller adds the canonical names, as plain string params, to
// that union for the representative's check. All params are plain strings on
// the fast path, names that are renamed match Tekton's name format, and the
// fresh names occur nowhere else, so each reference keeps its verdict.

// freshPrefix starts every canonical param name. The fast path renames only
// when no param name in the run contains it, and only in tasks where no
// string contains it; only such tasks are pooled (checks.go).
const freshPrefix = "zmlpipe-norm-"

// normalized is the representative of one task.
type normalized struct {
	ts *v1.TaskSpec
	// fresh are the canonical param names the representative declares.
	fresh []string
	// plain: its steps are plain (normalizable) and no string in it holds
	// freshPrefix, so its command, args and env values may be pooled.
	plain bool
}

// normalizeTask returns the representative of ts, a defaulted deep copy
// that normalizeTask may modify and keep. rename allows alpha-renaming.
func normalizeTask(ts *v1.TaskSpec, rename bool) normalized {
	ts.Description, ts.DisplayName = "", ""
	if !normalizable(ts) {
		return normalized{ts: ts}
	}
	for i := range ts.Params {
		ts.Params[i].Description = ""
	}
	for i := range ts.Results {
		ts.Results[i].Description = ""
	}
	for i := range ts.Workspaces {
		ts.Workspaces[i].Description = ""
	}
	for i := range ts.Steps {
		normalizeStep(&ts.Steps[i])
	}
	var all []string
	walkStrings(reflect.ValueOf(ts).Elem(), func(s string) { all = append(all, s) })
	for _, s := range all {
		if strings.Contains(s, freshPrefix) {
			return normalized{ts: ts}
		}
	}
	if !rename {
		return normalized{ts: ts, plain: true}
	}
	return normalized{ts: ts, fresh: renameParams(ts, all), plain: true}
}

// normalizable: only plain steps are rewritten; a stepTemplate (merged into
// the steps before they are checked) or a step using StepActions, step
// results or step when expressions keeps the whole task verbatim.
func normalizable(ts *v1.TaskSpec) bool {
	if ts.StepTemplate != nil {
		return false
	}
	for i := range ts.Steps {
		s := &ts.Steps[i]
		if s.Ref != nil || s.Params != nil || s.Results != nil || s.When != nil {
			return false
		}
	}
	return true
}

func normalizeStep(s *v1.Step) {
	s.ComputeResources = corev1.ResourceRequirements{}
	s.Image = normText(s.Image)
	s.WorkingDir = normText(s.WorkingDir)
	s.Script = normScript(s.Script)
	s.Command = normList(s.Command, true)
	s.Args = normList(s.Args, false)
	var env []corev1.EnvVar
	seen := map[string]bool{}
	for _, e := range s.Env {
		if !strings.Contains(e.Value, "$(") {
			continue
		}
		v := normText(e.Value)
		if !seen[v] {
			seen[v] = true
			env = append(env, corev1.EnvVar{Name: "e", Value: v})
		}
	}
	s.Env = env
}

// normList normalizes command or args: entries without "$(" go, duplicates
// go; a non-empty command stays non-empty.
func normList(in []string, keepNonEmpty bool) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, a := range in {
		if !strings.Contains(a, "$(") {
			continue
		}
		v := normText(a)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if len(out) == 0 && len(in) > 0 && keepNonEmpty {
		out = append(out, "x")
	}
	return out
}

// normScript keeps what decides the "#!win" check (whether the trimmed
// script starts with it, so: the blanks before the first non-blank line,
// and that line verbatim if it starts with "#!win", else "x") and
// normalizes the rest. A first line with a "$" keeps the script verbatim:
// a reference could span the cut.
func normScript(s string) string {
	start := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) })
	if start < 0 {
		return s // empty or blank: verbatim
	}
	end := len(s)
	if nl := strings.IndexByte(s[start:], '\n'); nl >= 0 {
		end = start + nl + 1
	}
	head := s[start:end]
	if strings.Contains(head, "$") {
		return s
	}
	if !strings.HasPrefix(head, "#!win") {
		// Lines differ from step to step ("echo step 7"); none can fail a check.
		head = "x"
		if strings.HasSuffix(s[start:end], "\n") {
			head += "\n"
		}
	}
	return s[:start] + head + normText(s[end:])
}

// scanRefs splits s into free text, clean regions and at most one tail
// (see above), in order.
func scanRefs(s string, free func(string), region func(string), tail func(string)) {
	pos := 0
	for pos < len(s) {
		k := strings.Index(s[pos:], "$(")
		if k < 0 {
			free(s[pos:])
			return
		}
		start := pos + k
		if start > pos {
			free(s[pos:start])
		}
		rel := strings.IndexByte(s[start+2:], ')')
		if rel < 0 {
			tail(s[start:])
			return
		}
		end := start + 2 + rel + 1
		r := s[start:end]
		if strings.ContainsAny(r, "[\n") || strings.Contains(r, "$(steps.") || strings.Contains(r, "$(tasks.") {
			tail(s[start:])
			return
		}
		region(r)
		pos = end
	}
}

// normText replaces each stretch of free text by "x" (see above).
func normText(s string) string {
	if !strings.Contains(s, "$(") {
		if s == "" {
			return ""
		}
		return "x"
	}
	var b strings.Builder
	keep := func(r string) { b.WriteString(r) }
	scanRefs(s, func(string) { b.WriteByte('x') }, keep, keep)
	return b.String()
}

// cleanRegions calls fn on each clean region of s (normText keeps them, so
// its output has the same ones).
func cleanRegions(s string, fn func(string)) {
	scanRefs(s, func(string) {}, fn, func(string) {})
}

// renameParams gives each eligible param its canonical name and rewrites
// its references. It returns the canonical names now declared. all holds
// every string in ts.
func renameParams(ts *v1.TaskSpec, all []string) []string {
	if len(ts.Params) == 0 {
		return nil
	}
	tokens := map[string]int{} // clean regions of the rewritten fields
	for i := range ts.Steps {
		stepTexts(&ts.Steps[i], func(s *string) { cleanRegions(*s, func(r string) { tokens[r]++ }) })
	}
	type rename struct{ from, to string }
	var rs []rename
	for i := range ts.Params {
		p := ts.Params[i].Name
		if !renamable(p) {
			continue
		}
		want := 1 + tokens["$(params."+p+")"]
		got := 0
		for _, s := range all {
			got += strings.Count(s, p)
			if got > want {
				break
			}
		}
		if got != want {
			continue
		}
		rs = append(rs, rename{p, freshPrefix + strconv.Itoa(i)})
	}
	if len(rs) == 0 {
		return nil
	}
	fresh := make([]string, 0, len(rs))
	repl := make([]string, 0, 2*len(rs))
	byName := map[string]string{}
	for _, r := range rs {
		repl = append(repl, "$(params."+r.from+")", "$(params."+r.to+")")
		byName[r.from] = r.to
		fresh = append(fresh, r.to)
	}
	rp := strings.NewReplacer(repl...)
	for i := range ts.Params {
		if to, ok := byName[ts.Params[i].Name]; ok {
			ts.Params[i].Name = to
		}
	}
	for i := range ts.Steps {
		stepTexts(&ts.Steps[i], func(s *string) { *s = rp.Replace(*s) })
	}
	return fresh
}

// stepTexts calls fn on every field normalizeStep rewrites.
func stepTexts(s *v1.Step, fn func(*string)) {
	fn(&s.Image)
	fn(&s.WorkingDir)
	fn(&s.Script)
	for j := range s.Command {
		fn(&s.Command[j])
	}
	for j := range s.Args {
		fn(&s.Args[j])
	}
	for j := range s.Env {
		fn(&s.Env[j].Value)
	}
}

// renamable: a name Tekton's string/array name format accepts, without the
// dots that would make a reference look like an object key.
func renamable(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r == '-' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return true
}

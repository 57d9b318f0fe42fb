package status

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Describe writes the whole run for `describe`: status, params, every step
// with its node, timing, retries, outputs and reason, secret references
// (never values), and the DAG as a tree.
func Describe(w io.Writer, r Run, now time.Time, st Style) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", r.Name)
	fmt.Fprintf(tw, "Namespace:\t%s\n", r.Namespace)
	fmt.Fprintf(tw, "Pipeline:\t%s\n", dash(r.Pipeline))
	if r.Foreign {
		// What needs our labels is named, so its absence is not a mystery.
		fmt.Fprintf(tw, "Note:\tnot made by kubectl mlpipe: the pipeline is Tekton's tekton.dev/pipeline label; list, delete --pipeline and --last do not see this run, and its steps are its tasks\n")
	}
	status := st.phase(r.Phase)
	if r.Reason != "" && r.Reason != string(r.Phase) {
		status += " (" + r.Reason + ")"
	}
	fmt.Fprintf(tw, "Status:\t%s\n", status)
	if r.Warning != "" {
		fmt.Fprintf(tw, "Warning:\t%s\n", oneLine(r.Warning))
	}
	if r.Message != "" {
		fmt.Fprintf(tw, "Message:\t%s\n", oneLine(r.Message))
	}
	done, total := r.Progress()
	fmt.Fprintf(tw, "Progress:\t%d/%d steps done (%s)\n", done, total, r.Breakdown())
	fmt.Fprintf(tw, "Started:\t%s\n", when(r.Start, now))
	if !r.End.IsZero() {
		fmt.Fprintf(tw, "Finished:\t%s\n", when(r.End, now))
	}
	if !r.Start.IsZero() {
		fmt.Fprintf(tw, "Duration:\t%s\n", dur(r.Elapsed(now)))
	}
	if r.Dashboard != "" {
		fmt.Fprintf(tw, "Dashboard:\t%s\n", r.Dashboard)
	}
	_ = tw.Flush()

	fmt.Fprintln(w, "Params:")
	if len(r.Params) == 0 {
		fmt.Fprintln(w, "  <none>")
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range r.Params {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, p.Value)
	}
	_ = tw.Flush()

	fmt.Fprintln(w, "Steps:")
	var buf bytes.Buffer
	tw = tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  STEP\tSTATUS\tNODE\tSTARTED\tDURATION\tRETRIES\tREASON\n")
	var phases []Phase
	for _, s := range r.Steps {
		started, retries := "-", "-"
		if !s.Start.IsZero() {
			started = s.Start.UTC().Format("15:04:05")
		}
		if s.TaskRun != "" && s.Reused == nil {
			retries = strconv.Itoa(s.Retries)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.label(), s.Phase, dash(s.Node), started, dash(s.StepDuration(now)), retries, s.ExplainAt(now))
		phases = append(phases, s.Phase)
	}
	_ = tw.Flush()
	_, _ = io.WriteString(w, st.colorColumn(buf.String(), phases))

	var results [][2]string
	for _, s := range r.Steps {
		for _, res := range s.Results {
			results = append(results, [2]string{s.Name + "." + res.Name, oneLine(res.Value)})
		}
	}
	env := envRows(r)
	section(w, "Outputs:", results)
	section(w, "Env from references:", env)

	fmt.Fprintln(w, "DAG:")
	for _, line := range Tree(r, st) {
		fmt.Fprintln(w, "  "+line)
	}
}

func section(w io.Writer, title string, rows [][2]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	_ = tw.Flush()
}

func when(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339) + " (" + dur(now.Sub(t)) + " ago)"
}

func mark(p Phase) string {
	switch p {
	case Succeeded:
		return "✓"
	case Failed, TimedOut:
		return "✗"
	case Running:
		return "▶"
	case Pending:
		return "…"
	case Skipped, NotRun, Cancelled:
		return "-"
	}
	return "○"
}

// Tree draws the DAG: each step under the steps it runs after. A step with
// several parents is drawn in full under the first and referred to ("↑")
// under the others; finally steps come last.
func Tree(r Run, st Style) []string {
	children := map[string][]string{}
	var roots, finally []string
	for _, s := range r.Steps {
		switch {
		case s.Finally:
			finally = append(finally, s.Name)
		case len(s.After) == 0:
			roots = append(roots, s.Name)
		}
		if !s.Finally {
			for _, a := range s.After {
				children[a] = append(children[a], s.Name)
			}
		}
	}
	label := func(name string) string {
		s := r.Step(name)
		if s == nil {
			return name
		}
		return mark(s.Phase) + " " + name + " " + st.phase(s.Phase)
	}
	var out []string
	drawn := map[string]bool{}
	var walk func(name, prefix string, last, top bool)
	walk = func(name, prefix string, last, top bool) {
		branch, next := "├── ", prefix+"│   "
		if last {
			branch, next = "└── ", prefix+"    "
		}
		if top {
			branch, next = "", ""
		}
		if drawn[name] {
			out = append(out, prefix+branch+name+" ↑")
			return
		}
		drawn[name] = true
		out = append(out, prefix+branch+label(name))
		kids := children[name]
		for i, k := range kids {
			walk(k, next, i == len(kids)-1, false)
		}
	}
	for _, root := range roots {
		walk(root, "", true, true)
	}
	if len(finally) > 0 {
		out = append(out, "finally:")
		for i, f := range finally {
			walk(f, "", i == len(finally)-1, false)
		}
	}
	return out
}

// envRows lists each secret or config map reference once, with the steps
// that use it ("all steps" when every step does).
func envRows(r Run) [][2]string {
	type ref struct{ name, from string }
	var order []ref
	users := map[ref][]string{}
	for _, s := range r.Steps {
		for _, e := range s.EnvRefs {
			k := ref{e.Name, e.From}
			if _, ok := users[k]; !ok {
				order = append(order, k)
			}
			users[k] = append(users[k], s.Name)
		}
	}
	var out [][2]string
	for _, k := range order {
		who := strings.Join(users[k], ", ")
		if len(users[k]) == len(r.Steps) && len(r.Steps) > 1 {
			who = "all steps"
		}
		out = append(out, [2]string{k.name, "from " + k.from + " (" + who + ")"})
	}
	return out
}

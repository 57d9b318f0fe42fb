package status

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// Style says how to print: colour only on a terminal without NO_COLOR.
type Style struct {
	Color bool
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	faint  = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (st Style) phase(p Phase) string {
	if !st.Color {
		return string(p)
	}
	c := faint
	switch p {
	case Succeeded:
		c = green
	case Failed, TimedOut:
		c = red
	case Pending, Cancelled:
		c = yellow
	case Running:
		c = cyan
	}
	return c + string(p) + reset
}

// colorColumn colours the phase words of a laid-out table after the fact,
// so escape codes never count towards column widths. Row i+1 of table holds
// phases[i], starting under the header's STATUS.
func (st Style) colorColumn(table string, phases []Phase) string {
	if !st.Color {
		return table
	}
	lines := strings.Split(table, "\n")
	col := strings.Index(lines[0], "STATUS")
	for i, p := range phases {
		l := lines[i+1]
		if col < 0 || len(l) < col+len(p) || l[col:col+len(p)] != string(p) {
			continue
		}
		lines[i+1] = l[:col] + st.phase(p) + l[col+len(p):]
	}
	return strings.Join(lines, "\n")
}

func dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return duration.HumanDuration(d)
}

// Elapsed is how long the run has taken, or has been going.
func (r *Run) Elapsed(now time.Time) time.Duration {
	start := r.Start
	if start.IsZero() {
		start = r.Created
	}
	if start.IsZero() {
		return 0
	}
	end := now
	if !r.End.IsZero() {
		end = r.End
	}
	return end.Sub(start)
}

// StepDuration is how long a step ran, or has been running; "" when it has not started.
func (s *Step) StepDuration(now time.Time) string {
	if s.Start.IsZero() {
		return ""
	}
	end := now
	if !s.End.IsZero() {
		end = s.End
	}
	return dur(end.Sub(s.Start))
}

// Explain is the step's reason and message on one line.
func (s *Step) Explain() string {
	return s.ExplainAt(time.Time{})
}

// ExplainAt is Explain, with a reused result's age as of now (unless now is zero):
// "cached (from train-x7k2p, 3h ago)".
func (s *Step) ExplainAt(now time.Time) string {
	if u := s.Reused; u != nil {
		what := "reused from " + u.Run
		if u.Cached {
			what = "cached (from " + u.Run
			if !now.IsZero() && !u.Completed.IsZero() {
				what += ", " + dur(now.Sub(u.Completed)) + " ago"
			}
			what += ")"
		}
		return what
	}
	switch {
	case s.Message == "" || s.Message == s.Reason:
		return s.Reason
	case s.Reason == "":
		return oneLine(s.Message)
	}
	return s.Reason + ": " + oneLine(s.Message)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

// ProgressLine is the overall line: "churn-x7k2p Running — 3/7 steps done, 42s elapsed".
func ProgressLine(r Run, now time.Time, st Style) string {
	done, total := r.Progress()
	line := fmt.Sprintf("%s %s — %d/%d steps done, %s elapsed", r.Name, st.phase(r.Phase), done, total, dur(r.Elapsed(now)))
	if r.Done() {
		line = fmt.Sprintf("%s %s — %d/%d steps done (%s), %s elapsed", r.Name, st.phase(r.Phase), done, total, r.Breakdown(), dur(r.Elapsed(now)))
	}
	if r.Done() && r.Phase != Succeeded && r.Message != "" {
		line += ": " + oneLine(r.Message)
	}
	if !r.Done() && r.Warning != "" {
		line += "; Tekton warns " + oneLine(r.Warning)
	}
	return line
}

// Table writes the steps as a table (step, status, node, duration, reason).
func Table(w io.Writer, r Run, now time.Time, st Style, indent string) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%sSTEP\tSTATUS\tNODE\tDURATION\tREASON\n", indent)
	var phases []Phase
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", indent, s.label(), s.Phase, dash(s.Node), dash(s.StepDuration(now)), s.ExplainAt(now))
		phases = append(phases, s.Phase)
	}
	_ = tw.Flush()
	_, _ = io.WriteString(w, st.colorColumn(buf.String(), phases))
}

func (s *Step) label() string {
	if s.Finally {
		return s.Name + " (finally)"
	}
	return s.Name
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Transitions lists what changed from prev to cur, one line per change:
// a step's phase, node or reason, and the run's end. prev may be nil.
func Transitions(prev *Run, cur Run, now time.Time, st Style) []string {
	var out []string
	at := fmt.Sprintf("[%6s]", dur(cur.Elapsed(now)))
	for _, s := range cur.Steps {
		var old *Step
		if prev != nil {
			old = prev.Step(s.Name)
		}
		if old != nil && old.Phase == s.Phase && old.Node == s.Node && old.Explain() == s.Explain() {
			continue
		}
		if s.Phase == Waiting {
			continue // the step that unblocks it has its own line
		}
		line := fmt.Sprintf("%s %s %s", at, s.Name, st.phase(s.Phase))
		if s.Node != "" && (s.Phase == Running || s.Phase == Pending) {
			line += " on " + s.Node
		}
		if d := s.StepDuration(now); s.Phase.Done() && d != "" {
			line += " after " + d
		}
		if e := s.Explain(); e != "" {
			line += " — " + e
		}
		out = append(out, line)
	}
	if cur.Warning != "" && !cur.Done() && (prev == nil || prev.Warning != cur.Warning) {
		out = append(out, at+" "+cur.Name+" — Tekton warns "+oneLine(cur.Warning))
	}
	if cur.Done() && (prev == nil || !prev.Done()) {
		out = append(out, at+" "+ProgressLine(cur, now, st))
	}
	return out
}

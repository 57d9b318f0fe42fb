// Package liveview prints a run as it changes. On a terminal it keeps one
// table (step, status, node, duration, reason) under an overall progress
// line and redraws it in place; anywhere else it prints one line per
// transition, so logs and CI output stay readable.
package liveview

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

// View prints successive views of one run to W.
type View struct {
	W     io.Writer
	TTY   bool
	Style status.Style
	// Width truncates redrawn lines so that wrapping cannot break the redraw; 0: no limit.
	Width int
	Now   func() time.Time

	mu    sync.Mutex
	cur   *status.Run
	prev  *status.Run
	lines int
}

// For sets up a view for w: in place with colour on a terminal (colour
// unless NO_COLOR is set), line by line elsewhere.
func For(w io.Writer) *View {
	v := &View{W: w, Now: time.Now}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb" {
		v.TTY = true
		v.Style.Color = os.Getenv("NO_COLOR") == ""
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			v.Width = width
		}
	}
	return v
}

// Update shows a new view of the run.
func (v *View) Update(r status.Run) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cur = &r
	if v.TTY {
		v.redraw()
		return
	}
	for _, line := range status.Transitions(v.prev, r, v.Now(), v.Style) {
		fmt.Fprintln(v.W, line)
	}
	v.prev = &r
}

// Tick refreshes the durations on a terminal; elsewhere it does nothing.
func (v *View) Tick() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.TTY && v.cur != nil {
		v.redraw()
	}
}

// Note prints a message; on a terminal it goes above the table, which is
// then drawn again below it.
func (v *View) Note(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.TTY {
		fmt.Fprintln(v.W, msg)
		return
	}
	v.clear()
	fmt.Fprintln(v.W, msg)
	if v.cur != nil {
		v.redraw()
	}
}

func (v *View) clear() {
	if v.lines > 0 {
		fmt.Fprintf(v.W, "\x1b[%dA\x1b[J", v.lines)
		v.lines = 0
	}
}

func (v *View) redraw() {
	var buf bytes.Buffer
	now := v.Now()
	fmt.Fprintln(&buf, status.ProgressLine(*v.cur, now, v.Style))
	status.Table(&buf, *v.cur, now, v.Style, "  ")
	text := strings.TrimRight(buf.String(), "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = truncate(l, v.Width)
	}
	var out bytes.Buffer
	if v.lines > 0 {
		fmt.Fprintf(&out, "\x1b[%dA\x1b[J", v.lines)
	}
	out.WriteString(strings.Join(lines, "\n") + "\n")
	_, _ = v.W.Write(out.Bytes())
	v.lines = len(lines)
}

// truncate cuts a line to width visible characters, keeping escape codes whole.
func truncate(s string, width int) string {
	if width <= 0 {
		return s
	}
	var b strings.Builder
	visible, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			b.WriteRune(r)
			if r == 'm' {
				esc = false
			}
			continue
		case r == '\x1b':
			esc = true
			b.WriteRune(r)
			continue
		}
		if visible >= width-1 {
			if strings.Contains(s, "\x1b[") {
				b.WriteString("\x1b[0m")
			}
			return b.String()
		}
		b.WriteRune(r)
		visible++
	}
	return b.String()
}

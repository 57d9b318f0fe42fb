package liveview

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mlpipe/kubectl-mlpipe/pkg/status"
)

var now = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func run(phase status.Phase) status.Run {
	return status.Run{Name: "hello-abcde", Phase: status.Running, Start: now, Steps: []status.Step{
		{Name: "prepare", Phase: phase, Node: "cpu-1", Start: now},
		{Name: "train", Phase: status.Waiting, Reason: "after prepare"},
	}}
}

func TestTerminalRedrawsInPlace(t *testing.T) {
	var b bytes.Buffer
	v := &View{W: &b, TTY: true, Now: func() time.Time { return now.Add(3 * time.Second) }}
	v.Update(run(status.Running))
	first := b.String()
	if strings.Contains(first, "\x1b[") {
		t.Errorf("the first draw has nothing to erase:\n%q", first)
	}
	if n := strings.Count(first, "\n"); n != 4 { // progress line, header, two steps
		t.Fatalf("%d lines:\n%s", n, first)
	}
	b.Reset()
	v.Update(run(status.Succeeded))
	if !strings.HasPrefix(b.String(), "\x1b[4A\x1b[J") {
		t.Errorf("the redraw must move up over the 4 drawn lines and clear: %q", b.String())
	}
	b.Reset()
	v.Note("watch of pods interrupted")
	if !strings.HasPrefix(b.String(), "\x1b[4A\x1b[Jwatch of pods interrupted\n") || !strings.Contains(b.String(), "prepare") {
		t.Errorf("a note goes above a redrawn table: %q", b.String())
	}
}

func TestElsewhereOneLinePerTransition(t *testing.T) {
	var b bytes.Buffer
	v := &View{W: &b, Now: func() time.Time { return now.Add(3 * time.Second) }}
	v.Update(run(status.Running))
	v.Update(run(status.Running))
	v.Tick()
	v.Update(run(status.Succeeded))
	want := "[    3s] prepare Running on cpu-1\n[    3s] prepare Succeeded after 3s\n"
	if b.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", b.String(), want)
	}
}

func TestTruncateKeepsEscapesWhole(t *testing.T) {
	if got := truncate("\x1b[32mSucceeded\x1b[0m and more", 6); got != "\x1b[32mSucce\x1b[0m" {
		t.Errorf("%q", got)
	}
	if got := truncate("short", 80); got != "short" {
		t.Errorf("%q", got)
	}
}

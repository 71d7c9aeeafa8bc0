package templates

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketd/internal/mailtest"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(discard{}, nil))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func ackText(t *testing.T, l *Live) string {
	t.Helper()
	r, err := l.Current().Render(Ack, "en", Sample(Ack, "en"))
	if err != nil {
		t.Fatal(err)
	}
	return r.Text
}

// edit rewrites a file and moves its mtime forward, so the change is
// visible even on file systems with coarse timestamps.
func edit(t *testing.T, dir, name, content string) {
	t.Helper()
	writeFile(t, dir, name, content)
	future := time.Now().Add(time.Duration(len(content)) * time.Second)
	if err := os.Chtimes(filepath.Join(dir, name), future, future); err != nil {
		t.Fatal(err)
	}
}

func TestLive_reloadPicksUpAnEdit(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ack.en.txt.tmpl", "first {{.Ticket.Number}}\n")
	l, err := NewLive(dir, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if got := ackText(t, l); got != "first 1042\n" {
		t.Fatalf("initial text %q", got)
	}
	edit(t, dir, "ack.en.txt.tmpl", "second {{.Ticket.Number}}\n")
	if err := l.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := ackText(t, l); got != "second 1042\n" {
		t.Fatalf("after reload %q", got)
	}
}

func TestLive_brokenEditIsRejectedAndThePreviousSetStays(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ack.en.txt.tmpl", "good {{.Ticket.Number}}\n")
	l, err := NewLive(dir, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	before := l.Current()
	edit(t, dir, "ack.en.txt.tmpl", "bad\n{{.Ticket.Numbr}}\n")
	err = l.Reload()
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].Line != 2 {
		t.Fatalf("err = %v, want a ProblemsError with the typo on line 2", err)
	}
	if !strings.Contains(err.Error(), "ack.en.txt.tmpl:2: unknown field .Ticket.Numbr") {
		t.Errorf("error does not list the problem: %v", err)
	}
	if l.Current() != before || ackText(t, l) != "good 1042\n" {
		t.Error("the previous set was replaced")
	}
}

func TestNewLive_failsListingProblems(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ack.xx.txt.tmpl", "x")
	_, err := NewLive(dir, quietLogger())
	if err == nil || !strings.Contains(err.Error(), `ack.xx.txt.tmpl: unknown language "xx"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestNewLive_emptyDirServesBuiltins(t *testing.T) {
	l, err := NewLive("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Current().Render(Ack, "en", Sample(Ack, "en")); !strings.Contains(got.Text, "Kind regards") {
		t.Errorf("not the built-in ack: %q", got.Text)
	}
}

func TestWatch_noticesChangesAndReportsRejectsOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ack.en.txt.tmpl", "v1\n")
	l, err := NewLive(dir, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var rejects []error
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Watch(ctx, 10*time.Millisecond, func(err error) {
			mu.Lock()
			rejects = append(rejects, err)
			mu.Unlock()
		})
	}()
	defer func() { cancel(); <-done }()

	edit(t, dir, "ack.en.txt.tmpl", "v2\n")
	mailtest.Eventually(t, "the edit to be served", 10*time.Second, func() bool { return ackText(t, l) == "v2\n" })

	writeFile(t, dir, "ack.en.txt.tmpl", "{{.Oops}}\n")
	mailtest.Eventually(t, "the broken edit to be rejected", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(rejects) > 0
	})
	if ackText(t, l) != "v2\n" {
		t.Error("broken edit replaced the served set")
	}

	// A further good edit is picked up; the broken state was reported once.
	edit(t, dir, "ack.en.txt.tmpl", "v3 fixed\n")
	mailtest.Eventually(t, "the fix to be served", 10*time.Second, func() bool { return ackText(t, l) == "v3 fixed\n" })
	mu.Lock()
	defer mu.Unlock()
	if len(rejects) != 1 || !strings.Contains(rejects[0].Error(), ".Oops") {
		t.Errorf("rejects = %v, want exactly one naming .Oops", rejects)
	}
}

func TestWatch_returnsWhenContextEnds(t *testing.T) {
	l, err := NewLive(t.TempDir(), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Watch(ctx, time.Millisecond, nil); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
}

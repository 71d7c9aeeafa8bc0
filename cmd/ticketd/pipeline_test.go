package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/internal/mailtest"
	"ticketd/internal/testclock"
	"ticketd/store"
	"ticketd/ticket"
)

// TestTicketsShow_showsFailedDeliveryAndOverdue runs a daemon from a
// config file, lets the relay refuse the customer with 550, and reads the
// result the way an admin would: tickets show/list, backup, migrate.
func TestTicketsShow_showsFailedDeliveryAndOverdue(t *testing.T) {
	sys := mailtest.StartSystem(t)
	if err := sys.AddUser("support@example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	srv := mailtest.StartSMTP(t, nil)
	srv.FailRcpt("ops@acme.example", 550, -1)
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	b, _ := os.ReadFile(p)
	cfgText := strings.NewReplacer("127.0.0.1:1143", sys.IMAPAddr, "127.0.0.1:1025", srv.Addr(), `password = "x"`, `password = "pw"`).Replace(string(b))
	os.WriteFile(p, []byte(cfgText+"[verify]\nadmin = \"admin@example.com\"\n"), 0o600)
	for _, args := range [][]string{
		{"customers", "add", "--name", "Acme", "--plan", "standard", "--region", "CH-ZH"},
		{"contacts", "add", "--customer", "Acme", "--email", "ops@acme.example", "--tz", "Europe/Zurich"},
	} {
		if _, errOut, code := run(t, nil, append(args, "--config", p)...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, cfg, daemon.Options{Clock: testclock.Running(), Logger: newLogger(&strings.Builder{}, "error", "text"), ShutdownGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	raw, _ := os.ReadFile("../../testdata/daemon/new-acme.eml")
	if err := sys.Append("support@example.com", "INBOX", raw); err != nil {
		t.Fatal(err)
	}
	var items []*ticket.OutboxItem
	mailtest.Eventually(t, "a failed acknowledgement", 10*time.Second, func() bool {
		d.DB().View(ctx, func(tx *store.Tx) (err error) { items, err = tx.AllOutbox(); return err })
		failed := 0
		for _, it := range items {
			if it.Status == ticket.OutboxFailed {
				failed++
			}
		}
		return failed == 1
	}, func() string { return fmt.Sprintf("outbox %+v", items) })
	cancel()
	<-done
	d.Close()

	out, errOut, code := run(t, nil, "tickets", "show", "1", "--config", p)
	if code != 0 || !strings.Contains(out, "ack") || !strings.Contains(out, "FAILED") || !strings.Contains(out, "550") {
		t.Fatalf("tickets show does not show the failed acknowledgement (code %d, %s):\n%s", code, errOut, out)
	}
	out, _, _ = run(t, nil, "tickets", "show", "1", "--json", "--config", p)
	var tj map[string]any
	if err := json.Unmarshal([]byte(out), &tj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"number", "subject", "status", "requester", "created_at", "messages", "level", "customer", "first_response_due", "first_response_at", "outbound"} {
		if _, ok := tj[k]; !ok {
			t.Errorf("tickets show --json lacks %q", k)
		}
	}
	if tj["first_response_at"] != nil {
		t.Errorf("first_response_at should be null, got %v", tj["first_response_at"])
	}
	due, _ := time.Parse(time.RFC3339, tj["first_response_due"].(string))
	for _, c := range []struct {
		at   time.Time
		want int
	}{{due.Add(-time.Second), 0}, {due, 1}} {
		out, _, _ := run(t, nil, "tickets", "list", "--overdue", "--json", "--at", c.at.Format(time.RFC3339), "--config", p)
		var list []map[string]any
		json.Unmarshal([]byte(out), &list)
		if len(list) != c.want {
			t.Errorf("--overdue at %v: %d tickets, want %d", c.at, len(list), c.want)
		}
	}

	backup := filepath.Join(dir, "backup.db")
	if out, errOut, code := run(t, nil, "backup", backup, "--config", p); code != 0 || !strings.Contains(out, "backup") {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	if _, _, code := run(t, nil, "backup", backup, "--config", p); code == 0 {
		t.Fatal("backup must refuse to overwrite")
	}
	if out, _, code := run(t, nil, "migrate", "--config", p); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %s", code, out)
	}
	// A database migrated by a newer ticketd is refused, with the reason.
	db, err := store.Open(context.Background(), cfg.Store.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(context.Background(), func(tx *store.Tx) error { return nil })
	db.Close()
	markNewer(t, cfg.Store.Path)
	_, errOut, code = run(t, nil, "tickets", "list", "--config", p)
	if code != 1 || !strings.Contains(errOut, "newer than this ticketd") {
		t.Fatalf("newer schema: %d %q", code, errOut)
	}
}

// TestRun_firstSignalShutsDownGracefully starts `ticketd run` and sends it
// SIGHUP (reload) then SIGTERM: it returns cleanly, in well under its grace.
func TestRun_firstSignalShutsDownGracefully(t *testing.T) {
	sys := mailtest.StartSystem(t)
	if err := sys.AddUser("support@example.com", "x"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.NewReplacer("127.0.0.1:1143", sys.IMAPAddr, "127.0.0.1:1025", sys.SMTPAddr).Replace(string(b))), 0o600)
	sigs := make(chan os.Signal, 2)
	var out, errOut strings.Builder
	errLog := &lockedWriter{w: &errOut}
	m := &Main{Stdout: &out, Stderr: errLog, Getenv: func(string) string { return "" }, Signals: sigs}
	done := make(chan int, 1)
	go func() { done <- m.Run(context.Background(), []string{"run", "--config", p, "--grace", "5s"}) }()
	// The signals are for a running daemon, not one still starting.
	mailtest.Eventually(t, "ticketd running", 10*time.Second, func() bool { return strings.Contains(errLog.String(), "ticketd running") })
	sigs <- syscall.SIGHUP
	sigs <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("run did not stop within 4s of SIGTERM")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// String is what was written, if the underlying writer is a Stringer.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.w.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}

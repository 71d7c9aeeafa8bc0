package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/internal/mailtest"
	"ticketd/internal/pgtest"
	"ticketd/internal/testclock"
	"ticketd/store"
	"ticketd/ticket"
)

// runDaemonUntil runs the daemon of config file p, appends mails to the
// support mailbox and waits until the database holds tickets tickets with
// an acknowledgement each.
func runDaemonUntil(t *testing.T, p string, sys *mailtest.System, tickets int, mails ...[]byte) {
	t.Helper()
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := daemon.New(ctx, cfg, daemon.Options{Clock: testclock.Running(), Logger: newLogger(&strings.Builder{}, "error", "text"), ShutdownGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for _, m := range mails {
		if err := sys.Append("support@example.com", "INBOX", m); err != nil {
			t.Fatal(err)
		}
	}
	var ts []*ticket.Ticket
	var sent int
	mailtest.Eventually(t, fmt.Sprintf("%d tickets, acknowledged", tickets), 15*time.Second, func() bool {
		d.DB().View(ctx, func(tx *store.Tx) (err error) {
			if ts, err = tx.Tickets(store.TicketFilter{}); err != nil {
				return err
			}
			items, err := tx.AllOutbox()
			sent = 0
			for _, it := range items {
				if it.Kind == "ack" && it.Status == ticket.OutboxSent {
					sent++
				}
			}
			return err
		})
		return len(ts) == tickets && sent == tickets
	}, func() string { return fmt.Sprintf("%d tickets, %d acknowledgements sent", len(ts), sent) })
	cancel()
	<-done
}

// TestMigrate_copiesADeskToPostgresWhereItRunsOn: a desk the daemon filled
// on SQLite is copied with `migrate --from sqlite:… --to postgres:…`,
// verified, refused a second time; the admin commands and the daemon then
// run on PostgreSQL, numbering on after the copied tickets.
func TestMigrate_copiesADeskToPostgresWhereItRunsOn(t *testing.T) {
	pg := pgtest.Start(t)
	sys := mailtest.StartSystem(t)
	if err := sys.AddUser("support@example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	b, _ := os.ReadFile(p)
	cfgText := strings.NewReplacer("127.0.0.1:1143", sys.IMAPAddr, "127.0.0.1:1025", sys.SMTPAddr, `password = "x"`, `password = "pw"`).Replace(string(b))
	os.WriteFile(p, []byte(cfgText), 0o600)
	for _, args := range [][]string{
		{"customers", "add", "--name", "Acme", "--plan", "standard", "--region", "CH-ZH"},
		{"contacts", "add", "--customer", "Acme", "--email", "ops@acme.example", "--tz", "Europe/Zurich"},
	} {
		if _, errOut, code := run(t, nil, append(args, "--config", p)...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	newAcme, _ := os.ReadFile("../../testdata/daemon/new-acme.eml")
	mail := func(n int) []byte {
		return []byte(strings.Replace(strings.Replace(string(newAcme), "Message-ID: <", fmt.Sprintf("Message-ID: <copy%d.", n), 1),
			"Subject: ", fmt.Sprintf("Subject: [%d] ", n), 1))
	}
	runDaemonUntil(t, p, sys, 2, mail(1), mail(2))

	sqlitePath := filepath.Join(dir, "ticketd.db")
	dsn := pg.NewDatabase(t)
	out, errOut, code := run(t, nil, "migrate", "--from", "sqlite:"+sqlitePath, "--to", "postgres:"+dsn)
	if code != 0 {
		t.Fatalf("migrate --from --to: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"raw_messages", "tickets", "outbox_bodies", "rows (sqlite)", "checksum (postgres)", "verified: every table"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate output lacks %q:\n%s", want, out)
		}
	}
	if testing.Verbose() {
		t.Logf("migrate output:\n%s", out)
	}
	if _, errOut, code := run(t, nil, "migrate", "--from", "sqlite:"+sqlitePath, "--to", "postgres:"+dsn); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("a second copy into the same database: exit %d, %s", code, errOut)
	}
	out, _, code = run(t, nil, "migrate", "--from", "sqlite:"+sqlitePath, "--to", pg.NewDatabase(t), "--json")
	var js struct {
		Verified bool `json:"verified"`
		Tables   []struct {
			Table      string `json:"table"`
			SourceRows int64  `json:"source_rows"`
			TargetRows int64  `json:"target_rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &js); code != 0 || err != nil || !js.Verified || len(js.Tables) < 15 {
		t.Errorf("migrate --json: exit %d, %v: %s", code, err, out)
	}

	// The desk on PostgreSQL.
	pgConfig := filepath.Join(dir, "pg.toml")
	pgText := strings.Replace(cfgText, `path = "`+sqlitePath+`"`, "driver = \"postgres\"\ndsn = \""+dsn+"\"", 1)
	os.WriteFile(pgConfig, []byte(pgText), 0o600)
	if out, errOut, code := run(t, nil, "tickets", "list", "--config", pgConfig); code != 0 || !strings.Contains(out, "[1]") || !strings.Contains(out, "[2]") {
		t.Fatalf("tickets list on PostgreSQL: exit %d %s\n%s", code, errOut, out)
	}
	if out, _, code := run(t, nil, "migrate", "--config", pgConfig); code != 0 || !strings.Contains(out, "up to date") || strings.Contains(out, "password") {
		t.Errorf("migrate on PostgreSQL: exit %d %s", code, out)
	}
	if _, errOut, code := run(t, nil, "backup", filepath.Join(dir, "b.db"), "--config", pgConfig); code != 1 || !strings.Contains(errOut, "pg_dump") {
		t.Errorf("backup on PostgreSQL: exit %d %s", code, errOut)
	}
	runDaemonUntil(t, pgConfig, sys, 3, mail(3))
	out, _, _ = run(t, nil, "tickets", "show", "3", "--config", pgConfig)
	if !strings.Contains(out, "[3]") {
		t.Errorf("the ticket made on PostgreSQL is not number 3:\n%s", out)
	}
}

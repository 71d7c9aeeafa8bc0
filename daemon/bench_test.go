package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/desk"
	"ticketd/ticket"
)

// benchDaemon is a Daemon on a real SQLite file in b.TempDir(), with the
// harness's customers and no loops running: the benchmark drives the
// pipeline directly. The per-sender auto-reply limit is lifted so every
// mail costs the same (an acknowledgement each).
func benchDaemon(b *testing.B) *Daemon {
	b.Helper()
	cfg := config.Default()
	cfg.File = "(bench)"
	cfg.Store.Path = filepath.Join(b.TempDir(), "ticketd.db")
	cfg.IMAP = config.IMAP{Address: "127.0.0.1:1", Security: "none", Username: testSupport, Auth: "plain", Mailbox: "INBOX",
		PollInterval: config.Duration{Duration: time.Second}, Processed: "leave", Secret: config.Secret{Password: testPassword}}
	cfg.SMTP = config.SMTP{Address: "127.0.0.1:1", Security: "none"}
	cfg.Support = config.Support{Address: testSupport, Name: "Example Support"}
	cfg.Staff = config.Staff{Addresses: []string{"erin@example.com"}, Zone: "UTC"}
	cfg.Routing = []config.Route{{Levels: []string{"P0", "P1"}, To: []string{"oncall@example.com"}},
		{Levels: []string{"P2", "P3", "P4"}, To: []string{"team@example.com"}}}
	cfg.Limits.AutoRepliesPerSenderPerHour = 1 << 30
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	d, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	ctx := context.Background()
	dir := desk.Directory{DB: d.DB(), Plans: d.Plans()}
	for _, c := range []struct {
		cu       ticket.Customer
		contacts []ticket.Contact
	}{
		{ticket.Customer{Name: "Acme", Plan: "standard", Region: "CH-ZH", Language: "en"}, []ticket.Contact{
			{Email: "ops@acme.example", Name: "Acme Ops", TZ: "Europe/Zurich"}}},
		{ticket.Customer{Name: "Globex", Plan: "premium", Region: "DE", Language: "de"}, []ticket.Contact{
			{Email: "it@globex.example", Name: "Globex IT", TZ: "Europe/Berlin"}}},
	} {
		cu := c.cu
		if err := dir.AddCustomer(ctx, &cu); err != nil {
			b.Fatal(err)
		}
		for _, ct := range c.contacts {
			if _, err := dir.AddContact(ctx, desk.NewContact{Customer: cu.Name, Contact: ct}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return d
}

const benchMail = `From: Acme Ops <ops@acme.example>
To: support@example.com
Subject: Production down: license server unreachable
Date: Mon, 02 Mar 2026 08:10:00 +0100
Message-ID: <%d.bench@acme.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello support team,

Since this morning around 07:40 our operators cannot reach the license
server, and every client shows a licence error. We restarted the service
twice; nothing changed on our side since Friday. No workaround, 40 users wait.

Best regards
Acme Ops
-- 
Acme Ops, Tel. +41 44 000 00 00

On Fri, 27 Feb 2026, Support wrote:
%s`

// BenchmarkStoreAndProcess is the per-mail database work of the pipeline
// on a real file: the intake sink's StoreRaw transaction, then the
// processing transaction (parse, verify sender, classify, thread, SLA,
// ticket, messages, acknowledgement and alert in the outbox).
func BenchmarkStoreAndProcess(b *testing.B) {
	for _, quoted := range []int{1, 60} {
		raw := func(n int) []byte {
			q := strings.Repeat("> We will look into the clock drift on the license server and come back to you.\n", quoted)
			return []byte(strings.ReplaceAll(fmt.Sprintf(benchMail, n, q), "\n", "\r\n"))
		}
		b.Run(fmt.Sprintf("new_ticket_%dKB", (len(raw(0))+512)>>10), func(b *testing.B) {
			d := benchDaemon(b)
			ctx := context.Background()
			b.SetBytes(int64(len(raw(0))))
			b.ReportAllocs()
			uid := uint32(0)
			for b.Loop() {
				uid++
				if _, err := d.DB().Store(ctx, intakeFetched("INBOX", 1, uid, raw(int(uid)))); err != nil {
					b.Fatal(err)
				}
				if n, err := d.Desk().ProcessPending(ctx); err != nil || n != 1 {
					b.Fatalf("processed %d: %v", n, err)
				}
			}
		})
	}
}

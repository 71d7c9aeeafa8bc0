package bench

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/store"
	"ticketd/ticket"
)

// TestPrefill_writesWhatPipedMailLeaves prefills a small database and
// checks its shape: every ticket with its raw mail (processed), messages,
// sent outbox rows with bytes only inside keep_sent, and no reminder due
// in the past left for the daemon to send.
func TestPrefill_writesWhatPipedMailLeaves(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.File = "(test)"
	cfg.Store.Path = filepath.Join(t.TempDir(), "p.db")
	cfg.IMAP = config.IMAP{Address: "127.0.0.1:1", Security: "none", Username: "support@example.com", Mailbox: "INBOX", Secret: config.Secret{Password: "x"}}
	cfg.SMTP = config.SMTP{Address: "127.0.0.1:1", Security: "none"}
	cfg.Support = config.Support{Address: "support@example.com", Name: "Example Support"}
	cfg.Routing = []config.Route{{Levels: []string{"P0", "P1", "P2", "P3", "P4"}, To: []string{"team@example.com"}}}
	d, err := daemon.New(ctx, cfg, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := &runner{d: d, gen: NewGenerator(1, "support@example.com", 40)}
	if err := r.seed(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	now := time.Now().UTC()
	start := time.Now()
	if err := prefill(ctx, d.DB(), d.Plans(), r.prefillGenerator(), n, now, cfg.Outbox.KeepSent.Duration); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tickets in %s", n, time.Since(start))
	err = d.DB().View(ctx, func(tx *store.Tx) error {
		ts, err := tx.Tickets(store.TicketFilter{})
		if err != nil {
			return err
		}
		if len(ts) != n {
			t.Errorf("%d tickets, want %d", len(ts), n)
		}
		if ids, _ := tx.UnprocessedRaw(10); len(ids) > 0 {
			t.Errorf("prefilled raw mail left unprocessed: %v", ids)
		}
		if due, _ := tx.DueReminders(now, 10); len(due) > 0 {
			t.Errorf("reminders due in the past left to send: %+v", due)
		}
		if due, _ := tx.DueOutbox(now, 10); len(due) > 0 {
			t.Errorf("outbox rows left to send")
		}
		old, recent := ts[len(ts)-1], ts[0]
		if old.CreatedAt.After(now.Add(-360*24*time.Hour)) || recent.CreatedAt.Before(now.Add(-24*time.Hour)) {
			t.Errorf("tickets span %s … %s, want the year before now", old.CreatedAt, recent.CreatedAt)
		}
		for _, tk := range []*ticket.Ticket{old, recent} {
			msgs, _ := tx.Messages(tk.ID)
			out, _ := tx.OutboxForTicket(tk.ID)
			if len(msgs) < 3 || len(out) < 2 || out[0].Status != ticket.OutboxSent {
				t.Errorf("ticket #%d: %d messages, %d outbox rows", tk.Number, len(msgs), len(out))
			}
			for _, o := range out {
				it, _ := tx.OutboxItemByID(o.ID)
				if keep := now.Sub(it.SentAt) < cfg.Outbox.KeepSent.Duration; keep != (len(it.Data) > 0) {
					t.Errorf("ticket #%d %s sent %s: %d bytes kept", tk.Number, it.Kind, it.SentAt, len(it.Data))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

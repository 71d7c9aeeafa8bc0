package daemon

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/testclock"
	"ticketd/store"
)

// spaceUsed reads how much of the database file is in use and how many
// bytes the raw mail takes as stored.
func spaceUsed(t *testing.T, path string) (inUse, raw int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages, free, size, inline, chunks int64
	for q, to := range map[string]*int64{`PRAGMA page_count`: &pages, `PRAGMA freelist_count`: &free, `PRAGMA page_size`: &size,
		`SELECT COALESCE(SUM(LENGTH(data)), 0) FROM raw_messages`: &inline, `SELECT COALESCE(SUM(LENGTH(data)), 0) FROM raw_chunks`: &chunks} {
		if err := db.QueryRow(q).Scan(to); err != nil {
			t.Fatal(err)
		}
	}
	return (pages - free) * size, inline + chunks
}

// smallContactMail is an 830-byte plain mail from a contact, as the field
// measurement of issue 13 used.
func smallContactMail(i int, from string) string {
	m := fmt.Sprintf("Return-Path: <%[2]s>\nFrom: Acme Ops <%[2]s>\nTo: Support <support@example.com>\nSubject: Export job %[1]d fails with a timeout\n"+
		"Date: Mon, 23 Nov 2026 09:00:00 +0100\nMessage-ID: <growth.%[1]d.4f2a9c@acme.example>\nMIME-Version: 1.0\nUser-Agent: Mozilla Thunderbird 128.3.1\n"+
		"Content-Type: text/plain; charset=utf-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n"+
		"Hello support team,\n\nsince this morning around 07:40 our nightly export job %[1]d fails with a timeout after 30 minutes, "+
		"and the morning reports are empty. We restarted the service twice and checked the firewall rules; nothing changed on our side.\n\n"+
		"Could you please have a look?\n\nBest regards\nAcme Ops\n", i, from)
	return m + strings.Repeat(" ", max(0, 830-len(m)-1)) + "\n"
}

// TestGrowth_830ByteMailCostsAtMost6KBATicket pipes 400 small contact
// mails into tickets (acknowledgement and alert each) and measures what
// the database grew by beyond the raw mail, once maintenance has pruned
// the delivered bodies (keep_sent) and the rate-limit rows: issue 13's
// budget is 6 KB a ticket (15 KB before it).
func TestGrowth_830ByteMailCostsAtMost6KBATicket(t *testing.T) {
	if testing.Short() {
		t.Skip("pipes 400 mails")
	}
	clock := testclock.Fake()
	h := newHarness(t, withClock(clock), withStore(store.SQLite), withConfig(func(c *config.Config) {
		c.Limits.AutoRepliesPerSenderPerHour = 0     // every mail is acknowledged
		c.Limits.AlertFoldWindow = config.Duration{} // and alerted
	}))
	const n = 400
	before, rawBefore := spaceUsed(t, h.cfg.Store.Path)
	for i := range n {
		from := []string{"ops@acme.example", "dev@acme.example", "it@globex.example"}[i%3]
		h.deliver(uint32(i+1), smallContactMail(i, from))
		if i%50 == 49 {
			h.runOnce()
		}
	}
	h.runOnce()
	mustf(t, len(h.tickets()) == n, "want %d tickets, got %d", n, len(h.tickets()))
	clock.Advance(h.cfg.Outbox.KeepSent.Duration + 49*time.Hour)
	if _, err := h.d.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, rawAfter := spaceUsed(t, h.cfg.Store.Path)
	raw := rawAfter - rawBefore
	perTicket := float64(after-before-raw) / n
	t.Logf("%.0f bytes a ticket beyond its raw mail, raw mail %.0f bytes stored (830 fetched)", perTicket, float64(raw)/n)
	if testing.Verbose() {
		logTableSizes(t, h.cfg.Store.Path, n)
	}
	mustf(t, perTicket <= 6*1024, "%.0f bytes a ticket beyond the raw mail, budget 6 KB", perTicket)
}

// logTableSizes logs each table's and index's pages per ticket (SQLite's
// dbstat), to see where the bytes go.
func logTableSizes(t *testing.T, path string, tickets int) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if r, err := db.Query(`SELECT direction, kind, COUNT(*), AVG(LENGTH(body)), AVG(LENGTH(new_text)), AVG(LENGTH(subject)+LENGTH(message_id)+LENGTH(refs)+LENGTH(in_reply_to)+LENGTH(to_addrs)+LENGTH(sender_reason)) FROM messages GROUP BY 1, 2`); err == nil {
		for r.Next() {
			var dir, kind string
			var n int
			var body, newText, other float64
			r.Scan(&dir, &kind, &n, &body, &newText, &other)
			t.Logf("messages %s %s: %d rows, body %.0f, new_text %.0f, headers %.0f bytes", dir, kind, n, body, newText, other)
		}
		r.Close()
	}
	rows, err := db.Query(`SELECT name, SUM(pgsize), SUM(payload), SUM(unused), COUNT(*) FROM dbstat GROUP BY name ORDER BY 2 DESC`)
	if err != nil {
		t.Logf("dbstat: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var size, payload, unused, pages int64
		rows.Scan(&name, &size, &payload, &unused, &pages)
		t.Logf("%-32s %6.0f bytes/ticket (payload %5.0f, unused %5.0f) %d pages", name, float64(size)/float64(tickets), float64(payload)/float64(tickets), float64(unused)/float64(tickets), pages)
	}
}

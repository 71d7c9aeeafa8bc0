package daemon

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/mailstack"
	"ticketd/internal/mailtest"
	"ticketd/store"
)

// TestDovecot_acknowledgementThroughIDLE runs the daemon against a real
// Dovecot (skipped when it is not installed, unless TICKETD_REQUIRE_MAILSTACK
// is set): a mail delivered over LMTP is fetched through IDLE, not by
// polling, and acknowledged.
func TestDovecot_acknowledgementThroughIDLE(t *testing.T) {
	dc := mailstack.StartDovecot(t, mailstack.User{Name: testSupport, Password: testPassword})
	srv := mailtest.StartSMTP(t, nil)
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(func(c *config.Config) {
		c.IMAP.Address = dc.IMAPAddr
		c.IMAP.Processed = "move"
		c.IMAP.MoveTo = "Processed"
		// Polling this rarely cannot explain an acknowledgement within seconds.
		c.IMAP.PollInterval = config.Duration{Duration: 10 * time.Minute}
	}))
	h.start()
	// After the first check the client idles: mail delivered from now on
	// can only be seen through IDLE.
	mailtest.Eventually(t, "the first check of the mailbox", waitTimeout, func() bool { return !h.d.intake.Status().LastFetch.IsZero() })

	start := time.Now()
	if err := dc.Deliver(testSupport, []byte(strings.ReplaceAll(readTestdata(t, "new-acme.eml"), "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	var latency time.Duration
	mailtest.Eventually(t, "the acknowledgement", waitTimeout, func() bool {
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == "ops@acme.example" {
				latency = time.Since(start)
				return true
			}
		}
		return false
	})
	t.Logf("Dovecot LMTP delivery → acknowledgement accepted by SMTP: %v", latency)
	mustf(t, h.d.intake.Status().IdleSupported, "Dovecot advertises IDLE; the client should use it")
	mustf(t, len(h.tickets()) == 1, "want one ticket")
	// processed = move: the mail left INBOX for Processed once stored.
	mailtest.Eventually(t, "the mail to be moved to Processed", waitTimeout, func() bool {
		out, err := dc.Doveadm("mailbox", "status", "-u", testSupport, "messages", "Processed")
		return err == nil && strings.Contains(out, "messages=1")
	})
}

// mimeBomb is the hostile mail of issue 11 from a known contact: a line of
// text, then multiparts nested depth deep (20,000 deep is 1.4 MB).
func mimeBomb(depth int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Acme Ops <ops@acme.example>\r\nTo: support@example.com\r\nSubject: Logs attached\r\n" +
		"Message-ID: <bomb@acme.example>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n" +
		"--b0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOur server is down, logs attached.\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nthe bottom\r\n", depth-1)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.Bytes()
}

// TestDovecot_mimeBombThenNormalMail: a 1.4 MB mail of 20,000 nested
// multiparts used to keep a core busy for minutes inside the IMAP sink,
// so the mail after it waited too. Now the bomb is kept raw, flagged and
// ticketed on what could be read, and the next mail is acknowledged
// promptly.
func TestDovecot_mimeBombThenNormalMail(t *testing.T) {
	dc := mailstack.StartDovecot(t, mailstack.User{Name: testSupport, Password: testPassword})
	srv := mailtest.StartSMTP(t, nil)
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(func(c *config.Config) {
		c.IMAP.Address = dc.IMAPAddr
		c.IMAP.Processed = "move"
		c.IMAP.MoveTo = "Processed"
		c.IMAP.PollInterval = config.Duration{Duration: 10 * time.Minute}
	}))
	bomb := mimeBomb(20000)
	if err := dc.Deliver(testSupport, bomb); err != nil {
		t.Fatal(err)
	}
	if err := dc.Deliver(testSupport, []byte(strings.ReplaceAll(readTestdata(t, "new-globex.eml"), "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.start()
	acked := func(to string) func() bool {
		return func() bool {
			for _, m := range srv.Messages() {
				if len(m.To) == 1 && m.To[0] == to {
					return true
				}
			}
			return false
		}
	}
	mailtest.Eventually(t, "the acknowledgement of the mail after the bomb", time.Minute, acked("it@globex.example"))
	t.Logf("bomb and a normal mail in the backlog → normal mail acknowledged after %v", time.Since(start))
	mailtest.Eventually(t, "the bomb's acknowledgement", time.Minute, acked("ops@acme.example"))

	var bombMsg *store.Message
	var rawData []byte
	err := h.d.DB().View(context.Background(), func(tx *store.Tx) error {
		ts, err := tx.Tickets(store.TicketFilter{})
		if err != nil {
			return err
		}
		for _, tk := range ts {
			ms, err := tx.Messages(tk.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.MessageID == "bomb@acme.example" {
					bombMsg = m
				}
			}
		}
		if bombMsg == nil {
			return nil
		}
		return tx.WithRawData(bombMsg.RawID, func(data []byte) error { rawData = bytes.Clone(data); return nil })
	})
	mustf(t, err == nil && bombMsg != nil, "no ticket holds the bomb (err %v)", err)
	mustf(t, bombMsg.Malformed && strings.Contains(strings.Join(bombMsg.ParseErrors, "\n"), "limits.max_mime_depth"),
		"bomb not flagged: malformed %v, parse errors %q", bombMsg.Malformed, bombMsg.ParseErrors)
	mustf(t, strings.Contains(bombMsg.Body, "Our server is down"), "bomb's readable text missing: %q", bombMsg.Body)
	// LMTP delivery puts Return-Path, Delivered-To and Received on top.
	mustf(t, bytes.HasSuffix(rawData, bomb), "stored raw bomb is %d bytes and does not end with the %d delivered", len(rawData), len(bomb))
}

// TestDovecot_moveToRefusedIsToldOnceAndMailIsStillAcknowledged: when the
// server will not create move_to (here Dovecot refuses the name, as
// Courier and Cyrus refused "Processed"), ticketd used to retry the
// session forever without reading mail. Now the mail is read, ticketed
// and acknowledged, left in INBOX, and the admin is told once.
func TestDovecot_moveToRefusedIsToldOnceAndMailIsStillAcknowledged(t *testing.T) {
	dc := mailstack.StartDovecot(t, mailstack.User{Name: testSupport, Password: testPassword})
	srv := mailtest.StartSMTP(t, nil)
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(withHTTP), withConfig(func(c *config.Config) {
		c.IMAP.Address = dc.IMAPAddr
		c.IMAP.Processed = "move"
		c.IMAP.MoveTo = "~Processed"
	}))
	if err := dc.Deliver(testSupport, []byte(strings.ReplaceAll(readTestdata(t, "new-acme.eml"), "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	h.start()
	mailtest.Eventually(t, "the acknowledgement", time.Minute, func() bool {
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == "ops@acme.example" {
				return true
			}
		}
		return false
	})
	code, hh := getHealth(t, h)
	detail := hh.Checks["imap"].Detail
	mustf(t, code == 200 && strings.Contains(detail, `cannot be moved to "~Processed"`) && strings.Contains(detail, "Invalid mailbox name"),
		"health %d, imap detail %q", code, detail)
	for range 3 {
		h.d.checkIncidents(context.Background())
	}
	notices := 0
	for _, it := range h.outbox() {
		if bytes.Contains(it.Data, []byte("Processed mail stays in the mailbox")) {
			notices++
		}
	}
	mustf(t, notices == 1, "want one admin notice, got %d", notices)
	out, err := dc.Doveadm("mailbox", "status", "-u", testSupport, "messages", "INBOX")
	mustf(t, err == nil && strings.Contains(out, "messages=1"), "INBOX: %s %v, want the mail left there", out, err)
}

// TestDovecot_twoInboxesTwoAccountsEachAnsweredFromItself reads two
// Dovecot accounts whose INBOXes have their own UIDs (the same UIDs, even
// the same UIDVALIDITY can occur): each mail is fetched once, ticketed and
// answered from the inbox it came in through.
func TestDovecot_twoInboxesTwoAccountsEachAnsweredFromItself(t *testing.T) {
	dc := mailstack.StartDovecot(t, mailstack.User{Name: testSupport, Password: testPassword},
		mailstack.User{Name: "security@example.com", Password: testPassword})
	srv := mailtest.StartSMTP(t, nil)
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(func(c *config.Config) {
		c.IMAP.Address = dc.IMAPAddr
		c.Inboxes = []config.Inbox{{Name: "security", Address: "security@example.com", DisplayName: "Example Security",
			IMAP: config.IMAP{Username: "security@example.com"}}}
	}))
	h.start()
	mail := func(id, to, subject string) []byte {
		raw := strings.Replace(customerMail(id, "Acme Ops <ops@acme.example>", subject, "Please have a look."), "To: support@example.com", "To: "+to, 1)
		return []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	}
	if err := dc.Deliver(testSupport, mail("a-1@acme.example", testSupport, "Invoice question")); err != nil {
		t.Fatal(err)
	}
	if err := dc.Deliver("security@example.com", mail("b-1@acme.example", "security@example.com", "Suspicious login alert")); err != nil {
		t.Fatal(err)
	}
	from := map[string]string{}
	mailtest.Eventually(t, "both acknowledgements", waitTimeout, func() bool {
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == "ops@acme.example" {
				subj := m.Header.Get("Subject")
				from[subj] = m.Header.Get("From")
			}
		}
		return len(from) == 2
	})
	for subj, f := range from {
		want := "<support@example.com>"
		if strings.Contains(subj, "Suspicious") {
			want = "<security@example.com>"
		}
		mustf(t, strings.Contains(f, want), "ack %q came from %q, want %s", subj, f, want)
	}
	ts := h.tickets()
	mustf(t, len(ts) == 2, "want two tickets, got %d", len(ts))
	var cps []string
	h.d.DB().View(context.Background(), func(tx *store.Tx) error {
		for _, key := range []string{"INBOX", store.MailboxKey("security", "INBOX")} {
			c, err := tx.Checkpoint(key)
			if err != nil {
				return err
			}
			cps = append(cps, fmt.Sprintf("%s=%d", key, c.LastUID))
		}
		return nil
	})
	mustf(t, strings.Join(cps, " ") == "INBOX=1 security:INBOX=1", "checkpoints %v", cps)
}

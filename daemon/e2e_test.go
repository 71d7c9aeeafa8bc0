package daemon

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailtest"
	"ticketd/notify"
	"ticketd/store"
	"ticketd/ticket"
)

// outOfOffice is an auto-reply to one of our mails, as Exchange writes it.
func outOfOffice(inReplyTo string) string {
	return fmt.Sprintf(`Return-Path: <>
From: Acme Dev <dev@acme.example>
To: support@example.com
Subject: Automatic reply: your request
Date: Fri, 20 Nov 2026 16:25:00 +0100
Message-ID: <ooo-1@acme.example>
In-Reply-To: <%s>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday.
`, inReplyTo)
}

func bodyOf(t *testing.T, m *sentMail) string { return m.Text }

func TestEndToEnd_threeMailsTwoTicketsAcknowledgedOverIMAPAndSMTP(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.appendMail(readTestdata(t, "new-acme.eml"))
	h.appendMail(readTestdata(t, "new-globex.eml"))
	h.appendMail(readTestdata(t, "reply-acme.eml"))
	h.waitProcessed(3)

	ts := h.tickets()
	mustf(t, len(ts) == 2, "want 2 tickets, got %d", len(ts))
	acme := h.ticket(1)
	mustf(t, acme.Requester == "ops@acme.example" && acme.MessageCount >= 2, "ticket 1: %+v", acme)
	mustf(t, acme.CustomerName == "Acme" && acme.Plan == "standard" && acme.Level != "", "ticket 1 customer/plan/level: %+v", acme)

	acks := h.sentTo("ops@acme.example")
	mustf(t, len(acks) == 1, "want one acknowledgement to ops@acme.example, got %d", len(acks))
	ack := acks[0]
	checks := map[string]string{
		"From":                     `"Example Support" <support@example.com>`,
		"To":                       "<ops@acme.example>",
		"In-Reply-To":              "<export-1@acme.example>",
		"Auto-Submitted":           "auto-replied",
		"X-Auto-Response-Suppress": "All",
		ticket.LoopHeader:          testSupport,
	}
	for k, want := range checks {
		if got := ack.Header.Get(k); !strings.Contains(got, strings.Trim(want, "<>")) {
			t.Errorf("ack header %s = %q, want %q", k, got, want)
		}
	}
	subject, _ := new(mimeWordDecoder).DecodeHeader(ack.Header.Get("Subject"))
	mustf(t, subject == "[Ticket#1] Nightly export job fails with a timeout", "ack subject %q", subject)
	mustf(t, strings.Contains(ack.Header.Get("References"), "<export-1@acme.example>"), "References %q", ack.Header.Get("References"))
	mustf(t, strings.Contains(ack.Header.Get("Content-Type"), "multipart/alternative"), "ack Content-Type %q", ack.Header.Get("Content-Type"))
	mustf(t, strings.Contains(ack.Header.Get("Reply-To"), "support+t1."), "Reply-To carries the ticket token: %q", ack.Header.Get("Reply-To"))

	// The German customer is answered in German.
	de := h.sentTo("it@globex.example")
	mustf(t, len(de) == 1, "want one acknowledgement to it@globex.example, got %d", len(de))
	mustf(t, strings.Contains(bodyOf(t, de[0]), "Ticketnummer 2"), "German acknowledgement expected")

	// An out-of-office answering our acknowledgement joins the ticket and gets no answer.
	before := len(h.sys.Messages())
	h.appendMail(outOfOffice(strings.Trim(ack.Header.Get("Message-Id"), "<>")))
	h.waitProcessed(4)
	mustf(t, len(h.tickets()) == 2, "out-of-office must not open a ticket")
	mustf(t, len(h.sentTo("dev@acme.example")) == 0, "out-of-office must not be answered")
	mustf(t, len(h.sys.Messages()) == before, "out-of-office must send nothing (no alert either): %d → %d", before, len(h.sys.Messages()))
}

func TestRestart_sameDatabaseDuplicatesNothing(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.appendMail(readTestdata(t, "new-acme.eml"))
	h.appendMail(readTestdata(t, "new-globex.eml"))
	h.waitProcessed(2)
	sent := len(h.sys.Messages())

	h.restart()
	restarted := h.clock.Now()
	h.start()
	mailtest.Eventually(t, "a fetch after the restart", waitTimeout, func() bool { return h.d.intake.Status().LastFetch.After(restarted) })
	h.appendMail(readTestdata(t, "reply-acme.eml"))
	h.waitProcessed(3)
	mustf(t, len(h.tickets()) == 2, "restart: want 2 tickets, got %d", len(h.tickets()))
	mustf(t, len(h.sentTo("ops@acme.example")) == 1, "restart: acknowledgement sent again")
	// The reply alerts the engineers once more, nothing else.
	mustf(t, len(h.sys.Messages()) == sent+1, "restart: %d mails before, %d after (want one more: the follow-up alert)", sent, len(h.sys.Messages()))
}

func TestUIDValidityChange_refetchDuplicatesNothing(t *testing.T) {
	h := newHarness(t)
	h.start()
	mails := []string{readTestdata(t, "new-acme.eml"), readTestdata(t, "new-globex.eml")}
	for _, m := range mails {
		h.appendMail(m)
	}
	h.waitProcessed(2)
	sent := len(h.sys.Messages())
	var before ticket.Checkpoint
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { before, err = tx.Checkpoint("INBOX"); return err })

	h.stop()
	if err := h.sys.RecreateMailbox(testSupport, "INBOX"); err != nil {
		t.Fatal(err)
	}
	for _, m := range mails { // restored from a backup: same mails, new UIDs
		h.appendMail(m)
	}
	h.start()
	mailtest.Eventually(t, "the checkpoint to move to the new UIDVALIDITY", waitTimeout, func() bool {
		var c ticket.Checkpoint
		h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { c, err = tx.Checkpoint("INBOX"); return err })
		return c.UIDValidity != before.UIDValidity && c.LastUID == 2
	})
	h.waitProcessed(2)
	mustf(t, len(h.tickets()) == 2, "UIDVALIDITY change: want 2 tickets, got %d", len(h.tickets()))
	mustf(t, len(h.sys.Messages()) == sent, "UIDVALIDITY change: %d mails sent before, %d after", sent, len(h.sys.Messages()))
}

func TestSMTP_temporaryFailureIsRetriedUntilDelivered(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	srv.FailData(451, 1)
	h := newHarness(t, withSMTP(srv.Addr()))
	h.d.worker.Retry = notify.Retry{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond}
	h.start()
	h.appendMail(readTestdata(t, "new-acme.eml"))
	got := srv.WaitFor(t, 2, 10*time.Second) // acknowledgement and alert
	var ack *mailtest.Message
	for i := range got {
		if len(got[i].To) == 1 && got[i].To[0] == "ops@acme.example" {
			ack = &got[i]
		}
	}
	mustf(t, ack != nil, "acknowledgement not delivered after 451")
	var items []*ticket.OutboxItem
	mailtest.Eventually(t, "every outbox row marked sent", waitTimeout, func() bool {
		items = h.outbox()
		for _, it := range items {
			if it.Status != ticket.OutboxSent {
				return false
			}
		}
		return len(items) == 2
	})
	retried := 0
	for _, it := range items {
		mustf(t, it.Status == ticket.OutboxSent, "outbox %s is %s (%s)", it.Kind, it.Status, it.LastError)
		if it.Attempts > 1 {
			retried++
		}
	}
	mustf(t, retried == 1, "want exactly one mail retried after the 451, got %d", retried)
}

func TestSMTP_permanentFailureIsRecordedOnTheTicketAndAdminsAlerted(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	srv.FailRcpt("ops@acme.example", 550, -1)
	h := newHarness(t, withSMTP(srv.Addr()))
	h.start()
	h.appendMail(readTestdata(t, "new-acme.eml"))
	mailtest.Eventually(t, "the admin notice about the failed acknowledgement", waitTimeout, func() bool {
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == "admin@example.com" {
				return true
			}
		}
		return false
	})
	var items []*ticket.OutboxItem
	var events []store.Event
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) {
		if items, err = tx.OutboxForTicket(1); err != nil {
			return err
		}
		events, err = tx.Events(1)
		return err
	})
	var ack *ticket.OutboxItem
	for _, it := range items {
		if it.Kind == "ack" {
			ack = it
		}
	}
	mustf(t, ack != nil && ack.Status == ticket.OutboxFailed && strings.Contains(ack.LastError, "550"), "ack outbox row: %+v", ack)
	found := false
	for _, e := range events {
		found = found || e.Kind == "delivery-failed"
	}
	mustf(t, found, "no delivery-failed event on ticket 1: %+v", events)
}

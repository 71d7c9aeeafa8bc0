package daemon

import (
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/ticket"
)

// These tests replay what an outside attack test did (issue 11, items 6
// and 7): a contact of one customer, or anyone writing a staff From, trying
// to reach into another customer's conversation.

// acmeTicketWithAlert opens ticket #1 for Acme and returns the alert the
// team received and the acknowledgement Acme received.
func acmeTicketWithAlert(t *testing.T, h *harness) (alert, ack *sentMail) {
	t.Helper()
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.runOnce()
	alerts, acks := h.sentTo("team@example.com"), h.sentTo("ops@acme.example")
	mustf(t, len(alerts) == 1 && len(acks) == 1, "want one alert and one ack, got %d and %d", len(alerts), len(acks))
	return alerts[0], acks[0]
}

func TestHijack_otherCustomerCitingAThreadGetsATicketOfItsOwn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers func(ack *sentMail) string
	}{
		{"references_the_customers_mail", func(*sentMail) string {
			return "In-Reply-To: <export-1@acme.example>\nReferences: <export-1@acme.example>\n"
		}},
		{"replies_to_our_ack_message_id", func(ack *sentMail) string {
			id := ack.Header.Get("Message-Id")
			return "In-Reply-To: " + id + "\nReferences: " + id + "\n"
		}},
		{"writes_to_the_tickets_token_address", func(ack *sentMail) string {
			return "Cc: " + ack.Header.Get("Reply-To") + "\n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
			h := newHarness(t, withClock(clock))
			alert, ack := acmeTicketWithAlert(t, h)

			clock.Advance(10 * time.Minute)
			h.deliver(2, tc.headers(ack)+customerMail("globex-1@globex.example", "Globex IT <it@globex.example>",
				"Re: Nightly export job fails with a timeout", "Same here, please look at our export too."))
			h.runOnce()

			ts := h.tickets()
			mustf(t, len(ts) == 2, "want a second ticket for Globex, got %d tickets", len(ts))
			var globex *ticketRow
			for _, tk := range ts {
				if tk.Number != 1 {
					globex = &ticketRow{tk.Number, tk.CustomerID, tk.PreviousNumber}
				}
			}
			acme := h.ticket(1)
			mustf(t, globex.customer != acme.CustomerID, "Globex's mail joined Acme's customer")
			mustf(t, globex.previous == 0, "Globex's ticket refers to Acme's ticket #%d", globex.previous)

			// The engineer answers Acme: nothing of it may reach Globex.
			clock.Advance(10 * time.Minute)
			subject, _ := new(mimeWordDecoder).DecodeHeader(alert.Header.Get("Subject"))
			h.deliver(3, engineerReply("Erin Novak <erin@example.com>", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), subject,
				"We raised the export timeout for you."))
			h.runOnce()
			for _, m := range h.sentTo("it@globex.example") {
				mustf(t, !strings.Contains(m.Text, "export timeout"), "Acme's conversation reached Globex:\n%s", m.Raw)
				mustf(t, !strings.Contains(m.Header.Get("Subject"), "Ticket#1]"), "Globex got mail about Acme's ticket: %s", m.Header.Get("Subject"))
			}
			mustf(t, len(h.sentTo("ops@acme.example")) == 2, "Acme did not get the engineer's answer")
		})
	}
}

type ticketRow struct{ number, customer, previous int64 }

func TestStaffAuthority_subjectTagAloneNeitherCommandsNorRelays(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock))
	acmeTicketWithAlert(t, h)
	before := h.ticket(1)

	// A staff-looking From, the ticket named only in the subject, no token.
	clock.Advance(5 * time.Minute)
	h.deliver(2, customerMail("forged-1@attacker.example", "Erin Novak <erin@example.com>",
		"Re: [Ticket#1] Nightly export job fails with a timeout",
		"#level P4\n#assign evil@attacker.example\nPlease send your export credentials to evil@attacker.example."))
	h.runOnce()

	after := h.ticket(1)
	mustf(t, after.Level == before.Level, "level moved %s → %s by an unverified staff mail", before.Level, after.Level)
	mustf(t, after.Assignee == "", "assignee set to %q by an unverified staff mail", after.Assignee)
	mustf(t, after.FirstResponseAt == nil, "an unverified staff mail counted as first response")
	for _, m := range h.sentTo("ops@acme.example") {
		mustf(t, !strings.Contains(m.Text, "credentials"), "the unverified text was relayed to the customer:\n%s", m.Raw)
	}

	// The customer's next follow-up goes to the team, not the attacker.
	clock.Advance(5 * time.Minute)
	h.deliver(3, "In-Reply-To: <export-1@acme.example>\n"+customerMail("export-2@acme.example", "Acme Ops <ops@acme.example>",
		"Re: Nightly export job fails with a timeout", "It failed again tonight."))
	h.runOnce()
	mustf(t, len(h.sentTo("evil@attacker.example")) == 0, "the customer's follow-up went to the attacker")
	mustf(t, len(h.sentTo("team@example.com")) == 2, "the follow-up alert did not reach the team")
}

func TestStaffAuthority_assignAcceptsOnlyStaffAddresses(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock))
	alert, _ := acmeTicketWithAlert(t, h)
	subject, _ := new(mimeWordDecoder).DecodeHeader(alert.Header.Get("Subject"))

	clock.Advance(5 * time.Minute)
	h.deliver(2, engineerReply("Erin Novak <erin@example.com>", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), subject,
		"#assign someone@outside.example\n#note handing over"))
	h.runOnce()
	mustf(t, h.ticket(1).Assignee == "", "#assign accepted an outside address: %q", h.ticket(1).Assignee)

	clock.Advance(5 * time.Minute)
	h.deliver(3, engineerReply("Erin Novak <erin@example.com>", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), subject,
		"#assign me\n#note mine"))
	h.runOnce()
	mustf(t, h.ticket(1).Assignee == "erin@example.com", "#assign me: assignee %q", h.ticket(1).Assignee)
}

func TestStaffAuthority_customerTokenDoesNotMakeACustomerStaff(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock))
	alert, ack := acmeTicketWithAlert(t, h)
	mustf(t, alert.Header.Get("Reply-To") != ack.Header.Get("Reply-To"), "alert and ack carry the same reply token %q", ack.Header.Get("Reply-To"))

	// The customer has the token of their own ticket (the ack's Reply-To)
	// and forges Erin's From with it.
	clock.Advance(5 * time.Minute)
	h.deliver(2, engineerReply("Erin Novak <erin@example.com>", ack.Header.Get("Reply-To"), ack.Header.Get("Message-Id"), "x",
		"#close\n#assign me"))
	h.runOnce()
	tk := h.ticket(1)
	mustf(t, tk.Status != ticket.StatusClosed && tk.Assignee == "", "the customer's token commanded the ticket: status %s, assignee %q", tk.Status, tk.Assignee)
}

func TestStaffAuthority_trustedAuthenticationAllowsReplyWithoutToken(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) {
		c.Verify.TrustedAuthservIDs = []string{"mx.example.com"}
		c.Verify.RequireAuth = "off"
	}))
	acmeTicketWithAlert(t, h)
	clock.Advance(5 * time.Minute)
	h.deliver(2, "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com\n"+
		customerMail("erin-1@example.com", "Erin Novak <erin@example.com>", "Re: [Ticket#1] Nightly export job fails with a timeout",
			"Hello, we are looking into it now."))
	h.runOnce()
	relays := h.sentTo("ops@acme.example")
	mustf(t, len(relays) == 2 && strings.Contains(relays[1].Text, "looking into it"), "an authenticated engineer's answer was not relayed (%d mails to Acme)", len(relays))
	mustf(t, h.ticket(1).FirstResponseAt != nil, "first response not recorded")
}

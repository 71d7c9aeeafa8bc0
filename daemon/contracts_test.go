package daemon

import (
	"context"
	"strings"
	"testing"
	"ticketd/internal/mailtest"
	"time"

	"ticketd/config"
	"ticketd/desk"
	"ticketd/store"
	"ticketd/ticket"
)

// What the seed contracts need (issue 15), end to end: real IMAP and SMTP
// sockets (internal/mailtest), real SQLite, a fake clock where hours
// matter.

func TestInboxes_mailToASecondInboxIsAnsweredFromThatInbox(t *testing.T) {
	h := newHarness(t, withConfig(func(c *config.Config) {
		c.Inboxes = []config.Inbox{{Name: "security", Address: "security@example.com", DisplayName: "Example Security",
			IMAP:    config.IMAP{Username: "security@example.com"},
			Routing: []config.Route{{Levels: []string{"P0", "P1", "P2", "P3", "P4"}, To: []string{"secteam@example.com"}}}}}
	}))
	if err := h.sys.AddUser("security@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	h.start()
	raw := strings.ReplaceAll(customerMail("vuln-1@acme.example", "Acme Ops <ops@acme.example>", "Possible XSS in the portal",
		"We found a reflected XSS in the search page of the customer portal."), "\n", "\r\n")
	raw = strings.Replace(raw, "To: support@example.com", "To: security@example.com", 1)
	if err := h.sys.Append("security@example.com", "INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	h.waitProcessed(1)
	tk := h.ticket(1)
	mustf(t, tk.Inbox == "security", "ticket recorded inbox %q, want security", tk.Inbox)
	acks := h.sentTo("ops@acme.example")
	mustf(t, len(acks) == 1, "want one acknowledgement, got %d", len(acks))
	from, _ := new(mimeWordDecoder).DecodeHeader(acks[0].Header.Get("From"))
	mustf(t, strings.Contains(from, "<security@example.com>") && strings.Contains(from, "Example Security"), "ack From %q", from)
	mustf(t, strings.Contains(acks[0].Header.Get("Reply-To"), "security+t1."), "ack Reply-To %q", acks[0].Header.Get("Reply-To"))
	mustf(t, len(h.sentTo("secteam@example.com")) == 1 && len(h.sentTo("team@example.com")) == 0, "the inbox's routing was not used")
	var ts []*ticket.Ticket
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) {
		ts, err = tx.Tickets(store.TicketFilter{Inbox: "security"})
		return err
	})
	mustf(t, len(ts) == 1, "tickets list --inbox security: %d", len(ts))

	// The same mail sent to both inboxes (Cc) makes one ticket: the second
	// copy is recognised by its Message-ID when it is fetched.
	both := strings.ReplaceAll(customerMail("both-1@acme.example", "Acme Ops <ops@acme.example>", "Login page slow",
		"The login page takes 20 seconds."), "\n", "\r\n")
	both = strings.Replace(both, "To: support@example.com", "To: support@example.com\r\nCc: security@example.com", 1)
	h.sys.Append("support@example.com", "INBOX", []byte(both))
	h.sys.Append("security@example.com", "INBOX", []byte(both))
	mailtest.Eventually(t, "both inboxes to fetch the copy", waitTimeout, func() bool {
		return h.d.inboxes[0].client.Status().LastStoredUID == 1 && h.d.inboxes[1].client.Status().LastStoredUID == 2
	})
	h.waitProcessed(2)
	mustf(t, len(h.tickets()) == 2, "a mail Cc'd to two inboxes made %d tickets in all, want 2", len(h.tickets()))
}

// at is an instant in Zurich.
func at(t *testing.T, s string) time.Time { return zurich(t, s) }

// alertsTo counts the alerts (not reminders) addr received.
func alertsTo(h *harness, addr string) int {
	n := 0
	for _, m := range h.sentTo(addr) {
		if strings.HasPrefix(m.Header.Get("Message-Id"), "<alert.") {
			n++
		}
	}
	return n
}

func TestDesignatedEngineer_alertedInTheirHoursRouteOtherwise(t *testing.T) {
	clock := ticket.NewFakeClock(at(t, "2026-11-23 10:00")) // Monday
	h := newHarness(t, withClock(clock))
	dir := desk.Directory{DB: h.d.DB(), Plans: h.d.Plans()}
	dse, hours := "dse@example.com", "office"
	if _, err := dir.SetCustomer(context.Background(), "Acme", desk.CustomerChange{Engineer: &dse, EngineerHours: &hours}); err != nil {
		t.Fatal(err)
	}
	h.deliver(1, customerMail("in-hours@acme.example", "Acme Ops <ops@acme.example>", "Report empty", "The weekly report is empty."))
	h.runOnce()
	mustf(t, alertsTo(h, dse) == 1 && alertsTo(h, "team@example.com") == 0, "in hours: %d alerts to the DSE, %d to the team",
		alertsTo(h, dse), alertsTo(h, "team@example.com"))

	clock.Set(at(t, "2026-11-23 21:00")) // Monday evening, outside office hours
	h.deliver(2, customerMail("evening@acme.example", "Acme Ops <ops@acme.example>", "Export slow", "The export is slow tonight."))
	h.runOnce()
	mustf(t, alertsTo(h, dse) == 1 && alertsTo(h, "team@example.com") == 1, "outside hours: %d alerts to the DSE, %d to the team",
		alertsTo(h, dse), alertsTo(h, "team@example.com"))
}

func TestOnCall_P0P1OutsideHoursGoToOnCall(t *testing.T) {
	clock := ticket.NewFakeClock(at(t, "2026-11-24 10:00")) // Tuesday
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) {
		c.Staff.Zone = "Europe/Zurich"
		c.Routing = []config.Route{
			{Levels: []string{"P0", "P1"}, To: []string{"team@example.com"}, When: "business", Calendar: "office"},
			{Levels: []string{"P0", "P1"}, To: []string{"pikett@example.com"}, When: "outside", Calendar: "office"},
			{Levels: []string{"P2", "P3", "P4"}, To: []string{"team@example.com"}},
		}
	}))
	down := "Our production webshop is down for all customers since 10 minutes, nobody can order. No workaround."
	h.deliver(1, customerMail("p0-day@acme.example", "Acme Ops <ops@acme.example>", "Webshop down", down))
	h.runOnce()
	mustf(t, h.ticket(1).Level == ticket.P0 || h.ticket(1).Level == ticket.P1, "test mail rated %s, want P0/P1", h.ticket(1).Level)
	mustf(t, alertsTo(h, "team@example.com") == 1 && alertsTo(h, "pikett@example.com") == 0, "in hours the P0 did not go to the team")

	clock.Set(at(t, "2026-11-24 23:30"))
	h.deliver(2, customerMail("p0-night@acme.example", "Acme Ops <ops@acme.example>", "Webshop down again", down))
	h.runOnce()
	mustf(t, alertsTo(h, "pikett@example.com") == 1 && alertsTo(h, "team@example.com") == 1, "outside hours the P0 did not page on-call (team %d, pikett %d)",
		alertsTo(h, "team@example.com"), alertsTo(h, "pikett@example.com"))
}

func TestHours_timeSummedPerCustomerAndWarnedOnceAt80Percent(t *testing.T) {
	clock := ticket.NewFakeClock(at(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock))
	dir := desk.Directory{DB: h.d.DB(), Plans: h.d.Plans()}
	dse, two, month := "dse@example.com", 2.0, "month"
	if _, err := dir.SetCustomer(context.Background(), "Acme", desk.CustomerChange{Engineer: &dse, IncludedHours: &two, IncludedPer: &month}); err != nil {
		t.Fatal(err)
	}
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.runOnce()
	alerts := h.sentTo(dse)
	mustf(t, len(alerts) == 1, "want the alert at the DSE, got %d", len(alerts))
	a := alerts[0]
	reply := func(uid uint32, body string) {
		clock.Advance(10 * time.Minute)
		h.deliver(uid, engineerReply("Erin Novak <erin@example.com>", a.Header.Get("Reply-To"), a.Header.Get("Message-Id"), "x", body))
		h.runOnce()
	}
	warnings := func() int {
		n := 0
		for _, m := range h.sentTo(dse) {
			if strings.Contains(m.Header.Get("Subject"), "included hours") {
				n++
			}
		}
		return n
	}
	reply(2, "#time 45m\n#note looked at the logs")
	reply(3, "#time 30m\nWe found the cause; a fix follows.")
	mustf(t, warnings() == 0, "warned at 1h15 of 2h (62 %%)? %d warnings", warnings())
	for _, m := range h.sentTo("ops@acme.example") {
		mustf(t, !strings.Contains(m.Text, "#time"), "#time reached the customer:\n%s", m.Text)
	}
	reply(4, "#time 0:30\n#note config change") // 1h45 = 87 %
	mustf(t, warnings() == 1, "want one warning when passing 80 %%, got %d", warnings())
	reply(5, "#time 5m\n#note more") // 1h50 = 91 %
	mustf(t, warnings() == 1, "warned again at 80 %% in the same period: %d", warnings())
	reply(6, "#time 10m\n#note done") // 2h = 100 %
	mustf(t, warnings() == 2, "no warning at 100 %%: %d", warnings())
	reply(7, "#time 30m\n#note beyond")
	mustf(t, warnings() == 2, "warned again in the same period: %d", warnings())

	var used int
	h.d.DB().View(context.Background(), func(tx *store.Tx) error {
		cu, _ := tx.CustomerByName("Acme")
		var err error
		used, err = tx.MinutesSince(cu.ID, at(t, "2026-11-01 00:00"), at(t, "2026-12-01 00:00"))
		return err
	})
	mustf(t, used == 150, "logged %d minutes, want 150", used)

	// A new month starts from zero: 80 % warns on its own.
	clock.Set(at(t, "2026-12-01 09:00"))
	reply(8, "#time 1h40m\n#note December work")
	mustf(t, warnings() == 3, "no warning at 83 %% of December: %d", warnings())
	last := h.sentTo(dse)[len(h.sentTo(dse))-1]
	mustf(t, strings.Contains(last.Text, "1h 40m of the 2h included per month"), "warning text:\n%s", last.Text)
}

func TestDigest_onScheduleExactlyOnceAcrossRestart_andStatusAnswersOnlyOwnCustomer(t *testing.T) {
	clock := ticket.NewFakeClock(at(t, "2026-11-23 07:00")) // Monday, before 08:00 Zurich
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) { c.Digest.Weekly = "mon 08:00" }))
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.deliver(2, readTestdata(t, "new-globex.eml"))
	h.runOnce()
	digests := func(addr string) []*sentMail {
		var out []*sentMail
		for _, m := range h.sentTo(addr) {
			if strings.Contains(m.Header.Get("Message-Id"), "digest.") {
				out = append(out, m)
			}
		}
		return out
	}
	// Last week's instant (Monday 16 November 08:00) is long past on the
	// first start: no stale digest.
	mustf(t, len(digests("ops@acme.example")) == 0, "a week-old digest went out at the first start")
	first := 0

	clock.Set(at(t, "2026-11-23 08:01"))
	h.runOnce()
	mustf(t, len(digests("ops@acme.example")) == first+1, "no digest at Monday 08:00 (%d)", len(digests("ops@acme.example")))
	got := digests("ops@acme.example")[first]
	mustf(t, strings.Contains(got.Text, "[Ticket#1]") && !strings.Contains(got.Text, "[Ticket#2]"), "Acme's digest lists:\n%s", got.Text)

	h.restart()
	clock.Advance(time.Hour)
	h.runOnce()
	mustf(t, len(digests("ops@acme.example")) == first+1, "the digest was sent again after a restart")

	clock.Set(at(t, "2026-11-30 08:00"))
	h.runOnce()
	mustf(t, len(digests("ops@acme.example")) == first+2, "no digest the next Monday")

	// A contact asks with "status": their own customer's tickets only.
	h.deliver(3, customerMail("status-1@acme.example", "Acme Dev <dev@acme.example>", "Status", "Which tickets are open?"))
	h.runOnce()
	ds := digests("dev@acme.example")
	mustf(t, len(ds) == 1, "no answer to the status mail (%d)", len(ds))
	mustf(t, strings.Contains(ds[0].Text, "[Ticket#1]") && !strings.Contains(ds[0].Text, "[Ticket#2]") && !strings.Contains(ds[0].Text, "Globex"),
		"the status answer leaks another customer's tickets:\n%s", ds[0].Text)
	mustf(t, len(h.tickets()) == 2, "the status mail opened a ticket")
	h.deliver(4, customerMail("status-2@globex.example", "Globex IT <it@globex.example>", "AW: Statut", "?"))
	h.runOnce()
	gs := digests("it@globex.example") // Globex is on the schedule too: the answer is the last
	mustf(t, len(gs) > 0, "no answer to Globex's status mail")
	answer := gs[len(gs)-1]
	mustf(t, strings.Contains(answer.Text, "[Ticket#2]") && !strings.Contains(answer.Text, "[Ticket#1]") &&
		!strings.Contains(answer.Header.Get("Subject"), "Wochenübersicht"), "Globex's answer:\n%s", answer.Text)
}

package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailtest"
)

// vacation answers every mail addressed to alice, every time (no
// per-sender period), so a mail loop would not be damped by Sieve.
const vacationScript = `require ["vacation", "vacation-seconds"];
vacation :seconds 0 :subject "Out of office" :addresses ["alice@example.org"] "I am away until Monday.";
`

// TestLoops_vacationResponderAndAutomatedMail: a customer with an
// out-of-office responder writes in, gets the acknowledgement and later an
// engineer's answer (which her responder does answer); over 60 s the mails
// in each direction stay bounded. Automated mail of every kind gets no
// answer.
func TestLoops_vacationResponderAndAutomatedMail(t *testing.T) {
	const alice, bob, md = "alice@example.org", "bob@example.org", "mailer-daemon@example.org"
	const window, bound = 60 * time.Second, 3
	s := newStack(t, stackOptions{sieve: map[string]string{alice: vacationScript}})
	s.startDaemon()

	// The responder is live: a person writing to alice gets an answer.
	probe := msg{From: "probe@example.org", To: alice, Subject: "lunch?", MessageID: "probe-1@example.org", Body: "Lunch on Friday?\n"}
	if err := s.sendErr("probe@example.org", []string{alice}, probe.bytes()); err != nil {
		t.Fatal(err)
	}
	mailtest.Eventually(t, "alice's vacation answer to the probe", 20*time.Second, func() bool {
		for _, m := range s.mailbox("probe@example.org") {
			if strings.Contains(m.Subject, "Out of office") {
				return true
			}
		}
		return false
	})

	// alice writes to support; the loop window starts.
	t0 := time.Now()
	first := newMail("Alice <"+alice+">", "loop-1@example.org", "Printing from the web client fails")
	s.send(alice, first.bytes())
	s.waitAck(alice, first.MessageID, 20*time.Second)
	// The engineer answers (human mail: alice's responder will answer it).
	var alert *gotMail
	mailtest.Eventually(t, "the engineer alert", 20*time.Second, func() bool {
		for _, m := range fromSupport(s.mailbox(eng)) {
			if strings.HasPrefix(m.Subject, "[Ticket#1]") {
				m := m
				alert = &m
				return true
			}
		}
		return false
	})
	s.engineerReply(t, alert.Header.Get("Reply-To"), alert, "Hello Alice,\n\nplease try printing from the desktop client meanwhile.\n")

	// While the window runs: automated mail of every kind, from bob and
	// from mailer-daemon, none of which may be answered.
	type auto struct {
		name, envFrom string
		m             msg
	}
	dsnBody := "This is a MIME-encapsulated message.\n\n--BOUND\nContent-Type: text/plain\n\nDelivery to bob failed.\n\n--BOUND\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; nobody@example.com\nAction: failed\nStatus: 5.1.1\n\n--BOUND--\n"
	autos := []auto{
		{"Auto-Submitted: auto-generated", bob, msg{From: bob, Subject: "Disk usage report", Headers: []string{"Auto-Submitted: auto-generated"}}},
		{"Precedence: bulk", bob, msg{From: bob, Subject: "Weekly newsletter", Headers: []string{"Precedence: bulk"}}},
		{"List-Id", bob, msg{From: bob, Subject: "[ops-list] outage discussion", Headers: []string{"List-Id: Ops <ops.lists.example.org>"}}},
		{"X-Auto-Response-Suppress: All", bob, msg{From: bob, Subject: "Meeting accepted", Headers: []string{"X-Auto-Response-Suppress: All"}}},
		{"empty Return-Path", "", msg{From: bob, Subject: "Mail with a null return path", Headers: []string{"Return-Path: <>"}}},
		{"From MAILER-DAEMON", md, msg{From: "Mail Delivery System <MAILER-DAEMON@example.org>", Subject: "Undelivered Mail Returned to Sender"}},
		{"DSN multipart/report", "", msg{From: "MAILER-DAEMON@example.org", Subject: "Delivery Status Notification (Failure)",
			Headers: []string{"MIME-Version: 1.0", "Content-Type: multipart/report; report-type=delivery-status; boundary=\"BOUND\""}, Body: dsnBody}},
		{"X-Ticketd-Loop: ours", bob, msg{From: bob, Subject: "Re: [Ticket#1] looped back", Headers: []string{"X-Ticketd-Loop: " + support}}},
	}
	for i := range autos {
		a := &autos[i]
		a.m.To = support
		a.m.MessageID = fmt.Sprintf("auto-%d@example.org", i)
		if a.m.Body == "" {
			a.m.Body = "This message was generated automatically: " + a.name + ".\n"
		}
		s.send(a.envFrom, a.m.bytes())
	}
	for _, a := range autos {
		mailtest.Eventually(t, "the "+a.name+" mail to be processed", 30*time.Second, func() bool { return s.processed(a.m.MessageID) })
	}

	// Count both directions over the whole window, failing early on a loop.
	count := func() (toAlice, fromAlice int) {
		toAlice = len(fromSupport(s.mailbox(alice)))
		for _, m := range s.mailbox(support) {
			if strings.Contains(strings.ToLower(m.From), alice) {
				fromAlice++
			}
		}
		return
	}
	var toAlice, fromAlice int
	for time.Since(t0) < window {
		toAlice, fromAlice = count()
		if toAlice > bound || fromAlice > bound {
			break
		}
		// A loop shows only over time: sample through the whole window
		// (pacing, not a wait for a state).
		time.Sleep(time.Second)
	}
	toAlice, fromAlice = count()
	t.Logf("over %v: support → alice %d mails, alice → support %d mails (bound %d)", time.Since(t0).Round(time.Second), toAlice, fromAlice, bound)
	loops := 0
	if toAlice > bound || fromAlice > bound {
		loops = 1
		t.Errorf("mail loop between support and alice's vacation responder: %d mails to alice, %d from alice within %v", toAlice, fromAlice, window)
	}
	vacationSeen := false
	for _, m := range s.mailbox(support) {
		if strings.Contains(m.Subject, "Out of office") {
			vacationSeen = true
		}
	}
	t.Logf("alice's responder answered the engineer's relayed mail: %v", vacationSeen)

	s.waitQuiet(2+len(autos), 30*time.Second)
	if got := fromSupport(s.mailbox(bob)); len(got) != 0 {
		for _, m := range got {
			t.Errorf("automated mail answered: %q to bob (In-Reply-To %s)", m.Subject, m.InReplyTo)
		}
	}
	if got := s.mailbox(md); len(got) != 0 {
		for _, m := range got {
			t.Errorf("mail sent to mailer-daemon: %q", m.Subject)
		}
	}
	record(figures{Scenario: "loops (vacation)", Sent: 2 + len(autos), Tickets: len(s.tickets()), Quarantine: len(s.quarantine()),
		Acks: len(fromSupport(s.mailbox(alice))) + len(fromSupport(s.mailbox(bob))), Loops: loops, Panics: s.panics(),
		Note: fmt.Sprintf("%v: →alice %d, alice→ %d; %d automated unanswered", window, toAlice, fromAlice, len(autos))})
}

// TestLoops_perSenderLimit: with auto_replies_per_sender_per_hour = 3, five
// new mails from one contact make five tickets and three acknowledgements.
func TestLoops_perSenderLimit(t *testing.T) {
	const dave = "dave@example.org"
	s := newStack(t, stackOptions{autoRepliesPerHour: 3})
	s.startDaemon()
	for i := range 5 {
		m := newMail(dave, fmt.Sprintf("limit-%d@example.org", i), fmt.Sprintf("Separate problem number %d", i+1))
		s.send(dave, m.bytes())
	}
	s.waitQuiet(5, 60*time.Second)
	ts := s.tickets()
	acks := fromSupport(s.mailbox(dave))
	t.Logf("5 mails from one contact: %d tickets, %d acknowledgements", len(ts), len(acks))
	if len(ts) != 5 {
		t.Errorf("%d tickets, want 5", len(ts))
	}
	if len(acks) != 3 {
		t.Errorf("%d acknowledgements, want 3 (the per-sender limit)", len(acks))
	}
	record(figures{Scenario: "per-sender limit 3", Sent: 5, Tickets: len(ts), Quarantine: len(s.quarantine()), Acks: len(acks), Panics: s.panics()})
}

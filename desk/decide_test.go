package desk

import (
	"slices"
	"strings"
	"testing"
	"time"

	"ticketd/classify"
	"ticketd/store"
	"ticketd/ticket"
)

// The desk's decisions, table-tested without a database.

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestDecideInbound(t *testing.T) {
	const acme, globex = 1, 2
	closedAgo := func(d time.Duration) *time.Time { c := now.Add(-d); return &c }
	open := &ticket.Ticket{ID: 10, Number: 1, CustomerID: acme, Status: ticket.StatusOpen}
	other := &ticket.Ticket{ID: 20, Number: 2, CustomerID: globex, Status: ticket.StatusOpen}
	closedRecently := &ticket.Ticket{ID: 30, Number: 3, CustomerID: acme, Status: ticket.StatusClosed, ClosedAt: closedAgo(24 * time.Hour)}
	closedLongAgo := &ticket.Ticket{ID: 40, Number: 4, CustomerID: acme, Status: ticket.StatusClosed, ClosedAt: closedAgo(30 * 24 * time.Hour)}
	cand := func(t *ticket.Ticket, via string) threadCandidate { return threadCandidate{t, via} }
	for _, tc := range []struct {
		name       string
		f          inboundFacts
		want       action
		ticket     int64 // number of the ticket acted on, 0 for none
		previous   int64
		refusedNos []int64
	}{
		{"new_mail_from_a_contact", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: acme}, actNewTicket, 0, 0, nil},
		{"follow_up_by_references", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: acme,
			Candidates: []threadCandidate{cand(open, viaReferences)}}, actFollowUp, 1, 0, nil},
		{"duplicate_first", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: acme, AlreadyProcessed: true,
			Candidates: []threadCandidate{cand(open, viaToken)}}, actDuplicate, 0, 0, nil},
		{"spoofed_names_a_ticket", inboundFacts{Sender: ticket.SenderSpoofed, SenderCustomer: acme,
			Candidates: []threadCandidate{cand(open, viaStaffToken)}}, actQuarantineSpoofed, 0, 0, nil},
		{"other_customer_opens_its_own", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: globex,
			Candidates: []threadCandidate{cand(open, viaReferences)}}, actNewTicket, 0, 0, []int64{1}},
		{"other_customers_ticket_skipped_for_own", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: globex,
			Candidates: []threadCandidate{cand(open, viaToken), cand(other, viaReferences)}}, actFollowUp, 2, 0, []int64{1}},
		{"reopen_within_reopen_days", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: acme, ReopenDays: 14,
			Candidates: []threadCandidate{cand(closedRecently, viaSubject)}}, actFollowUp, 3, 0, nil},
		{"continuation_after_reopen_days", inboundFacts{Sender: ticket.SenderContact, SenderCustomer: acme, ReopenDays: 14,
			Candidates: []threadCandidate{cand(closedLongAgo, viaReferences)}}, actNewTicket, 0, 4, nil},
		{"engineer_with_staff_token", inboundFacts{Sender: ticket.SenderStaff,
			Candidates: []threadCandidate{cand(open, viaStaffToken)}}, actEngineerReply, 1, 0, nil},
		{"engineer_by_subject_only", inboundFacts{Sender: ticket.SenderStaff,
			Candidates: []threadCandidate{cand(open, viaSubject)}}, actStaffNote, 1, 0, nil},
		{"engineer_authenticated_by_subject", inboundFacts{Sender: ticket.SenderStaff, Authenticated: true,
			Candidates: []threadCandidate{cand(open, viaSubject)}}, actEngineerReply, 1, 0, nil},
		{"engineer_naming_nothing", inboundFacts{Sender: ticket.SenderStaff}, actStaffUnmatched, 0, 0, nil},
		{"unknown_with_a_token", inboundFacts{Sender: ticket.SenderUnknown,
			Candidates: []threadCandidate{cand(open, viaToken)}}, actQuarantineUnknown, 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Now = now
			dec := decideInbound(tc.f)
			var got int64
			if dec.Ticket != nil {
				got = dec.Ticket.Number
			}
			var refused []int64
			for _, r := range dec.Refused {
				refused = append(refused, r.Ticket.Number)
			}
			if dec.Action != tc.want || got != tc.ticket || dec.Previous != tc.previous || !slices.Equal(refused, tc.refusedNos) {
				t.Fatalf("decideInbound = %s on #%d (previous %d, refused %v); want %s on #%d (previous %d, refused %v)",
					dec.Action, got, dec.Previous, refused, tc.want, tc.ticket, tc.previous, tc.refusedNos)
			}
		})
	}
}

func TestDecideFollowUp(t *testing.T) {
	answered := now
	for _, tc := range []struct {
		name      string
		t         ticket.Ticket
		automated bool
		severity  ticket.Level
		want      followUpDecision
		status    ticket.Status
	}{
		{"open_ticket_alerts", ticket.Ticket{Status: ticket.StatusOpen, Level: ticket.P3}, false, ticket.P4,
			followUpDecision{Alert: true}, ticket.StatusOpen},
		{"raises_never_lowers", ticket.Ticket{Status: ticket.StatusOpen, Level: ticket.P3}, false, ticket.P1,
			followUpDecision{NewLevel: ticket.P1, Alert: true}, ticket.StatusOpen},
		{"reopens_closed", ticket.Ticket{Status: ticket.StatusClosed, Level: ticket.P3, FirstResponseAt: &answered, ClosedAt: &answered}, false, ticket.P3,
			followUpDecision{Reopened: true, StatusWhy: "reopened by customer follow-up", Alert: true}, ticket.StatusOpen},
		{"answers_waiting", ticket.Ticket{Status: ticket.StatusWaiting, Level: ticket.P3}, false, ticket.P3,
			followUpDecision{Reopened: true, StatusWhy: "customer answered: open", Alert: true}, ticket.StatusOpen},
		{"automated_changes_nothing", ticket.Ticket{Status: ticket.StatusClosed, Level: ticket.P3, ClosedAt: &answered}, true, ticket.P0,
			followUpDecision{}, ticket.StatusClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := tc.t
			got := decideFollowUp(&tk, tc.automated, tc.severity, false)
			if got != tc.want || tk.Status != tc.status {
				t.Fatalf("decideFollowUp = %+v (status %s), want %+v (status %s)", got, tk.Status, tc.want, tc.status)
			}
		})
	}
}

func TestAlertRoute(t *testing.T) {
	routes := append(testConfig().Routes,
		Route{Levels: []ticket.Level{ticket.P0, ticket.P1}, To: []string{"pikett@example.com"}, When: "outside", Calendar: "office"},
		Route{Levels: []ticket.Level{ticket.P0, ticket.P1}, To: []string{"day-team@example.com"}, When: "business", Calendar: "office"})
	inHours := routing{Routes: routes, Open: map[string]bool{"office": true}}
	atNight := routing{Routes: routes, Open: map[string]bool{"office": false}}
	withEngineer := routing{Routes: routes, Open: map[string]bool{"office": true}, Engineer: "dse@example.com"}
	for _, tc := range []struct {
		name     string
		r        routing
		t        ticket.Ticket
		followUp bool
		page     ticket.Level
		want     []string
	}{
		{"new_p3_to_team", inHours, ticket.Ticket{Level: ticket.P3}, false, "", []string{"team@example.com"}},
		{"new_p1_in_hours", inHours, ticket.Ticket{Level: ticket.P1}, false, "", []string{"oncall@example.com", "day-team@example.com"}},
		{"new_p1_at_night_to_on_call", atNight, ticket.Ticket{Level: ticket.P1}, false, "", []string{"oncall@example.com", "pikett@example.com"}},
		{"uncertain_p2_pages_as_p1", inHours, ticket.Ticket{Level: ticket.P2}, false, ticket.P1, []string{"oncall@example.com", "day-team@example.com"}},
		{"page_level_never_lowers", inHours, ticket.Ticket{Level: ticket.P1}, false, ticket.P3, []string{"oncall@example.com", "day-team@example.com"}},
		{"follow_up_to_assignee", withEngineer, ticket.Ticket{Level: ticket.P1, Assignee: "erin@example.com"}, true, "", []string{"erin@example.com"}},
		{"new_ticket_to_designated_engineer", withEngineer, ticket.Ticket{Level: ticket.P1, Assignee: "erin@example.com"}, false, "", []string{"dse@example.com"}},
		{"follow_up_without_assignee_to_engineer", withEngineer, ticket.Ticket{Level: ticket.P4}, true, "", []string{"dse@example.com"}},
		{"follow_up_without_assignee", inHours, ticket.Ticket{Level: ticket.P4}, true, ticket.P0, []string{"team@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, a := range alertRoute(tc.r, &tc.t, tc.followUp, tc.page) {
				got = append(got, a.Address)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("alertRoute = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideUnknownNotice(t *testing.T) {
	pass := classify.AuthVerdict{Checked: true, Pass: true}
	fail := classify.AuthVerdict{Checked: true, Fail: true, Detail: "dmarc=fail"}
	for _, tc := range []struct {
		name      string
		automated string
		trust     bool
		auth      classify.AuthVerdict
		l         replyLimits
		want      bool
		why       string
	}{
		{"plain_setup_answers", "", false, classify.AuthVerdict{}, replyLimits{}, true, ""},
		{"automated_never", "Auto-Submitted: auto-replied", false, pass, replyLimits{}, false, "automated"},
		{"forged_with_trust", "", true, fail, replyLimits{}, false, "did not authenticate"},
		{"unchecked_with_trust", "", true, classify.AuthVerdict{}, replyLimits{}, false, "did not authenticate"},
		{"authenticated_with_trust", "", true, pass, replyLimits{}, true, ""},
		{"once_a_day", "", false, pass, replyLimits{KindToday: 1, KindPerDay: 1}, false, "last 24 hours"},
		{"sender_hourly_cap", "", false, pass, replyLimits{PerSenderHour: 10, PerSenderHourLimit: 10}, false, "last hour"},
		{"global_hourly_cap", "", false, pass, replyLimits{KindAllHour: 20, KindAllHourLimit: 20}, false, "to anyone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := decideUnknownNotice("someone@x.example", tc.automated, tc.trust, tc.auth, tc.l)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Fatalf("decideUnknownNotice = %v %q, want %v %q", ok, why, tc.want, tc.why)
			}
		})
	}
}

func TestDecideEngineerReply(t *testing.T) {
	staff := func(a string) bool { return strings.HasSuffix(a, "@example.com") }
	for _, tc := range []struct {
		name string
		text string
		want engineerPlan
	}{
		{"answer_is_relayed_and_opens", "Hello, fixed.", engineerPlan{Relay: "Hello, fixed.", Status: ticket.StatusOpen}},
		{"note_stays_internal", "#note\nCalled them.", engineerPlan{Note: true}},
		{"level_and_answer", "#level P1\nWe are on it.", engineerPlan{Level: ticket.P1, Relay: "We are on it.", Status: ticket.StatusOpen}},
		{"close_with_answer_closes", "#close\nDone, closing.", engineerPlan{Status: ticket.StatusClosed, Relay: "Done, closing."}},
		{"waiting_without_text", "#waiting", engineerPlan{Status: ticket.StatusWaiting}},
		{"assign_me", "#assign me", engineerPlan{Assignee: "erin@example.com"}},
		{"assign_outsider_refused", "#assign evil@attacker.example", engineerPlan{Refused: []string{"#assign evil@attacker.example: not a staff address ([staff] addresses and domains)"}}},
		{"bad_level_refused", "#level urgent\nText", engineerPlan{Refused: []string{`#level urgent: unknown level "urgent" (want P0, P1, P2, P3 or P4)`}, Relay: "Text", Status: ticket.StatusOpen}},
		{"hash_later_is_text", "Use #close to close.", engineerPlan{Relay: "Use #close to close.", Status: ticket.StatusOpen}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decideEngineerReply(tc.text, "erin@example.com", staff)
			if got.Note != tc.want.Note || got.Level != tc.want.Level || got.Assignee != tc.want.Assignee ||
				got.Status != tc.want.Status || got.Relay != tc.want.Relay || !slices.Equal(got.Refused, tc.want.Refused) {
				t.Fatalf("decideEngineerReply(%q) = %+v, want %+v", tc.text, got, tc.want)
			}
		})
	}
}

func TestDecideFold(t *testing.T) {
	const window = 5 * time.Minute
	var f store.AlertFold
	f.Key = "ticket:1"
	var held []bool
	at := now
	for i := 0; i < 4; i++ {
		var h bool
		h, f = decideFold(f, at, window, 1, 1, true)
		held = append(held, h)
		at = at.Add(time.Second)
	}
	if !slices.Equal(held, []bool{false, true, true, true}) || f.Folded != 3 {
		t.Fatalf("a ticket's follow-ups within a window: held %v, folded %d", held, f.Folded)
	}
	// After the window the fold still counts until it is summed up.
	if h, g := decideFold(f, now.Add(window+time.Second), window, 1, 1, true); !h || g.Folded != 4 {
		t.Fatalf("a fold awaiting its summary let an alert through")
	}
	// A quiet fold starts a new window.
	quiet := store.AlertFold{Key: "ticket:1", WindowEnd: now, Sent: 1}
	if h, g := decideFold(quiet, now.Add(time.Minute), window, 1, 1, true); h || !g.WindowEnd.Equal(now.Add(time.Minute+window)) {
		t.Fatalf("a new window did not start: held %v, %+v", h, g)
	}
	// A sender's new tickets: the budget goes out, the rest are listed.
	s := store.AlertFold{Key: "sender:ops@acme.example"}
	var ids []int64
	for id := int64(1); id <= 5; id++ {
		var h bool
		if h, s = decideFold(s, now, window, 3, id, false); h {
			ids = append(ids, id)
		}
	}
	if !slices.Equal(ids, []int64{4, 5}) || !slices.Equal(s.TicketIDs, []int64{4, 5}) {
		t.Fatalf("held %v, remembered %v; want 4 and 5", ids, s.TicketIDs)
	}
}

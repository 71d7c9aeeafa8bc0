package integration

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailtest"
)

// TestCrash_sigkillWhileMailArrivesLosesAndDoublesNothing submits mails
// continuously through Postfix while the daemon is killed with SIGKILL at
// random (seeded) moments and restarted. Once quiet, every mail must be
// exactly one ticket or quarantine entry, no Message-ID twice, and every
// ticket acknowledged in its customer's mailbox; a duplicate
// acknowledgement (possible when the kill lands between the SMTP server's
// 250 and the outbox update) must carry the same Message-ID as the first.
func TestCrash_sigkillWhileMailArrivesLosesAndDoublesNothing(t *testing.T) {
	const total, kills = 60, 5
	seed := uint64(20261122)
	if v := os.Getenv("TICKETD_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (set TICKETD_CRASH_SEED to repeat or vary)", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	s := newStack(t, stackOptions{})
	s.startDaemon()

	// Mail i comes from a contact, every tenth from an unknown sender.
	type sentMail struct{ from, id string }
	var sent []sentMail
	for i := range total {
		from := contacts[i%len(contacts)]
		if i%10 == 9 {
			from = "mallory@example.org"
		}
		sent = append(sent, sentMail{from, fmt.Sprintf("crash-%02d-%d@example.org", i, seed)})
	}
	const spacing = 150 * time.Millisecond
	window := time.Duration(total) * spacing
	var killAt []time.Duration
	for range kills {
		killAt = append(killAt, time.Duration(rng.Int64N(int64(window-500*time.Millisecond)))+300*time.Millisecond)
	}
	sort.Slice(killAt, func(i, j int) bool { return killAt[i] < killAt[j] })
	t.Logf("kill offsets: %v", killAt)

	var mails []msg
	for i, m := range sent {
		mails = append(mails, msg{From: m.from, To: support, Subject: fmt.Sprintf("Crash test mail %d: export job failed", i), MessageID: m.id,
			Body: fmt.Sprintf("Mail %d of the crash test.\n", i)})
	}
	start, waitSent := s.submitPaced(mails, spacing)
	for _, at := range killAt {
		// Kill at the drawn offset (the schedule, not a wait for a state).
		if d := time.Until(start.Add(at)); d > 0 {
			time.Sleep(d)
		}
		s.killDaemon()
		s.startDaemon()
	}
	waitSent()
	t.Logf("%d mails submitted in %v with %d SIGKILLs", total, time.Since(start).Round(time.Millisecond), kills)

	wantTickets := 0
	for _, m := range sent {
		if m.from != "mallory@example.org" {
			wantTickets++
		}
	}
	s.waitQuiet(total, 120*time.Second)
	// Acks still travelling through Postfix are covered by waitQuiet's
	// queue check; wait for the mailboxes to show them all.
	ts := s.tickets()
	q := s.quarantine()
	if len(ts)+len(q) != total {
		t.Errorf("%d tickets + %d quarantine entries for %d mails", len(ts), len(q), total)
	}
	if len(ts) != wantTickets {
		t.Errorf("%d tickets, want %d (one per contact mail)", len(ts), wantTickets)
	}
	// Every Message-ID exactly once across the tickets.
	seen := map[string]int64{}
	ticketOf := map[string]int64{}
	for _, tk := range ts {
		sh := s.show(tk.Number)
		for _, m := range sh.Messages {
			if m.Direction != "in" {
				continue
			}
			id := trimID(m.MessageID)
			if prev, dup := seen[id]; dup {
				t.Errorf("Message-ID %s stored twice (tickets #%d and #%d)", id, prev, tk.Number)
			}
			seen[id] = tk.Number
			ticketOf[id] = tk.Number
		}
	}
	for _, m := range sent {
		if m.from == "mallory@example.org" {
			continue
		}
		if _, ok := seen[m.id]; !ok {
			t.Errorf("mail %s from %s is on no ticket (lost)", m.id, m.from)
		}
	}
	mq := 0
	for _, e := range q {
		if strings.Contains(e.From, "mallory@example.org") {
			mq++
		}
	}
	if mq != total-wantTickets {
		t.Errorf("%d quarantine entries from the unknown sender, want %d", mq, total-wantTickets)
	}

	// Acknowledgements in the customers' mailboxes, by the mail they answer.
	acksFor := map[string][]gotMail{}
	var ackCount int
	mailtest.Eventually(t, "an acknowledgement for every ticket in the customers' mailboxes", 60*time.Second, func() bool {
		acksFor = map[string][]gotMail{}
		ackCount = 0
		for _, c := range contacts {
			for _, m := range fromSupport(s.mailbox(c)) {
				acksFor[m.InReplyTo] = append(acksFor[m.InReplyTo], m)
				ackCount++
			}
		}
		for _, m := range sent {
			if m.from != "mallory@example.org" && len(acksFor[m.id]) == 0 {
				return false
			}
		}
		return true
	}, func() string {
		var missing []string
		for _, m := range sent {
			if m.from != "mallory@example.org" && len(acksFor[m.id]) == 0 {
				missing = append(missing, m.id)
			}
		}
		return fmt.Sprintf("no acknowledgement for %v", missing)
	})
	dups, dupDifferentID := 0, 0
	for id, acks := range acksFor {
		if len(acks) > 1 {
			dups += len(acks) - 1
			for _, a := range acks[1:] {
				if a.MessageID != acks[0].MessageID {
					dupDifferentID++
					t.Errorf("mail %s (ticket #%d) acknowledged twice with different Message-IDs %s and %s", id, ticketOf[id], acks[0].MessageID, a.MessageID)
				}
			}
		}
	}
	t.Logf("tickets %d, quarantine %d, acknowledgements %d, duplicate acknowledgements %d (same Message-ID: %d)",
		len(ts), len(q), ackCount, dups, dups-dupDifferentID)
	if !s.daemonAlive() {
		t.Errorf("daemon not running at the end")
	}
	p := s.panics()
	if p > 0 {
		t.Errorf("daemon logs show %d panics", p)
	}
	record(figures{Scenario: "crash (5×SIGKILL)", Sent: total, Tickets: len(ts), Quarantine: len(q), Acks: ackCount, Duplicates: dups, Panics: p,
		Note: fmt.Sprintf("seed %d, %d starts", seed, s.starts)})
}

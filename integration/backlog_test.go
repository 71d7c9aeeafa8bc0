package integration

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"ticketd/internal/mailtest"
)

// TestBacklog_10000WaitingMailsWithProcessedMove is the outage of issue
// 11: ticketd starts with 10,000 mails waiting and processed = move. It
// used to hang after the first batch of 100 and, after each restart, move
// one more batch and hang again. Every mail must become exactly one
// ticket, be acknowledged exactly once, and be moved out of INBOX.
func TestBacklog_10000WaitingMailsWithProcessedMove(t *testing.T) {
	const n = 10000
	s := newStack(t, stackOptions{processed: "move", moveTo: "Processed", autoRepliesPerHour: 100000,
		routeLevels: []string{"P0"}}) // 10,000 engineer alerts would only slow Postfix down
	raws := make([][]byte, n)
	for i := range raws {
		from := contacts[i%len(contacts)]
		m := msg{From: from, To: support, MessageID: fmt.Sprintf("backlog-%05d@example.org", i),
			Subject: fmt.Sprintf("Invoice %d shows the wrong VAT rate", i), Body: "Hello,\n\nplease check the VAT rate on this invoice.\n\nRegards\n"}
		raws[i] = m.bytes()
	}
	start := time.Now()
	if err := s.dc.DeliverMany(support, raws, 4); err != nil {
		t.Fatalf("fill INBOX: %v", err)
	}
	t.Logf("%d mails delivered to INBOX over LMTP in %v", n, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	s.startDaemon()
	var st dbStats
	last, lastChange := dbStats{}, time.Now()
	mailtest.Eventually(t, fmt.Sprintf("%d mails stored, processed and acknowledged", n), 4*time.Minute, func() bool {
		var err error
		if st, err = s.stats(); err != nil {
			return false
		}
		if st != last {
			last, lastChange = st, time.Now()
		}
		if time.Since(lastChange) > 30*time.Second {
			t.Fatalf("no progress for 30 s: %+v", st)
		}
		return st.raw >= n && st.unprocessed == 0 && st.pending == 0 && s.pf.QueueEmpty()
	}, func() string { return fmt.Sprintf("stats %+v", st) })
	took := time.Since(start)

	db, err := sql.Open("sqlite", "file:"+s.dbPath+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tickets, quarantined, inbound, distinctInbound int
	for q, dst := range map[string][]any{
		`SELECT COUNT(*) FROM tickets`:    {&tickets},
		`SELECT COUNT(*) FROM quarantine`: {&quarantined},
		`SELECT COUNT(*), COUNT(DISTINCT message_id) FROM messages WHERE direction = 'in'`: {&inbound, &distinctInbound},
	} {
		if err := db.QueryRow(q).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	acks, distinctAcks := 0, map[string]bool{}
	for _, c := range contacts {
		ids, err := s.inReplyTos(c)
		if err != nil {
			t.Fatalf("read %s's mailbox: %v", c, err)
		}
		acks += len(ids)
		for _, id := range ids {
			distinctAcks[id] = true
		}
	}
	dups := (inbound - distinctInbound) + (acks - len(distinctAcks))
	inboxLeft, moved := s.mailboxCount(support, "INBOX"), s.mailboxCount(support, "Processed")
	t.Logf("processed = move: %d waiting mails → %d tickets, %d acks, %d duplicates in %v (%.0f mails/s); INBOX %d, Processed %d",
		n, tickets, acks, dups, took.Round(time.Second), float64(n)/took.Seconds(), inboxLeft, moved)

	if tickets != n || quarantined != 0 || inbound != n {
		t.Errorf("%d tickets, %d quarantined, %d inbound messages; want %d, 0, %d", tickets, quarantined, inbound, n, n)
	}
	if acks != n || len(distinctAcks) != n || dups != 0 {
		t.Errorf("%d acks for %d distinct mails, %d duplicates; want %d, %d, 0", acks, len(distinctAcks), dups, n, n)
	}
	if inboxLeft != 0 || moved != n {
		t.Errorf("INBOX holds %d, Processed %d; want 0 and %d", inboxLeft, moved, n)
	}
	if s.starts != 1 || !s.daemonAlive() || s.panics() > 0 {
		t.Errorf("daemon: %d starts, alive %v, %d panics", s.starts, s.daemonAlive(), s.panics())
	}
	record(figures{Scenario: "backlog 10k, move", Sent: n, Tickets: tickets, Quarantine: quarantined, Acks: acks, Duplicates: dups,
		Panics: s.panics(), Note: fmt.Sprintf("%v from start to quiet", took.Round(time.Second))})
}

// inReplyTos returns the In-Reply-To (without <>) of every mail from the
// support address in user's INBOX: the acknowledgements, without their
// bodies.
func (s *stack) inReplyTos(user string) ([]string, error) {
	c, err := imapclient.DialInsecure(s.dc.IMAPAddr, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return nil, err
	}
	data, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil || data.NumMessages == 0 {
		return nil, err
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"From", "In-Reply-To"}, Peek: true}
	bufs, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, b := range bufs {
		raw := b.FindBodySection(section)
		m, err := mail.ReadMessage(bytes.NewReader(append(raw, "\r\n"...)))
		if err != nil {
			return nil, err
		}
		if strings.Contains(strings.ToLower(m.Header.Get("From")), support) {
			ids = append(ids, trimID(m.Header.Get("In-Reply-To")))
		}
	}
	return ids, nil
}

// mailboxCount is the number of mails in user's mailbox, from doveadm.
func (s *stack) mailboxCount(user, mailbox string) int {
	out, err := s.dc.Doveadm("-f", "flow", "mailbox", "status", "-u", user, "messages", mailbox)
	if err != nil {
		return -1
	}
	_, v, _ := strings.Cut(out, "messages=")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return n
}

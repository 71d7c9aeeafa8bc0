package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/ticket"
)

// fillDesk writes a little of everything a desk holds through the store's
// API: customers and contacts, raw mail (small, deflated, chunked), tickets
// with messages (deflated texts), attachments, outbox rows with bodies,
// quarantine, reminders, events, folds, nudges, corrections, rate-limit
// records and meta. It returns the raw mails' bytes by id.
func fillDesk(t *testing.T, db *DB, clock *ticket.FakeClock) map[int64][]byte {
	t.Helper()
	ctx := context.Background()
	raws := map[int64][]byte{}
	big := make([]byte, 2*RawChunkSize+77)
	rand.Read(big)
	for i, data := range [][]byte{
		[]byte("Message-ID: <a@acme.example>\r\nSubject: short\r\n\r\nhi\r\n"),
		[]byte("Message-ID: <b@acme.example>\r\nSubject: long\r\n\r\n" + strings.Repeat("The license server is down again. ", 200)),
		big,
	} {
		var id int64
		if err := db.Update(ctx, func(tx *Tx) (err error) {
			id, _, err = tx.StoreRaw(&RawMessage{Mailbox: "INBOX", UIDValidity: 7, UID: uint32(i + 1), MessageID: fmt.Sprintf("m%d@acme.example", i),
				SHA256: fmt.Sprint(i), Size: int64(len(data)), Data: data, InternalDate: clock.Now()})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		raws[id] = data
	}
	err := db.Update(ctx, func(tx *Tx) error {
		cu := &ticket.Customer{Name: "Acme", Plan: "standard", Region: "CH-ZH", Language: "de"}
		if err := tx.AddCustomer(cu); err != nil {
			return err
		}
		for i, email := range []string{"ops@acme.example", "dev@acme.example"} {
			if err := tx.AddContact(&ticket.Contact{CustomerID: cu.ID, Email: email, Name: "Ops", TZ: "Europe/Zurich", Primary: i == 0}); err != nil {
				return err
			}
		}
		due := clock.Now().Add(time.Hour)
		for i := range 3 {
			tk := &ticket.Ticket{Subject: fmt.Sprintf("Export fails %d", i), Requester: "ops@acme.example", CustomerID: cu.ID, Plan: "standard",
				Level: ticket.P2, LevelReasons: []string{"production"}, FirstResponseDue: &due, LevelUncertain: i == 1, AssessedLevel: ticket.P2}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			long := strings.Repeat("Grüezi, the nightly export fails with a timeout. ", 20)
			m := &Message{RawID: 1, TicketID: tk.ID, Direction: Inbound, Kind: "customer", MessageID: fmt.Sprintf("t%d@acme.example", i),
				Subject: tk.Subject, Body: long + "\n> old", NewText: long, Malformed: i == 2, ParseErrors: []string{"x"},
				Attachments: []ticket.Attachment{{Name: "log.txt", ContentType: "text/plain", Size: 12, SHA256: "abc"}}}
			if err := tx.AddMessage(m); err != nil {
				return err
			}
			if err := tx.Enqueue(&ticket.OutboxItem{TicketID: tk.ID, Kind: "ack", MessageID: fmt.Sprintf("ack%d@support", i),
				EnvelopeFrom: "support@x", Recipients: []string{"ops@acme.example"}, Data: []byte("composed ack")}); err != nil {
				return err
			}
			if err := tx.ScheduleReminder(Reminder{TicketID: tk.ID, Kind: "reminder", Percent: 50, DueAt: due}); err != nil {
				return err
			}
			if err := tx.AddEvent(tk.ID, "erin@example.com", "note", "looked"); err != nil {
				return err
			}
			if err := tx.AddLevelCorrection(LevelCorrection{TicketID: tk.ID, Actor: "erin", Assessed: ticket.P2, Corrected: ticket.P1, Factors: "scope=everyone"}); err != nil {
				return err
			}
		}
		m := &Message{Direction: Inbound, Kind: "customer", MessageID: "unknown@evil.example", FromAddr: "x@evil.example", Subject: "hello"}
		if err := tx.AddMessage(m); err != nil {
			return err
		}
		if _, err := tx.Quarantine(m.ID, "unknown", "not a contact"); err != nil {
			return err
		}
		if err := tx.MarkSent(1, clock.Now()); err != nil {
			return err
		}
		if err := tx.SaveAlertFold(AlertFold{Key: "sender:ops@acme.example", WindowEnd: due, Sent: 3, Folded: 2, TicketIDs: []int64{2, 3}}); err != nil {
			return err
		}
		for range 2 {
			if err := tx.RecordAutoReply("x@evil.example", "unknown-notice"); err != nil { // twice: rows without a key
				return err
			}
		}
		if err := tx.Nudge(NudgeProcess); err != nil {
			return err
		}
		return tx.SetMeta("reply_token_key", []byte{0, 1, 2, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	return raws
}

func TestCopy_sqliteToPostgresKeepsEveryRowExactly(t *testing.T) {
	ctx := context.Background()
	src, clock := newTarget(t, SQLite).openTest(t)
	raws := fillDesk(t, src, clock)
	dst, _ := newTarget(t, Postgres).openTest(t)
	var progressed []string
	report, err := Copy(ctx, src, dst, func(ct CopiedTable) { progressed = append(progressed, ct.Table) })
	if err != nil {
		t.Fatal(err)
	}
	if !report.Verified() {
		t.Fatalf("not verified: %+v", report.Tables)
	}
	rows := map[string]int64{}
	for _, ct := range report.Tables {
		rows[ct.Table] = ct.TargetRows
		if ct.SourceChecksum != ct.TargetChecksum || ct.Repaired != 0 {
			t.Errorf("%s: checksums %s / %s, repaired %d", ct.Table, ct.SourceChecksum, ct.TargetChecksum, ct.Repaired)
		}
	}
	for table, want := range map[string]int64{"raw_messages": 3, "raw_chunks": 3, "tickets": 3, "messages": 4, "attachments": 3, "outbox": 3,
		"outbox_bodies": 3, "auto_replies": 2, "customers": 1, "contacts": 2, "meta": 1, "imap_checkpoints": 1, "level_corrections": 3} {
		if rows[table] != want {
			t.Errorf("%s: %d rows copied, want %d", table, rows[table], want)
		}
	}
	if len(progressed) != len(report.Tables) {
		t.Errorf("progress for %d of %d tables", len(progressed), len(report.Tables))
	}
	// The copy is a desk: raw mail byte for byte, texts, the key, and new
	// rows numbered after the copied ones.
	for id, data := range raws {
		if got := readRaw(t, dst, id); !bytes.Equal(got, data) {
			t.Errorf("raw message %d: %d bytes read back, %d stored", id, len(got), len(data))
		}
	}
	err = dst.Update(ctx, func(tx *Tx) error {
		key, err := tx.Meta("reply_token_key")
		if err != nil || !bytes.Equal(key, []byte{0, 1, 2, 0xff}) {
			return fmt.Errorf("reply token key %x, %v", key, err)
		}
		msgs, err := tx.Messages(2)
		if err != nil || len(msgs) != 1 || !strings.HasPrefix(msgs[0].Body, "Grüezi") || len(msgs[0].Attachments) != 1 || msgs[0].Malformed {
			return fmt.Errorf("messages of ticket 2: %+v, %v", msgs, err)
		}
		c, cu, err := tx.ContactByEmail("ops@acme.example")
		if err != nil || !c.Primary || cu.Name != "Acme" {
			return fmt.Errorf("contact: %+v %+v %v", c, cu, err)
		}
		if _, err := tx.CustomerByName("ACME"); err != nil {
			return fmt.Errorf("customer names stay case-insensitive: %v", err)
		}
		tk := &ticket.Ticket{Subject: "after the copy", Requester: "ops@acme.example"}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		if tk.Number != 4 || tk.ID != 4 {
			return fmt.Errorf("new ticket: number %d id %d, want 4 and 4", tk.Number, tk.ID)
		}
		return tx.AddCustomer(&ticket.Customer{Name: "Globex", Plan: "premium"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second copy into the same database is refused.
	if _, err := Copy(ctx, src, dst, nil); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("copy into a filled database: %v, want ErrTargetNotEmpty", err)
	}
}

func TestCopy_repairsTextPostgresCannotHoldAndSaysSo(t *testing.T) {
	ctx := context.Background()
	src, _ := newTarget(t, SQLite).openTest(t)
	if err := src.Update(ctx, func(tx *Tx) error {
		tk := &ticket.Ticket{Subject: "x", Requester: "a@b"}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		return tx.AddEvent(tk.ID, "erin", "note", "caf\xe9\x00")
	}); err != nil {
		t.Fatal(err)
	}
	dst, _ := newTarget(t, Postgres).openTest(t)
	report, err := Copy(ctx, src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range report.Tables {
		if ct.Table != "events" {
			continue
		}
		if ct.Repaired != 1 || ct.SourceChecksum == ct.TargetChecksum || !ct.Verified() {
			t.Errorf("events: repaired %d, checksums %s / %s, verified %v", ct.Repaired, ct.SourceChecksum, ct.TargetChecksum, ct.Verified())
		}
	}
	if !report.Verified() {
		t.Error("a repaired copy is verified against what was written")
	}
	var events []Event
	dst.View(ctx, func(tx *Tx) (err error) { events, err = tx.Events(1); return err })
	if len(events) != 1 || events[0].Detail != "caf\uFFFD\uFFFD" {
		t.Errorf("events: %+v", events)
	}
}

func TestCopy_postgresToSQLite(t *testing.T) {
	ctx := context.Background()
	src, clock := newTarget(t, Postgres).openTest(t)
	raws := fillDesk(t, src, clock)
	dst, _ := newTarget(t, SQLite).openTest(t)
	report, err := Copy(ctx, src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !report.Verified() {
		t.Fatalf("not verified: %+v", report.Tables)
	}
	for id, data := range raws {
		if got := readRaw(t, dst, id); !bytes.Equal(got, data) {
			t.Errorf("raw message %d differs", id)
		}
	}
}

func TestParseStore(t *testing.T) {
	for in, want := range map[string][2]string{
		"sqlite:/var/lib/ticketd/ticketd.db":     {SQLite, "/var/lib/ticketd/ticketd.db"},
		"postgres:postgres://ticketd@db/ticketd": {Postgres, "postgres://ticketd@db/ticketd"},
		"postgres://ticketd@db/ticketd":          {Postgres, "postgres://ticketd@db/ticketd"},
		"postgres:host=db user=ticketd":          {Postgres, "host=db user=ticketd"},
		"postgresql://ticketd@db/ticketd?x=y":    {Postgres, "postgresql://ticketd@db/ticketd?x=y"},
		"mysql:x":                                {"", ""},
		"ticketd.db":                             {"", ""},
		"sqlite:":                                {"", ""},
	} {
		d, dsn, err := ParseStore(in)
		if d != want[0] || dsn != want[1] || (err != nil) != (want[0] == "") {
			t.Errorf("ParseStore(%q) = %q, %q, %v", in, d, dsn, err)
		}
	}
}

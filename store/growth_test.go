package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/ticket"
)

func storeRaw(t *testing.T, db *DB, m *RawMessage) int64 {
	t.Helper()
	var id int64
	if err := db.Update(context.Background(), func(tx *Tx) (err error) { id, _, err = tx.StoreRaw(m); return err }); err != nil {
		t.Fatal(err)
	}
	return id
}

func readRaw(t *testing.T, db *DB, id int64) []byte {
	t.Helper()
	var viaWith, viaMessage []byte
	err := db.View(context.Background(), func(tx *Tx) error {
		if err := tx.WithRawData(id, func(b []byte) error { viaWith = append([]byte(nil), b...); return nil }); err != nil {
			return err
		}
		m, err := tx.RawMessage(id)
		if err != nil {
			return err
		}
		viaMessage = m.Data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(viaWith, viaMessage) {
		t.Fatalf("WithRawData and RawMessage disagree on raw message %d", id)
	}
	return viaWith
}

func TestStoreRaw_isDeflatedWhereThatSavesSpaceAndReadsBackExactly(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, _ := tg.openTest(t)
		text := []byte(strings.Repeat("Received: from mx.acme.example by mail.example.com; Mon, 23 Nov 2026 09:00:00 +0100\r\n", 40) +
			"\r\nThe license server is down since this morning.\r\n")
		random := make([]byte, 3000)
		rand.Read(random)
		bigRandom := make([]byte, 2*RawChunkSize+99)
		rand.Read(bigRandom)
		bigText := bytes.Repeat([]byte("2026-11-23 09:00:01 ERROR timeout talking to license server 10.0.0.7:27000\r\n"), 3*RawChunkSize/76)
		for i, c := range []struct {
			name     string
			data     []byte
			deflated bool // inline data, or every chunk
		}{
			{"text_mail", text, true},
			{"tiny_mail", []byte("Subject: x\r\n\r\nhi\r\n"), false},
			{"incompressible_mail", random, false},
			{"chunked_incompressible", bigRandom, false},
			{"chunked_text", bigText, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				id := storeRaw(t, db, &RawMessage{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1), SHA256: c.name, Data: c.data})
				if got := readRaw(t, db, id); !bytes.Equal(got, c.data) {
					t.Fatalf("read back %d bytes, stored %d; equal %v", len(got), len(c.data), bytes.Equal(got, c.data))
				}
				var stored, deflatedChunks, chunks int
				var deflated bool
				db.View(context.Background(), func(tx *Tx) error {
					tx.queryRow(`SELECT LENGTH(data), deflated, chunks FROM raw_messages WHERE id = ?`, id).Scan(&stored, &deflated, &chunks)
					if chunks > 0 {
						tx.queryRow(`SELECT COALESCE(SUM(LENGTH(data)), 0), COALESCE(SUM(deflated), 0) FROM raw_chunks WHERE raw_id = ?`, id).Scan(&stored, &deflatedChunks)
						deflated = deflatedChunks == chunks
					}
					return nil
				})
				if deflated != c.deflated {
					t.Errorf("deflated = %v, want %v (%d bytes stored for %d)", deflated, c.deflated, stored, len(c.data))
				}
				if c.deflated && stored > len(c.data)/2 {
					t.Errorf("%d bytes stored for %d: not compact", stored, len(c.data))
				}
			})
		}
	})
}

// TestMigrate0004_compactsOldRawMailLazilyAndExactly stores raw mail the
// way ticketd did before 0004 (plain bytes), migrates, and lets
// CompactRaw deflate it in small steps.
func TestMigrate0004_compactsOldRawMailLazilyAndExactly(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		// Schema 3, as ticketd left it before 0004.
		db, err := OpenDSN(ctx, tg.driver, tg.dsn, nil, Options{Manual: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.migrateUpTo(ctx, true, 3); err != nil {
			t.Fatal(err)
		}
		var mails [][]byte
		for i := range 7 {
			m := []byte(fmt.Sprintf("Message-ID: <old%d@acme.example>\r\nSubject: old mail %d\r\n\r\n%s", i, i,
				strings.Repeat("The nightly export fails with a timeout again. ", 30)))
			if i == 3 {
				m = make([]byte, 500)
				rand.Read(m) // does not deflate: stays as it is
			}
			mails = append(mails, m)
			db.rawExec(t, `INSERT INTO raw_messages (mailbox, uid_validity, uid, message_id, sha256, size, data, stored_at) VALUES ('INBOX', 1, ?, ?, ?, ?, ?, ?)`,
				i+1, fmt.Sprintf("old%d@acme.example", i), fmt.Sprint(i), len(m), m, "2026-01-01T00:00:00.000000000Z")
		}
		// Outbox rows as ticketd wrote them before 0004: the bytes inline,
		// a sent one and a pending one.
		for i, status := range []string{ticket.OutboxSent, ticket.OutboxPending} {
			db.rawExec(t, `INSERT INTO outbox (ticket_id, kind, message_id, envelope_from, recipients, data, status, attempts, next_attempt_at, created_at, sent_at)
			VALUES (NULL, 'ack', ?, 'support@x', '["a@b"]', ?, ?, 1, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', ?)`,
				fmt.Sprintf("old%d@support", i), bytes.Repeat([]byte("composed "), 900), status, map[bool]any{true: "2026-01-01T00:00:01.000000000Z", false: nil}[status == ticket.OutboxSent])
		}
		db.Close()
		if db, err = OpenDSN(ctx, tg.driver, tg.dsn, nil, Options{Manual: true}); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ms, _ := migrationsOf(tg.driver)
		if from, to, err := db.Migrate(ctx); err != nil || from != 3 || to != len(ms) {
			t.Fatalf("migrate %d → %d: %v", from, to, err)
		}
		for id := int64(1); id <= 7; id++ {
			if got := readRaw(t, db, id); !bytes.Equal(got, mails[id-1]) {
				t.Fatalf("raw message %d differs after the migration", id)
			}
		}
		steps, total := 0, 0
		for more := true; more; steps++ {
			if steps > 10 {
				t.Fatal("compaction does not finish")
			}
			err := db.Update(ctx, func(tx *Tx) (err error) {
				var n int
				n, more, err = tx.CompactRaw(3)
				total += n
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if total != 6 || steps != 3 {
			t.Errorf("compacted %d rows in %d steps, want 6 (one does not deflate) in 3", total, steps)
		}
		for id := int64(1); id <= 7; id++ {
			if got := readRaw(t, db, id); !bytes.Equal(got, mails[id-1]) {
				t.Fatalf("raw message %d differs after compaction", id)
			}
		}
		var left int
		db.rawQueryRow(`SELECT COUNT(*) FROM meta WHERE key LIKE 'raw_compact_%'`).Scan(&left)
		if left != 0 {
			t.Errorf("compaction bookkeeping left in meta")
		}
		// The old pending mail is still sent with its bytes; the old sent
		// one loses them to pruning and keeps its row.
		db.View(ctx, func(tx *Tx) error {
			due, err := tx.DueOutbox(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 10)
			if err != nil || len(due) != 1 || due[0].MessageID != "old1@support" || len(due[0].Data) != 8100 {
				t.Fatalf("pending pre-0004 mail: %+v, %v", due, err)
			}
			return nil
		})
		var pruned int
		if err := db.Update(ctx, func(tx *Tx) (err error) {
			pruned, err = tx.PruneSentOutbox(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 10)
			return err
		}); err != nil || pruned != 1 {
			t.Fatalf("pruned %d pre-0004 sent mails, %v", pruned, err)
		}
		db.View(ctx, func(tx *Tx) error {
			all, _ := tx.AllOutbox()
			if len(all) != 2 || all[0].MessageID != "old0@support" || all[0].Status != ticket.OutboxSent || len(all[0].Data) != 0 ||
				all[0].SentAt.IsZero() || all[0].Attempts != 1 || len(all[1].Data) != 8100 {
				t.Fatalf("after pruning: %+v", all)
			}
			return nil
		})
	})
}

func TestPruneSentOutbox_dropsBodiesAfterKeepSentAndKeepsTheRow(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, clock := tg.openTest(t)
		ctx := context.Background()
		var ids []int64
		db.Update(ctx, func(tx *Tx) error {
			for i := range 3 {
				it := &ticket.OutboxItem{Kind: "ack", MessageID: fmt.Sprintf("ack%d@support", i), EnvelopeFrom: "support@x", Recipients: []string{"a@b"}, Data: []byte("composed mail")}
				if err := tx.Enqueue(it); err != nil {
					return err
				}
				ids = append(ids, it.ID)
			}
			tx.MarkSent(ids[0], clock.Now())
			return tx.MarkSent(ids[1], clock.Now().Add(time.Hour))
		})
		var pruned int
		db.Update(ctx, func(tx *Tx) (err error) {
			pruned, err = tx.PruneSentOutbox(clock.Now().Add(30*time.Minute), 100)
			return err
		})
		if pruned != 1 {
			t.Fatalf("pruned %d, want the one sent before the cutoff", pruned)
		}
		db.View(ctx, func(tx *Tx) error {
			all, _ := tx.AllOutbox()
			if len(all) != 3 || len(all[0].Data) != 0 || all[0].Status != ticket.OutboxSent || all[0].SentAt.IsZero() ||
				string(all[1].Data) != "composed mail" || string(all[2].Data) != "composed mail" {
				t.Fatalf("after pruning: %+v", all)
			}
			return nil
		})
	})
}

func TestTickets_pagesNewestFirst(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, _ := tg.openTest(t)
		ctx := context.Background()
		db.Update(ctx, func(tx *Tx) error {
			for i := range 7 {
				tk := &ticket.Ticket{Subject: fmt.Sprint(i), Requester: "a@b", Status: ticket.StatusOpen}
				if i%2 == 0 {
					tk.Status = ticket.StatusClosed
				}
				if err := tx.CreateTicket(tk); err != nil {
					return err
				}
			}
			return nil
		})
		numbers := func(f TicketFilter) []int64 {
			var ts []*ticket.Ticket
			if err := db.View(ctx, func(tx *Tx) (err error) { ts, err = tx.Tickets(f); return err }); err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, t := range ts {
				out = append(out, t.Number)
			}
			return out
		}
		if got := fmt.Sprint(numbers(TicketFilter{Limit: 3})); got != "[7 6 5]" {
			t.Errorf("first page %s", got)
		}
		if got := fmt.Sprint(numbers(TicketFilter{Limit: 3, Before: 5})); got != "[4 3 2]" {
			t.Errorf("second page %s", got)
		}
		if got := fmt.Sprint(numbers(TicketFilter{Limit: 3, Before: 5, Status: ticket.StatusClosed})); got != "[3 1]" {
			t.Errorf("closed before 5: %s", got)
		}
	})
}

// TestUpdate_lockTimeoutIsBusy holds the write lock from another
// connection (SQLite: BEGIN IMMEDIATE; PostgreSQL: a table lock): a
// write then fails after BusyTimeout with an error IsBusy recognises,
// and so does a second writer of this process queued behind the first.
func TestUpdate_lockTimeoutIsBusy(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		db := tg.open(t, nil, Options{BusyTimeout: 30 * time.Millisecond})
		sqlDriver, dsn, hold := "sqlite", "file:"+tg.dsn, `BEGIN IMMEDIATE`
		if tg.driver == Postgres {
			sqlDriver, dsn, hold = "pgx", tg.dsn, `BEGIN; LOCK TABLE meta IN EXCLUSIVE MODE`
		}
		other, err := sql.Open(sqlDriver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, hold); err != nil {
			t.Fatal(err)
		}
		write := func(tx *Tx) error { return tx.SetMeta("k", []byte("v")) }
		if err := db.Update(ctx, write); !IsBusy(err) {
			t.Fatalf("want a busy error while another connection writes, got %v", err)
		}
		if err := db.lockWriter(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(ctx, write); !IsBusy(err) || !errors.Is(err, ErrBusy) {
			t.Fatalf("want ErrBusy behind a writer of this process, got %v", err)
		}
		db.unlockWriter()
		if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(ctx, write); err != nil {
			t.Fatalf("after the lock is gone: %v", err)
		}
		if IsBusy(errors.New("no such table: x")) || IsBusy(nil) {
			t.Error("IsBusy says yes to errors that are not lock timeouts")
		}
		// A constraint violation is about the data: not busy.
		err = db.Update(ctx, func(tx *Tx) error {
			if err := tx.AddCustomer(&ticket.Customer{Name: "Acme", Plan: "standard"}); err != nil {
				return err
			}
			_, err := tx.exec(`INSERT INTO customers (name, plan, created_at) VALUES ('Acme', 'x', '')`)
			return err
		})
		if err == nil || IsBusy(err) {
			t.Errorf("a duplicate customer: got %v, want an error IsBusy rejects", err)
		}
	})
}

// TestFullScans_findsScansOfGrowingTables: the checker the plan tests rely
// on reports the duplicate check as it was before 0004 (its parameter
// alone cannot use the partial index) and passes the indexed forms.
func TestFullScans_findsScansOfGrowingTables(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, _ := tg.openTest(t)
		ctx := context.Background()
		for q, wantScan := range map[string]bool{
			`SELECT id FROM raw_messages WHERE message_id = ? LIMIT 1`:                       true,
			`SELECT id FROM raw_messages WHERE message_id = ? AND message_id <> '' LIMIT 1`:  false,
			`SELECT t.id FROM tickets t WHERE t.subject = ? ORDER BY t.number DESC LIMIT 50`: true,
			`SELECT t.id FROM tickets t WHERE t.status = ? ORDER BY t.number DESC LIMIT 50`:  false,
			`SELECT id FROM raw_messages WHERE processed_at IS NULL ORDER BY id LIMIT 10`:    false, // partial index
			`SELECT COUNT(*) FROM outbox`:              true,
			`SELECT name FROM customers ORDER BY name`: false, // the directory does not grow with mail
			// SQLite lists foreign-key lookups it skips at run time.
			`INSERT INTO tickets (number, subject, status, requester, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`: false,
			`SELECT m.id FROM quarantine q JOIN messages m ON m.id = q.message_row WHERE q.reason = ?`:                                true,
		} {
			scans, err := db.FullScans(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if (len(scans) > 0) != wantScan {
				plan, _ := db.QueryPlan(ctx, q)
				t.Errorf("%s: scans %v, want a scan: %v (plan %v)", q, scans, wantScan, plan)
			}
		}
	})
}

func TestMessages_textsStoredCompactlyReadBackExactly(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, _ := tg.openTest(t)
		ctx := context.Background()
		long := strings.Repeat("Since this morning the license server is unreachable from every client. ", 12)
		cases := []Message{
			{Body: long + "\n> quoted history\n", NewText: long},         // both deflated, different
			{Body: long, NewText: long},                                  // stored once
			{Body: "short", NewText: "short"},                            // too short to deflate
			{Body: "Grüezi ✓ " + long, NewText: ""},                      // outbound: body only
			{Body: string([]byte{0xff, 0xfe, 'x'}) + long, NewText: "n"}, // not UTF-8
		}
		for i := range cases {
			m := cases[i]
			m.Direction, m.Kind, m.MessageID = Inbound, "customer", fmt.Sprintf("text%d@x", i)
			if err := db.Update(ctx, func(tx *Tx) error { return tx.AddMessage(&m) }); err != nil {
				t.Fatal(err)
			}
			var got *Message
			db.View(ctx, func(tx *Tx) (err error) { got, err = tx.MessageByRow(m.ID); return err })
			if got.Body != cases[i].Body || got.NewText != cases[i].NewText {
				t.Errorf("case %d: read back body %q / new text %q", i, got.Body, got.NewText)
			}
		}
	})
}

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ticketd/ticket"
)

func TestStoreRawIsIdempotent(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, _ := tg.openTest(t)
		ctx := context.Background()
		store := func(m RawMessage) (int64, bool) {
			t.Helper()
			var id int64
			var dup bool
			if err := db.Update(ctx, func(tx *Tx) (err error) { id, dup, err = tx.StoreRaw(&m); return err }); err != nil {
				t.Fatal(err)
			}
			return id, dup
		}
		first, dup := store(RawMessage{Mailbox: "INBOX", UIDValidity: 7, UID: 1, MessageID: "a@x", SHA256: "h1", Data: []byte("a")})
		if dup {
			t.Fatal("first store reported duplicate")
		}
		t.Run("same_uid_is_duplicate", func(t *testing.T) {
			if id, dup := store(RawMessage{Mailbox: "INBOX", UIDValidity: 7, UID: 1, MessageID: "a@x", SHA256: "h1", Data: []byte("a")}); !dup || id != first {
				t.Fatalf("got id %d dup %v, want %d true", id, dup, first)
			}
		})
		t.Run("new_uidvalidity_same_message_id_is_duplicate", func(t *testing.T) {
			if id, dup := store(RawMessage{Mailbox: "INBOX", UIDValidity: 8, UID: 1, MessageID: "a@x", SHA256: "other", Data: []byte("a")}); !dup || id != first {
				t.Fatalf("got id %d dup %v", id, dup)
			}
		})
		t.Run("no_message_id_dedups_by_hash", func(t *testing.T) {
			a, dupA := store(RawMessage{Mailbox: "INBOX", UIDValidity: 8, UID: 2, SHA256: "h2", Data: []byte("b")})
			b, dupB := store(RawMessage{Mailbox: "INBOX", UIDValidity: 9, UID: 1, SHA256: "h2", Data: []byte("b")})
			if dupA || !dupB || a != b {
				t.Fatalf("hash dedup: %d %v %d %v", a, dupA, b, dupB)
			}
		})
		t.Run("checkpoint_follows_uidvalidity", func(t *testing.T) {
			var c ticket.Checkpoint
			db.View(ctx, func(tx *Tx) (err error) { c, err = tx.Checkpoint("INBOX"); return err })
			if c.UIDValidity != 9 || c.LastUID != 1 {
				t.Fatalf("checkpoint %+v, want 9/1", c)
			}
		})
	})
}

func TestTicketNumbersAreSequentialAndThreadingFindsTicket(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, clock := tg.openTest(t)
		ctx := context.Background()
		var a, b ticket.Ticket
		err := db.Update(ctx, func(tx *Tx) error {
			a = ticket.Ticket{Subject: "one", Requester: "ops@acme.example"}
			if err := tx.CreateTicket(&a); err != nil {
				return err
			}
			b = ticket.Ticket{Subject: "two", Requester: "ops@acme.example"}
			if err := tx.CreateTicket(&b); err != nil {
				return err
			}
			return tx.AddMessage(&Message{TicketID: a.ID, Direction: Outbound, Kind: "ack", MessageID: "ack1@support"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if a.Number != 1 || b.Number != 2 {
			t.Fatalf("numbers %d, %d", a.Number, b.Number)
		}
		db.View(ctx, func(tx *Tx) error {
			got, err := tx.TicketsByMessageIDs([]string{"unknown@x", "ack1@support"}, 5)
			if err != nil || len(got) != 1 || got[0].Number != 1 {
				t.Fatalf("thread: %v %v", got, err)
			}
			if got, err := tx.TicketsByMessageIDs([]string{"nope@x"}, 5); err != nil || len(got) != 0 {
				t.Fatalf("want no tickets, got %v, %v", got, err)
			}
			return nil
		})
		due := clock.Now().Add(time.Hour)
		db.Update(ctx, func(tx *Tx) error { a.FirstResponseDue = &due; return tx.UpdateTicket(&a) })
		clock.Advance(2 * time.Hour)
		db.View(ctx, func(tx *Tx) error {
			over, err := tx.Tickets(TicketFilter{Overdue: true, OverdueAt: clock.Now()})
			if err != nil || len(over) != 1 || over[0].Number != 1 || !over[0].Breached(clock.Now()) {
				t.Fatalf("overdue: %v %v", over, err)
			}
			return nil
		})
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, err := OpenDSN(context.Background(), tg.driver, tg.dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.rawExec(t, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '')`)
		db.Close()
		if _, err := OpenDSN(context.Background(), tg.driver, tg.dsn, nil); !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("want ErrNewerSchema, got %v", err)
		}
	})
}

func TestReminderIsSentOnce(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, clock := tg.openTest(t)
		ctx := context.Background()
		var tk ticket.Ticket
		db.Update(ctx, func(tx *Tx) error {
			tk = ticket.Ticket{Subject: "x", Requester: "a@b"}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			return tx.ScheduleReminder(Reminder{TicketID: tk.ID, Kind: "reminder", Percent: 50, DueAt: clock.Now().Add(time.Minute)})
		})
		clock.Advance(time.Minute)
		var due []Reminder
		db.View(ctx, func(tx *Tx) (err error) { due, err = tx.DueReminders(clock.Now(), 10); return err })
		if len(due) != 1 {
			t.Fatalf("due %v", due)
		}
		for i, want := range []bool{true, false} {
			var ok bool
			db.Update(ctx, func(tx *Tx) (err error) { ok, err = tx.MarkReminderSent(due[0].ID); return err })
			if ok != want {
				t.Fatalf("mark %d: got %v want %v", i, ok, want)
			}
		}
	})
}

func TestStoreRaw_largeMailIsChunkedAndReadBackExactly(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		db, _ := tg.openTest(t)
		ctx := context.Background()
		data := make([]byte, 3*RawChunkSize+12345)
		for i := range data {
			data[i] = byte(i * 7)
		}
		var id int64
		if err := db.Update(ctx, func(tx *Tx) (err error) {
			id, _, err = tx.StoreRaw(&RawMessage{Mailbox: "INBOX", UIDValidity: 1, UID: 1, SHA256: "big", Data: data})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		db.View(ctx, func(tx *Tx) error {
			var chunks int
			tx.queryRow(`SELECT chunks FROM raw_messages WHERE id = ?`, id).Scan(&chunks)
			if chunks != 4 {
				t.Errorf("chunks = %d, want 4", chunks)
			}
			m, err := tx.RawMessage(id)
			if err != nil || !bytes.Equal(m.Data, data) {
				t.Fatalf("read back %d bytes (err %v), want the %d stored", len(m.Data), err, len(data))
			}
			return tx.WithRawData(id, func(b []byte) error {
				if !bytes.Equal(b, data) {
					t.Errorf("WithRawData: %d bytes differ", len(b))
				}
				return nil
			})
		})
	})
}

func TestOpen_upgradeIsExplicit(t *testing.T) {
	eachDriver(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		open := func(o Options) (*DB, error) { return OpenDSN(ctx, tg.driver, tg.dsn, nil, o) }
		// A schema-1 database, as an older ticketd left it.
		db, err := open(Options{Manual: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.migrateUpTo(ctx, true, 1); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := open(Options{NoUpgrade: true}); !errors.Is(err, ErrOlderSchema) || !strings.Contains(err.Error(), "ticketd migrate") {
			t.Fatalf("want ErrOlderSchema naming `ticketd migrate`, got %v", err)
		}
		db, err = open(Options{Manual: true})
		if err != nil {
			t.Fatal(err)
		}
		from, to, err := db.Migrate(ctx)
		db.Close()
		ms, _ := migrationsOf(tg.driver)
		if err != nil || from != 1 || to != len(ms) {
			t.Fatalf("migrate: %d → %d, %v", from, to, err)
		}
		if db, err = open(Options{NoUpgrade: true}); err != nil {
			t.Fatalf("after migrate: %v", err)
		}
		db.Close()
	})
}

// TestOpen_databaseAndItsWALArePrivate is SQLite's: PostgreSQL keeps its
// files itself (TestBackup_onPostgresSaysToUsePgDump).
func TestOpen_databaseAndItsWALArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "ticketd.db")
	db, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.SetMeta("probe", []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(f), mode)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(backup); st.Mode().Perm() != 0o600 {
		t.Errorf("backup has mode %o, want 600", st.Mode().Perm())
	}
	if err := db.Backup(context.Background(), backup); err == nil {
		t.Error("backup overwrote an existing file")
	}
}

func TestHA_leasesAndOutboxClaims(t *testing.T) { eachDriver(t, testHALeasesAndOutboxClaims) }

func testHALeasesAndOutboxClaims(t *testing.T, tg target) {
	clock := ticket.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	db := tg.open(t, clock)
	ctx := context.Background()
	acquire := func(holder string) (Lease, bool) {
		var l Lease
		var ok bool
		if err := db.Update(ctx, func(tx *Tx) (err error) {
			l, ok, err = tx.AcquireLease("intake:default", holder, 15*time.Second)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return l, ok
	}
	if l, ok := acquire("a"); !ok || l.Term != 1 {
		t.Fatalf("a did not get a free lease: %+v %v", l, ok)
	}
	if l, ok := acquire("b"); ok || l.Holder != "a" {
		t.Fatalf("b took a live lease: %+v", l)
	}
	clock.Advance(10 * time.Second)
	if l, ok := acquire("a"); !ok || l.Term != 1 || !l.ExpiresAt.Equal(clock.Now().Add(15*time.Second)) {
		t.Fatalf("a could not renew: %+v", l)
	}
	clock.Advance(16 * time.Second) // a died
	if l, ok := acquire("b"); !ok || l.Term != 2 || l.Holder != "b" {
		t.Fatalf("b did not take the expired lease: %+v %v", l, ok)
	}
	if _, ok := acquire("a"); ok {
		t.Fatal("a took its lease back from b")
	}
	db.Update(ctx, func(tx *Tx) error { return tx.ReleaseLease("intake:default", "b") })
	if _, ok := acquire("a"); !ok {
		t.Fatal("a could not take a released lease")
	}

	// Outbox claims: what a claims, b does not get until the claim expires.
	db.Update(ctx, func(tx *Tx) error {
		for i := range 3 {
			if err := tx.Enqueue(&ticket.OutboxItem{Kind: "ack", MessageID: fmt.Sprintf("m%d@x", i), EnvelopeFrom: "s@x", Recipients: []string{"r@x"}, Data: []byte("x")}); err != nil {
				return err
			}
		}
		return nil
	})
	claim := func(holder string, limit int) int {
		var items []*ticket.OutboxItem
		if err := db.Update(ctx, func(tx *Tx) (err error) {
			items, err = tx.ClaimOutbox(holder, clock.Now(), limit, 2*time.Minute, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(items)
	}
	if n := claim("a", 2); n != 2 {
		t.Fatalf("a claimed %d, want 2", n)
	}
	if n := claim("b", 10); n != 1 {
		t.Fatalf("b claimed %d, want the one a left", n)
	}
	if n := claim("a", 10); n != 2 {
		t.Fatalf("a re-claimed %d of its own, want 2", n)
	}
	clock.Advance(3 * time.Minute)
	if n := claim("b", 10); n != 3 {
		t.Fatalf("after the claims expired b claimed %d, want 3", n)
	}

	// A claimer whose heartbeat is deadAfter old gives its claims up
	// before they expire; a live one keeps them.
	heartbeat := func(id string) {
		if err := db.Update(ctx, func(tx *Tx) error {
			return tx.Heartbeat(Instance{ID: id, Host: "h", PID: 1, StartedAt: clock.Now()})
		}); err != nil {
			t.Fatal(err)
		}
	}
	claimDead := func(holder string) int {
		var items []*ticket.OutboxItem
		if err := db.Update(ctx, func(tx *Tx) (err error) {
			items, err = tx.ClaimOutbox(holder, clock.Now(), 10, 2*time.Minute, 15*time.Second)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(items)
	}
	heartbeat("b")
	clock.Advance(10 * time.Second)
	if n := claimDead("a"); n != 0 {
		t.Fatalf("a took %d mails of b, whose heartbeat is 10 s old", n)
	}
	clock.Advance(6 * time.Second)
	if n := claimDead("a"); n != 3 {
		t.Fatalf("a claimed %d mails of b, dead for 16 s; want 3", n)
	}
	if n := claim("c", 10); n != 0 {
		t.Fatalf("c (deadAfter 0) took %d live claims of a, which never sent a heartbeat", n)
	}
}

func TestBackup_onPostgresSaysToUsePgDump(t *testing.T) {
	db, _ := newTarget(t, Postgres).openTest(t)
	file := filepath.Join(t.TempDir(), "backup.db")
	err := db.Backup(context.Background(), file)
	if !errors.Is(err, ErrBackupUnsupported) || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("want ErrBackupUnsupported naming pg_dump, got %v", err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a backup file was written")
	}
}

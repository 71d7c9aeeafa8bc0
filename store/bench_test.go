package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketd/ticket"
)

func openBench(b *testing.B) *DB {
	b.Helper()
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), ticket.NewFakeClock(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkTicketByMessageIDs threads a reply by its In-Reply-To and
// References against 10,000 stored messages on 2,000 tickets (an inbound
// mail, its acknowledgement and its alert, plus follow-ups).
func BenchmarkTicketByMessageIDs(b *testing.B) {
	db := openBench(b)
	ctx := context.Background()
	const tickets, messages = 2000, 10000
	err := db.Update(ctx, func(tx *Tx) error {
		ids := make([]int64, tickets)
		for i := range ids {
			t := &ticket.Ticket{Subject: fmt.Sprintf("ticket %d", i), Requester: "ops@acme.example"}
			if err := tx.CreateTicket(t); err != nil {
				return err
			}
			ids[i] = t.ID
		}
		for i := 0; i < messages; i++ {
			dir, kind := Inbound, "customer"
			if i%5 == 1 || i%5 == 2 {
				dir, kind = Outbound, "ack"
			}
			if err := tx.AddMessage(&Message{TicketID: ids[i/5], Direction: dir, Kind: ticket.MessageKind(kind), MessageID: fmt.Sprintf("m%d.%x@acme.example", i, i*7919),
				Subject: "Re: license server", Body: strings.Repeat("body text ", 50)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	id := func(i int) string { return fmt.Sprintf("m%d.%x@acme.example", i, i*7919) }
	b.Run("hit_in_reply_to_and_3_references", func(b *testing.B) {
		i := 0
		for b.Loop() {
			k := (i * 37) % (messages - 3)
			refs := []string{id(k), id(k + 1), id(k + 2), id(k + 3)}
			db.View(ctx, func(tx *Tx) error {
				if ts, err := tx.TicketsByMessageIDs(refs, 5); err != nil || len(ts) == 0 {
					b.Fatal(err)
				}
				return nil
			})
			i++
		}
	})
	b.Run("miss_20_references", func(b *testing.B) {
		refs := make([]string, 20)
		for i := range refs {
			refs[i] = fmt.Sprintf("unknown%d@elsewhere.example", i)
		}
		for b.Loop() {
			db.View(ctx, func(tx *Tx) error {
				if ts, err := tx.TicketsByMessageIDs(refs, 5); err != nil || len(ts) > 0 {
					b.Fatal("found a ticket for unknown ids")
				}
				return nil
			})
		}
	})
}

// BenchmarkStoreRaw stores fetched mail as intake does: one write
// transaction per mail with its checkpoint, on a real file.
func BenchmarkStoreRaw(b *testing.B) {
	for _, size := range []int{5 << 10, 100 << 10} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			db := openBench(b)
			ctx := context.Background()
			data := []byte(strings.Repeat("Subject: x\r\n", size/12))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			uid := uint32(0)
			for b.Loop() {
				uid++
				data[0] = byte(uid) // distinct bytes, as real mail
				sum := sha256.Sum256(data)
				m := &RawMessage{Mailbox: "INBOX", UIDValidity: 1, UID: uid, MessageID: fmt.Sprintf("raw%d@acme.example", uid),
					SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Data: data, InternalDate: time.Now()}
				if err := db.Update(ctx, func(tx *Tx) error { _, _, err := tx.StoreRaw(m); return err }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

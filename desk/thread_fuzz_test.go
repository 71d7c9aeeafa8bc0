package desk

import (
	"context"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"testing"
	"time"

	"ticketd/classify"
	"ticketd/store"
	"ticketd/ticket"
)

// FuzzThreading throws arbitrary subjects, recipients and reference
// headers at findTicket. It must not fail, and must keep the rules: no path
// threads mail into a ticket of another customer, unknown senders join
// nothing, and a token only counts when its signature verifies.
func FuzzThreading(f *testing.F) {
	f.Add("Re: [Ticket#1] Export", "support+t1.aaaaaaaaaa@example.com", "<export-1@acme.example>", false)
	f.Add("[Ticket#2]", "support@example.com", "ack.t2.zzzz.abc@example.com", true)
	f.Add("[Ticket#99999999999999999999]", "support+t-1.x@example.com", "<<>>", false)
	f.Add("Fwd: [Ticket#1][P0] down", "", "", true)

	td := newTestDesk(f, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	td.deliver(readTestdata(f, "new-acme.eml"))
	td.deliver(readTestdata(f, "new-globex.eml"))
	f.Fuzz(func(t *testing.T, subject, to, refs string, fromCustomer bool) {
		in := &inbound{raw: &store.RawMessage{ID: 1, SHA256: strings.Repeat("0", 64)}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		in.msg = &ticket.Message{Subject: subject, References: strings.Fields(refs), InReplyTo: strings.Fields(refs)}
		if a, err := mail.ParseAddress(to); err == nil {
			in.msg.To = []*mail.Address{a}
		}
		in.sender = classify.SenderResult{Outcome: ticket.SenderUnknown}
		if fromCustomer {
			in.sender = classify.SenderResult{Outcome: ticket.SenderContact, Customer: &ticket.Customer{ID: 2}}
		}
		err := td.db.Update(context.Background(), func(tx *store.Tx) error {
			cands, err := td.d.threadCandidates(tx, in.msg)
			if err != nil {
				return err
			}
			var senderCustomer int64
			if in.sender.Customer != nil {
				senderCustomer = in.sender.Customer.ID
			}
			dec := decideInbound(inboundFacts{Sender: in.sender.Outcome, SenderCustomer: senderCustomer, Candidates: cands, Now: tx.Now, ReopenDays: 14})
			tk, how := dec.Ticket, dec.Via
			if tk == nil {
				return nil
			}
			if !fromCustomer || tk.CustomerID != 2 {
				t.Fatalf("%s (subject %q, to %q, refs %q) threaded mail into ticket %d of another customer", how, subject, to, refs, tk.Number)
			}
			switch how {
			case viaToken, viaStaffToken:
				// Tokens are only signed by us; random input cannot carry a valid one.
				t.Fatalf("a fuzzed token verified: to %q refs %q", to, refs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketd/internal/testclock"
	"ticketd/store"
	"ticketd/ticket"
)

// TestAdminCommands_everyQueryUsesAnIndex runs the admin commands people
// run on a desk of any size (tickets list with each filter and a second
// page, tickets show, report sla, quarantine list) while recording every
// statement they send, then asks SQLite for each plan: none may scan a
// growing table whole.
func TestAdminCommands_everyQueryUsesAnIndex(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	ctx := context.Background()
	clock := ticket.NewFakeClock(testclock.Start())
	db, err := store.Open(ctx, filepath.Join(dir, "ticketd.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		cu := &ticket.Customer{Name: "Acme", Plan: "standard", Region: "CH-ZH", Language: "en"}
		if err := tx.AddCustomer(cu); err != nil {
			return err
		}
		c := &ticket.Contact{CustomerID: cu.ID, Email: "ops@acme.example", Name: "Ops", Primary: true}
		if err := tx.AddContact(c); err != nil {
			return err
		}
		for i := range 5 {
			due := tx.Now.Add(time.Duration(i-2) * time.Hour)
			tk := &ticket.Ticket{Subject: fmt.Sprintf("ticket %d", i), Requester: c.Email, CustomerID: cu.ID, ContactID: c.ID, Plan: "standard",
				Level: ticket.P2, FirstResponseDue: &due, SLAStartedAt: &tx.Now}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			in := &store.Message{TicketID: tk.ID, Direction: store.Inbound, Kind: "customer", MessageID: fmt.Sprintf("in%d@acme.example", i),
				FromAddr: c.Email, Subject: tk.Subject, Body: "body", NewText: "body",
				Attachments: []ticket.Attachment{{Name: "log.txt", ContentType: "text/plain", Size: 10, SHA256: "x"}}}
			if err := tx.AddMessage(in); err != nil {
				return err
			}
			if err := tx.Enqueue(&ticket.OutboxItem{TicketID: tk.ID, Kind: "ack", MessageID: fmt.Sprintf("ack%d@support", i),
				EnvelopeFrom: "support@example.com", Recipients: []string{c.Email}, Data: []byte("mail")}); err != nil {
				return err
			}
			if err := tx.AddEvent(tk.ID, "ticketd", "level", "P2"); err != nil {
				return err
			}
		}
		m := &store.Message{Direction: store.Inbound, Kind: "customer", MessageID: "unknown@elsewhere.example", FromAddr: "x@elsewhere.example"}
		if err := tx.AddMessage(m); err != nil {
			return err
		}
		_, err := tx.Quarantine(m.ID, "unknown", "not a contact")
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[string]bool{}
	stop := store.ObserveStatements(func(q string) { mu.Lock(); seen[q] = true; mu.Unlock() })
	for _, args := range [][]string{
		{"tickets", "list"},
		{"tickets", "list", "--json"},
		{"tickets", "list", "--status", "new"},
		{"tickets", "list", "--level", "P2"},
		{"tickets", "list", "--customer", "Acme"},
		{"tickets", "list", "--overdue"},
		{"tickets", "list", "--limit", "2", "--before", "4"},
		{"tickets", "list", "--status", "new", "--level", "P2", "--customer", "Acme", "--overdue", "--before", "5"},
		{"tickets", "show", "3"},
		{"tickets", "show", "3", "--json"},
		{"report", "sla"},
		{"report", "sla", "--since", "365d", "--json"},
		{"quarantine", "list"},
	} {
		if out, errOut, code := run(t, nil, append(args, "--config", p)...); code != 0 {
			t.Fatalf("%v: code %d\n%s%s", args, code, out, errOut)
		}
	}
	stop()
	var statements []string
	for q := range seen {
		statements = append(statements, q)
	}
	sort.Strings(statements)
	if len(statements) < 10 {
		t.Fatalf("only %d statements observed", len(statements))
	}
	db, err = store.Open(ctx, filepath.Join(dir, "ticketd.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range statements {
		scans, err := db.FullScans(ctx, q)
		if err != nil {
			t.Errorf("explain: %v", err)
			continue
		}
		plan, _ := db.QueryPlan(ctx, q)
		if len(scans) > 0 {
			t.Errorf("full scan of a growing table: %s\n\tin: %s\n\tplan: %s", strings.Join(scans, "; "), strings.Join(strings.Fields(q), " "), strings.Join(plan, " | "))
		} else if testing.Verbose() {
			t.Logf("%s\n\t→ %s", strings.Join(strings.Fields(q), " "), strings.Join(plan, " | "))
		}
	}
}

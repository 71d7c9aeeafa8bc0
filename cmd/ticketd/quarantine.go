package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ticketd/daemon"
	"ticketd/desk"
	"ticketd/store"
)

type quarantineJSON struct {
	ID         int64      `json:"id"`
	Outcome    string     `json:"outcome"`
	Reason     string     `json:"reason"`
	Status     string     `json:"status"`
	From       string     `json:"from"`
	Subject    string     `json:"subject"`
	MessageID  string     `json:"message_id"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
	Ticket     *int64     `json:"ticket"`
	Text       string     `json:"text,omitempty"`
}

func (m *Main) cmdQuarantine(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want list, show, release or drop")
	}
	sub, args := args[0], args[1:]
	f := m.newFlags("quarantine " + sub)
	asJSON, all, addContact, customer := new(bool), new(bool), new(bool), new(string)
	switch sub {
	case "list":
		f.BoolVar(asJSON, "json", false, "print JSON")
		f.BoolVar(all, "all", false, "list released and dropped entries too")
	case "show":
		f.BoolVar(asJSON, "json", false, "print JSON")
	case "release":
		f.BoolVar(addContact, "add-contact", false, "first add the sender as a technical contact of --customer")
		f.StringVar(customer, "customer", "", "with --add-contact: the customer `name`")
	case "drop":
	default:
		return usagef("unknown subcommand %q (want list, show, release or drop)", sub)
	}
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	var id int64
	if sub != "list" {
		if len(pos) != 1 {
			return usagef("want one quarantine ID")
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil {
			return usagef("%q is not a quarantine ID", pos[0])
		}
	}
	cfg, err := m.loadConfig(f)
	if err != nil {
		return err
	}
	switch sub {
	case "release":
		k, err := daemon.OpenDesk(ctx, cfg, m.Clock, newLogger(m.Stderr, cfg.Log.Level, cfg.Log.Format))
		if err != nil {
			return err
		}
		defer k.DB().Close()
		t, err := k.ReleaseQuarantine(ctx, id, *addContact, *customer)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "quarantine %d released as ticket #%d (%s); a running daemon sends the acknowledgement within a second\n", id, t.Number, t.Level)
		return nil
	}
	db, _, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "drop":
		if err := desk.DropQuarantine(ctx, db, id); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "quarantine %d dropped (the raw mail stays stored)\n", id)
		return nil
	case "list", "show":
		var entries []*store.QuarantineEntry
		texts := map[int64]string{}
		err := db.View(ctx, func(tx *store.Tx) error {
			if sub == "show" {
				e, err := tx.QuarantineByID(id)
				if err != nil {
					return err
				}
				msg, err := tx.MessageByRow(e.MessageRow)
				if err != nil {
					return err
				}
				texts[e.ID] = msg.Body
				entries = []*store.QuarantineEntry{e}
				return nil
			}
			status := store.QuarantineHeld
			if *all {
				status = ""
			}
			var err error
			entries, err = tx.QuarantineList(status)
			return err
		})
		if err != nil {
			return err
		}
		out := []quarantineJSON{}
		for _, e := range entries {
			q := quarantineJSON{ID: e.ID, Outcome: e.Outcome, Reason: e.Reason, Status: e.Status, From: e.From, Subject: e.Subject, MessageID: e.MessageID,
				CreatedAt: e.CreatedAt, ResolvedAt: timePtr(e.ResolvedAt), Text: texts[e.ID]}
			if e.TicketID != 0 {
				var n int64
				db.View(ctx, func(tx *store.Tx) error {
					if t, err := tx.TicketByID(e.TicketID); err == nil {
						n = t.Number
					}
					return nil
				})
				q.Ticket = &n
			}
			out = append(out, q)
		}
		if *asJSON {
			if sub == "show" {
				return writeJSON(m.Stdout, out[0])
			}
			return writeJSON(m.Stdout, out)
		}
		if sub == "show" {
			q := out[0]
			fmt.Fprintf(m.Stdout, "Quarantine %d (%s, %s)\n  from:    %s\n  subject: %s\n  reason:  %s\n  held since %s\n\n", q.ID, q.Outcome, q.Status,
				q.From, q.Subject, q.Reason, q.CreatedAt.Format(time.RFC3339))
			for _, line := range strings.Split(strings.TrimSpace(truncate(q.Text, 4000)), "\n") {
				fmt.Fprintf(m.Stdout, "  | %s\n", line)
			}
			fmt.Fprintf(m.Stdout, "\nrelease: ticketd quarantine release %d [--add-contact --customer NAME]\ndrop:    ticketd quarantine drop %d\n", q.ID, q.ID)
			return nil
		}
		if len(out) == 0 {
			fmt.Fprintln(m.Stdout, "quarantine is empty")
			return nil
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tOUTCOME\tSTATUS\tHELD SINCE\tFROM\tSUBJECT\tREASON")
		for _, q := range out {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", q.ID, q.Outcome, q.Status, q.CreatedAt.Format("2006-01-02 15:04"), orDash(q.From),
				truncate(q.Subject, 40), truncate(q.Reason, 60))
		}
		tw.Flush()
		return nil
	}
	return usagef("unknown subcommand %q (want list, show, release or drop)", sub)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/store"
	"ticketd/ticket"
)

// openStore loads the config and opens its database for an admin command.
// By default a new database is created but an existing one is never
// upgraded behind the admin's back (store.Options.NoUpgrade); migrate and
// backup pass store.Options{Manual: true}.
func (m *Main) openStore(ctx context.Context, f *flags, opts ...store.Options) (*store.DB, *config.Config, error) {
	cfg, err := m.loadConfig(f)
	if err != nil {
		return nil, nil, err
	}
	o := store.Options{NoUpgrade: true}
	if len(opts) > 0 {
		o = opts[0]
	}
	db, err := daemon.OpenStore(ctx, cfg, nil, o)
	if err != nil {
		return nil, nil, err
	}
	return db, cfg, nil
}

func (m *Main) cmdTickets(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want list or show")
	}
	switch args[0] {
	case "list":
		return m.ticketsList(ctx, args[1:])
	case "show":
		return m.ticketsShow(ctx, args[1:])
	}
	return usagef("unknown subcommand %q (want list or show)", args[0])
}

// ticketJSON is the script-facing form of a ticket: snake_case keys, times
// in RFC 3339, null where unknown.
type ticketJSON struct {
	Number           int64          `json:"number"`
	Subject          string         `json:"subject"`
	Status           ticket.Status  `json:"status"`
	Requester        string         `json:"requester"`
	Inbox            string         `json:"inbox"`
	RequesterName    string         `json:"requester_name,omitempty"`
	Customer         *string        `json:"customer"`
	Plan             *string        `json:"plan"`
	Level            *ticket.Level  `json:"level"`
	LevelLabel       *string        `json:"level_label"`
	DeclaredLevel    *ticket.Level  `json:"declared_level"`
	LevelReasons     []string       `json:"level_reasons,omitempty"`
	FirstResponseDue *time.Time     `json:"first_response_due"`
	FirstResponseAt  *time.Time     `json:"first_response_at"`
	ResolutionDue    *time.Time     `json:"resolution_due"`
	Breached         bool           `json:"breached"`
	Assignee         *string        `json:"assignee"`
	PreviousTicket   *int64         `json:"previous_ticket,omitempty"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	ClosedAt         *time.Time     `json:"closed_at"`
	Messages         any            `json:"messages"`
	Outbound         []outboundJSON `json:"outbound,omitempty"`
	Events           []eventJSON    `json:"events,omitempty"`
}

type messageJSON struct {
	Direction     string      `json:"direction"`
	Kind          string      `json:"kind"`
	MessageID     string      `json:"message_id"`
	From          string      `json:"from"`
	FromName      string      `json:"from_name,omitempty"`
	To            []string    `json:"to,omitempty"`
	Cc            []string    `json:"cc,omitempty"`
	Subject       string      `json:"subject"`
	At            time.Time   `json:"at"`
	Text          string      `json:"text"`
	SenderOutcome string      `json:"sender_outcome,omitempty"`
	SenderReason  string      `json:"sender_reason,omitempty"`
	Automated     string      `json:"automated,omitempty"`
	Malformed     bool        `json:"malformed,omitempty"`
	ParseErrors   []string    `json:"parse_errors,omitempty"`
	Attachments   []attachOut `json:"attachments,omitempty"`
}

type attachOut struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256,omitempty"`
}

type outboundJSON struct {
	Kind       string     `json:"kind"`
	MessageID  string     `json:"message_id"`
	Recipients []string   `json:"recipients"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"last_error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at"`
}

type eventJSON struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toTicketJSON(t *ticket.Ticket, now time.Time) ticketJSON {
	j := ticketJSON{
		Number: t.Number, Subject: t.Subject, Status: t.Status, Requester: t.Requester, RequesterName: t.RequesterName, Inbox: t.Inbox,
		Customer: strPtr(t.CustomerName), Plan: strPtr(t.Plan), LevelReasons: t.LevelReasons,
		FirstResponseDue: t.FirstResponseDue, FirstResponseAt: t.FirstResponseAt, ResolutionDue: t.ResolutionDue,
		Breached: t.Breached(now), Assignee: strPtr(t.Assignee), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ClosedAt: t.ClosedAt,
		Messages: t.MessageCount,
	}
	if t.Level != "" {
		l := t.Level
		j.Level = &l
	}
	if t.DeclaredLevel != "" {
		l := t.DeclaredLevel
		j.DeclaredLevel = &l
	}
	if t.PreviousNumber != 0 {
		p := t.PreviousNumber
		j.PreviousTicket = &p
	}
	return j
}

func (m *Main) ticketsList(ctx context.Context, args []string) error {
	f := m.newFlags("tickets list")
	asJSON := f.Bool("json", false, "print JSON")
	status := f.String("status", "", "only tickets with this status (new, open, waiting, closed)")
	level := f.String("level", "", "only tickets of this level (P0…P4)")
	customer := f.String("customer", "", "only tickets of this customer")
	inbox := f.String("inbox", "", "only tickets that came in through this inbox (`name`; \"default\" is [support]'s)")
	overdue := f.Bool("overdue", false, "only tickets at or past their first-response due time without a response")
	limit := f.Int("limit", 50, "at most this many, newest first (0: all)")
	before := f.Int64("before", 0, "only tickets numbered below `N`: the next page after a page ending at #N")
	at := f.String("at", "", "judge due times as of this RFC 3339 `instant` instead of now")
	if _, err := f.parse(args); err != nil {
		return err
	}
	now := m.now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usagef("--at: %q is not an RFC 3339 time like 2026-11-23T09:30:00Z", *at)
		}
		now = t.UTC()
	}
	if *limit < 0 || *before < 0 {
		return usagef("--limit and --before cannot be negative")
	}
	filter := store.TicketFilter{Overdue: *overdue, OverdueAt: now, Limit: *limit, Before: *before, Inbox: *inbox}
	var err error
	if *status != "" {
		if filter.Status, err = ticket.ParseStatus(*status); err != nil {
			return usagef("--status: %v", err)
		}
	}
	if *level != "" {
		if filter.Level, err = ticket.ParseLevel(*level); err != nil {
			return usagef("--level: %v", err)
		}
	}
	db, _, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	var ts []*ticket.Ticket
	err = db.View(ctx, func(tx *store.Tx) error {
		if *customer != "" {
			c, err := tx.CustomerByName(*customer)
			if err != nil {
				return err
			}
			filter.CustomerID = c.ID
		}
		ts, err = tx.Tickets(filter)
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]ticketJSON, 0, len(ts))
		for _, t := range ts {
			out = append(out, toTicketJSON(t, now))
		}
		return writeJSON(m.Stdout, out)
	}
	writeTicketTable(m.Stdout, ts, now)
	if *limit > 0 && len(ts) == *limit {
		fmt.Fprintf(m.Stdout, "(first %d; next page: --before %d)\n", *limit, ts[len(ts)-1].Number)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(jsonSafe(buf.Bytes()))
	return err
}

func writeTicketTable(w io.Writer, ts []*ticket.Ticket, now time.Time) {
	if len(ts) == 0 {
		fmt.Fprintln(w, "no tickets")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tLEVEL\tSTATUS\tCUSTOMER\tREQUESTER\tDUE (UTC)\tSUBJECT")
	for _, t := range ts {
		due := "-"
		switch {
		case t.FirstResponseAt != nil:
			due = "answered " + t.FirstResponseAt.Format("01-02 15:04")
		case t.FirstResponseDue != nil:
			due = t.FirstResponseDue.Format("2006-01-02 15:04")
		}
		if t.Breached(now) {
			due += " BREACHED"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Number, orDash(string(t.Level)), t.Status, orDash(t.CustomerName),
			t.Requester, due, truncate(t.Subject, 60))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (m *Main) ticketsShow(ctx context.Context, args []string) error {
	f := m.newFlags("tickets show")
	asJSON := f.Bool("json", false, "print JSON")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one ticket number")
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil {
		return usagef("%q is not a ticket number", pos[0])
	}
	db, _, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	var t *ticket.Ticket
	var msgs []*store.Message
	var outbox []*ticket.OutboxItem
	var events []store.Event
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = tx.TicketByNumber(n); err != nil {
			return err
		}
		if msgs, err = tx.Messages(t.ID); err != nil {
			return err
		}
		if outbox, err = tx.OutboxForTicket(t.ID); err != nil {
			return err
		}
		events, err = tx.Events(t.ID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no ticket #%d", n)
	}
	if err != nil {
		return err
	}
	now := m.now()
	j := toTicketJSON(t, now)
	var mj []messageJSON
	for _, msg := range msgs {
		x := messageJSON{Direction: msg.Direction, Kind: string(msg.Kind), MessageID: msg.MessageID, From: msg.FromAddr, FromName: msg.FromName,
			To: msg.To, Cc: msg.Cc, Subject: msg.Subject, At: msg.CreatedAt, Text: msg.NewText, SenderOutcome: msg.SenderOutcome,
			SenderReason: msg.SenderReason, Automated: msg.Automated, Malformed: msg.Malformed, ParseErrors: msg.ParseErrors}
		if msg.Direction == store.Outbound {
			x.Text = msg.Body
		}
		for _, a := range msg.Attachments {
			x.Attachments = append(x.Attachments, attachOut{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		}
		mj = append(mj, x)
	}
	j.Messages = mj
	for _, o := range outbox {
		j.Outbound = append(j.Outbound, outboundJSON{Kind: o.Kind, MessageID: o.MessageID, Recipients: o.Recipients, Status: o.Status,
			Attempts: o.Attempts, LastError: o.LastError, CreatedAt: o.CreatedAt, SentAt: timePtr(o.SentAt)})
	}
	for _, e := range events {
		j.Events = append(j.Events, eventJSON{At: e.At, Actor: e.Actor, Kind: e.Kind, Detail: e.Detail})
	}
	if *asJSON {
		return writeJSON(m.Stdout, j)
	}
	w := m.Stdout
	fmt.Fprintf(w, "Ticket #%d: %s\n", t.Number, t.Subject)
	fmt.Fprintf(w, "  status:     %s\n", t.Status)
	fmt.Fprintf(w, "  requester:  %s\n", formatAddr(t.RequesterName, t.Requester))
	fmt.Fprintf(w, "  customer:   %s (plan %s, region %s, zone %s)\n", orDash(t.CustomerName), orDash(t.Plan), orDash(t.SLARegion), orDash(t.SLAZone))
	fmt.Fprintf(w, "  level:      %s", orDash(string(t.Level)))
	if t.DeclaredLevel != "" && t.DeclaredLevel != t.Level {
		fmt.Fprintf(w, " (customer declared %s)", t.DeclaredLevel)
	}
	fmt.Fprintln(w)
	for _, r := range t.LevelReasons {
		fmt.Fprintf(w, "              - %s\n", r)
	}
	switch {
	case t.FirstResponseDue == nil:
		fmt.Fprintln(w, "  first response due: no target")
	default:
		fmt.Fprintf(w, "  first response due: %s", t.FirstResponseDue.Format(time.RFC3339))
		if t.Breached(now) {
			fmt.Fprint(w, "  BREACHED")
		}
		fmt.Fprintln(w)
	}
	if t.FirstResponseAt != nil {
		fmt.Fprintf(w, "  first response at:  %s\n", t.FirstResponseAt.Format(time.RFC3339))
	}
	if t.Assignee != "" {
		fmt.Fprintf(w, "  assignee:   %s\n", t.Assignee)
	}
	if t.PreviousNumber != 0 {
		fmt.Fprintf(w, "  continues:  #%d\n", t.PreviousNumber)
	}
	fmt.Fprintf(w, "\nConversation (%d messages):\n", len(msgs))
	for _, x := range mj {
		who := formatAddr(x.FromName, x.From)
		arrow := "←"
		if x.Direction == store.Outbound {
			arrow = "→"
			who = "to " + strings.Join(x.To, ", ")
		}
		fmt.Fprintf(w, "\n%s %s  [%s] %s\n", arrow, x.At.Format("2006-01-02 15:04:05 MST"), x.Kind, who)
		if x.Automated != "" {
			fmt.Fprintf(w, "  (automated: %s)\n", x.Automated)
		}
		if x.Malformed {
			fmt.Fprintf(w, "  (MALFORMED: %s)\n", strings.Join(x.ParseErrors, "; "))
		}
		if x.SenderOutcome != "" && x.Direction == store.Inbound {
			fmt.Fprintf(w, "  sender: %s — %s\n", x.SenderOutcome, x.SenderReason)
		}
		fmt.Fprintf(w, "  Subject: %s\n", x.Subject)
		for _, line := range strings.Split(strings.TrimSpace(truncate(x.Text, 2000)), "\n") {
			fmt.Fprintf(w, "  | %s\n", line)
		}
		for _, a := range x.Attachments {
			fmt.Fprintf(w, "  📎 %s (%s, %d bytes)\n", a.Name, a.ContentType, a.Size)
		}
	}
	if len(j.Outbound) > 0 {
		fmt.Fprintln(w, "\nOutbound mail:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, o := range j.Outbound {
			line := fmt.Sprintf("  %s\t%s\tto %s\tattempts %d", o.Kind, strings.ToUpper(o.Status), strings.Join(o.Recipients, ", "), o.Attempts)
			if o.LastError != "" {
				line += "\t" + o.LastError
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	}
	if len(events) > 0 {
		fmt.Fprintln(w, "\nHistory:")
		for _, e := range events {
			fmt.Fprintf(w, "  %s  %-16s %s: %s\n", e.At.Format("2006-01-02 15:04:05"), e.Kind, e.Actor, e.Detail)
		}
	}
	return nil
}

func formatAddr(name, addr string) string {
	if name == "" {
		return addr
	}
	return fmt.Sprintf("%s <%s>", name, addr)
}

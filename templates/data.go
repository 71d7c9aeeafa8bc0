package templates

import (
	"strconv"
	"time"
)

// Data is everything a template can use. The notify package fills what a
// kind needs (see the field table in the README); Render sets Lang and fills
// the derived fields (Ticket.Tag, Due.Text, Message.Received) when they are
// empty. Field names are part of the admin-facing contract: renaming one
// breaks override files, and Check reports such files.
type Data struct {
	// Lang is the language being rendered ("en", "de", "fr"); Render sets it.
	Lang string
	// Zone is the recipient's IANA time zone, e.g. "Europe/Zurich"; times
	// are shown in it. "" or an unknown zone means UTC.
	Zone string

	Support    SupportInfo
	Ticket     TicketInfo
	Level      LevelInfo
	Due        Due
	Contact    Person // the customer's technical contact (for spoofed-alert: the one impersonated)
	Customer   CustomerInfo
	Plan       PlanInfo
	Engineer   Person
	Message    MessageInfo
	Reminder   ReminderInfo
	Quarantine QuarantineInfo
	Notice     Notice
	Digest     DigestInfo
	Hours      HoursInfo
}

// DigestInfo is a customer's open tickets, for the status digest.
type DigestInfo struct {
	// Requested is true when the contact asked with a "status" mail, false
	// for the scheduled (weekly) digest.
	Requested bool
	Tickets   []DigestTicket
}

// DigestTicket is one open ticket in a digest.
type DigestTicket struct {
	Number   int64
	Tag      string // "[Ticket#42]"
	Subject  string
	Level    string // the plan's label for the level, in the digest's language
	Status   string // "new", "open", "waiting"
	Assignee string // the engineer who has it; "" when nobody yet
	// Due is the next due time (first response while unanswered), in the
	// recipient's language and zone; "" when there is none.
	Due     string
	Overdue bool
}

// HoursInfo is engineering time against a customer's included hours, for
// the hours warning.
type HoursInfo struct {
	Threshold   int    // the share passed: 80 or 100
	UsedPercent int    // the share used now
	Used        string // e.g. "8h 15m"
	Included    string // e.g. "10h"
	Per         string // "month" or "week"
	PeriodStart string // first day of the period, in the recipient's language
}

// SupportInfo is us: the team name signed under customer mail and the
// support address customers write to.
type SupportInfo struct {
	Name    string // e.g. "Northwind Support"
	Address string // e.g. "support@northwind.example"
}

// TicketInfo identifies the ticket a mail is about.
type TicketInfo struct {
	Number  int64
	Subject string // the ticket's subject as the customer wrote it
	Status  string // "new", "open", "waiting", "closed"
	Tag     string // "[Ticket#42]"; Render fills it from Number when empty
}

// LevelInfo is the ticket's severity.
type LevelInfo struct {
	Code    string   // canonical "P0".."P4"
	Label   string   // the plan's label for it, e.g. "Severity 1 – Critical"
	Reasons []string // why classification chose it, for engineers
	// Declared is the level the customer wrote ("Prio 1", "[P0]"), "" if
	// none; it may differ from Code, which follows the assessed impact.
	Declared string
	// Uncertain is set when the text supports the level only weakly or
	// also supports another level: engineers are asked to confirm it and
	// the customer is told the priority is provisional.
	Uncertain bool
	// Confidence is "high", "medium" or "low".
	Confidence string
	// Candidates are the other levels the text supports, most severe first.
	Candidates []string
}

// Due is the initial-response due time. Used bare, {{.Due}} prints Text.
type Due struct {
	Set    bool      // false when the plan gives no response target at this level
	At     time.Time // the instant
	Target string    // the target as the plan words it, e.g. "4h", "1 business day"
	Text   string    // At in the recipient's language and zone; Render fills it when empty
}

// String returns the localised due time, so {{.Due}} reads naturally.
func (d Due) String() string { return d.Text }

// Person is a human with an address: a contact or an engineer.
type Person struct {
	Name  string
	Email string
}

// CustomerInfo is the company a contact belongs to.
type CustomerInfo struct {
	Name string
}

// PlanInfo is the customer's support plan.
type PlanInfo struct {
	Name string // e.g. "Premium 24x7"
}

// MessageInfo is the inbound mail a notice is about: the customer's mail
// in an alert, the engineer's words in a relay, the rejected mail in
// unknown-sender, spoofed-alert and staff-bounce.
type MessageInfo struct {
	Subject     string
	From        string // sender address, e.g. "sarah@harbour.example"
	FromName    string // sender display name, e.g. "Sarah Collins"; may be empty
	Text        string // the new text, quotes and signature removed
	Attachments []string
	FollowUp    bool      // true when the mail was added to an existing ticket (alert)
	ReceivedAt  time.Time // when ticketd stored it
	Received    string    // ReceivedAt in the recipient's language and zone; Render fills it when empty
	// Truncated is true when the mail was larger than limits.max_message_bytes
	// and only its beginning was kept.
	Truncated bool
	// Folded is, in an alert that sums up a burst, how many follow-ups
	// were not alerted one by one (limits.alert_fold_window); the message
	// shown is the newest.
	Folded int
}

// ReminderInfo describes how far along the first-response clock is.
type ReminderInfo struct {
	Percent int    // share of the target used, e.g. 75
	Elapsed string // business time elapsed, e.g. "3h 00m"
}

// QuarantineInfo identifies a quarantined mail.
type QuarantineInfo struct {
	ID     int64
	Reason string // e.g. "DMARC fail for harbour.example (p=reject)"
}

// Notice is the content of a generic admin notice.
type Notice struct {
	Title string // one line, e.g. "Delivery failed permanently"
	Body  string // plain text, may span lines
}

// prepare returns d with Lang set and the derived fields filled.
func (d Data) prepare(lang string, loc *time.Location) Data {
	d.Lang = lang
	if d.Ticket.Tag == "" && d.Ticket.Number != 0 {
		d.Ticket.Tag = "[Ticket#" + strconv.FormatInt(d.Ticket.Number, 10) + "]"
	}
	if d.Due.Set && d.Due.Text == "" && !d.Due.At.IsZero() {
		d.Due.Text = FormatDateTime(d.Due.At, loc, lang)
	}
	if d.Message.Received == "" && !d.Message.ReceivedAt.IsZero() {
		d.Message.Received = FormatDateTime(d.Message.ReceivedAt, loc, lang)
	}
	return d
}

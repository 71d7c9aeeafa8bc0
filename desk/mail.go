package desk

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"ticketd/notify"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// outMail is one mail the pipeline wants sent: which template, to whom,
// and how it threads. The rendering and composition happen in enqueue.
type outMail struct {
	kind   templates.Kind
	lang   string
	data   templates.Data
	ticket *ticket.Ticket // nil for mail about no ticket (unknown sender, admin notices)
	to     []mail.Address
	cc     []mail.Address
	// auto marks automatic mail (RFC 3834): Auto-Submitted: auto-replied,
	// and counted against the per-sender rate limit when rateLimit is set.
	auto      bool
	rateLimit bool
	fromName  string // display name; default the inbox's
	// inbox is the inbox the mail is sent from: the ticket's, or for mail
	// about no ticket the one the mail it answers came in through ("" the
	// default).
	inbox       string
	inReplyTo   string
	refs        []string
	attachments []ticket.Attachment // relayed engineer files
	msgKind     string              // kind of the stored outbound message row; default string(kind)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// tokenRole is the role of the reply token mail of kind carries: mail to
// engineers carries the staff token, which lets a reply command the ticket
// and be relayed; mail to customers carries the customer token, which only
// lets a reply join the ticket (see decideAccess).
func tokenRole(kind templates.Kind) ticket.TokenRole {
	switch kind {
	case templates.Alert, templates.Reminder, templates.Breach:
		return ticket.TokenStaff
	}
	return ticket.TokenCustomer
}

// newMessageID returns a unique Message-ID under the domain of the inbox
// address from. Mail about a ticket carries the ticket's signed token of
// role in it, so a reply finds its ticket even when the client drops
// References.
func (d *Desk) newMessageID(kind string, t *ticket.Ticket, role ticket.TokenRole, from string) string {
	var b [10]byte
	rand.Read(b[:])
	r := strings.ToLower(idEncoding.EncodeToString(b[:]))
	domain := ticket.DomainOf(from)
	if domain == "" {
		domain = d.supportDomain
	}
	if t != nil {
		return fmt.Sprintf("%s.%s.%s@%s", kind, ticket.SignTokenFor(role, d.tokenKey, t.Number), r, domain)
	}
	return fmt.Sprintf("%s.%s@%s", kind, r, domain)
}

// replyAddress is the inbox's address carrying the ticket's signed token
// of role.
func (d *Desk) replyAddress(in Inbox, t *ticket.Ticket, role ticket.TokenRole) mail.Address {
	return mail.Address{Name: in.DisplayName, Address: ticket.PlusAddress(in.Address, ticket.SignTokenFor(role, d.tokenKey, t.Number))}
}

// enqueue renders, composes and queues m in tx, and records it as an
// outbound message of its ticket so replies to it thread.
func (d *Desk) enqueue(tx *store.Tx, m outMail) error {
	if len(m.to) == 0 {
		return nil
	}
	if m.ticket != nil && m.inbox == "" {
		m.inbox = m.ticket.Inbox
	}
	inbox := d.inbox(m.inbox)
	m.data.Support = templates.SupportInfo{Name: inbox.DisplayName, Address: inbox.Address}
	if m.ticket != nil && m.ticket.Level != "" {
		// The plan's label for the level, in the language of this mail.
		m.data.Level.Label = d.levelLabel(m.ticket.Plan, m.ticket.Level, m.lang)
	}
	r, err := d.templates().Render(m.kind, m.lang, m.data)
	if err != nil {
		return fmt.Errorf("render %s (%s): %w", m.kind, m.lang, err)
	}
	msgKind := m.msgKind
	if msgKind == "" {
		msgKind = string(m.kind)
	}
	role := tokenRole(m.kind)
	id := d.newMessageID(msgKind, m.ticket, role, inbox.Address)
	fromName := m.fromName
	if fromName == "" {
		fromName = inbox.DisplayName
	}
	mm := &notify.Mail{
		From:        mail.Address{Name: fromName, Address: inbox.Address},
		To:          m.to,
		Cc:          m.cc,
		Subject:     r.Subject,
		Text:        r.Text,
		HTML:        r.HTML,
		MessageID:   id,
		InReplyTo:   m.inReplyTo,
		References:  m.refs,
		Date:        tx.Now,
		AutoReply:   m.auto,
		Loop:        inbox.Address,
		Attachments: m.attachments,
	}
	if m.ticket != nil {
		mm.ReplyTo = []mail.Address{d.replyAddress(inbox, m.ticket, role)}
	}
	data, err := notify.Compose(mm)
	if err != nil {
		return fmt.Errorf("compose %s: %w", m.kind, err)
	}
	var rcpts []string
	for _, a := range append(append([]mail.Address{}, m.to...), m.cc...) {
		rcpts = append(rcpts, a.Address)
	}
	item := &ticket.OutboxItem{Kind: msgKind, MessageID: id, EnvelopeFrom: inbox.Address, Recipients: rcpts, Data: data}
	if m.ticket != nil {
		item.TicketID = m.ticket.ID
	}
	if err := tx.Enqueue(item); err != nil {
		return err
	}
	if m.ticket != nil {
		var to, cc []string
		for _, a := range m.to {
			to = append(to, a.Address)
		}
		for _, a := range m.cc {
			cc = append(cc, a.Address)
		}
		om := &store.Message{TicketID: m.ticket.ID, Direction: store.Outbound, Kind: ticket.MessageKind(msgKind), MessageID: id, InReplyTo: m.inReplyTo,
			References: m.refs, FromAddr: inbox.Address, FromName: fromName, To: to, Cc: cc, Subject: r.Subject, Date: tx.Now, Body: r.Text}
		for _, a := range m.attachments {
			om.Attachments = append(om.Attachments, ticket.Attachment{Name: a.Name, ContentType: a.ContentType, Size: int64(len(a.Content))})
		}
		if err := tx.AddMessage(om); err != nil {
			return err
		}
	}
	if m.rateLimit {
		for _, a := range m.to {
			if err := tx.RecordAutoReply(ticket.NormalizeAddress(a.Address), string(m.kind)); err != nil {
				return err
			}
		}
	}
	d.obs.Enqueued(msgKind)
	return nil
}

// replyLimits reads the counts decideAutoReply weighs for an automatic
// mail of kind to addr: the per-sender hourly cap, perDay of kind to one
// address (0: none), allPerHour of kind to anyone (0: none).
func (d *Desk) replyLimits(tx *store.Tx, addr string, kind templates.Kind, perDay, allPerHour int) (replyLimits, error) {
	l := replyLimits{PerSenderHourLimit: d.cfg.AutoRepliesPerSenderPerHour, KindPerDay: perDay, KindAllHourLimit: allPerHour}
	var err error
	if l.PerSenderHourLimit > 0 {
		if l.PerSenderHour, err = tx.AutoRepliesSince(addr, "", tx.Now.Add(-time.Hour)); err != nil {
			return l, err
		}
	}
	if perDay > 0 {
		if l.KindToday, err = tx.AutoRepliesSince(addr, string(kind), tx.Now.Add(-24*time.Hour)); err != nil {
			return l, err
		}
	}
	if allPerHour > 0 {
		if l.KindAllHour, err = tx.AutoRepliesOfKindSince(string(kind), tx.Now.Add(-time.Hour)); err != nil {
			return l, err
		}
	}
	return l, nil
}

// autoReplyAllowed applies the per-sender limit on automatic mail
// (decideAutoReply) to an automatic mail of kind to addr.
func (d *Desk) autoReplyAllowed(tx *store.Tx, addr string, kind templates.Kind) (bool, string, error) {
	addr = ticket.NormalizeAddress(addr)
	l, err := d.replyLimits(tx, addr, kind, 0, 0)
	if err != nil {
		return false, "", err
	}
	ok, why := decideAutoReply(addr, string(kind), l)
	return ok, why, nil
}

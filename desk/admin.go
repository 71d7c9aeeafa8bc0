package desk

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"ticketd/classify"
	"ticketd/intake"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Directory manages customers and contacts under the plans' rules: known
// plans and regions, valid zones, the plan's maximum number of technical
// contacts, exactly one primary contact per customer.
type Directory struct {
	DB    *store.DB
	Plans *sla.Catalog
}

func validLanguage(l string) error {
	switch l {
	case "", "en", "de", "fr":
		return nil
	}
	return fmt.Errorf("language %q is not en, de or fr", l)
}

// AddCustomer validates and adds a customer.
func (dir Directory) AddCustomer(ctx context.Context, c *ticket.Customer) error {
	if strings.TrimSpace(c.Name) == "" {
		return errors.New("--name is required")
	}
	if err := dir.checkCustomer(c); err != nil {
		return err
	}
	return dir.DB.Update(ctx, func(tx *store.Tx) error { return tx.AddCustomer(c) })
}

func (dir Directory) checkCustomer(c *ticket.Customer) error {
	if _, err := dir.Plans.Plan(c.Plan); err != nil {
		return fmt.Errorf("--plan: %w", err)
	}
	if c.Region != "" {
		if err := sla.ValidRegion(c.Region); err != nil {
			return fmt.Errorf("--region: %w", err)
		}
	}
	if err := validLanguage(c.Language); err != nil {
		return fmt.Errorf("--language: %w", err)
	}
	if c.Engineer != "" && (!strings.Contains(c.Engineer, "@") || strings.ContainsAny(c.Engineer, " <>")) {
		return fmt.Errorf("--engineer: %q is not an email address", c.Engineer)
	}
	if c.EngineerHours != "" {
		if c.Engineer == "" {
			return errors.New("--engineer-hours needs --engineer")
		}
		if dir.Plans.Calendars[c.EngineerHours] == nil {
			return fmt.Errorf("--engineer-hours: unknown calendar %q (see ticketd sla plans)", c.EngineerHours)
		}
	}
	switch {
	case c.IncludedHours < 0:
		return fmt.Errorf("--included-hours: %v is negative", c.IncludedHours)
	case c.IncludedHours == 0 && c.IncludedPer != "":
		return errors.New("--included-per needs --included-hours")
	case c.IncludedPer != "":
		if err := sla.ValidPeriod(c.IncludedPer); err != nil {
			return fmt.Errorf("--included-per: %w", err)
		}
	}
	return nil
}

// CustomerChange is what `customers set` may change; nil fields stay.
type CustomerChange struct {
	Plan, Region, Language *string
	// Engineer is the designated engineer ("" removes it), EngineerHours
	// the calendar of their hours ("" always).
	Engineer, EngineerHours *string
	// IncludedHours per IncludedPer overrides the plan's included hours (0
	// goes back to the plan's).
	IncludedHours *float64
	IncludedPer   *string
}

// SetCustomer changes a customer's plan, region, language, designated
// engineer or included hours. A plan with fewer contacts than the customer
// has is refused.
func (dir Directory) SetCustomer(ctx context.Context, name string, ch CustomerChange) (*ticket.Customer, error) {
	var c *ticket.Customer
	err := dir.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CustomerByName(name); err != nil {
			return err
		}
		if ch.Plan != nil {
			c.Plan = *ch.Plan
		}
		if ch.Region != nil {
			c.Region = *ch.Region
		}
		if ch.Language != nil {
			c.Language = *ch.Language
		}
		if ch.Engineer != nil {
			c.Engineer = ticket.NormalizeAddress(*ch.Engineer)
			if c.Engineer == "" {
				c.EngineerHours = ""
			}
		}
		if ch.EngineerHours != nil {
			c.EngineerHours = *ch.EngineerHours
		}
		if ch.IncludedHours != nil {
			c.IncludedHours = *ch.IncludedHours
			if c.IncludedHours == 0 {
				c.IncludedPer = ""
			}
		}
		if ch.IncludedPer != nil {
			c.IncludedPer = *ch.IncludedPer
		}
		if c.IncludedHours > 0 && c.IncludedPer == "" {
			c.IncludedPer = "month"
		}
		if err := dir.checkCustomer(c); err != nil {
			return err
		}
		contacts, err := tx.Contacts(c.ID)
		if err != nil {
			return err
		}
		p, _ := dir.Plans.Plan(c.Plan)
		if p.MaxContacts > 0 && len(contacts) > p.MaxContacts {
			return fmt.Errorf("plan %s allows %d technical contacts; %s has %d (%s): remove some first",
				p.Name, p.MaxContacts, c.Name, len(contacts), contactList(contacts))
		}
		return tx.UpdateCustomer(c)
	})
	return c, err
}

func contactList(cs []*ticket.Contact) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Email)
	}
	return strings.Join(s, ", ")
}

// NewContact is a contact to add, naming its customer.
type NewContact struct {
	Customer string
	ticket.Contact
}

// AddContact adds a technical contact, refusing one beyond the plan's
// maximum with a message naming the limit and the current contacts. The
// first contact of a customer becomes primary.
func (dir Directory) AddContact(ctx context.Context, nc NewContact) (*ticket.Contact, error) {
	var out *ticket.Contact
	err := dir.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := dir.addContact(tx, nc)
		out = c
		return err
	})
	return out, err
}

func (dir Directory) addContact(tx *store.Tx, nc NewContact) (*ticket.Contact, error) {
	c := nc.Contact
	c.Email = ticket.NormalizeAddress(c.Email)
	if at := strings.LastIndexByte(c.Email, '@'); at <= 0 || at == len(c.Email)-1 || strings.ContainsAny(c.Email, " <>,;\"") {
		return nil, fmt.Errorf("email %q is not an address", nc.Email)
	}
	if c.TZ == "" {
		c.TZ = "UTC"
	}
	if _, err := time.LoadLocation(c.TZ); err != nil {
		return nil, fmt.Errorf("tz %q is not a time zone (e.g. Europe/Zurich)", c.TZ)
	}
	if err := validLanguage(c.Language); err != nil {
		return nil, err
	}
	cu, err := tx.CustomerByName(nc.Customer)
	if err != nil {
		return nil, fmt.Errorf("customer %q: %w", nc.Customer, err)
	}
	existing, err := tx.Contacts(cu.ID)
	if err != nil {
		return nil, err
	}
	if p, err := dir.Plans.Plan(cu.Plan); err == nil && p.MaxContacts > 0 && len(existing) >= p.MaxContacts {
		return nil, fmt.Errorf("%s is on plan %s, which allows %d technical contacts, and has %d already (%s); remove one or change the plan",
			cu.Name, p.Name, p.MaxContacts, len(existing), contactList(existing))
	}
	c.CustomerID = cu.ID
	if len(existing) == 0 {
		c.Primary = true
	}
	if err := tx.AddContact(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// RemoveContact removes a contact. The primary contact of a customer with
// other contacts cannot be removed until another is made primary.
func (dir Directory) RemoveContact(ctx context.Context, email string) error {
	return dir.DB.Update(ctx, func(tx *store.Tx) error {
		c, _, err := tx.ContactByEmail(email)
		if err != nil {
			return err
		}
		if c.Primary {
			others, err := tx.Contacts(c.CustomerID)
			if err != nil {
				return err
			}
			if len(others) > 1 {
				return fmt.Errorf("%s is the primary contact; make another contact primary first (contacts add … --primary)", c.Email)
			}
		}
		return tx.RemoveContact(email)
	})
}

// ContactCSVHeader is the header of contacts import/export files.
var ContactCSVHeader = []string{"customer", "email", "name", "tz", "language", "primary"}

// ImportContacts reads a CSV file with ContactCSVHeader and adds every
// contact, or none: the whole file is validated in one transaction, and
// errors name line and column.
func (dir Directory) ImportContacts(ctx context.Context, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		return 0, fmt.Errorf("csv: %w", err)
	}
	if len(records) == 0 {
		return 0, errors.New("csv: empty file (want a header row: " + strings.Join(ContactCSVHeader, ",") + ")")
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"customer", "email"} {
		if _, ok := col[need]; !ok {
			return 0, fmt.Errorf("line 1: header has no %q column (want %s)", need, strings.Join(ContactCSVHeader, ","))
		}
	}
	for h := range col {
		if !contains(ContactCSVHeader, h) {
			return 0, fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(ContactCSVHeader, ","))
		}
	}
	n := 0
	err = dir.DB.Update(ctx, func(tx *store.Tx) error {
		var errs []string
		for i, rec := range records[1:] {
			line := i + 2
			get := func(name string) string {
				if j, ok := col[name]; ok && j < len(rec) {
					return strings.TrimSpace(rec[j])
				}
				return ""
			}
			nc := NewContact{Customer: get("customer"), Contact: ticket.Contact{Email: get("email"), Name: get("name"), TZ: get("tz"), Language: get("language")}}
			if p := get("primary"); p != "" {
				b, err := strconv.ParseBool(p)
				if err != nil {
					errs = append(errs, fmt.Sprintf("line %d, column %q: %q is not true or false", line, "primary", p))
					continue
				}
				nc.Primary = b
			}
			if nc.Customer == "" {
				errs = append(errs, fmt.Sprintf("line %d, column %q: empty", line, "customer"))
				continue
			}
			if _, err := dir.addContact(tx, nc); err != nil {
				errs = append(errs, fmt.Sprintf("line %d, column %q: %v", line, columnOf(err), err))
				continue
			}
			n++
		}
		if len(errs) > 0 {
			return fmt.Errorf("nothing imported:\n%s", strings.Join(errs, "\n"))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func columnOf(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "tz "):
		return "tz"
	case strings.Contains(s, "language"):
		return "language"
	case strings.HasPrefix(s, "customer "):
		return "customer"
	}
	return "email"
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ExportContacts writes every contact as CSV with ContactCSVHeader.
func (dir Directory) ExportContacts(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(ContactCSVHeader)
	err := dir.DB.View(ctx, func(tx *store.Tx) error {
		customers, err := tx.Customers()
		if err != nil {
			return err
		}
		for _, cu := range customers {
			cs, err := tx.Contacts(cu.ID)
			if err != nil {
				return err
			}
			for _, c := range cs {
				cw.Write([]string{cu.Name, c.Email, c.Name, c.TZ, c.Language, strconv.FormatBool(c.Primary)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ReleaseQuarantine turns a held mail into a ticket as if it had just
// arrived: the SLA clock starts now. With addContact, its sender is first
// added as a contact of customer.
func (d *Desk) ReleaseQuarantine(ctx context.Context, id int64, addContact bool, customer string) (*ticket.Ticket, error) {
	var entry *store.QuarantineEntry
	var msg *store.Message
	var raw *store.RawMessage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if entry, err = tx.QuarantineByID(id); err != nil {
			return err
		}
		if msg, err = tx.MessageByRow(entry.MessageRow); err != nil {
			return err
		}
		raw, err = tx.RawMessage(msg.RawID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if entry.Status != store.QuarantineHeld {
		return nil, fmt.Errorf("quarantine entry %d is already %s", id, entry.Status)
	}
	if addContact {
		if customer == "" {
			return nil, errors.New("--add-contact needs --customer NAME")
		}
		dir := Directory{DB: d.db, Plans: d.plans}
		if _, err := dir.AddContact(ctx, NewContact{Customer: customer, Contact: ticket.Contact{Email: msg.FromAddr, Name: msg.FromName}}); err != nil {
			return nil, err
		}
	}
	in := &inbound{raw: raw, msg: intake.Parse(raw.Data), log: d.log.With("quarantine", id)}
	if reason, ok := intake.Automated(in.msg, d.addresses()...); ok {
		in.automated = reason
	}
	// The admin vouches for this mail: only the directory decides now.
	var c *ticket.Contact
	var cu *ticket.Customer
	if c, cu, err = d.db.LookupContact(ctx, msg.FromAddr); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("%s is not a technical contact: add it (--add-contact --customer NAME) or drop the entry", msg.FromAddr)
	}
	in.sender = classify.SenderResult{Outcome: ticket.SenderContact, Contact: c, Customer: cu, Reason: fmt.Sprintf("released from quarantine %d", id)}
	var t *ticket.Ticket
	err = d.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = d.newTicket(tx, in, 0); err != nil {
			return err
		}
		// newTicket stored a second message row for the ticket; the held
		// row stays as the quarantine record.
		if err := tx.ResolveQuarantine(id, store.QuarantineReleased, t.ID); err != nil {
			return err
		}
		// The acknowledgement and alert are queued: wake the running
		// daemon's outbox now.
		return tx.Nudge(store.NudgeOutbox)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DropQuarantine marks a held mail as dropped. Its raw bytes stay stored.
func DropQuarantine(ctx context.Context, db *store.DB, id int64) error {
	return db.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.QuarantineByID(id)
		if err != nil {
			return err
		}
		if e.Status != store.QuarantineHeld {
			return fmt.Errorf("quarantine entry %d is already %s", id, e.Status)
		}
		return tx.ResolveQuarantine(id, store.QuarantineDropped, 0)
	})
}

// TemplateData builds the data a template of kind would get for ticket
// number, for `templates preview --ticket N`; it also returns the
// ticket's language.
func (d *Desk) TemplateData(ctx context.Context, kind templates.Kind, number int64) (templates.Data, string, error) {
	var data templates.Data
	var lang string
	err := d.db.View(ctx, func(tx *store.Tx) error {
		t, err := tx.TicketByNumber(number)
		if err != nil {
			return err
		}
		tc, err := d.contextFor(tx, t)
		if err != nil {
			return err
		}
		zone := d.cfg.StaffZone
		switch kind {
		case templates.Ack, templates.FollowupAck, templates.Relay, templates.HoldingReply:
			zone = tc.zone
			if tc.contact != nil && tc.contact.TZ != "" {
				zone = tc.contact.TZ
			}
		}
		data = d.baseData(t, tc, zone)
		in := d.inbox(t.Inbox)
		data.Support = templates.SupportInfo{Name: in.DisplayName, Address: in.Address}
		if last, err := tx.LastInbound(t.ID); err == nil {
			data.Message = templates.MessageInfo{Subject: last.Subject, Text: last.NewText, ReceivedAt: last.CreatedAt,
				From: formatFrom(last.FromName, last.FromAddr)}
			for _, a := range last.Attachments {
				data.Message.Attachments = append(data.Message.Attachments, a.Name)
			}
		}
		lang = t.Language
		data.Level.Label = d.levelLabel(t.Plan, t.Level, lang)
		return nil
	})
	return data, lang, err
}

func formatFrom(name, addr string) string {
	if name == "" {
		return addr
	}
	return (&mail.Address{Name: name, Address: addr}).String()
}

// AdminNotice queues a notice to the admin address, if one is configured;
// key names its kind (the outbox row's kind is "admin-" + key).
func (d *Desk) AdminNotice(ctx context.Context, key, title, body string) error {
	if d.cfg.Admin == "" {
		return nil
	}
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		return d.enqueue(tx, outMail{kind: templates.AdminNotice, lang: d.cfg.DefaultLanguage,
			data: templates.Data{Notice: templates.Notice{Title: title, Body: body}},
			to:   []mail.Address{{Address: d.cfg.Admin}}, auto: true, msgKind: "admin-" + key})
	})
	if err != nil {
		return err
	}
	d.wakeOutbox()
	return nil
}

// DeliveryFailed records a permanent delivery failure on its ticket and
// tells the admin (unless the failed mail was itself an admin notice or a
// spoofing alert: those would only fail again).
func (d *Desk) DeliveryFailed(ctx context.Context, item ticket.OutboxItem, cause error) error {
	var number int64
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		it, err := tx.OutboxItemByID(item.ID)
		if err != nil || it.TicketID == 0 {
			return err
		}
		t, err := tx.TicketByID(it.TicketID)
		if err != nil {
			return err
		}
		number = t.Number
		return tx.AddEvent(it.TicketID, "ticketd", "delivery-failed", fmt.Sprintf("%s to %v: %v", item.Kind, item.Recipients, cause))
	})
	if err != nil {
		return err
	}
	if strings.HasPrefix(item.Kind, "admin-") || item.Kind == string(templates.SpoofedAlert) {
		return nil
	}
	about := ""
	if number != 0 {
		about = fmt.Sprintf(" (ticket #%d)", number)
	}
	return d.AdminNotice(ctx, "delivery", "Delivery failed permanently",
		fmt.Sprintf("The %s mail %s%s to %v could not be delivered and will not be retried:\n%v", item.Kind, item.MessageID, about, item.Recipients, cause))
}

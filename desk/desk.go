// Package desk owns what happens to a ticket: threading and who may join
// or command which ticket (decideAccess), the lifecycle (new, follow-up,
// reopen, continuation, close), engineer commands, reminders and alert
// folding, and which mail each event causes. It decides first — pure
// functions from facts to a decision, table-tested without a database —
// and applies each decision in one store transaction. It opens no socket:
// the daemon drives it from its loops, and admin commands call it
// directly with a store.
//
// Size: about 2,800 lines, over the ~1,500 a package should stay under,
// because it is the whole policy of the product: one file per event
// (inbound mail, engineer replies, reminders, alert folds), the decisions
// (decide.go, access.go), the mail each causes (mail.go), and the admin
// actions on tickets and the directory (admin.go).
package desk

import (
	"log/slog"
	"time"

	"ticketd/classify"
	"ticketd/intake"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Config is what the desk needs to know of the configuration.
type Config struct {
	SupportAddress, SupportName string
	StaffZone                   string // engineers' time zone, for alerts
	Routes                      []Route
	DefaultLanguage             string
	FollowupAck                 bool // acknowledge customer follow-ups too
	ReopenDays                  int  // a follow-up later than this after closing opens a new ticket
	ReminderPercents            []int
	HoldingReply                bool   // tell the customer at breach
	Admin                       string // admin notices; "" for none
	// Inboxes besides the default one (SupportAddress, SupportName).
	Inboxes     []Inbox
	StaffRegion string // holidays the routing calendars skip
	// DigestDay and DigestMinute schedule the weekly status digest (in
	// each primary contact's zone); DigestOn is false when there is none.
	DigestOn     bool
	DigestDay    time.Weekday
	DigestMinute int
	// TrustConfigured: a trusted receiving server's Authentication-Results
	// are read; unknown senders it did not authenticate get no notice.
	TrustConfigured bool

	AutoRepliesPerSenderPerHour int
	UnknownNoticesPerHour       int
	AlertFoldWindow             time.Duration // <= 0: no folding
	AlertsPerSenderWindow       int
	MaxMessageBytes             int64
	ParseLimits                 intake.Limits
}

// Route sends alerts about tickets of Levels to To: always, or with When
// "business" only while Calendar is open, "outside" only while it is
// closed (on-call), its hours read in the staff zone.
type Route struct {
	Levels   []ticket.Level
	To       []string
	When     string
	Calendar string
}

// Inbox is an address customers write to and ticketd answers from. The
// default inbox (name "default") is the support address.
type Inbox struct {
	Name, Address, DisplayName string
	Plan                       string  // plan of tickets opened here; "" the customer's
	Language                   string  // default language of its mail; "" the desk's
	Routes                     []Route // alert routes of its tickets; nil: the desk's
}

// Observer hears what the desk did, for metrics.
type Observer interface {
	Processed(outcome ticket.Outcome, sender ticket.SenderOutcome)
	TicketCreated(ticket.Level)
	FirstResponse(t *ticket.Ticket)
	Breach(t *ticket.Ticket)
	Enqueued(kind string)
}

// Desk decides and applies what happens to tickets.
type Desk struct {
	cfg           Config
	db            *store.DB
	plans         *sla.Catalog
	tmpl          *templates.Live
	engine        func() *classify.Engine
	senderPolicy  classify.SenderPolicy
	tokenKey      []byte
	supportDomain string
	log           *slog.Logger
	clock         ticket.Clock
	obs           Observer
	wake          func() // wakes the outbox worker after mail was queued
	inboxes       map[string]Inbox
	digestsSeen   digestMemo
}

// Parts are what a Desk is built from besides its Config.
type Parts struct {
	DB        *store.DB
	Plans     *sla.Catalog
	Templates *templates.Live
	// Classifier returns the severity engine in force (it may be swapped
	// while running: learning, SIGHUP).
	Classifier   func() *classify.Engine
	SenderPolicy classify.SenderPolicy
	TokenKey     []byte // signs reply tokens; kept in the database
	Logger       *slog.Logger
	Observer     Observer // nil: nothing observes
	WakeOutbox   func()   // nil: the outbox finds queued mail on its own
}

// New returns a desk.
func New(cfg Config, p Parts) *Desk {
	d := &Desk{cfg: cfg, db: p.DB, plans: p.Plans, tmpl: p.Templates, engine: p.Classifier, senderPolicy: p.SenderPolicy,
		tokenKey: p.TokenKey, supportDomain: ticket.DomainOf(cfg.SupportAddress), log: p.Logger, clock: p.DB.Clock(),
		obs: p.Observer, wake: p.WakeOutbox}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.obs == nil {
		d.obs = nopObserver{}
	}
	if d.engine == nil {
		d.engine = classify.Default
	}
	d.inboxes = map[string]Inbox{store.DefaultInbox: {Name: store.DefaultInbox, Address: cfg.SupportAddress, DisplayName: cfg.SupportName}}
	for _, in := range cfg.Inboxes {
		d.inboxes[in.Name] = in
	}
	return d
}

func (d *Desk) wakeOutbox() {
	if d.wake != nil {
		d.wake()
	}
}

func (d *Desk) templates() *templates.Set { return d.tmpl.Current() }

// DB is the desk's store.
func (d *Desk) DB() *store.DB { return d.db }

// Templates are the mail templates in force (reloaded by the daemon).
func (d *Desk) Templates() *templates.Live { return d.tmpl }

// Plans is the SLA catalog in force.
func (d *Desk) Plans() *sla.Catalog { return d.plans }

type nopObserver struct{}

func (nopObserver) Processed(ticket.Outcome, ticket.SenderOutcome) {}
func (nopObserver) TicketCreated(ticket.Level)                     {}
func (nopObserver) FirstResponse(*ticket.Ticket)                   {}
func (nopObserver) Breach(*ticket.Ticket)                          {}
func (nopObserver) Enqueued(string)                                {}

// inbox returns the inbox named name, the default one when unknown (a
// ticket of an inbox since removed from the configuration).
func (d *Desk) inbox(name string) Inbox {
	if in, ok := d.inboxes[name]; ok {
		return in
	}
	return d.inboxes[store.DefaultInbox]
}

// addresses are our inbox addresses: mail carrying our loop header with
// any of them is our own coming back.
func (d *Desk) addresses() []string {
	out := make([]string, 0, len(d.inboxes))
	for _, in := range d.inboxes {
		out = append(out, in.Address)
	}
	return out
}

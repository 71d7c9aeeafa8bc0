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

// Route sends alerts about tickets of Levels to To.
type Route struct {
	Levels []ticket.Level
	To     []string
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

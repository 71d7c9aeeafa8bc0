package desk

import (
	"errors"
	"net/mail"
	"time"

	"ticketd/sla"
	"ticketd/store"
	"ticketd/ticket"
)

// routing is what alertRoute needs to know besides the ticket: the routes
// in force for its inbox, which route calendars are open now (staff
// zone), and the customer's designated engineer when within their hours.
type routing struct {
	Routes   []Route
	Open     map[string]bool // calendar name → open now
	Engineer string          // "" when there is none, or outside their hours
}

// routing gathers the routing facts for t at now: the inbox's routes (or
// the desk's), their calendars' state, and the designated engineer of
// customer (nil: none) if within their hours — read in the customer's
// zone and region, the hours the engineer keeps for them.
func (d *Desk) routing(t *ticket.Ticket, customer *ticket.Customer, now time.Time) routing {
	r := routing{Routes: d.inbox(t.Inbox).Routes, Open: map[string]bool{}}
	if len(r.Routes) == 0 {
		r.Routes = d.cfg.Routes
	}
	staffZone, _ := time.LoadLocation(d.cfg.StaffZone)
	for _, rt := range r.Routes {
		if rt.Calendar == "" {
			continue
		}
		if _, seen := r.Open[rt.Calendar]; !seen {
			r.Open[rt.Calendar] = d.openAt(rt.Calendar, now, staffZone, d.cfg.StaffRegion)
		}
	}
	if customer != nil && customer.Engineer != "" {
		in := true
		if customer.EngineerHours != "" {
			zone, _ := time.LoadLocation(t.SLAZone)
			in = d.openAt(customer.EngineerHours, now, zone, t.SLARegion)
		}
		if in {
			r.Engineer = customer.Engineer
		}
	}
	return r
}

// openAt reports whether calendar name is open at now in zone; an unknown
// calendar (the configuration changed) counts as open, so nobody is left
// without alerts.
func (d *Desk) openAt(name string, now time.Time, zone *time.Location, region string) bool {
	c := d.plans.Calendars[name]
	if c == nil {
		d.log.Warn("routing names an unknown calendar; treating it as open", "calendar", name)
		return true
	}
	open, err := sla.Open(now, c, zone, region)
	if err != nil {
		d.log.Warn("cannot tell whether a calendar is open; treating it as open", "calendar", name, "err", err)
		return true
	}
	return open
}

// customerOf reads t's customer (nil when it has none).
func customerOf(tx *store.Tx, t *ticket.Ticket) (*ticket.Customer, error) {
	if t.CustomerID == 0 {
		return nil, nil
	}
	cu, err := tx.CustomerByID(t.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return cu, nil
}

// alertRoute is who is alerted about t (DESIGN: engineers; issue 15):
//   - a follow-up goes to the assignee when there is one;
//   - else to the customer's designated engineer, when within their hours;
//   - else to the routes of the ticket's level — of the classifier's page
//     level for a new ticket when it was unsure and the evidence describes
//     an incident — that apply now (when = business/outside their
//     calendar).
func alertRoute(r routing, t *ticket.Ticket, followUp bool, pageLevel ticket.Level) []mail.Address {
	if followUp && t.Assignee != "" {
		return []mail.Address{{Address: t.Assignee}}
	}
	if r.Engineer != "" {
		return []mail.Address{{Address: ticket.NormalizeAddress(r.Engineer)}}
	}
	level := t.Level
	if !followUp && pageLevel.Valid() && pageLevel.MoreSevere(level) {
		level = pageLevel
	}
	return routeFor(r, level)
}

// routeFor returns the engineers routed for level now, each once.
func routeFor(r routing, level ticket.Level) []mail.Address {
	seen := map[string]bool{}
	var out []mail.Address
	for _, rt := range r.Routes {
		switch {
		case rt.When == "business" && !r.Open[rt.Calendar]:
			continue
		case rt.When == "outside" && r.Open[rt.Calendar]:
			continue
		}
		for _, l := range rt.Levels {
			if l != level {
				continue
			}
			for _, a := range rt.To {
				if n := ticket.NormalizeAddress(a); !seen[n] {
					seen[n] = true
					out = append(out, mail.Address{Address: n})
				}
			}
		}
	}
	return out
}

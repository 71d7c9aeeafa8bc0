package main

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"ticketd/config"
	"ticketd/desk"
	"ticketd/sla"
	"ticketd/store"
)

// hoursTicketJSON is the time logged on one ticket.
type hoursTicketJSON struct {
	Number  int64  `json:"number"`
	Subject string `json:"subject"`
	Minutes int    `json:"minutes"`
}

// hoursCustomerJSON is one customer in `report hours`.
type hoursCustomerJSON struct {
	Customer string            `json:"customer"`
	Minutes  int               `json:"minutes"` // logged since --since
	Tickets  []hoursTicketJSON `json:"tickets"`
	// The current period against the included hours (nil: none included).
	Included *includedJSON `json:"included"`
}

type includedJSON struct {
	Hours       float64   `json:"hours"`
	Per         string    `json:"per"`
	PeriodStart time.Time `json:"period_start"`
	UsedMinutes int       `json:"used_minutes"`
	UsedPercent int       `json:"used_percent"`
}

// reportHours shows time logged per customer and ticket ("#time"), and
// each customer's current period against their included hours.
func (m *Main) reportHours(ctx context.Context, args []string) error {
	f := m.newFlags("report hours")
	customer := f.String("customer", "", "only this customer `name`")
	since := f.String("since", "", "time logged since this `span` (30d) or RFC 3339 time (default: the start of this month)")
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args); err != nil {
		return err
	}
	now := m.now()
	from := sla.PeriodStart(now, "month", time.UTC)
	if *since != "" {
		var err error
		if from, err = parseSince(*since, now); err != nil {
			return usagef("--since: %v", err)
		}
	}
	db, cfg, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	plans, err := sla.NewCatalog(cfg.Calendars, cfg.Plans)
	if err != nil {
		return err
	}
	out, err := hoursReport(ctx, db, cfg, plans, *customer, from, now)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(m.Stdout, "no time logged since %s\n", from.Format("2006-01-02"))
		return nil
	}
	for _, c := range out {
		fmt.Fprintf(m.Stdout, "%s: %s logged since %s", c.Customer, minutesText(c.Minutes), from.Format("2006-01-02"))
		if inc := c.Included; inc != nil {
			fmt.Fprintf(m.Stdout, "; this %s (from %s): %s of %gh included, %d %%", inc.Per, inc.PeriodStart.Format("2006-01-02"),
				minutesText(inc.UsedMinutes), inc.Hours, inc.UsedPercent)
		}
		fmt.Fprintln(m.Stdout)
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		for _, t := range c.Tickets {
			fmt.Fprintf(tw, "  #%d\t%s\t%s\n", t.Number, minutesText(t.Minutes), truncate(t.Subject, 60))
		}
		tw.Flush()
	}
	return nil
}

// hoursReport gathers time per customer and ticket since from, and each
// customer's current period against their included hours.
func hoursReport(ctx context.Context, db *store.DB, cfg *config.Config, plans *sla.Catalog, only string, from, now time.Time) ([]hoursCustomerJSON, error) {
	byCustomer := map[string]*hoursCustomerJSON{}
	err := db.View(ctx, func(tx *store.Tx) error {
		var customerID int64
		if only != "" {
			cu, err := tx.CustomerByName(only)
			if err != nil {
				return err
			}
			customerID = cu.ID
		}
		entries, err := tx.TimeEntries(customerID, from)
		if err != nil {
			return err
		}
		perTicket := map[string]map[int64]*hoursTicketJSON{}
		for _, e := range entries {
			name := e.CustomerName
			if name == "" {
				name = "(no customer)"
			}
			c := byCustomer[name]
			if c == nil {
				c = &hoursCustomerJSON{Customer: name, Tickets: []hoursTicketJSON{}}
				byCustomer[name], perTicket[name] = c, map[int64]*hoursTicketJSON{}
			}
			c.Minutes += e.Minutes
			t := perTicket[name][e.TicketNumber]
			if t == nil {
				t = &hoursTicketJSON{Number: e.TicketNumber, Subject: e.Subject}
				perTicket[name][e.TicketNumber] = t
			}
			t.Minutes += e.Minutes
		}
		for name, ts := range perTicket {
			for _, t := range ts {
				byCustomer[name].Tickets = append(byCustomer[name].Tickets, *t)
			}
			sort.Slice(byCustomer[name].Tickets, func(i, j int) bool { return byCustomer[name].Tickets[i].Number < byCustomer[name].Tickets[j].Number })
		}
		// The current period against the included hours, also for
		// customers with nothing logged since --since.
		customers, err := tx.Customers()
		if err != nil {
			return err
		}
		for _, cu := range customers {
			if only != "" && cu.ID != customerID {
				continue
			}
			hours, per := desk.IncludedHours(cu, plans)
			if hours <= 0 {
				continue
			}
			loc := time.UTC
			if p, err := tx.PrimaryContact(cu.ID); err == nil {
				if l, err := time.LoadLocation(p.TZ); err == nil {
					loc = l
				}
			}
			start := sla.PeriodStart(now, per, loc)
			used, err := tx.MinutesSince(cu.ID, start, sla.PeriodEnd(start, per))
			if err != nil {
				return err
			}
			c := byCustomer[cu.Name]
			if c == nil {
				c = &hoursCustomerJSON{Customer: cu.Name, Tickets: []hoursTicketJSON{}}
				byCustomer[cu.Name] = c
			}
			c.Included = &includedJSON{Hours: hours, Per: per, PeriodStart: start, UsedMinutes: used, UsedPercent: int(float64(used) * 100 / (hours * 60))}
		}
		return nil
	})
	out := make([]hoursCustomerJSON, 0, len(byCustomer))
	for _, c := range byCustomer {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Customer < out[j].Customer })
	return out, err
}

// minutesText renders minutes as "8h 05m".
func minutesText(m int) string {
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"ticketd/desk"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/ticket"
)

// directoryFor opens the database and the plan catalog for directory commands.
func (m *Main) directoryFor(ctx context.Context, f *flags) (desk.Directory, func(), error) {
	db, cfg, err := m.openStore(ctx, f)
	if err != nil {
		return desk.Directory{}, nil, err
	}
	plans, err := sla.NewCatalog(cfg.Calendars, cfg.Plans)
	if err != nil {
		db.Close()
		return desk.Directory{}, nil, err
	}
	return desk.Directory{DB: db, Plans: plans}, func() { db.Close() }, nil
}

type customerJSON struct {
	Name          string        `json:"name"`
	Plan          string        `json:"plan"`
	Region        string        `json:"region"`
	Language      string        `json:"language"`
	Engineer      string        `json:"engineer"`
	EngineerHours string        `json:"engineer_hours"`
	IncludedHours float64       `json:"included_hours"`
	IncludedPer   string        `json:"included_per"`
	Contacts      []contactJSON `json:"contacts"`
}

func hoursOf(cal string) string {
	if cal == "" {
		return ""
	}
	return " (hours: " + cal + ")"
}

func includedText(c *ticket.Customer) string {
	if c.IncludedHours <= 0 {
		return "the plan's"
	}
	return fmt.Sprintf("%gh per %s", c.IncludedHours, c.IncludedPer)
}

type contactJSON struct {
	Customer string `json:"customer"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	TZ       string `json:"tz"`
	Language string `json:"language"`
	Primary  bool   `json:"primary"`
}

func (m *Main) cmdCustomers(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want add, list, show, set or rm")
	}
	sub, args := args[0], args[1:]
	// Each verb takes its own flags: `customers list --plan x` is an error,
	// not a silently ignored filter.
	f := m.newFlags("customers " + sub)
	asJSON, name, plan, region, lang := new(bool), new(string), new(string), new(string), new(string)
	engineer, engineerHours, includedPer, includedHours := new(string), new(string), new(string), new(float64)
	switch sub {
	case "add", "set":
		f.StringVar(name, "name", "", "customer `name` (or give it as the first argument)")
		f.StringVar(plan, "plan", "", "support `plan` (see `ticketd sla plans`)")
		f.StringVar(region, "region", "", "holiday `region`, ISO 3166 with optional subdivision (CH, CH-ZH, DE-BY, GB, US…)")
		f.StringVar(lang, "language", "", "mail `language`: en, de or fr")
		f.StringVar(engineer, "engineer", "", "designated engineer's `address` (DSE, TAM): receives the customer's alerts; \"\" removes it")
		f.StringVar(engineerHours, "engineer-hours", "", "the designated engineer's hours: a `calendar` (in the customer's zone); outside them alerts follow the routing")
		f.Float64Var(includedHours, "included-hours", 0, "engineering `hours` included per --included-per (0: the plan's)")
		f.StringVar(includedPer, "included-per", "", "`period` of the included hours: month or week")
	case "list", "show":
		f.BoolVar(asJSON, "json", false, "print JSON")
	case "rm":
	default:
		return usagef("unknown subcommand %q (want add, list, show, set or rm)", sub)
	}
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	dir, done, err := m.directoryFor(ctx, f)
	if err != nil {
		return err
	}
	defer done()
	target := *name
	if target == "" && len(pos) > 0 {
		target = pos[0]
	}
	switch sub {
	case "add":
		if *plan == "" {
			return usagef("--plan is required")
		}
		c := &ticket.Customer{Name: target, Plan: *plan, Region: *region, Language: *lang, Engineer: ticket.NormalizeAddress(*engineer),
			EngineerHours: *engineerHours, IncludedHours: *includedHours, IncludedPer: *includedPer}
		if c.IncludedHours > 0 && c.IncludedPer == "" {
			c.IncludedPer = "month"
		}
		if err := dir.AddCustomer(ctx, c); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "customer %s added (plan %s)\n", c.Name, c.Plan)
		return nil
	case "set":
		if target == "" {
			return usagef("want the customer NAME")
		}
		var ch desk.CustomerChange
		f.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "plan":
				ch.Plan = plan
			case "region":
				ch.Region = region
			case "language":
				ch.Language = lang
			case "engineer":
				ch.Engineer = engineer
			case "engineer-hours":
				ch.EngineerHours = engineerHours
			case "included-hours":
				ch.IncludedHours = includedHours
			case "included-per":
				ch.IncludedPer = includedPer
			}
		})
		c, err := dir.SetCustomer(ctx, target, ch)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "customer %s: plan %s, region %s, language %s, designated engineer %s%s, included hours %s\n",
			c.Name, c.Plan, orDash(c.Region), orDash(c.Language), orDash(c.Engineer), hoursOf(c.EngineerHours), includedText(c))
		return nil
	case "rm":
		if target == "" {
			return usagef("want the customer NAME")
		}
		return dir.DB.Update(ctx, func(tx *store.Tx) error {
			c, err := tx.CustomerByName(target)
			if err != nil {
				return err
			}
			if err := tx.RemoveCustomer(c.ID); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "customer %s and its contacts removed (tickets keep their history)\n", c.Name)
			return nil
		})
	case "list", "show":
		var out []customerJSON
		err := dir.DB.View(ctx, func(tx *store.Tx) error {
			var cs []*ticket.Customer
			if sub == "show" {
				if target == "" {
					return usagef("want the customer NAME")
				}
				c, err := tx.CustomerByName(target)
				if err != nil {
					return err
				}
				cs = []*ticket.Customer{c}
			} else {
				var err error
				if cs, err = tx.Customers(); err != nil {
					return err
				}
			}
			for _, c := range cs {
				contacts, err := tx.Contacts(c.ID)
				if err != nil {
					return err
				}
				cj := customerJSON{Name: c.Name, Plan: c.Plan, Region: c.Region, Language: c.Language, Engineer: c.Engineer,
					EngineerHours: c.EngineerHours, IncludedHours: c.IncludedHours, IncludedPer: c.IncludedPer, Contacts: []contactJSON{}}
				for _, ct := range contacts {
					cj.Contacts = append(cj.Contacts, contactJSON{Customer: c.Name, Email: ct.Email, Name: ct.Name, TZ: ct.TZ, Language: ct.Language, Primary: ct.Primary})
				}
				out = append(out, cj)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if *asJSON {
			if sub == "show" && len(out) == 1 {
				return writeJSON(m.Stdout, out[0])
			}
			if out == nil {
				out = []customerJSON{}
			}
			return writeJSON(m.Stdout, out)
		}
		if len(out) == 0 {
			fmt.Fprintln(m.Stdout, "no customers")
			return nil
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CUSTOMER\tPLAN\tREGION\tLANGUAGE\tCONTACTS\tENGINEER")
		for _, c := range out {
			limit := ""
			if p, err := dir.Plans.Plan(c.Plan); err == nil && p.MaxContacts > 0 {
				limit = fmt.Sprintf("/%d", p.MaxContacts)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d%s\t%s%s\n", c.Name, c.Plan, orDash(c.Region), orDash(c.Language), len(c.Contacts), limit,
				orDash(c.Engineer), hoursOf(c.EngineerHours))
		}
		tw.Flush()
		if sub == "show" {
			fmt.Fprintln(m.Stdout)
			writeContacts(m, out[0].Contacts)
		}
		return nil
	}
	return usagef("unknown subcommand %q (want add, list, show, set or rm)", sub)
}

func writeContacts(m *Main, cs []contactJSON) {
	if len(cs) == 0 {
		fmt.Fprintln(m.Stdout, "no contacts")
		return
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CUSTOMER\tEMAIL\tNAME\tZONE\tLANGUAGE\tPRIMARY")
	for _, c := range cs {
		p := ""
		if c.Primary {
			p = "primary"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Customer, c.Email, orDash(c.Name), orDash(c.TZ), orDash(c.Language), p)
	}
	tw.Flush()
}

func (m *Main) cmdContacts(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want add, rm, list, import or export")
	}
	sub, args := args[0], args[1:]
	f := m.newFlags("contacts " + sub)
	asJSON, primary := new(bool), new(bool)
	customer, email, name, tz, lang := new(string), new(string), new(string), new(string), new(string)
	switch sub {
	case "add":
		f.StringVar(customer, "customer", "", "customer `name`")
		f.StringVar(email, "email", "", "contact's `address`")
		f.StringVar(name, "name", "", "contact's display `name`")
		f.StringVar(tz, "tz", "", "contact's time `zone`, e.g. Europe/Zurich (the primary contact's zone drives business hours)")
		f.StringVar(lang, "language", "", "contact's `language`: en, de or fr (default: the customer's)")
		f.BoolVar(primary, "primary", false, "make this the customer's primary contact")
	case "rm":
		f.StringVar(email, "email", "", "contact's `address` (or give it as the argument)")
	case "list":
		f.StringVar(customer, "customer", "", "only contacts of this customer `name`")
		f.BoolVar(asJSON, "json", false, "print JSON")
	case "import", "export":
	default:
		return usagef("unknown subcommand %q (want add, rm, list, import or export)", sub)
	}
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	dir, done, err := m.directoryFor(ctx, f)
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "add":
		if *customer == "" || *email == "" {
			return usagef("--customer and --email are required")
		}
		c, err := dir.AddContact(ctx, desk.NewContact{Customer: *customer, Contact: ticket.Contact{Email: *email, Name: *name, TZ: *tz, Language: *lang, Primary: *primary}})
		if err != nil {
			return err
		}
		p := ""
		if c.Primary {
			p = " as primary contact"
		}
		fmt.Fprintf(m.Stdout, "contact %s added to %s%s\n", c.Email, *customer, p)
		return nil
	case "rm":
		target := *email
		if target == "" && len(pos) > 0 {
			target = pos[0]
		}
		if target == "" {
			return usagef("want the contact's EMAIL")
		}
		if err := dir.RemoveContact(ctx, target); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "contact %s removed\n", target)
		return nil
	case "list":
		var out []contactJSON
		err := dir.DB.View(ctx, func(tx *store.Tx) error {
			customers, err := tx.Customers()
			if err != nil {
				return err
			}
			found := *customer == ""
			for _, cu := range customers {
				if *customer != "" && !strings.EqualFold(cu.Name, *customer) {
					continue
				}
				found = true
				cs, err := tx.Contacts(cu.ID)
				if err != nil {
					return err
				}
				for _, c := range cs {
					out = append(out, contactJSON{Customer: cu.Name, Email: c.Email, Name: c.Name, TZ: c.TZ, Language: c.Language, Primary: c.Primary})
				}
			}
			if !found {
				return fmt.Errorf("customer %q: %w", *customer, store.ErrNotFound)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if *asJSON {
			if out == nil {
				out = []contactJSON{}
			}
			return writeJSON(m.Stdout, out)
		}
		writeContacts(m, out)
		return nil
	case "import":
		if len(pos) != 1 {
			return usagef("want one CSV FILE (header: customer,email,name,tz,language,primary)")
		}
		fh, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer fh.Close()
		n, err := dir.ImportContacts(ctx, fh)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
		fmt.Fprintf(m.Stdout, "%d contacts imported from %s\n", n, pos[0])
		return nil
	case "export":
		return dir.ExportContacts(ctx, m.Stdout)
	}
	return usagef("unknown subcommand %q (want add, rm, list, import or export)", sub)
}

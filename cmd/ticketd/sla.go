package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"ticketd/sla"
	"ticketd/templates"
	"ticketd/ticket"
)

// plansFor returns the configured plans when a config file exists, else
// the built-in ones: `sla` commands work on a fresh machine.
func (m *Main) plansFor(f *flags) (*sla.Catalog, error) {
	if _, err := os.Stat(*f.config); err != nil {
		return sla.Builtin(), nil
	}
	cfg, err := m.loadConfig(f)
	if err != nil {
		return nil, err
	}
	return sla.NewCatalog(cfg.Calendars, cfg.Plans)
}

func (m *Main) cmdSLA(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want due, plans or regions")
	}
	sub, args := args[0], args[1:]
	f := m.newFlags("sla " + sub)
	switch sub {
	case "regions":
		if _, err := f.parse(args); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "Holiday regions (ISO 3166, with subdivisions where known), for customers add --region:")
		fmt.Fprintln(m.Stdout, strings.Join(sla.Regions(), " "))
		return nil
	case "plans":
		if _, err := f.parse(args); err != nil {
			return err
		}
		plans, err := m.plansFor(f)
		if err != nil {
			return err
		}
		return sla.WritePlans(m.Stdout, plans)
	case "due":
		plan := f.String("plan", "", "plan `name` (see `ticketd sla plans`)")
		level := f.String("level", "", "`level` P0…P4")
		received := f.String("received", "", "when the ticket was stored, RFC 3339 (default now)")
		tz := f.String("tz", "UTC", "time `zone` of the customer's primary contact")
		region := f.String("region", "", "holiday `region` (CH, CH-ZH, DE-BY, GB, US…)")
		lang := f.String("lang", "en", "`language` of the local rendering: en, de or fr")
		asJSON := f.Bool("json", false, "print JSON")
		if _, err := f.parse(args); err != nil {
			return err
		}
		if *plan == "" || *level == "" {
			return usagef("--plan and --level are required")
		}
		l, err := ticket.ParseLevel(*level)
		if err != nil {
			return usagef("--level: %v", err)
		}
		at := m.now()
		if *received != "" {
			if at, err = time.Parse(time.RFC3339, *received); err != nil {
				return usagef("--received: %q is not an RFC 3339 time like 2026-11-20T15:00:00Z", *received)
			}
		}
		plans, err := m.plansFor(f)
		if err != nil {
			return err
		}
		r, err := plans.DueFor(*plan, l, at, *tz, *region)
		if err != nil {
			return err
		}
		loc, _ := time.LoadLocation(r.Zone)
		if *asJSON {
			out := map[string]any{"plan": r.Plan, "level": r.Level, "label": r.Label, "calendar": r.Calendar, "zone": r.Zone,
				"region": *region, "received": at.UTC().Format(time.RFC3339), "target": nil, "due": nil, "due_local": nil,
				"resolution_due": nil}
			if r.Target != nil {
				out["target"] = r.Target.String()
			}
			if r.Due != nil {
				out["due"] = r.Due.UTC().Format(time.RFC3339)
				out["due_local"] = r.Due.In(loc).Format(time.RFC3339)
			}
			if r.ResolutionDue != nil {
				out["resolution_due"] = r.ResolutionDue.UTC().Format(time.RFC3339)
			}
			return writeJSON(m.Stdout, out)
		}
		if r.Due == nil {
			fmt.Fprintf(m.Stdout, "plan %s gives %s (%s) no first-response target\n", r.Plan, r.Level, r.Label)
			return nil
		}
		fmt.Fprintln(m.Stdout, r.Due.UTC().Format(time.RFC3339))
		fmt.Fprintf(m.Stdout, "%s (%s)\n", templates.FormatDateTime(*r.Due, loc, *lang), r.Zone)
		fmt.Fprintf(m.Stdout, "plan %s, %s = %s, target %s on calendar %s, region %s\n", r.Plan, r.Level, r.Label, r.Target, r.Calendar, orDash(*region))
		return nil
	}
	return usagef("unknown subcommand %q (want due, plans or regions)", sub)
}

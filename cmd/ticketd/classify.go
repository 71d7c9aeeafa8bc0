package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"ticketd/classify"
	"ticketd/daemon"
	"ticketd/intake"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/ticket"
)

type classifyJSON struct {
	File     string       `json:"file"`
	Level    ticket.Level `json:"level,omitempty"`
	Declared ticket.Level `json:"declared,omitempty"`
	Reasons  []string     `json:"reasons"`
	Sender   *senderJSON  `json:"sender,omitempty"`
	Subject  string       `json:"subject,omitempty"`
	Error    string       `json:"error,omitempty"`
	Problems []string     `json:"parse_errors,omitempty"`
	Auto     string       `json:"automated,omitempty"`
}

type senderJSON struct {
	Outcome  ticket.SenderOutcome `json:"outcome"`
	Customer *string              `json:"customer"`
	Contact  *string              `json:"contact"`
	Reason   string               `json:"reason,omitempty"`
}

func (m *Main) cmdClassify(ctx context.Context, args []string) error {
	f := m.newFlags("classify")
	asJSON := f.Bool("json", false, "print JSON (one array entry per file)")
	files, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("want one or more FILE.eml")
	}
	engine := classify.Default()
	var policy *classify.SenderPolicy
	var db *store.DB
	var cfg *daemon.Config
	plans := sla.Builtin()
	if _, statErr := os.Stat(*f.config); statErr == nil {
		if cfg, err = m.loadConfig(f); err != nil {
			return err
		}
		if cfg.Classify.Rules != "" {
			b, err := os.ReadFile(cfg.Classify.Rules)
			if err != nil {
				return err
			}
			if engine, err = classify.LoadRules(b); err != nil {
				return fmt.Errorf("classify.rules: %w", err)
			}
		}
		if plans, err = sla.NewCatalog(cfg.Calendars, cfg.Plans); err != nil {
			return err
		}
		policy = &classify.SenderPolicy{TrustedAuthServIDs: cfg.Verify.TrustedAuthservIDs, RequireAuth: cfg.Verify.RequireAuth,
			StaffAddresses: cfg.Staff.Addresses, StaffDomains: cfg.Staff.Domains}
		if db, err = store.Open(ctx, cfg.Store.Path, nil, store.Options{NoUpgrade: true}); err != nil {
			return err
		}
		defer db.Close()
	}
	var out []classifyJSON
	failed := 0
	for _, file := range files {
		entry := classifyJSON{File: file, Reasons: []string{}}
		raw, err := os.ReadFile(file)
		if err != nil {
			entry.Error = err.Error()
			out = append(out, entry)
			failed++
			continue
		}
		msg := intake.Parse(raw)
		entry.Subject, entry.Problems = msg.Subject, msg.ParseErrors
		if reason, ok := intake.Automated(msg, ""); ok {
			entry.Auto = reason
		}
		sender := &senderJSON{Outcome: ticket.SenderUnchecked}
		var labels map[ticket.Level]string
		if policy != nil {
			res, err := classify.VerifySender(ctx, msg, daemon.ContactLookup(db), *policy)
			if err != nil {
				entry.Error = err.Error()
			}
			sender = &senderJSON{Outcome: res.Outcome, Reason: res.Reason}
			if res.Customer != nil {
				sender.Customer = &res.Customer.Name
				if p, err := plans.Plan(res.Customer.Plan); err == nil {
					labels = map[ticket.Level]string{}
					for l, lp := range p.Levels {
						labels[l] = lp.Label
					}
				}
			}
			if res.Contact != nil {
				sender.Contact = &res.Contact.Email
			}
		}
		entry.Sender = sender
		r := engine.Classify(classify.Input{Subject: msg.Subject, Body: msg.NewText, Header: msg.Header, PlanLabels: labels})
		entry.Level, entry.Declared = r.Level, r.Declared
		for _, reason := range r.Reasons {
			entry.Reasons = append(entry.Reasons, reason.String())
		}
		out = append(out, entry)
	}
	if *asJSON {
		if err := writeJSON(m.Stdout, out); err != nil {
			return err
		}
	} else {
		for _, e := range out {
			if e.Error != "" && e.Level == "" {
				fmt.Fprintf(m.Stdout, "%s: error: %s\n", e.File, e.Error)
				continue
			}
			who := string(e.Sender.Outcome)
			if e.Sender.Customer != nil {
				who += " of " + *e.Sender.Customer
			}
			if e.Sender.Contact != nil {
				who += " (" + *e.Sender.Contact + ")"
			}
			fmt.Fprintf(m.Stdout, "%s: %s — sender %s — %q\n", e.File, e.Level, who, e.Subject)
			if e.Declared != "" {
				fmt.Fprintf(m.Stdout, "  customer declared %s\n", e.Declared)
			}
			for _, r := range e.Reasons {
				fmt.Fprintf(m.Stdout, "  - %s\n", r)
			}
			if e.Sender.Reason != "" {
				fmt.Fprintf(m.Stdout, "  sender: %s\n", e.Sender.Reason)
			}
			if e.Auto != "" {
				fmt.Fprintf(m.Stdout, "  automated: %s (no acknowledgement)\n", e.Auto)
			}
			if len(e.Problems) > 0 {
				fmt.Fprintf(m.Stdout, "  malformed: %s\n", strings.Join(e.Problems, "; "))
			}
		}
	}
	if failed > 0 {
		return exitCode(1)
	}
	return nil
}

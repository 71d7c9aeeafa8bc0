package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"ticketd/classify"
	"ticketd/config"
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
	// DeclaredLevel is Declared under the name issue 12 asked for (null
	// when the customer declared none); "declared" stays for scripts
	// written before.
	DeclaredLevel   *ticket.Level     `json:"declared_level"`
	Factors         *classify.Factors `json:"factors,omitempty"`
	Confidence      *float64          `json:"confidence,omitempty"`
	ConfidenceLabel string            `json:"confidence_label,omitempty"`
	Uncertain       bool              `json:"uncertain,omitempty"`
	Candidates      []ticket.Level    `json:"candidates,omitempty"`
	PageLevel       ticket.Level      `json:"page_level,omitempty"`
	Row             string            `json:"table_row,omitempty"`
	ByModel         bool              `json:"by_model,omitempty"`    // the learned model set the level (the table row's level is a candidate)
	HedgedFrom      ticket.Level      `json:"hedged_from,omitempty"` // the level before the hedge made it more urgent (a candidate)
	Reasons         []string          `json:"reasons"`
	Sender          *senderJSON       `json:"sender,omitempty"`
	Subject         string            `json:"subject,omitempty"`
	Error           string            `json:"error,omitempty"`
	Problems        []string          `json:"parse_errors,omitempty"`
	Auto            string            `json:"automated,omitempty"`
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
	explain := f.String("explain-corrections", "", "report on stored #level corrections in `file` (JSON array or TSV) instead of classifying")
	learnFrom := f.String("learn-from", "", "classify with the level table learned from the corrections in `file`, and list the adjustments")
	table := f.Bool("table", false, "print the level table (after learning, with --learn-from) instead of classifying")
	files, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(files) == 0 && *explain == "" && !*table {
		return usagef("want one or more FILE.eml")
	}
	engine := classify.Default()
	var policy *classify.SenderPolicy
	var db *store.DB
	var cfg *config.Config
	plans := sla.Builtin()
	if _, statErr := os.Stat(*f.config); statErr == nil {
		if cfg, err = m.loadConfig(f); err != nil {
			return err
		}
		if plans, err = sla.NewCatalog(cfg.Calendars, cfg.Plans); err != nil {
			return err
		}
		policy = &classify.SenderPolicy{TrustedAuthServIDs: cfg.Verify.TrustedAuthservIDs, RequireAuth: cfg.Verify.RequireAuth,
			StaffAddresses: cfg.Staff.Addresses, StaffDomains: cfg.Staff.Domains}
		if db, err = daemon.OpenStore(ctx, cfg, nil, store.Options{NoUpgrade: true}); err != nil {
			return err
		}
		defer db.Close()
		// The engine the daemon runs: the admin's table and, with
		// [classify] learn, what it learned from stored corrections.
		var adjs []classify.Adjustment
		if engine, adjs, err = daemon.Classifier(ctx, cfg, db); err != nil {
			return err
		}
		if len(adjs) > 0 && !*asJSON && *explain == "" && !*table {
			fmt.Fprintf(m.Stdout, "learned from the stored corrections: %d adjustments\n", len(adjs))
		}
	}
	if *explain != "" || *table {
		return m.classifyTables(engine, *explain, *learnFrom, *table, *asJSON)
	}
	if *learnFrom != "" {
		learned, adjs, err := learnEngine(engine, *learnFrom)
		if err != nil {
			return err
		}
		engine = learned
		if !*asJSON {
			fmt.Fprintf(m.Stdout, "learned from %s: %d adjustments\n", *learnFrom, len(adjs))
			for _, a := range adjs {
				fmt.Fprintf(m.Stdout, "  %s\n", a)
			}
		}
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
			res, err := classify.VerifySender(ctx, msg, db, *policy)
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
		r := engine.Classify(classify.Input{Subject: msg.Subject, Body: msg.NewText, Forwarded: msg.Forwarded, Header: msg.Header, PlanLabels: labels})
		entry.Level, entry.Declared = r.Level, r.Declared
		if r.Declared != "" {
			entry.DeclaredLevel = &r.Declared
		}
		entry.Factors, entry.Confidence, entry.ConfidenceLabel = &r.Factors, &r.Confidence, classify.ConfidenceLabel(r.Confidence)
		entry.Uncertain, entry.Candidates, entry.PageLevel, entry.Row, entry.ByModel = r.Uncertain, r.Candidates, r.PageLevel, r.Row, r.ByModel
		entry.HedgedFrom = r.HedgedFrom
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
			if e.Factors != nil {
				fmt.Fprintf(m.Stdout, "  factors: %s\n", e.Factors)
				fmt.Fprintf(m.Stdout, "  confidence %.2f (%s)", *e.Confidence, e.ConfidenceLabel)
				if e.Uncertain {
					fmt.Fprintf(m.Stdout, " — level uncertain, candidates %v, page as %s", e.Candidates, e.PageLevel)
				}
				fmt.Fprintln(m.Stdout)
			}
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

// learnEngine reads corrections from file and returns the engine learned
// from them.
func learnEngine(engine *classify.Engine, file string) (*classify.Engine, []classify.Adjustment, error) {
	cs, err := readCorrectionsFile(file)
	if err != nil {
		return nil, nil, err
	}
	learned, adjs := engine.WithCorrections(cs, classify.LearnOptions{})
	return learned, adjs, nil
}

func readCorrectionsFile(file string) ([]classify.Correction, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	cs, err := classify.ReadCorrections(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cs, nil
}

// classifyTables prints the corrections report (--explain-corrections)
// or the level table (--table), after learning when --learn-from is set.
func (m *Main) classifyTables(engine *classify.Engine, explain, learnFrom string, table, asJSON bool) error {
	if learnFrom != "" {
		learned, _, err := learnEngine(engine, learnFrom)
		if err != nil {
			return err
		}
		engine = learned
	}
	if explain != "" {
		cs, err := readCorrectionsFile(explain)
		if err != nil {
			return err
		}
		report := engine.ExplainCorrections(cs)
		if asJSON {
			return writeJSON(m.Stdout, report)
		}
		_, err = fmt.Fprint(m.Stdout, report)
		return err
	}
	rows := engine.Table()
	if asJSON {
		return writeJSON(m.Stdout, rows)
	}
	for i, r := range rows {
		learned := ""
		if r.Learned {
			learned = fmt.Sprintf(" [learned, %d corrections]", r.Corrections)
		}
		fmt.Fprintf(m.Stdout, "%2d %-32s %s  when %s%s\n", i+1, r.Name, r.Level, r.When, learned)
	}
	return nil
}

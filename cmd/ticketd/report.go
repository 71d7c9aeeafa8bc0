package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ticketd/daemon"
	"ticketd/desk"
)

// parseSince reads "30d", "12h" or an RFC 3339 instant.
func parseSince(s string, now time.Time) (time.Time, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a span like 30d or 12h, nor an RFC 3339 time", s)
}

func (m *Main) cmdReport(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "corrections" {
		return m.reportCorrections(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "hours" {
		return m.reportHours(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "sla" {
		return usagef("want `report sla`, `report hours` or `report corrections`")
	}
	f := m.newFlags("report sla")
	since := f.String("since", "30d", "tickets created within this `span` (30d, 12h) or since an RFC 3339 time")
	at := f.String("at", "", "judge as of this RFC 3339 `instant` instead of now")
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args[1:]); err != nil {
		return err
	}
	now := m.now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usagef("--at: %q is not an RFC 3339 time", *at)
		}
		now = t.UTC()
	}
	from, err := parseSince(*since, now)
	if err != nil {
		return usagef("--since: %v", err)
	}
	db, _, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := desk.SLAReport(ctx, db, from, now)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, map[string]any{"since": from.Format(time.RFC3339), "at": now.Format(time.RFC3339), "rows": rows})
	}
	fmt.Fprintf(m.Stdout, "First response, tickets created %s – %s (UTC)\n\n", from.Format("2006-01-02 15:04"), now.Format("2006-01-02 15:04"))
	if len(rows) == 0 {
		fmt.Fprintln(m.Stdout, "no tickets")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PLAN\tLEVEL\tTICKETS\tMET\tMEDIAN\tP90\tBREACHES\tAT RISK\t")
	for _, r := range rows {
		met := "-"
		if r.MetPercent != nil {
			met = fmt.Sprintf("%.0f%%", *r.MetPercent)
		}
		med, p90 := "-", "-"
		if r.MedianFirstReplyS != nil {
			med, p90 = human(r.MedianFirstReply), human(r.P90FirstReply)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\t\n", r.Plan, orDash(string(r.Level)), r.Tickets, met, med, p90, r.Breaches, r.AtRisk)
	}
	tw.Flush()
	return nil
}

func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%.1fd", d.Hours()/24)
}

// reportCorrections shows which assessed factors engineers corrected how
// often ("#level"), and what learning would change in the level table.
func (m *Main) reportCorrections(ctx context.Context, args []string) error {
	f := m.newFlags("report corrections")
	since := f.String("since", "365d", "corrections made within this `span` (30d, 12h) or since an RFC 3339 time")
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args); err != nil {
		return err
	}
	from, err := parseSince(*since, m.now())
	if err != nil {
		return usagef("--since: %v", err)
	}
	db, cfg, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	cs, err := daemon.Corrections(ctx, db, from)
	if err != nil {
		return err
	}
	base := *cfg
	base.Classify.Learn = false // explain against the table before learning
	engine, _, err := daemon.Classifier(ctx, &base, nil)
	if err != nil {
		return err
	}
	report := engine.ExplainCorrections(cs)
	if *asJSON {
		return writeJSON(m.Stdout, report)
	}
	fmt.Fprint(m.Stdout, report)
	if !cfg.Classify.Learn {
		fmt.Fprintln(m.Stdout, "\nlearning is off ([classify] learn = false): the adjustments above are what it would make")
	}
	return nil
}

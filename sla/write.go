package sla

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"ticketd/ticket"
)

// WritePlans writes the catalog for people (`ticketd sla plans`): one row
// per plan and level with label, first-response target, calendar,
// resolution target and the plan's contact limit, then one row per
// calendar with its hours, business-day length and closed dates. "none"
// marks a level without target, "-" an empty cell.
func WritePlans(w io.Writer, c *Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PLAN\tLEVEL\tLABEL\tFIRST RESPONSE\tCALENDAR\tRESOLUTION\tMAX CONTACTS")
	for _, name := range slices.Sorted(maps.Keys(c.Plans)) {
		p := c.Plans[name]
		for _, lvl := range ticket.Levels {
			lp, ok := p.Levels[lvl]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", name, lvl, lp.Label,
				targetText(lp.FirstResponse), orDash(lp.Calendar), targetText(lp.Resolution), p.MaxContacts)
		}
	}
	// A line without tabs ends tabwriter's column blocks, so the calendar
	// table gets its own column widths.
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CALENDAR\tHOURS\tBUSINESS DAY\tCLOSED")
	for _, name := range slices.Sorted(maps.Keys(c.Calendars)) {
		cal := c.Calendars[name]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, cal.Hours(), dayText(cal),
			orDash(strings.Join(cal.ClosedDates(), ", ")))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing plans: %w", err)
	}
	return nil
}

func targetText(t *Target) string {
	if t == nil {
		return "none"
	}
	return t.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// dayText prints the business-day length as "9h" or "8h30m".
func dayText(c *Calendar) string {
	d := c.DayLength()
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return strconv.Itoa(h) + "h"
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

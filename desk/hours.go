package desk

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Hours against the contract (issue 15): engineers log time with "#time
// 45m" in a reply; plans and customers may include hours per month or
// week; the designated engineer (or the admin) is told once when a
// customer passes 80 % and 100 % of them in a period.

// maxLoggedMinutes bounds one "#time": a day; more is a typo.
const maxLoggedMinutes = 24 * 60

// parseMinutes reads a logged duration: "45m", "1h30", "1h 30m", "1.5h",
// "1:30", or a bare number of minutes ("90").
func parseMinutes(s string) (int, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	var minutes float64
	switch {
	case s == "":
		return 0, errors.New("missing duration (e.g. 45m, 1h30)")
	case strings.Contains(s, ":"):
		h, m, _ := strings.Cut(s, ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || mm >= 60 {
			return 0, fmt.Errorf("%q is not h:mm", s)
		}
		minutes = float64(hh*60 + mm)
	case strings.Contains(s, "h"):
		h, rest, _ := strings.Cut(s, "h")
		hh, err := strconv.ParseFloat(strings.ReplaceAll(h, ",", "."), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 1h30 or 45m", s)
		}
		minutes = hh * 60
		if rest = strings.TrimSuffix(rest, "min"); rest != "" {
			mm, err := strconv.Atoi(strings.TrimSuffix(rest, "m"))
			if err != nil {
				return 0, fmt.Errorf("%q is not a duration like 1h30 or 45m", s)
			}
			minutes += float64(mm)
		}
	default:
		mm, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "min"), "m"), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 1h30 or 45m", s)
		}
		minutes = mm
	}
	n := int(minutes + 0.5)
	if n <= 0 || n > maxLoggedMinutes {
		return 0, fmt.Errorf("%q: want between 1 minute and 24 hours", s)
	}
	return n, nil
}

// hoursThresholds are the shares of included time that are warned about.
var hoursThresholds = []int{80, 100}

// hoursCrossed returns the thresholds (percent) passed when the time used
// in a period went from before to after minutes of included minutes.
func hoursCrossed(before, after, included int) []int {
	if included <= 0 {
		return nil
	}
	var out []int
	for _, th := range hoursThresholds {
		limit := included * th
		if before*100 < limit && after*100 >= limit {
			out = append(out, th)
		}
	}
	return out
}

// IncludedHours is customer's included engineering time per period
// ("month" or "week"): their own, else their plan's; 0 for none.
func IncludedHours(cu *ticket.Customer, plans *sla.Catalog) (hours float64, per string) {
	if cu.IncludedHours > 0 {
		per = cu.IncludedPer
		if per == "" {
			per = "month"
		}
		return cu.IncludedHours, per
	}
	if p, err := plans.Plan(cu.Plan); err == nil && p.IncludedHours > 0 {
		return p.IncludedHours, p.IncludedPer
	}
	return 0, ""
}

// logTime records minutes an engineer logged on t and warns, once per
// period and threshold, when the customer passes 80 % or 100 % of their
// included hours.
func (d *Desk) logTime(tx *store.Tx, t *ticket.Ticket, actor string, minutes int) error {
	if err := tx.AddTimeEntry(t.ID, t.CustomerID, actor, minutes); err != nil {
		return err
	}
	if err := tx.AddEvent(t.ID, actor, "time", formatMinutes(minutes)); err != nil {
		return err
	}
	cu, err := customerOf(tx, t)
	if err != nil || cu == nil {
		return err
	}
	hours, per := IncludedHours(cu, d.plans)
	if hours <= 0 {
		return nil
	}
	zone, _ := time.LoadLocation(t.SLAZone)
	start := sla.PeriodStart(tx.Now, per, zone)
	used, err := tx.MinutesSince(cu.ID, start, sla.PeriodEnd(start, per))
	if err != nil {
		return err
	}
	included := int(hours * 60)
	crossed := hoursCrossed(used-minutes, used, included)
	if len(crossed) == 0 {
		return nil
	}
	send := 0
	for _, th := range crossed {
		fresh, err := tx.MarkHoursWarning(cu.ID, start, th)
		if err != nil {
			return err
		}
		if fresh {
			send = th // one mail, for the highest threshold passed
		}
	}
	if send == 0 {
		return nil
	}
	to := cu.Engineer
	if to == "" {
		to = d.cfg.Admin
	}
	if to == "" {
		d.log.Warn("included hours passed, but there is no designated engineer or admin to tell", "customer", cu.Name, "threshold", send)
		return nil
	}
	tc, err := d.contextFor(tx, t)
	if err != nil {
		return err
	}
	data := d.baseData(t, tc, d.cfg.StaffZone)
	data.Plan = templates.PlanInfo{Name: cu.Plan}
	staffZone, _ := time.LoadLocation(d.cfg.StaffZone)
	data.Hours = templates.HoursInfo{Threshold: send, UsedPercent: used * 100 / included, Used: formatMinutes(used),
		Included: formatMinutes(included), Per: per, PeriodStart: templates.FormatDateTime(start, staffZone, d.cfg.DefaultLanguage)}
	return d.enqueue(tx, outMail{kind: templates.HoursWarning, lang: d.cfg.DefaultLanguage, data: data,
		to: []mail.Address{{Address: to}}, auto: true, inbox: t.Inbox})
}

// formatMinutes renders minutes as "8h 05m", "45m", "10h".
func formatMinutes(m int) string {
	switch {
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m%60 == 0:
		return fmt.Sprintf("%dh", m/60)
	}
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}

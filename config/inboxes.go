package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ticketd/sla"
	"ticketd/ticket"
)

// AllInboxes returns every inbox, the default one ([imap] and [support])
// first, with each [[inboxes]] entry's missing IMAP keys taken from [imap].
func (c *Config) AllInboxes() []Inbox {
	out := []Inbox{{Name: DefaultInbox, Address: c.Support.Address, DisplayName: c.Support.Name, IMAP: c.IMAP}}
	for _, in := range c.Inboxes {
		in.IMAP = inheritIMAP(in.IMAP, c.IMAP)
		if in.DisplayName == "" {
			in.DisplayName = c.Support.Name
		}
		out = append(out, in)
	}
	return out
}

// inheritIMAP fills the keys m leaves empty from base. The secret is
// taken whole: an inbox that names no secret source uses [imap]'s.
func inheritIMAP(m, base IMAP) IMAP {
	str := func(v *string, b string) {
		if *v == "" {
			*v = b
		}
	}
	str(&m.Address, base.Address)
	str(&m.Security, base.Security)
	str(&m.Username, base.Username)
	str(&m.Auth, base.Auth)
	str(&m.Mailbox, base.Mailbox)
	str(&m.Processed, base.Processed)
	str(&m.MoveTo, base.MoveTo)
	if m.PollInterval.Duration == 0 {
		m.PollInterval = base.PollInterval
	}
	if !m.InsecureSkipVerify {
		m.InsecureSkipVerify = base.InsecureSkipVerify
	}
	if m.Secret == (Secret{}) {
		m.Secret = base.Secret
	}
	return m
}

var inboxName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// checkInboxes validates [[inboxes]], each problem under its key.
func (c *Config) checkInboxes(bad func(string, string, ...any), warn func(string, ...any), address func(string, string),
	oneOf func(string, string, ...string), checkRoutes func(string, []Route), cat *sla.Catalog) {
	names := map[string]string{DefaultInbox: "the default inbox ([imap], [support])"}
	addrs := map[string]string{ticket.NormalizeAddress(c.Support.Address): "support.address"}
	accounts := map[string]string{accountKey(c.IMAP): "imap"}
	for i, in := range c.AllInboxes()[1:] {
		key := fmt.Sprintf("inboxes[%d]", i)
		switch {
		case !inboxName.MatchString(in.Name):
			bad(key+".name", "%q: want lower-case letters, digits and dashes (at most 32)", in.Name)
		case names[in.Name] != "":
			bad(key+".name", "%q is already %s", in.Name, names[in.Name])
		default:
			names[in.Name] = key
		}
		address(key+".address", in.Address)
		if prev := addrs[ticket.NormalizeAddress(in.Address)]; prev != "" {
			bad(key+".address", "%s is already %s", in.Address, prev)
		}
		addrs[ticket.NormalizeAddress(in.Address)] = key + ".address"
		for _, e := range c.InboxIMAPConfig(in, nil).Check() {
			bad(key+".imap."+e.Key, "%s", e.Reason)
		}
		c.checkSecret(key+".imap", in.IMAP.Secret, in.IMAP.Auth, true, bad, warn)
		if prev := accounts[accountKey(in.IMAP)]; prev != "" {
			bad(key+".imap", "reads the same mailbox as %s: each inbox needs its own account or mailbox", prev)
		}
		accounts[accountKey(in.IMAP)] = key
		if in.Plan != "" && cat != nil {
			if _, err := cat.Plan(in.Plan); err != nil {
				bad(key+".plan", "%v", err)
			}
		}
		oneOf(key+".language", in.Language, "", "en", "de", "fr")
		checkRoutes(key+".routing", in.Routing)
	}
}

// accountKey identifies the mailbox an IMAP section reads.
func accountKey(m IMAP) string {
	return strings.ToLower(m.Address) + "\x00" + strings.ToLower(m.Username) + "\x00" + m.Mailbox
}

// ParseWeekly reads a weekly schedule, "mon 08:00": the weekday and the
// minutes after local midnight.
func ParseWeekly(s string) (time.Weekday, int, error) {
	day, clock, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), " ")
	days := map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
		"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}
	wd, known := days[day]
	h, m, okClock := strings.Cut(strings.TrimSpace(clock), ":")
	hh, errH := strconv.Atoi(h)
	mm, errM := strconv.Atoi(m)
	if !ok || !known || !okClock || errH != nil || errM != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, 0, fmt.Errorf("%q is not a weekday and a time like \"mon 08:00\"", s)
	}
	return wd, hh*60 + mm, nil
}

// Package sla is ticketd's service-level arithmetic: support plans and their
// per-level targets, business calendars (weekly opening hours in the
// customer's time zone, minus regional public holidays and configured closed
// dates) and the due-time math built on them.
//
// It is pure and clock-free: every function takes the instants it reasons
// about, so callers inject "now" from their own ticket.Clock. It knows
// nothing about mail, storage or delivery; it answers "when is the first
// response due?" and "how much business time passed?".
//
// # Targets
//
// A target is either elapsed time on its calendar ("30m", "4h", "1h30m") or
// business days ("1bd", "2bd"). N business days are N × the calendar's
// business-day length (see [Calendar.DayLength]) counted in business time, so
// on the Mon–Fri 08:30–17:30 calendar "1bd" is 9 business hours: received
// Friday 16:00 it is due Monday 16:00, received Saturday it is due Monday
// 17:30.
//
// # Business time
//
// Opening intervals are half-open, [open, close): mail received exactly at
// closing time is outside business hours and its clock starts at the next
// opening. A due time may fall exactly on a closing instant (the last
// business minute ends there). Hours are local wall-clock times, so an
// 08:30 opening stays 08:30 on both sides of a DST switch. Business time
// itself is real elapsed time inside opening intervals, so an interval that
// spans a DST switch (say 01:30–03:30 on that Sunday) is an hour shorter or
// longer that day. The 24x7 calendar counts real elapsed time and ignores
// holidays. A zero business duration is due at once, even in closed time.
//
// # Built-in plans and calendars
//
// Built-in calendars:
//
//	24x7      always open, no holidays; "1bd" is 24h
//	office    Mon–Fri 08:30–17:30 (business day 9h)
//	business  Mon–Fri 08:00–17:00 (business day 9h)
//
// Built-in plans (first-response target and calendar per level):
//
//	plan         P0          P1          P2          P3         P4         max contacts
//	standard     1h office   2h office   4h office   1bd office 2bd office 4
//	premium      30m 24x7    1h 24x7     2h 24x7     1bd office 2bd office 8
//	business-2h  2h business on all five levels                             5
//	business-8h  8h business on all five levels                             5
//
// No built-in plan has a resolution target. Built-in labels are
// "P0 – Blocker", "P1 – Critical", "P2 – Major", "P3 – Minor" and
// "P4 – Trivial". The table is embedded as builtin.toml, in the same format
// as the config, and [WritePlans] prints the effective catalog.
//
// # Configuration
//
// [NewCatalog] merges config into the built-ins:
//
//   - A config calendar with a new name must give hours. One named like a
//     built-in keeps the built-in's hours unless it gives its own, and
//     adds its closed dates (built-ins have none). "24x7" cannot be redefined.
//   - A config plan named like a built-in overrides it level by level and
//     field by field: what the config leaves empty keeps the built-in value.
//   - A new plan must set max_contacts and define all five levels P0–P4,
//     each with first_response and calendar (label defaults to the built-in
//     label), because any mail can be classified at any level.
//   - first_response = "none" states that a level has no first-response
//     target; resolution is optional and also accepts "none".
//
// Errors name the key path, e.g.
// `plans.gold.levels.P0.calendar: unknown calendar "night"`.
//
// # Regions
//
// Holidays come from github.com/rickar/cal/v2, keyed by ISO 3166 codes with
// an optional ISO 3166-2 subdivision ("CH", "CH-ZH", "DE-BY", "AU-NSW"); see
// [Regions]. Both the actual and the observed (substitute) day of a holiday
// are closed, e.g. Boxing Day on a Saturday in GB closes the Monday after.
// The empty region has no holidays. Lists are used exactly as cal defines
// them, so "CH" is cal's national list, which includes days such as
// Berchtoldstag that only some cantons keep; prefer a canton ("CH-ZH").
// cal has no national Australian list: "AU" is the set of holidays every
// Australian state in cal shares.
package sla

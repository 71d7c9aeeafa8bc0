package sla_test

import (
	"fmt"
	"os"
	"time"

	"ticketd/sla"
	"ticketd/ticket"
)

// The catalog `ticketd sla plans` prints: built-ins plus a config plan
// "gold" with its own labels and a calendar with a lunch break.
func ExampleWritePlans() {
	cat, err := sla.NewCatalog(
		map[string]sla.CalendarConfig{
			"lunch": {
				Hours: map[string][]string{
					"mon": {"08:00-12:00", "13:00-17:00"}, "tue": {"08:00-12:00", "13:00-17:00"},
					"wed": {"08:00-12:00", "13:00-17:00"}, "thu": {"08:00-12:00", "13:00-17:00"},
					"fri": {"08:00-12:00"},
				},
				Closed: []string{"2026-12-31"},
			},
		},
		map[string]sla.PlanConfig{
			"gold": {MaxContacts: 6, Levels: map[string]sla.LevelConfig{
				"P0": {Label: "Severity 1 – Critical", FirstResponse: "30m", Calendar: "24x7", Resolution: "4h"},
				"P1": {Label: "Severity 2 – High", FirstResponse: "2h", Calendar: "lunch"},
				"P2": {Label: "Severity 3 – Medium", FirstResponse: "1bd", Calendar: "lunch"},
				"P3": {Label: "Severity 4 – Low", FirstResponse: "2bd", Calendar: "lunch"},
				"P4": {Label: "Severity 4 – Low", FirstResponse: "none"},
			}},
		})
	if err != nil {
		panic(err)
	}
	if err := sla.WritePlans(os.Stdout, cat); err != nil {
		panic(err)
	}
	// Output:
	// PLAN         LEVEL  LABEL                  FIRST RESPONSE  CALENDAR  RESOLUTION  MAX CONTACTS
	// business-2h  P0     P0 – Blocker           2h              business  none        5
	// business-2h  P1     P1 – Critical          2h              business  none        5
	// business-2h  P2     P2 – Major             2h              business  none        5
	// business-2h  P3     P3 – Minor             2h              business  none        5
	// business-2h  P4     P4 – Trivial           2h              business  none        5
	// business-8h  P0     P0 – Blocker           8h              business  none        5
	// business-8h  P1     P1 – Critical          8h              business  none        5
	// business-8h  P2     P2 – Major             8h              business  none        5
	// business-8h  P3     P3 – Minor             8h              business  none        5
	// business-8h  P4     P4 – Trivial           8h              business  none        5
	// gold         P0     Severity 1 – Critical  30m             24x7      4h          6
	// gold         P1     Severity 2 – High      2h              lunch     none        6
	// gold         P2     Severity 3 – Medium    1bd             lunch     none        6
	// gold         P3     Severity 4 – Low       2bd             lunch     none        6
	// gold         P4     Severity 4 – Low       none            -         none        6
	// premium      P0     P0 – Blocker           30m             24x7      none        8
	// premium      P1     P1 – Critical          1h              24x7      none        8
	// premium      P2     P2 – Major             2h              24x7      none        8
	// premium      P3     P3 – Minor             1bd             office    none        8
	// premium      P4     P4 – Trivial           2bd             office    none        8
	// standard     P0     P0 – Blocker           1h              office    none        4
	// standard     P1     P1 – Critical          2h              office    none        4
	// standard     P2     P2 – Major             4h              office    none        4
	// standard     P3     P3 – Minor             1bd             office    none        4
	// standard     P4     P4 – Trivial           2bd             office    none        4
	//
	// CALENDAR  HOURS                                              BUSINESS DAY  CLOSED
	// 24x7      always open                                        24h           -
	// business  Mon–Fri 08:00–17:00                                9h            -
	// lunch     Mon–Thu 08:00–12:00, 13:00–17:00; Fri 08:00–12:00  8h            2026-12-31
	// office    Mon–Fri 08:30–17:30                                9h            -
}

func ExampleCatalog_DueFor() {
	received := time.Date(2026, 3, 13, 15, 0, 0, 0, time.UTC) // Friday 16:00 in Zurich
	r, err := sla.Builtin().DueFor("standard", ticket.P3, received, "Europe/Zurich", "CH-ZH")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Label, r.Target, "on", r.Calendar, "due", r.Due.Format("Mon 2006-01-02 15:04 MST"))
	// Output:
	// P3 – Minor 1bd on office due Mon 2026-03-16 16:00 CET
}

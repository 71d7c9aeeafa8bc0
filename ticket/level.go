package ticket

import (
	"fmt"
	"strings"
)

// Level is a canonical severity, P0 (blocker) to P4 (trivial). A plan maps
// levels to its own labels; internally only these five exist.
type Level string

// The canonical levels, most severe first.
const (
	P0 Level = "P0" // blocker: production stopped, mission critical
	P1 Level = "P1" // critical: significant disruption, no workaround
	P2 Level = "P2" // major: non-production severely impacted, costly workaround
	P3 Level = "P3" // minor: inconvenience, workaround exists
	P4 Level = "P4" // trivial: information, enhancement, documentation
)

// Levels lists the canonical levels, most severe first.
var Levels = []Level{P0, P1, P2, P3, P4}

// DefaultLevel is the level of a mail no rule says anything about.
const DefaultLevel = P3

// ParseLevel accepts "P0".."P4" in any case.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	if l.Valid() {
		return l, nil
	}
	return "", fmt.Errorf("unknown level %q (want P0, P1, P2, P3 or P4)", s)
}

// Valid reports whether l is one of the five canonical levels.
func (l Level) Valid() bool {
	switch l {
	case P0, P1, P2, P3, P4:
		return true
	}
	return false
}

// Rank is 0 for P0 up to 4 for P4; lower is more severe. Invalid levels rank 5.
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return len(Levels)
}

// MoreSevere reports whether l is strictly more severe than other.
func (l Level) MoreSevere(other Level) bool { return l.Rank() < other.Rank() }

// Status is where a ticket stands in its life.
type Status string

// Ticket states. A ticket is new until an engineer answers, open while we
// work on it, waiting when we asked the customer, closed when done.
const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusWaiting Status = "waiting"
	StatusClosed  Status = "closed"
)

// ParseStatus accepts one of the four states.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusNew, StatusOpen, StatusWaiting, StatusClosed:
		return st, nil
	}
	return "", fmt.Errorf("unknown status %q (want new, open, waiting or closed)", s)
}

// SenderOutcome is what sender verification concluded about a mail's From.
type SenderOutcome string

// Sender outcomes. Unchecked is used where no directory was consulted
// (e.g. `ticketd classify` without a config).
const (
	SenderContact   SenderOutcome = "contact"
	SenderStaff     SenderOutcome = "staff"
	SenderUnknown   SenderOutcome = "unknown"
	SenderSpoofed   SenderOutcome = "spoofed"
	SenderUnchecked SenderOutcome = "unchecked"
)

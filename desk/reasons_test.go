package desk

import (
	"fmt"
	"strings"
	"testing"

	"ticketd/classify"
)

// TestReasonStringsBoundsIgnoredCues: a ticket keeps every reason of its
// classification, but the "ignored …" diagnostics only up to a budget; the
// rest are counted in one line, so a long mail cannot grow a ticket row
// without bound.
func TestReasonStringsBoundsIgnoredCues(t *testing.T) {
	rs := []classify.Reason{
		{Rule: "table:fault", Level: "P3", Note: "a fault or wrong result with limited impact"},
		{Rule: "factor:state", Note: "state=failing", Match: "fails"},
	}
	few := append(rs, classify.Reason{Rule: "ignored:state.failing", Match: "error", Note: "a generic word in the subject"})
	if got := reasonStrings(few); len(got) != 3 || !strings.HasPrefix(got[2], "ignored \"error\"") {
		t.Fatalf("one ignored cue within the budget should be kept as is: %q", got)
	}
	many := rs
	for range 20 {
		many = append(many, classify.Reason{Rule: "ignored:state.stopped", Match: "down", Note: "about a past or resolved incident, the mail says the service is back since"})
	}
	got := reasonStrings(many)
	size := 0
	for _, s := range got {
		size += len(s)
	}
	if size > ignoredBudget+100 {
		t.Errorf("%d bytes of reasons kept, budget %d (+ the count line)", size, ignoredBudget)
	}
	last := got[len(got)-1]
	kept := len(got) - 3 // the two reasons and the count line
	if !strings.HasPrefix(last, fmt.Sprintf("%d more cues ignored", 20-kept)) {
		t.Errorf("last line %q should count the %d ignored cues not kept", last, 20-kept)
	}
	if got[0] != many[0].String() || got[1] != many[1].String() {
		t.Errorf("the deciding reasons must stay first and whole: %q", got[:2])
	}
}

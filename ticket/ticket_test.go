package ticket

import (
	"testing"
	"time"
)

func TestTicketRules(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	t.Run("reopen", func(t *testing.T) {
		for _, tc := range []struct {
			status   Status
			answered bool
			want     Status
			changed  bool
		}{
			{StatusClosed, true, StatusOpen, true},
			{StatusClosed, false, StatusNew, true},
			{StatusWaiting, true, StatusOpen, true},
			{StatusOpen, true, StatusOpen, false},
			{StatusNew, false, StatusNew, false},
		} {
			tk := &Ticket{Status: tc.status}
			if tc.status == StatusClosed {
				tk.ClosedAt = &at
			}
			if tc.answered {
				tk.FirstResponseAt = &at
			}
			if changed := tk.Reopen(); changed != tc.changed || tk.Status != tc.want {
				t.Errorf("Reopen from %s (answered %v) = %s, %v; want %s, %v", tc.status, tc.answered, tk.Status, changed, tc.want, tc.changed)
			}
			if tc.changed && tk.ClosedAt != nil {
				t.Errorf("Reopen from %s kept ClosedAt", tc.status)
			}
		}
	})
	t.Run("continues_after_reopen_days", func(t *testing.T) {
		closed := at
		tk := &Ticket{Status: StatusClosed, ClosedAt: &closed}
		if tk.Continues(at.Add(14*24*time.Hour), 14) {
			t.Error("continued exactly at reopen_days")
		}
		if !tk.Continues(at.Add(14*24*time.Hour+time.Second), 14) {
			t.Error("did not continue after reopen_days")
		}
		tk.Status = StatusOpen
		if tk.Continues(at.Add(100*24*time.Hour), 14) {
			t.Error("an open ticket continued")
		}
	})
	t.Run("answered_once", func(t *testing.T) {
		tk := &Ticket{}
		if !tk.Answered(at) || tk.Answered(at.Add(time.Hour)) || !tk.FirstResponseAt.Equal(at) {
			t.Errorf("Answered: first response %v", tk.FirstResponseAt)
		}
	})
	t.Run("status", func(t *testing.T) {
		tk := &Ticket{Status: StatusOpen}
		if old, same := tk.SetStatus(StatusClosed, at); old != StatusOpen || same || tk.ClosedAt == nil {
			t.Errorf("close: %s %v %v", old, same, tk.ClosedAt)
		}
		if _, same := tk.SetStatus(StatusClosed, at); !same {
			t.Error("closing twice changed something")
		}
		if tk.SetStatus(StatusOpen, at); tk.ClosedAt != nil {
			t.Error("reopening kept ClosedAt")
		}
	})
	t.Run("breached", func(t *testing.T) {
		due := at
		tk := &Ticket{FirstResponseDue: &due}
		if tk.Breached(at.Add(-time.Second)) || !tk.Breached(at) {
			t.Error("breach not at the due instant")
		}
		late := at.Add(time.Minute)
		tk.FirstResponseAt = &late
		if !tk.Breached(at.Add(-time.Hour)) {
			t.Error("a late answer is a breach")
		}
	})
	t.Run("raise_never_lowers", func(t *testing.T) {
		for _, tc := range []struct{ cur, prop, want Level }{
			{P2, P1, P1}, {P2, P3, P2}, {P2, "", P2}, {"", P3, P3}, {"", "", DefaultLevel},
		} {
			if got := Raise(tc.cur, tc.prop); got != tc.want {
				t.Errorf("Raise(%q, %q) = %s, want %s", tc.cur, tc.prop, got, tc.want)
			}
		}
	})
}

func TestHeaderText(t *testing.T) {
	for in, want := range map[string]string{
		"  Export\r\nBcc: evil@x  ":    "Export Bcc: evil@x",
		"a\tb\u2028c\u0085d\x7fe\x00f": "a b c d e f",
		"Demande reçue\u00a0: test":    "Demande reçue\u00a0: test",
		"bad \xff utf8":                "bad \uFFFD utf8",
		"em\u2003space  and   runs":    "em space and runs",
		"":                             "",
		"\r\n\r\n":                     "",
	} {
		if got := HeaderText(in); got != want {
			t.Errorf("HeaderText(%q) = %q, want %q", in, got, want)
		}
	}
}

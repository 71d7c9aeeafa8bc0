package main

import (
	"strings"
	"testing"
)

// TestDemo runs `ticketd demo` as a newcomer would and checks what it
// reports: three tickets, the reply threaded, the engineer's answer
// relayed, nothing sent to the out-of-office or the newsletter.
func TestDemo(t *testing.T) {
	out, errOut, code := run(t, nil, "demo")
	if code != 0 {
		t.Fatalf("demo exited %d:\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"uid 4  followup", "uid 5  followup", "uid 7  quarantined", "uid 8  engineer-reply",
		"→ oncall@example.com", "[Ticket#1][P0] Checkout API returning 500",
		"[Ticket#2] Frage zur Verlängerung des API-Schlüssels",
		"human  [Ticket#1] Checkout API returning 500",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, never := range []string{"→ tom.berger", "news@vendor.example  ", "→ news@"} {
		if strings.Contains(out, never) {
			t.Errorf("demo answered automated mail: %q", never)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

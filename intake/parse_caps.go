package intake

import (
	"strings"
	"unicode/utf8"
)

// Caps on header text that ends up in tickets and in every mail we send
// about them. A 16 MB Subject was once stored whole and quoted in a 53 MB
// acknowledgement and alert. Longer values are cut at a character
// boundary, marked with "…", and the mail is flagged; the raw mail keeps
// everything.
const (
	// MaxSubjectBytes bounds the subject: RFC 5322 §2.1.1 lines are at
	// most 998 characters, and no person writes a longer subject.
	MaxSubjectBytes = 998
	// MaxDisplayNameBytes bounds a display name in From, To, Cc, Reply-To.
	MaxDisplayNameBytes = 200
	// MaxHeaderValueBytes bounds each decoded header value kept in
	// Message.Header (read by sender verification and classification).
	MaxHeaderValueBytes = 16 << 10
)

// capText returns s cut to at most max bytes at a rune boundary, with "…"
// standing for what was cut, and whether it was cut.
func capText(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], func(r rune) bool { return r == ' ' }) + ellipsis, true
}

// preCap bounds a raw header value before it is decoded and unfolded, so
// a huge value costs no more than a few times the cap: encoded words and
// folding at most quadruple the length of what they stand for.
func preCap(raw string, max int) string {
	if limit := 4*max + 64; len(raw) > limit {
		return raw[:limit]
	}
	return raw
}

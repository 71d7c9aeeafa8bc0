package ticket

import (
	"strings"
	"unicode"
)

// HeaderText makes s safe and tidy for one header line, and is the one
// rule for it: subjects parsed from mail, subjects rendered from
// templates, and every header value composed for sending. Invalid UTF-8
// becomes U+FFFD; control characters (C0, C1, DEL), the Unicode line and
// paragraph separators and other white space become spaces; runs of space
// collapse to one; the ends are trimmed. No-break spaces stay (French
// typography needs them: "Re\u00a0:"). The result holds no CR or LF, so
// it can never start a new header field (RFC 5322 §2.2).
func HeaderText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if breaksHeader(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// breaksHeader reports runes HeaderText turns into (collapsed) space.
func breaksHeader(r rune) bool {
	switch r {
	case '\u00a0', '\u202f', '\u2007': // no-break spaces
		return false
	case '\u2028', '\u2029':
		return true
	}
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// Mail comes from anyone. Its subjects, names and bodies reach the admin's
// terminal through `tickets show`, `quarantine show` and the lists, and a
// terminal obeys control sequences: ESC [2J clears the screen, OSC 8 hides
// a link behind harmless text, OSC 52 writes the clipboard. Everything
// printed for people goes through a terminalWriter, which shows such
// characters instead of sending them; JSON escapes them (jsonSafe).

// terminalWriter passes text to w with control characters made visible:
// C0 controls but newline and tab as ^X caret notation (ESC is ^[), DEL as
// ^?, a carriage return as ^M unless it ends a line, and C1 controls and
// Unicode bidirectional overrides (which reorder what is shown, as in
// "Trojan Source") as <U+XXXX>. Invalid UTF-8 passes as it is: terminals
// show it as replacement characters. A UTF-8 sequence split across writes
// is held back until it is complete.
type terminalWriter struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence from the last Write
}

func newTerminalWriter(w io.Writer) *terminalWriter { return &terminalWriter{w: w} }

func (t *terminalWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(t.pending) > 0 {
		p = append(t.pending, p...)
		t.pending = nil
	}
	// Hold back a trailing incomplete rune for the next write.
	if cut := incompleteTail(p); cut < len(p) {
		t.pending = append([]byte(nil), p[cut:]...)
		p = p[:cut]
	}
	if _, err := t.w.Write(neutralize(p)); err != nil {
		return 0, err
	}
	return n, nil
}

// incompleteTail returns where an incomplete UTF-8 sequence at the end of
// p starts, or len(p).
func incompleteTail(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return i
			}
			break
		}
	}
	return len(p)
}

// neutralize returns p with control characters made visible (see
// terminalWriter). It returns p itself when there is nothing to change.
func neutralize(p []byte) []byte {
	clean := true
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if unsafeRune(r) && !(r == '\r' && i+1 < len(p) && p[i+1] == '\n') {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return p
	}
	var b bytes.Buffer
	b.Grow(len(p) + 16)
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == '\r' && i+1 < len(p) && p[i+1] == '\n':
			// CRLF line end: the line feed alone does.
		case r == 0x7f:
			b.WriteString("^?")
		case r < 0x20 && unsafeRune(r):
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case unsafeRune(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.Write(p[i : i+size])
		}
		i += size
	}
	return b.Bytes()
}

// unsafeRune reports whether a terminal would act on r rather than show
// it: C0 controls but newline and tab, DEL, C1 controls, and the Unicode
// bidirectional embeddings, overrides and isolates.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// jsonSafe rewrites the characters unsafeRune names that encoding/json
// leaves raw (C1 controls and bidi controls; it already escapes C0) as
// \uXXXX escapes. They can only stand inside JSON strings, so the document
// means the same; it just cannot drive a terminal it is printed to.
func jsonSafe(p []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r >= 0x80 && unsafeRune(r) {
			if b.Len() == 0 {
				b.Grow(len(p) + 16)
				b.Write(p[:i])
			}
			fmt.Fprintf(&b, `\u%04x`, r)
		} else if b.Len() > 0 {
			b.Write(p[i : i+size])
		}
		i += size
	}
	if b.Len() == 0 {
		return p
	}
	return b.Bytes()
}

package intake

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// mimeWorkBudget bounds what enmime may be asked to do with one mail, in
// bytes × multipart depth: each nested multipart reads the bytes inside it
// again, byte by byte, so the cost is the sum over all bytes of how deeply
// they are nested (about 11 ns per byte and level here). 128 Mi of it is
// about 1.5 s of CPU: a 25 MiB attachment 5 multiparts deep, far more than
// real mail needs (a large attachment sits 1 or 2 deep).
const mimeWorkBudget = 128 << 20

// mimeScan is what scanMIME learnt about a message's MIME structure.
type mimeScan struct {
	parts    int   // part headers seen, the top-level one included
	depth    int   // deepest multipart nesting seen
	work     int64 // bytes × depth up to cut (see mimeWorkBudget)
	cut      int   // offset at which parsing must stop, or -1
	open     []string
	exceeded string // which limit was exceeded at cut, in words
}

// openMultipart is a multipart scanMIME is inside.
type openMultipart struct {
	prefix []byte // "--" + boundary
	opened bool   // its first part has begun (past the preamble)
}

// scanMIME walks the multipart structure of raw in one pass, before enmime
// sees it, and finds where the first limit would be exceeded: more than
// lim.MaxMIMEParts parts, multiparts nested deeper than lim.MaxMIMEDepth,
// or more than mimeWorkBudget of parsing work. Its time is linear in
// len(raw): it stops at the cut, so it compares each line with at most
// MaxMIMEDepth+1 boundaries.
//
// It finds boundaries where enmime's boundary reader does (see
// boundaryLine), but it is a model of enmime, not enmime: the limit on
// distinct boundaries in guardedParser bounds enmime's work even where
// the two disagree.
func scanMIME(raw []byte, lim Limits) mimeScan {
	sc := mimeScan{cut: -1, parts: 1}
	var stack []openMultipart
	headerEnd, ctype := readPartHeader(raw, 0)
	if b := boundaryOf(ctype); b != "" && strings.HasPrefix(strings.ToLower(mediaTypeOf(ctype)), "multipart/") {
		stack = append(stack, openMultipart{prefix: []byte("--" + b)})
		sc.depth = 1
	}
	inHeader, partStart := false, 0
	var partCT strings.Builder
	for start := headerEnd; start < len(raw); {
		end := bytes.IndexByte(raw[start:], '\n')
		next := len(raw)
		if end >= 0 {
			next = start + end + 1
		}
		if level, terminator := boundaryLine(raw, start, next, stack); level >= 0 {
			stack = stack[:level+1]
			if terminator {
				stack = stack[:level]
				inHeader = false
			} else {
				if sc.parts >= lim.MaxMIMEParts {
					sc.cutAt(start, stack, fmt.Sprintf("more than %d MIME parts (limits.max_mime_parts)", lim.MaxMIMEParts))
					return sc
				}
				sc.parts++
				stack[level].opened = true
				inHeader, partStart = true, start
				partCT.Reset()
			}
			start = next
			continue
		}
		line := raw[start:next]
		if inHeader {
			trimmed := bytes.TrimRight(line, "\r\n")
			switch {
			case len(trimmed) == 0:
				inHeader = false
				// enmime reads any part with a boundary parameter as a
				// multipart, unless it is text/plain or text/html.
				if b := boundaryOf(partCT.String()); b != "" && !isTextBody(partCT.String()) {
					if len(stack)+1 > lim.MaxMIMEDepth {
						sc.cutAt(partStart, stack, fmt.Sprintf("multiparts nested more than %d deep (limits.max_mime_depth)", lim.MaxMIMEDepth))
						return sc
					}
					stack = append(stack, openMultipart{prefix: []byte("--" + b)})
					sc.depth = max(sc.depth, len(stack))
				}
			case trimmed[0] == ' ' || trimmed[0] == '\t':
				if partCT.Len() > 0 {
					partCT.Write(trimmed)
				}
			case partCT.Len() == 0 && len(trimmed) > 13 && strings.EqualFold(string(trimmed[:13]), "content-type:"):
				partCT.Write(trimmed[13:])
			}
		}
		work := sc.work + int64(len(line))*int64(len(stack))
		if work > mimeWorkBudget {
			sc.cutAt(start, stack, fmt.Sprintf("too costly to parse whole (%d MB, multiparts up to %d deep)", len(raw)>>20, sc.depth))
			return sc
		}
		sc.work = work
		start = next
	}
	return sc
}

func (sc *mimeScan) cutAt(offset int, open []openMultipart, why string) {
	sc.cut, sc.exceeded = offset, why
	for _, m := range open {
		sc.open = append(sc.open, string(m.prefix[2:]))
	}
}

// boundaryLine reports whether the line raw[start:end] ends a part of an
// open multipart, as enmime's boundary reader decides it, and of which one:
// the outermost that matches, since each level reads from the one around
// it. A level still in its preamble looks for "--boundary" followed by
// white space anywhere in a line; inside a part, only a window of
// len("--boundary")+2 bytes at the start of a line is looked at (after
// a lone CR too). Either way a line containing "--boundary--" ends the
// multipart. level is -1 when no level matches.
func boundaryLine(raw []byte, start, end int, stack []openMultipart) (level int, terminator bool) {
	line := raw[start:end]
	if len(stack) == 0 || !bytes.Contains(line, []byte("--")) {
		return -1, false
	}
	for i, m := range stack {
		var hit bool
		if !m.opened {
			hit = delimiterIn(line, m.prefix)
		} else {
			// A line that begins with CR follows an empty line end,
			// which enmime skips; the CR itself is handled below.
			hit = line[0] != '\r' && windowMatch(raw, start, m.prefix)
			// A lone CR is a line start to enmime too; the window begins
			// two bytes after it.
			for j := bytes.IndexByte(line, '\r'); !hit && j >= 0; {
				if j+1 < len(line) && line[j+1] != '\n' {
					hit = windowMatch(raw, start+j+2, m.prefix)
				}
				k := bytes.IndexByte(line[j+1:], '\r')
				if k < 0 {
					break
				}
				j += 1 + k
			}
		}
		if hit {
			return i, bytes.Contains(line, append(m.prefix[:len(m.prefix):len(m.prefix)], '-', '-'))
		}
	}
	return -1, false
}

// delimiterIn is enmime's isDelimiter/isTerminator on a whole line.
func delimiterIn(line, prefix []byte) bool {
	if bytes.Contains(line, append(prefix[:len(prefix):len(prefix)], '-', '-')) {
		return true
	}
	idx := bytes.Index(line, prefix)
	return idx >= 0 && idx+len(prefix) < len(line) && isSpaceByte(line[idx+len(prefix)])
}

// windowMatch is enmime's check at a line start inside a part: the next
// len(prefix)+2 bytes hold a delimiter or terminator. Past the end of the
// input, or for a boundary too long for its 4 KiB peek buffer, it never
// matches.
func windowMatch(raw []byte, at int, prefix []byte) bool {
	n := len(prefix) + 2
	if at+n > len(raw) || len(prefix)+4 > 4096 {
		return false
	}
	w := raw[at : at+n]
	if bytes.HasPrefix(w, prefix) && w[len(prefix)] == '-' && w[len(prefix)+1] == '-' {
		return true
	}
	idx := bytes.Index(w, prefix)
	return idx >= 0 && idx+len(prefix) < n && isSpaceByte(w[idx+len(prefix)])
}

func isTextBody(ctype string) bool {
	switch strings.ToLower(mediaTypeOf(ctype)) {
	case "text/plain", "text/html":
		return true
	}
	return false
}

// readPartHeader returns where the header starting at off ends (after the
// blank line) and its first Content-Type value, unfolded.
func readPartHeader(raw []byte, off int) (end int, ctype string) {
	var ct strings.Builder
	inCT := false
	for start := off; start < len(raw); {
		e := bytes.IndexByte(raw[start:], '\n')
		next := len(raw)
		if e >= 0 {
			next = start + e + 1
		}
		line := bytes.TrimRight(raw[start:next], "\r\n")
		switch {
		case len(line) == 0:
			return next, ct.String()
		case line[0] == ' ' || line[0] == '\t':
			if inCT {
				ct.Write(line)
			}
		default:
			inCT = false
			if ct.Len() == 0 && len(line) > 13 && strings.EqualFold(string(line[:13]), "content-type:") {
				inCT = true
				ct.Write(line[13:])
			}
		}
		start = next
	}
	return len(raw), ct.String()
}

// isSpaceByte is unicode.IsSpace(rune(c)), as enmime tests the byte after
// a boundary.
func isSpaceByte(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\v', '\f', 0x85, 0xA0:
		return true
	}
	return false
}

// mediaTypeOf and boundaryOf read a Content-Type value as enmime does.
func mediaTypeOf(ctype string) string {
	mtype, _, _, _ := mediatype.Parse(ctype)
	return mtype
}

func boundaryOf(ctype string) string {
	if ctype == "" || !strings.Contains(strings.ToLower(ctype), "boundary") {
		return ""
	}
	_, params, _, err := mediatype.Parse(ctype)
	if err != nil {
		return ""
	}
	return params["boundary"]
}

// WithinMIMELimits reports whether raw's MIME structure is within lim
// (zero fields: the defaults), in time linear in len(raw). ParseWithLimits
// parses a mail beyond them too, only not all of it.
func WithinMIMELimits(raw []byte, lim Limits) bool {
	return scanMIME(raw, lim.withDefaults()).cut < 0
}

// limitMIME applies scanMIME: within the limits it returns input as it is;
// beyond them, the part before the cut with every multipart that is open
// there closed, and the reason in ParseErrors. The stored raw mail keeps
// everything.
func (p *parseState) limitMIME(input []byte) []byte {
	sc := scanMIME(input, p.lim)
	p.mimeParts = sc.parts
	if sc.cut < 0 {
		return input
	}
	p.errorf("MIME structure over the limits: %s; parsed the first %d of %d bytes (%d parts), the rest is only in the stored raw mail",
		sc.exceeded, sc.cut, len(input), sc.parts)
	out := make([]byte, 0, sc.cut+len(sc.open)*80)
	out = append(out, input[:sc.cut]...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, "\r\n"...)
	}
	for i := len(sc.open) - 1; i >= 0; i-- {
		out = append(out, "--"...)
		out = append(out, sc.open[i]...)
		out = append(out, "--\r\n"...)
	}
	return out
}

// guardedParser returns an enmime parser for one message that lets at most
// budget distinct multipart boundaries be parsed as multiparts; the parts
// of any further ones are kept unparsed, as attachments. Nesting needs a
// new boundary per level (a repeated one is matched by the outer level
// first), so enmime's work stays within len(input) × budget whatever
// scanMIME missed. The count is reported through *overBudget.
//
// Corrupt base64 in a text part keeps what decoded instead of losing the
// body. A declared charset is trusted (RFC 2045 §5.1); statistical
// detection runs only for parts without one: it let a guess override a
// correct declaration and was 90% of the parse time.
func guardedParser(budget int, overBudget *int) *enmime.Parser {
	allowed := map[string]bool{}
	return enmime.NewParser(
		enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
		enmime.MaxStoredPartErrors(20),
		enmime.DisableCharacterDetection(true),
		enmime.SetCustomParseMediaType(func(ctype string) (string, map[string]string, []string, error) {
			mtype, params, invalid, err := mediatype.Parse(ctype)
			if b, ok := params["boundary"]; ok && !allowed[b] {
				if len(allowed) < budget {
					allowed[b] = true
				} else {
					delete(params, "boundary")
					*overBudget++
				}
			}
			return mtype, params, invalid, err
		}),
	)
}

// boundaryBudget is how many distinct boundaries guardedParser allows for
// input: enough for MaxMIMEDepth levels, and for up to MaxMIMEParts
// multiparts as long as mimeWorkBudget allows.
func boundaryBudget(lim Limits, size int) int {
	byWork := mimeWorkBudget / max(size, 1)
	return max(lim.MaxMIMEDepth, min(lim.MaxMIMEParts, byWork))
}

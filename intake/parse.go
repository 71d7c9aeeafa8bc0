package intake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"

	"ticketd/ticket"
)

// Limits bound what Parse accepts from one message. A message beyond a
// limit is still parsed; the excess is recorded in ParseErrors. Zero fields
// take the defaults.
type Limits struct {
	// MaxHeaderFields is the number of top-level header fields kept; fields
	// beyond it are dropped (default 1000).
	MaxHeaderFields int
	// MaxLineLength is the longest line, in bytes without CRLF, accepted
	// without complaint (default 100000). RFC 5322 §2.1.1 says 998, but real
	// mail (HTML generators, long base64 lines) breaks that routinely, so
	// only far longer lines are recorded; nothing is dropped.
	MaxLineLength int
	// MaxAttachments is the number of attachments kept (default 100).
	MaxAttachments int
	// MaxMIMEDepth is how deeply multiparts may nest (default 32). Real
	// mail nests 2 to 6 deep (mixed, related, alternative, a forwarded
	// message or two); the MIME parser's work grows with size × depth,
	// and 20,000 nested multiparts in 1.4 MB kept it busy for minutes.
	// Parts nested deeper are not parsed (see ParseErrors).
	MaxMIMEDepth int
	// MaxMIMEParts is how many MIME parts are parsed (default 500): ten
	// times what a long thread with attachments and inline images has,
	// and few enough that each costs little. Parts beyond it are not
	// parsed.
	MaxMIMEParts int
}

// Default limits; see Limits.
const (
	DefaultMaxHeaderFields = 1000
	DefaultMaxLineLength   = 100000
	DefaultMaxAttachments  = 100
	DefaultMaxMIMEDepth    = 32
	DefaultMaxMIMEParts    = 500
)

// maxParseErrors caps ParseErrors so a hostile message cannot turn its
// defects into an unbounded list.
const maxParseErrors = 100

// maxAttachmentName is the longest sanitised attachment name, in bytes.
const maxAttachmentName = 200

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderFields <= 0 {
		l.MaxHeaderFields = DefaultMaxHeaderFields
	}
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = DefaultMaxLineLength
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	if l.MaxMIMEDepth <= 0 {
		l.MaxMIMEDepth = DefaultMaxMIMEDepth
	}
	if l.MaxMIMEParts <= 0 {
		l.MaxMIMEParts = DefaultMaxMIMEParts
	}
	return l
}

// Parse turns raw RFC 5322 bytes into a Message with the default Limits.
// See ParseWithLimits.
func Parse(raw []byte) *ticket.Message {
	return ParseWithLimits(raw, Limits{})
}

// ParseWithLimits turns raw RFC 5322 bytes into a Message. It never fails
// and never returns nil: whatever it cannot make sense of, including a panic
// inside the MIME parser, is listed in ParseErrors and the rest is filled
// as far as possible. The caller keeps raw; it is not retained except
// through attachment Content, which is copied.
func ParseWithLimits(raw []byte, lim Limits) (m *ticket.Message) {
	m = &ticket.Message{Size: int64(len(raw)), Header: textproto.MIMEHeader{}}
	p := &parseState{m: m, lim: lim.withDefaults()}
	defer func() {
		if r := recover(); r != nil {
			p.errorf("parser panic: %v", r)
			p.errorf("panic stack: %s", firstLines(string(debug.Stack()), 12))
			// NewText must still be filled; StripQuoted itself is
			// panic-free but guard anyway so the message is returned.
			func() {
				defer func() { _ = recover() }()
				if m.NewText == "" {
					m.NewText = StripQuoted(m.Text)
				}
			}()
			p.finish()
		}
	}()
	p.parse(raw)
	p.finish()
	return m
}

// parseState carries one message through parsing.
type parseState struct {
	m          *ticket.Message
	lim        Limits
	dropErrors int
	// What the MIME limits saw, for tests: part headers the pre-scan
	// visited, and multiparts the parser was kept from reading as such.
	mimeParts      int
	boundariesLeft int
}

func (p *parseState) errorf(format string, args ...any) {
	if len(p.m.ParseErrors) >= maxParseErrors {
		p.dropErrors++
		return
	}
	p.m.ParseErrors = append(p.m.ParseErrors, fmt.Sprintf(format, args...))
}

func (p *parseState) finish() {
	if p.dropErrors > 0 {
		p.m.ParseErrors = append(p.m.ParseErrors, fmt.Sprintf("%d further parse errors not listed", p.dropErrors))
		p.dropErrors = 0
	}
}

// parseTestHook, when set by a test, runs at the start of every parse; it
// lets tests prove that a panic inside parsing is recovered.
var parseTestHook func(raw []byte)

func (p *parseState) parse(raw []byte) {
	if parseTestHook != nil {
		parseTestHook(raw)
	}
	input := p.applyLimits(raw)
	input = p.limitMIME(input)

	var header textproto.MIMEHeader
	env, err := guardedParser(boundaryBudget(p.lim, len(input)), &p.boundariesLeft).ReadEnvelope(bytes.NewReader(input))
	if p.boundariesLeft > 0 {
		p.errorf("MIME structure over the limits: %d multiparts beyond the %d the parser may read were kept unparsed",
			p.boundariesLeft, boundaryBudget(p.lim, len(input)))
	}
	if err != nil || env == nil || env.Root == nil {
		if err == nil {
			err = errors.New("no root part")
		}
		p.errorf("mime: %v", err)
		header = p.fallbackBody(input)
	} else {
		header = env.Root.Header
		for _, e := range env.Errors {
			// An HTML-only mail is legitimate; enmime notes the missing
			// text/plain part as a warning, which would flag every such
			// mail as malformed. A failed conversion is still recorded.
			if e.Name == enmime.ErrorPlainTextFromHTML && !e.Severe {
				continue
			}
			p.errorf("mime: %s", e.Error())
		}
		p.m.Text = cleanText(env.Text)
		p.m.HTML = strings.ToValidUTF8(env.HTML, "\uFFFD")
		p.attachments(env)
		if p.m.Text == "" && p.m.HTML == "" && len(p.m.Attachments) == 0 {
			// Typically a multipart whose declared boundary never occurs:
			// enmime finds no parts. Show the undecoded body rather than
			// nothing.
			if body := bodyOf(input); len(bytes.TrimSpace(body)) > 0 {
				p.errorf("no text, HTML or attachment part found; kept the undecoded body as text")
				p.m.Text = cleanText(decodeBytes(body))
			}
		}
	}

	p.headers(header)
	p.m.NewText = StripQuoted(p.m.Text)
	p.m.Forwarded = ForwardedText(p.m.Text)
}

// applyLimits checks line lengths and header field count in one pass over
// raw, records what exceeds the limits, and returns the bytes to hand to
// the MIME parser: raw itself, or a copy without the header fields beyond
// MaxHeaderFields.
func (p *parseState) applyLimits(raw []byte) []byte {
	var (
		inHeader           = true
		fields             int
		keepEnd            = -1 // start of the first field beyond the limit
		blankStart         = len(raw)
		longLines, longest int
		firstLongLine      int
	)
	for start, lineNo := 0, 1; start < len(raw); lineNo++ {
		end := bytes.IndexByte(raw[start:], '\n')
		next := len(raw)
		if end >= 0 {
			end += start
			next = end + 1
		} else {
			end = len(raw)
		}
		line := bytes.TrimSuffix(raw[start:end], []byte{'\r'})
		if len(line) > p.lim.MaxLineLength {
			longLines++
			if firstLongLine == 0 {
				firstLongLine = lineNo
			}
			longest = max(longest, len(line))
		}
		if inHeader {
			switch {
			case len(line) == 0:
				inHeader = false
				blankStart = start
			case line[0] == ' ' || line[0] == '\t':
				// continuation of the previous field (RFC 5322 §2.2.3)
			default:
				fields++
				if fields == p.lim.MaxHeaderFields+1 {
					keepEnd = start
				}
			}
		}
		start = next
	}
	if longLines > 0 {
		p.errorf("%d line(s) longer than %d bytes, first at line %d, longest %d bytes (RFC 5322 §2.1.1 limit is 998)",
			longLines, p.lim.MaxLineLength, firstLongLine, longest)
	}
	if keepEnd < 0 {
		return raw
	}
	p.errorf("header has %d fields, more than the limit of %d; kept the first %d", fields, p.lim.MaxHeaderFields, p.lim.MaxHeaderFields)
	out := make([]byte, 0, keepEnd+len(raw)-blankStart)
	out = append(out, raw[:keepEnd]...)
	if blankStart < len(raw) {
		out = append(out, raw[blankStart:]...)
	}
	return out
}

// fallbackBody is used when the MIME structure is beyond repair: it reads
// the header block leniently and keeps the rest as plain text, so the
// message still has a sender, subject and something readable.
func (p *parseState) fallbackBody(input []byte) textproto.MIMEHeader {
	br := bufio.NewReader(bytes.NewReader(input))
	header, err := enmime.ReadHeader(br, collector{p})
	if err != nil {
		p.errorf("header: %v", err)
	}
	body, err := io.ReadAll(br)
	if err != nil {
		p.errorf("body: %v", err)
	}
	p.m.Text = cleanText(decodeBytes(body))
	return header
}

// bodyOf returns what follows the first empty line (RFC 5322 §2.1), or
// nil when there is none.
func bodyOf(b []byte) []byte {
	for start := 0; start < len(b); {
		end := bytes.IndexByte(b[start:], '\n')
		if end < 0 {
			return nil
		}
		line := bytes.TrimSuffix(b[start:start+end], []byte{'\r'})
		if len(line) == 0 {
			return b[start+end+1:]
		}
		start += end + 1
	}
	return nil
}

// collector passes enmime's header warnings into ParseErrors.
type collector struct{ p *parseState }

func (c collector) AddError(name, format string, args ...any) {
	c.p.errorf("mime: [E] %s: %s", name, fmt.Sprintf(format, args...))
}

func (c collector) AddWarning(name, format string, args ...any) {
	c.p.errorf("mime: [W] %s: %s", name, fmt.Sprintf(format, args...))
}

// headers fills the header map and every field derived from the header.
func (p *parseState) headers(h textproto.MIMEHeader) {
	m := p.m
	for key, values := range h {
		ck := textproto.CanonicalMIMEHeaderKey(key)
		for _, v := range values {
			dv, cut := capText(decodeHeader(preCap(v, MaxHeaderValueBytes)), MaxHeaderValueBytes)
			if cut {
				p.errorf("%s header field is %d bytes; kept the first %d", ck, len(v), MaxHeaderValueBytes)
			}
			m.Header[ck] = append(m.Header[ck], dv)
		}
	}

	subject := h.Get("Subject")
	var cut bool
	if m.Subject, cut = capText(ticket.HeaderText(decodeHeader(unfold(preCap(subject, MaxSubjectBytes)))), MaxSubjectBytes); cut {
		p.errorf("Subject is %d bytes; kept the first %d", len(subject), MaxSubjectBytes)
	}

	// Message ids are never RFC 2047 encoded (RFC 2047 §5), so the raw
	// values are used.
	if ids := parseMessageIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = parseMessageIDs(strings.Join(h.Values("In-Reply-To"), " "))
	m.References = parseMessageIDs(strings.Join(h.Values("References"), " "))

	if from := p.addressList(h, "From"); len(from) > 0 {
		m.From = from[0]
	} else if _, ok := h["From"]; !ok {
		p.errorf("missing From header field (RFC 5322 §3.6.2)")
	}
	m.To = p.addressList(h, "To")
	m.Cc = p.addressList(h, "Cc")
	m.ReplyTo = p.addressList(h, "Reply-To")

	if v := strings.TrimSpace(h.Get("Date")); v != "" {
		if t, err := parseDate(v); err == nil {
			m.Date = t
		} else {
			p.errorf("Date: %v", err)
		}
	}

	// RFC 5321 §4.4: the delivering server records the reverse path as
	// Return-Path; "<>" is the null path used by bounces and auto-replies.
	// The topmost field is the final delivery's.
	if rp := h.Values("Return-Path"); len(rp) > 0 {
		m.HasReturnPath = true
		m.ReturnPath = parseReturnPath(rp[0])
	}
}

// headerDecoder decodes RFC 2047 encoded-words in any charset the WHATWG
// or IANA tables know (latin-1, windows-1252, ISO-2022-JP, …).
var headerDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}

func lookupCharset(label string) (encoding.Encoding, error) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if enc, err := htmlindex.Get(label); err == nil {
		return enc, nil
	}
	enc, err := ianaindex.MIME.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return enc, nil
}

// decodeHeader decodes RFC 2047 encoded-words; a value that does not
// decode is kept as it is. Raw 8-bit bytes that are not UTF-8 (RFC 6532
// allows only UTF-8) are read as windows-1252, the usual culprit.
func decodeHeader(v string) string {
	if strings.Contains(v, "=?") {
		if d, err := headerDecoder.DecodeHeader(v); err == nil {
			v = d
		}
	}
	return decodeString(v)
}

func decodeString(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	if d, err := charmap.Windows1252.NewDecoder().String(v); err == nil {
		return d
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

func decodeBytes(b []byte) string { return decodeString(string(b)) }

// unfold removes the CRLF of folded header lines (RFC 5322 §2.2.3).
func unfold(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return v
	}
	return strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(v)
}

// cleanText normalises line ends to \n and guarantees valid UTF-8.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ToValidUTF8(s, "\uFFFD")
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

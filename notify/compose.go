package notify

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"ticketd/ticket"
)

// ErrInvalidMail is wrapped by every error Compose returns: the Mail itself
// is unusable (missing or malformed address, Message-ID, date or header
// name). Sanitisable text (subjects, names, values) never causes it.
var ErrInvalidMail = errors.New("invalid mail")

// Mail is an outbound message before encoding. Text fields may hold any
// string: Compose removes control characters and encodes non-ASCII, so no
// value can add a header field.
type Mail struct {
	From    mail.Address
	To, Cc  []mail.Address
	ReplyTo []mail.Address

	Subject string
	Text    string // plain text body
	HTML    string // optional; with Text it forms multipart/alternative

	MessageID  string   // without angle brackets; required
	InReplyTo  string   // without angle brackets; dropped when malformed
	References []string // without angle brackets, oldest first; malformed ones dropped
	Date       time.Time

	// AutoReply marks mail sent automatically in answer to a message
	// (acknowledgements, notices). RFC 3834 §5: such mail carries
	// "Auto-Submitted: auto-replied"; Exchange honours
	// "X-Auto-Response-Suppress: All" and will not answer it with
	// out-of-office replies. False for relayed human replies.
	AutoReply bool

	// Loop is the value of ticket.LoopHeader, the support address. Every
	// mail ticketd sends carries it so that intake recognises its own mail.
	Loop string

	// Headers are extra header fields such as Precedence. Names must be
	// letters, digits and '-', and must not be a field Compose writes.
	Headers map[string]string

	Attachments []ticket.Attachment // Name (sanitised here), ContentType (invalid → application/octet-stream), Content
}

// Limits. RFC 5322 §2.1.1: lines MUST be at most 998 octets and SHOULD be
// at most 78; names are truncated so that one quoted word always fits.
const (
	maxLineLen       = 998
	foldLen          = 78
	maxNameRunes     = 200
	maxFileNameBytes = 250
	maxReferences    = 20
	maxMessageIDLen  = 250
	maxHeaderNameLen = 76
)

// reservedHeaders are the fields Compose writes itself; Mail.Headers may
// not set them (lower case).
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"sender": true, "subject": true, "date": true, "message-id": true,
	"in-reply-to": true, "references": true, "mime-version": true,
	"return-path": true, "received": true,
	strings.ToLower(ticket.LoopHeader): true,
}

// Compose encodes m as an RFC 5322 message with CRLF line endings. The
// output depends only on m (multipart boundaries derive from the
// Message-ID), so composing the same Mail twice yields the same bytes.
func Compose(m *Mail) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("compose: %w: nil mail", ErrInvalidMail)
	}
	h, err := topHeader(m)
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", m.MessageID, err)
	}
	var b bytes.Buffer
	b.Grow(len(m.Text) + len(m.HTML) + 1024)
	for _, f := range h {
		if err := writeField(&b, f.name, f.value); err != nil {
			return nil, fmt.Errorf("compose %s: %w", m.MessageID, err)
		}
	}
	body := bodyPart(m)
	if len(m.Attachments) > 0 {
		parts := []part{body}
		for _, a := range m.Attachments {
			parts = append(parts, attachmentPart(a))
		}
		body = multipartOf("mixed", boundary(m.MessageID, "m"), parts)
	}
	if err := body.write(&b); err != nil {
		return nil, fmt.Errorf("compose %s: %w", m.MessageID, err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n") // RFC 5321 §4.1.1.4: DATA ends with CRLF "." CRLF
	}
	return b.Bytes(), nil
}

type field struct{ name, value string }

func topHeader(m *Mail) ([]field, error) {
	if m.Date.IsZero() {
		return nil, fmt.Errorf("%w: Date is required", ErrInvalidMail)
	}
	if !validMsgID(m.MessageID) {
		return nil, fmt.Errorf("%w: Message-ID %q is malformed (want left@right, printable ASCII, no <>)", ErrInvalidMail, m.MessageID)
	}
	if strings.TrimSpace(m.Loop) == "" {
		return nil, fmt.Errorf("%w: Loop (the %s value) is required", ErrInvalidMail, ticket.LoopHeader)
	}
	if len(m.To)+len(m.Cc) == 0 {
		return nil, fmt.Errorf("%w: no To or Cc recipient", ErrInvalidMail)
	}
	from, err := formatAddressList("From", []mail.Address{m.From})
	if err != nil {
		return nil, err
	}
	h := []field{
		{"Date", m.Date.Format(time.RFC1123Z)},
		{"From", from},
	}
	for _, l := range []struct {
		name  string
		addrs []mail.Address
	}{{"Reply-To", m.ReplyTo}, {"To", m.To}, {"Cc", m.Cc}} {
		if len(l.addrs) == 0 {
			continue
		}
		v, err := formatAddressList(l.name, l.addrs)
		if err != nil {
			return nil, err
		}
		h = append(h, field{l.name, v})
	}
	h = append(h,
		field{"Subject", unstructured(m.Subject)},
		field{"Message-ID", "<" + m.MessageID + ">"},
	)
	if validMsgID(m.InReplyTo) {
		h = append(h, field{"In-Reply-To", "<" + m.InReplyTo + ">"})
	}
	if refs := references(m.References); refs != "" {
		h = append(h, field{"References", refs})
	}
	if m.AutoReply {
		h = append(h,
			field{"Auto-Submitted", "auto-replied"},
			field{"X-Auto-Response-Suppress", "All"},
		)
	}
	h = append(h, field{ticket.LoopHeader, unstructured(m.Loop)})

	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	slices.Sort(names) // deterministic output
	for _, k := range names {
		if err := checkHeaderName(k, m.AutoReply); err != nil {
			return nil, err
		}
		h = append(h, field{k, unstructured(m.Headers[k])})
	}
	h = append(h, field{"MIME-Version", "1.0"})
	return h, nil
}

func checkHeaderName(k string, autoReply bool) error {
	if k == "" || len(k) > maxHeaderNameLen {
		return fmt.Errorf("%w: header name %q must be 1 to %d characters", ErrInvalidMail, k, maxHeaderNameLen)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: header name %q may hold only letters, digits and '-'", ErrInvalidMail, k)
		}
	}
	lk := strings.ToLower(k)
	if reservedHeaders[lk] || strings.HasPrefix(lk, "content-") {
		return fmt.Errorf("%w: header %q is set by Compose, not by Headers", ErrInvalidMail, k)
	}
	if autoReply && (lk == "auto-submitted" || lk == "x-auto-response-suppress") {
		return fmt.Errorf("%w: header %q conflicts with AutoReply", ErrInvalidMail, k)
	}
	return nil
}

// NewMessageID returns a fresh random Message-ID (without angle brackets)
// such as "ticketd.3jq5…@support.example.com". An empty or malformed
// domain is replaced by "ticketd.invalid" (RFC 6761 reserves .invalid).
func NewMessageID(domain string) string {
	var r [16]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go 1.24+)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	d := ticket.NormalizeDomain(domain)
	if !validMsgID("x@"+d) || strings.ContainsAny(d, "@[]") {
		d = "ticketd.invalid"
	}
	return "ticketd." + strings.ToLower(enc.EncodeToString(r[:])) + "@" + d
}

// validMsgID accepts the ids Compose writes: RFC 5322 §3.6.4 msg-id
// without brackets, restricted to printable ASCII, with one '@' between
// non-empty halves.
func validMsgID(id string) bool {
	if id == "" || len(id) > maxMessageIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == '(' || c == ')' || c == ',' {
			return false
		}
	}
	at := strings.LastIndexByte(id, '@')
	return at > 0 && at < len(id)-1 && strings.Count(id, "@") == 1
}

// references keeps valid ids; a long chain is cut to the first id and the
// most recent ones, as RFC 5322 §3.6.4 allows and common clients do.
func references(ids []string) string {
	var ok []string
	for _, id := range ids {
		if validMsgID(id) {
			ok = append(ok, "<"+id+">")
		}
	}
	if len(ok) > maxReferences {
		ok = append(ok[:1], ok[len(ok)-(maxReferences-1):]...)
	}
	return strings.Join(ok, " ")
}

func formatAddressList(header string, addrs []mail.Address) (string, error) {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		s, err := formatAddress(a)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrInvalidMail, header, err)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", "), nil
}

// formatAddress validates the addr-spec (RFC 5322 §3.4.1), converts an IDN
// domain to its ASCII form and quotes or encodes the display name.
func formatAddress(a mail.Address) (string, error) {
	addr := strings.TrimSpace(a.Address)
	if addr == "" {
		return "", errors.New("empty address")
	}
	for _, r := range addr {
		if r <= ' ' || r == '<' || r == '>' || r == ',' || unicode.IsControl(r) || unicode.IsSpace(r) || r == 0x2028 || r == 0x2029 {
			return "", fmt.Errorf("address %q contains a forbidden character", addr)
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", fmt.Errorf("address %q is not local@domain", addr)
	}
	addr = addr[:at] + "@" + ticket.NormalizeDomain(addr[at+1:])
	if _, err := mail.ParseAddress("<" + addr + ">"); err != nil {
		return "", fmt.Errorf("address %q: %v", addr, err)
	}
	angle := (&mail.Address{Address: addr}).String() // "<addr>", local part quoted if needed
	name := truncateRunes(ticket.HeaderText(a.Name), maxNameRunes)
	if name == "" {
		return angle, nil
	}
	return displayName(name) + " " + angle, nil
}

// displayName renders a sanitised name as an RFC 5322 §3.2.4
// quoted-string when it is printable ASCII, else as RFC 2047 §5(3)
// encoded-words. net/mail's own encoder leaves characters such as '\'
// literal inside encoded-words, which its parser then rejects.
func displayName(name string) string {
	if isASCII(name) && !strings.Contains(name, "=?") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return qEncode(name)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return strings.TrimRight(s[:j], " ")
		}
		i++
	}
	return s
}

// truncateBytes cuts s to at most n octets on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ")
}

// unstructured sanitises an unstructured field body (RFC 5322 §3.2.5) and
// encodes it with RFC 2047 Q encoded-words when it holds non-ASCII, text
// a decoder would mistake for an encoded-word ("=?"), or a word too long
// to fold.
func unstructured(s string) string {
	s = ticket.HeaderText(s)
	need := strings.Contains(s, "=?")
	for _, w := range strings.Split(s, " ") {
		if len(w) > foldLen-2 {
			need = true
		}
	}
	for i := 0; i < len(s) && !need; i++ {
		need = s[i] >= 0x80
	}
	if !need {
		return s
	}
	return qEncode(s)
}

// qEncode renders s as space-separated "=?utf-8?q?…?=" words of at most 75
// characters each (RFC 2047 §2), never splitting a UTF-8 sequence (§5).
// Only letters, digits and "!*+-/" stay literal, the set safe in every
// position (§5 rule 3); space becomes "_".
func qEncode(s string) string {
	const prefix, suffix = "=?utf-8?q?", "?="
	const maxWord = 75 - len(prefix) - len(suffix)
	var words []string
	var cur strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		default:
			const hexDigits = "0123456789ABCDEF"
			var buf [utf8.UTFMax]byte
			var out [3 * utf8.UTFMax]byte
			n := utf8.EncodeRune(buf[:], r)
			for i, c := range buf[:n] {
				out[3*i], out[3*i+1], out[3*i+2] = '=', hexDigits[c>>4], hexDigits[c&0xf]
			}
			enc = string(out[:3*n])
		}
		if cur.Len()+len(enc) > maxWord {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	if cur.Len() > 0 || len(words) == 0 {
		words = append(words, prefix+cur.String()+suffix)
	}
	return strings.Join(words, " ")
}

// writeField writes "Name: value" folded at spaces (RFC 5322 §2.2.3) so
// lines stay within 78 octets where a space allows and within 998 always.
// value must come from sanitize, unstructured or formatAddressList: it
// holds no CR, LF or runs of spaces.
func writeField(b *bytes.Buffer, name, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("header %s: value contains a line break", name) // unreachable by construction; kept as a guard
	}
	b.WriteString(name)
	b.WriteByte(':')
	lineLen := len(name) + 1
	first := true
	for _, w := range strings.Split(value, " ") {
		if w == "" {
			continue
		}
		if !first && lineLen+1+len(w) > foldLen {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteByte(' ')
		b.WriteString(w)
		lineLen += 1 + len(w)
		first = false
		if lineLen > maxLineLen {
			return fmt.Errorf("%w: header %s has a word longer than %d octets", ErrInvalidMail, name, maxLineLen)
		}
	}
	b.WriteString("\r\n")
	return nil
}

// part is a MIME entity: header fields and either an encoded body or
// sub-parts (RFC 2046 §5.1).
type part struct {
	header []field
	body   []byte // transfer-encoded, CRLF line endings; the CRLF before a
	// following boundary belongs to the boundary (RFC 2046 §5.1.1)
	boundary string
	parts    []part
}

func (p part) write(b *bytes.Buffer) error {
	for _, f := range p.header {
		if err := writeField(b, f.name, f.value); err != nil {
			return err
		}
	}
	b.WriteString("\r\n")
	if p.boundary == "" {
		b.Write(p.body)
		return nil
	}
	for _, sub := range p.parts {
		b.WriteString("--" + p.boundary + "\r\n")
		if err := sub.write(b); err != nil {
			return err
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--" + p.boundary + "--\r\n")
	return nil
}

func multipartOf(subtype, boundary string, parts []part) part {
	return part{
		header:   []field{{"Content-Type", mime.FormatMediaType("multipart/"+subtype, map[string]string{"boundary": boundary})}},
		boundary: boundary,
		parts:    parts,
	}
}

// boundary derives a multipart boundary from the Message-ID. It starts with
// "=_", a sequence neither quoted-printable (RFC 2045 §6.7: '=' is followed
// by hex or a line break) nor base64 can produce, so it never occurs in an
// encoded body (RFC 2046 §5.1.1).
func boundary(messageID, level string) string {
	sum := sha256.Sum256([]byte(messageID))
	return "=_tkd_" + hex.EncodeToString(sum[:12]) + "_" + level
}

func bodyPart(m *Mail) part {
	text := textPart("text/plain", m.Text)
	if m.HTML == "" {
		return text
	}
	return multipartOf("alternative", boundary(m.MessageID, "a"), []part{text, textPart("text/html", m.HTML)})
}

// textPart encodes s as UTF-8 quoted-printable (RFC 2045 §6.7), which keeps
// lines under 76 octets whatever the input and escapes stray controls.
func textPart(mediaType, s string) part {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(s)) // writes to a bytes.Buffer cannot fail
	_ = w.Close()
	return part{
		header: []field{
			{"Content-Type", mime.FormatMediaType(mediaType, map[string]string{"charset": "utf-8"})},
			{"Content-Transfer-Encoding", "quoted-printable"},
		},
		body: b.Bytes(),
	}
}

// attachmentPart encodes a as base64 (RFC 2045 §6.8) with a sanitised file
// name, which mime.FormatMediaType writes as RFC 2231 "filename*=utf-8”…"
// when it is not plain ASCII.
func attachmentPart(a ticket.Attachment) part {
	name := attachmentName(a.Name)
	ct := "application/octet-stream"
	params := map[string]string{}
	if mt, p, err := mime.ParseMediaType(a.ContentType); err == nil && strings.Count(mt, "/") == 1 && !strings.HasPrefix(mt, "multipart/") {
		ct, params = mt, p
	}
	delete(params, "name")
	params["name"] = name
	ctValue := mime.FormatMediaType(ct, params)
	if ctValue == "" {
		ctValue = mime.FormatMediaType("application/octet-stream", map[string]string{"name": name})
	}
	enc := base64.StdEncoding.EncodeToString(a.Content)
	var body bytes.Buffer
	body.Grow(len(enc) + len(enc)/76*2 + 2)
	for len(enc) > 76 {
		body.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	body.WriteString(enc)
	return part{
		header: []field{
			{"Content-Type", ticket.HeaderText(ctValue)},
			{"Content-Disposition", ticket.HeaderText(mime.FormatMediaType("attachment", map[string]string{"filename": name}))},
			{"Content-Transfer-Encoding", "base64"},
		},
		body: body.Bytes(),
	}
}

// attachmentName keeps a file name displayable and harmless: one line, no
// path separators, bounded length, never empty.
func attachmentName(s string) string {
	s = ticket.HeaderText(s)
	s = strings.NewReplacer("/", "_", "\\", "_").Replace(s)
	// RFC 2231 percent-encoding triples non-ASCII octets; 250 octets keep
	// the encoded parameter on one line under 998 octets.
	s = strings.TrimLeft(truncateBytes(s, maxFileNameBytes), ". ")
	if s == "" {
		return "attachment"
	}
	return s
}

package intake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"ticketd/ticket"
)

// addressList parses an address header leniently: a list that does not
// parse as a whole is parsed element by element, keeping what parses and
// recording the rest. Addresses are normalised (ticket.NormalizeAddress);
// display names are decoded.
func (p *parseState) addressList(h textproto.MIMEHeader, key string) []*mail.Address {
	values := h.Values(key)
	var out []*mail.Address
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		list, err := enmime.ParseAddressList(v)
		if err != nil {
			if errors.Is(err, mail.ErrHeaderNotPresent) {
				continue
			}
			var bad []string
			list, bad = lenientAddressList(v)
			if len(bad) > 0 {
				p.errorf("%s: %v; kept %d address(es), dropped %q", key, err, len(list), strings.Join(bad, ", "))
			} else {
				p.errorf("%s: %v; kept %d address(es)", key, err, len(list))
			}
		}
		for _, a := range list {
			if a == nil {
				continue
			}
			name, cut := capText(strings.TrimSpace(unfold(decodeHeader(preCap(a.Name, MaxDisplayNameBytes)))), MaxDisplayNameBytes)
			if cut {
				p.errorf("%s: display name is %d bytes; kept the first %d", key, len(a.Name), MaxDisplayNameBytes)
			}
			a.Name = name
			a.Address = ticket.NormalizeAddress(a.Address)
			if a.Address == "" {
				continue
			}
			out = append(out, a)
		}
	}
	return out
}

// lenientAddressList splits an address list on commas outside quotes and
// angle brackets and parses each element alone. Elements that still do not
// parse but contain something like an address (<x@y> or x@y) are kept by
// that address.
func lenientAddressList(v string) (list []*mail.Address, bad []string) {
	dec := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}
	for _, part := range splitAddressList(v) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, err := dec.Parse(part); err == nil {
			list = append(list, a)
			continue
		}
		if a := salvageAddress(part); a != nil {
			list = append(list, a)
			continue
		}
		bad = append(bad, part)
	}
	return list, bad
}

func splitAddressList(v string) []string {
	var (
		parts        []string
		start, angle int
		quoted, esc  bool
	)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			angle++
		case c == '>' && angle > 0:
			angle--
		case (c == ',' || c == ';') && angle == 0:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// salvageAddress extracts an address from an element net/mail rejects, such
// as `Jane Doe <jane@example.com` or `jane@example.com (Jane)` with junk.
func salvageAddress(s string) *mail.Address {
	name := ""
	addr := ""
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
		rest := s[lt+1:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 {
			rest = rest[:gt]
		}
		addr = strings.TrimSpace(rest)
		name = strings.Trim(strings.TrimSpace(s[:lt]), `"`)
	} else {
		for _, f := range strings.Fields(s) {
			if strings.Contains(f, "@") {
				addr = strings.Trim(f, `"'()[],;:`)
				break
			}
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.ContainsAny(addr, " \t\r\n<>\"") {
		return nil
	}
	return &mail.Address{Name: name, Address: addr}
}

// parseMessageIDs extracts message ids from a msg-id list (RFC 5322 §3.6.4),
// tolerating junk: ids in angle brackets are taken wherever they occur;
// without brackets, whitespace- or comma-separated tokens containing '@'
// are taken. Duplicates are dropped, order is kept.
func parseMessageIDs(v string) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		id = strings.TrimSpace(id)
		id = strings.Join(strings.Fields(id), "") // folded ids
		if id == "" || seen[id] || !utf8.ValidString(id) {
			return
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if strings.Contains(v, "<") {
		rest := v
		for {
			lt := strings.IndexByte(rest, '<')
			if lt < 0 {
				break
			}
			rest = rest[lt+1:]
			gt := strings.IndexAny(rest, "<>")
			if gt < 0 {
				add(rest)
				break
			}
			if rest[gt] == '>' {
				add(rest[:gt])
				rest = rest[gt+1:]
			} else {
				add(rest[:gt]) // "<a@b <c@d>": unclosed id
				rest = rest[gt:]
			}
		}
		return ids
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if strings.Contains(f, "@") {
			add(f)
		}
	}
	if len(ids) == 0 && !strings.ContainsAny(strings.TrimSpace(v), " \t\r\n") {
		add(v) // a bare id without '@' is unusual but still an id
	}
	return ids
}

func parseReturnPath(v string) string {
	v = strings.TrimSpace(v)
	if lt := strings.IndexByte(v, '<'); lt >= 0 {
		rest := v[lt+1:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 {
			rest = rest[:gt]
		}
		v = rest
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	return ticket.NormalizeAddress(v)
}

// dateLayouts are tried after net/mail's parser, for dates seen in the
// wild: missing seconds or weekday, named zones, two-digit years.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	time.RFC3339,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
}

func parseDate(v string) (time.Time, error) {
	v = strings.Join(strings.Fields(v), " ")
	t, err := mail.ParseDate(v)
	if err == nil {
		return t, nil
	}
	for _, layout := range dateLayouts {
		if t, lerr := time.Parse(layout, v); lerr == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unparseable date %q: %w", v, err)
}

// HeaderMessageID returns the Message-ID of raw mail without brackets, ""
// when it has none or an unusable one. It reads only the header block, for
// deduplication when the mail is stored; the full parse comes later, once.
func HeaderMessageID(raw []byte) string {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(raw, []byte("\n\n"))
	}
	if end < 0 {
		end = len(raw)
	}
	r := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(raw[:end]), strings.NewReader("\r\n\r\n"))))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	ids := parseMessageIDs(h.Get("Message-Id"))
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

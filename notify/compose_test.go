package notify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"ticketd/ticket"
)

var testDate = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func baseMail() *Mail {
	return &Mail{
		From:      mail.Address{Name: "Example Support", Address: "support@example.com"},
		To:        []mail.Address{{Name: "Ada Lovelace", Address: "ada@customer.example"}},
		Subject:   "[Ticket#42] Database down",
		Text:      "We received your message.\nAn engineer will answer soon.\n",
		MessageID: "ticketd.abc@example.com",
		Date:      testDate,
		AutoReply: true,
		Loop:      "support@example.com",
	}
}

func mustCompose(t testing.TB, m *Mail) []byte {
	t.Helper()
	b, err := Compose(m)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	checkLines(t, b)
	return b
}

// checkLines asserts RFC 5322 §2.1.1 and §2.3: CRLF only, lines ≤ 998.
func checkLines(t testing.TB, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("message does not end with CRLF")
	}
	for i, line := range bytes.Split(b[:len(b)-2], []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > maxLineLen {
			t.Fatalf("line %d is %d octets, more than %d", i+1, len(line), maxLineLen)
		}
	}
}

func parse(t testing.TB, b []byte) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("composed mail does not parse: %v\n%s", err, b)
	}
	return m
}

func decodeHeader(t testing.TB, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode %q: %v", v, err)
	}
	return s
}

func headerKeys(h mail.Header) []string {
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestCompose_TextOnlyIsSinglePartQuotedPrintable(t *testing.T) {
	m := baseMail()
	m.Text = "Grüße,\nline two " + strings.Repeat("x", 200) + "\n"
	msg := parse(t, mustCompose(t, m))

	want := map[string]string{
		"From":                      `"Example Support" <support@example.com>`,
		"To":                        `"Ada Lovelace" <ada@customer.example>`,
		"Subject":                   "[Ticket#42] Database down",
		"Message-Id":                "<ticketd.abc@example.com>",
		"Date":                      "Fri, 14 Mar 2025 09:30:00 +0000",
		"X-Ticketd-Loop":            "support@example.com",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if got, want := string(body), strings.ReplaceAll(m.Text, "\n", "\r\n"); got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	if ticket.LoopHeader != "X-Ticketd-Loop" {
		t.Fatalf("test assumes LoopHeader X-Ticketd-Loop, is %s", ticket.LoopHeader)
	}
}

func TestCompose_AutoReplyCarriesRFC3834Headers(t *testing.T) {
	msg := parse(t, mustCompose(t, baseMail()))
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted = %q, want auto-replied", got)
	}
	if got := msg.Header.Get("X-Auto-Response-Suppress"); got != "All" {
		t.Errorf("X-Auto-Response-Suppress = %q, want All", got)
	}
}

func TestCompose_HumanMailHasNoAutoSubmittedButKeepsLoopHeader(t *testing.T) {
	m := baseMail()
	m.AutoReply = false
	msg := parse(t, mustCompose(t, m))
	for _, k := range []string{"Auto-Submitted", "X-Auto-Response-Suppress"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("human mail has %s: %q", k, v)
		}
	}
	if msg.Header.Get(ticket.LoopHeader) != m.Loop {
		t.Errorf("loop header missing on human mail")
	}
}

func TestCompose_ThreadingHeadersKeepValidIDsOnly(t *testing.T) {
	m := baseMail()
	m.InReplyTo = "orig@customer.example"
	m.References = []string{"root@customer.example", "bad id with space", "orig@customer.example"}
	msg := parse(t, mustCompose(t, m))
	if got := msg.Header.Get("In-Reply-To"); got != "<orig@customer.example>" {
		t.Errorf("In-Reply-To = %q", got)
	}
	if got := msg.Header.Get("References"); got != "<root@customer.example> <orig@customer.example>" {
		t.Errorf("References = %q", got)
	}
}

func TestCompose_LongReferencesChainKeepsFirstAndRecent(t *testing.T) {
	m := baseMail()
	for i := range 50 {
		m.References = append(m.References, strings.Repeat("r", 30)+string(rune('a'+i%26))+"@x.example")
	}
	msg := parse(t, mustCompose(t, m))
	ids := strings.Fields(msg.Header.Get("References"))
	if len(ids) != maxReferences {
		t.Fatalf("got %d references, want %d", len(ids), maxReferences)
	}
	if ids[0] != "<"+m.References[0]+">" || ids[len(ids)-1] != "<"+m.References[49]+">" {
		t.Errorf("references lost the root or the latest id: %v", ids)
	}
}

func TestCompose_NonASCIISubjectAndNamesUseEncodedWords(t *testing.T) {
	m := baseMail()
	m.Subject = "Störung: Datenbank läuft nicht – 数据库"
	m.From.Name = "Support Zürich"
	m.To[0].Name = "Jürgen Müller, Ops"
	b := mustCompose(t, m)
	if !isASCII(string(b)) {
		t.Fatalf("composed mail is not 7-bit ASCII")
	}
	msg := parse(t, b)
	if got := decodeHeader(t, msg.Header.Get("Subject")); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != m.To[0].Name || to[0].Address != m.To[0].Address {
		t.Errorf("To = %v (%v), want %v", to, err, m.To[0])
	}
}

func TestCompose_SubjectLookingLikeEncodedWordSurvivesLiterally(t *testing.T) {
	m := baseMail()
	m.Subject = "why is =?utf-8?q?x?= shown"
	msg := parse(t, mustCompose(t, m))
	if got := decodeHeader(t, msg.Header.Get("Subject")); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
}

func TestCompose_IDNDomainIsConvertedToPunycode(t *testing.T) {
	m := baseMail()
	m.To = []mail.Address{{Address: "info@bücher.example"}}
	msg := parse(t, mustCompose(t, m))
	if got := msg.Header.Get("To"); got != "<info@xn--bcher-kva.example>" {
		t.Errorf("To = %q", got)
	}
}

func TestCompose_HeaderInjectionNeverAddsFields(t *testing.T) {
	evil := []string{
		"hello\r\nBcc: victim@evil.example",
		"hello\nBcc: victim@evil.example",
		"hello\rBcc: victim@evil.example",
		"hello\r\n\r\nbody injection",
		"a\u2028Bcc: x@evil.example",
		"a\x00\x1b\x7fb\x85Bcc: y@evil.example",
		"\r\n Bcc: folded@evil.example",
		"\xff\xfeinvalid utf-8\r\nX-Evil: 1",
	}
	for _, s := range evil {
		t.Run(strings.ToValidUTF8(s, "?"), func(t *testing.T) {
			m := baseMail()
			m.Subject = s
			m.From.Name = s
			m.To[0].Name = s
			m.Loop = "support@example.com" + s
			m.Headers = map[string]string{"Precedence": "bulk" + s}
			m.Attachments = []ticket.Attachment{{Name: s, ContentType: "text/plain\r\nX-Evil: 1", Content: []byte("x")}}
			b := mustCompose(t, m)
			msg := parse(t, b)
			want := []string{"Auto-Submitted", "Content-Type", "Date", "From", "Message-Id", "Mime-Version",
				"Precedence", "Subject", "To", "X-Auto-Response-Suppress", "X-Ticketd-Loop"}
			if got := headerKeys(msg.Header); !slices.Equal(got, want) {
				t.Errorf("header keys = %v, want %v", got, want)
			}
			if got, want := decodeHeader(t, msg.Header.Get("Subject")), ticket.HeaderText(s); got != want {
				t.Errorf("Subject = %q, want sanitised %q", got, want)
			}
			for _, p := range attachmentsOf(t, msg) {
				for k := range p.header {
					if k != "Content-Type" && k != "Content-Disposition" && k != "Content-Transfer-Encoding" {
						t.Errorf("attachment part has injected header %q", k)
					}
				}
			}
		})
	}
}

type parsedPart struct {
	header   map[string][]string
	filename string
	body     []byte
}

// attachmentsOf returns the parts of a multipart/mixed message after the
// first (the body).
func attachmentsOf(t testing.TB, msg *mail.Message) []parsedPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q (%v), want multipart/mixed", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var parts []parsedPart
	for i := 0; ; i++ {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		raw, _ := io.ReadAll(p)
		if i == 0 {
			continue
		}
		pp := parsedPart{header: p.Header}
		_, dp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if err != nil {
			t.Fatalf("part %d Content-Disposition %q: %v", i, p.Header.Get("Content-Disposition"), err)
		}
		pp.filename = dp["filename"]
		pp.body = raw
		parts = append(parts, pp)
	}
	return parts
}

func TestCompose_TextAndHTMLFormMultipartAlternative(t *testing.T) {
	m := baseMail()
	m.HTML = "<p>We received your message.</p>"
	msg := parse(t, mustCompose(t, m))
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		ct := p.Header.Get("Content-Type")
		types = append(types, ct)
		if strings.HasPrefix(ct, "text/html") && string(body) != m.HTML {
			t.Errorf("html body = %q", body)
		}
	}
	// RFC 2046 §5.1.4: the preferred (richest) alternative comes last.
	if want := []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}; !slices.Equal(types, want) {
		t.Errorf("parts = %v, want %v", types, want)
	}
}

func TestCompose_AttachmentsFormMultipartMixedWithRFC2231Names(t *testing.T) {
	m := baseMail()
	m.HTML = "<p>hi</p>"
	content := bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n'}, 100)
	m.Attachments = []ticket.Attachment{
		{Name: "Übersicht März.pdf", ContentType: "application/pdf", Content: content},
		{Name: "../../etc/passwd", ContentType: "not a type", Content: []byte("x")},
	}
	b := mustCompose(t, m)
	if !bytes.Contains(b, []byte("filename*=utf-8''")) {
		t.Errorf("non-ASCII file name not written as RFC 2231 extended parameter")
	}
	msg := parse(t, b)
	parts := attachmentsOf(t, msg)
	if len(parts) != 2 {
		t.Fatalf("got %d attachments, want 2", len(parts))
	}
	if parts[0].filename != "Übersicht März.pdf" {
		t.Errorf("filename = %q", parts[0].filename)
	}
	if got, err := base64Decode(parts[0].body); err != nil || !bytes.Equal(got, content) {
		t.Errorf("attachment content differs (%v)", err)
	}
	if parts[1].filename != "_.._etc_passwd" {
		t.Errorf("path-like name = %q, want _.._etc_passwd", parts[1].filename)
	}
	if ct := parts[1].header["Content-Type"][0]; !strings.HasPrefix(ct, "application/octet-stream") {
		t.Errorf("invalid content type became %q, want application/octet-stream", ct)
	}
}

func base64Decode(b []byte) ([]byte, error) {
	return io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b)))
}

func TestCompose_LongWordsStayWithinLineLimits(t *testing.T) {
	m := baseMail()
	m.Subject = strings.Repeat("a", 5000)
	m.Text = strings.Repeat("b", 5000)
	m.Headers = map[string]string{"X-Long": strings.Repeat("c ", 3000)}
	m.From.Name = strings.Repeat("d", 5000)
	msg := parse(t, mustCompose(t, m))
	if got := decodeHeader(t, msg.Header.Get("Subject")); got != m.Subject {
		t.Errorf("long subject did not survive")
	}
}

func TestCompose_IsDeterministic(t *testing.T) {
	m := baseMail()
	m.HTML = "<p>x</p>"
	m.Attachments = []ticket.Attachment{{Name: "a.txt", Content: []byte("a")}}
	m.Headers = map[string]string{"Precedence": "bulk", "X-A": "1", "X-B": "2"}
	if a, b := mustCompose(t, m), mustCompose(t, m); !bytes.Equal(a, b) {
		t.Errorf("two compositions of the same mail differ")
	}
}

func TestCompose_RejectsUnusableMail(t *testing.T) {
	cases := map[string]func(*Mail){
		"missing Message-ID":          func(m *Mail) { m.MessageID = "" },
		"Message-ID with brackets":    func(m *Mail) { m.MessageID = "<a@b>" },
		"Message-ID with CRLF":        func(m *Mail) { m.MessageID = "a@b\r\nBcc: x@y" },
		"zero date":                   func(m *Mail) { m.Date = time.Time{} },
		"no loop value":               func(m *Mail) { m.Loop = " " },
		"no recipients":               func(m *Mail) { m.To = nil },
		"address with CRLF":           func(m *Mail) { m.To[0].Address = "a@b.example\r\nBcc: x@y" },
		"address without domain":      func(m *Mail) { m.To[0].Address = "ada" },
		"address with angle brackets": func(m *Mail) { m.From.Address = "<a@b>" },
		"header name with colon":      func(m *Mail) { m.Headers = map[string]string{"X-A: b": "c"} },
		"header name with CRLF":       func(m *Mail) { m.Headers = map[string]string{"X-A\r\nBcc": "c"} },
		"header overriding From":      func(m *Mail) { m.Headers = map[string]string{"from": "x@y"} },
		"header overriding Content":   func(m *Mail) { m.Headers = map[string]string{"Content-Type": "text/html"} },
		"header overriding loop":      func(m *Mail) { m.Headers = map[string]string{ticket.LoopHeader: "x"} },
		"Auto-Submitted with AutoReply": func(m *Mail) {
			m.Headers = map[string]string{"Auto-Submitted": "no"}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := baseMail()
			mutate(m)
			_, err := Compose(m)
			if !errors.Is(err, ErrInvalidMail) {
				t.Fatalf("err = %v, want ErrInvalidMail", err)
			}
			if IsTemporary(err) {
				t.Errorf("invalid mail classed temporary")
			}
		})
	}
}

func TestCompose_AutoGeneratedHeaderAllowedForNonReplies(t *testing.T) {
	m := baseMail()
	m.AutoReply = false
	m.Headers = map[string]string{"Auto-Submitted": "auto-generated", "Precedence": "bulk"}
	msg := parse(t, mustCompose(t, m))
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
}

func TestNewMessageID_IsUniqueAndWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewMessageID("Support.Example.COM")
		if !validMsgID(id) || !strings.HasPrefix(id, "ticketd.") || !strings.HasSuffix(id, "@support.example.com") {
			t.Fatalf("malformed id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	if id := NewMessageID("bad domain\r\n"); !strings.HasSuffix(id, "@ticketd.invalid") {
		t.Errorf("bad domain gave %q", id)
	}
}

// FuzzCompose checks that no subject, display name, file name or header
// value can add a header field, and that the output always parses and
// round-trips the sanitised text.
func FuzzCompose(f *testing.F) {
	f.Add("Database down", "Ada", "report.pdf", "bulk")
	f.Add("a\r\nBcc: x@evil.example", "n\nTo: y@evil.example", "f\r\nX: 1", "v\rX-Evil: 1")
	f.Add("Störung =?utf-8?q?x?=", "Jürgen, \"Ops\" (night)", "Übersicht.pdf", "ü")
	f.Add(strings.Repeat("x", 1200), strings.Repeat("é", 300), strings.Repeat("ß", 400), strings.Repeat("y ", 600))
	f.Add("\xff\xfe\u2028\x00", "\\\"", "..", "")
	f.Fuzz(func(t *testing.T, subject, name, file, value string) {
		m := baseMail()
		m.Subject = subject
		m.From.Name = name
		m.To = []mail.Address{{Name: name, Address: "ada@customer.example"}, {Name: subject, Address: "bob@customer.example"}}
		m.Headers = map[string]string{"Precedence": value}
		m.Attachments = []ticket.Attachment{{Name: file, ContentType: value, Content: []byte(subject)}}
		b, err := Compose(m)
		if err != nil {
			t.Fatalf("Compose: %v", err)
		}
		checkLines(t, b)
		msg := parse(t, b)
		want := []string{"Auto-Submitted", "Content-Type", "Date", "From", "Message-Id", "Mime-Version",
			"Precedence", "Subject", "To", "X-Auto-Response-Suppress", "X-Ticketd-Loop"}
		if got := headerKeys(msg.Header); !slices.Equal(got, want) {
			t.Fatalf("header keys = %v, want %v", got, want)
		}
		for k, v := range msg.Header {
			if len(v) != 1 {
				t.Fatalf("header %s appears %d times", k, len(v))
			}
		}
		if got, want := decodeHeader(t, msg.Header.Get("Subject")), ticket.HeaderText(subject); got != want {
			t.Fatalf("Subject = %q, want %q", got, want)
		}
		from, err := msg.Header.AddressList("From")
		if err != nil || len(from) != 1 {
			t.Fatalf("From %q: %v", msg.Header.Get("From"), err)
		}
		if want := truncateRunes(ticket.HeaderText(name), maxNameRunes); from[0].Name != want || from[0].Address != "support@example.com" {
			t.Fatalf("From = %q <%s>, want %q", from[0].Name, from[0].Address, want)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 2 {
			t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
		}
		parts := attachmentsOf(t, msg)
		if len(parts) != 1 || parts[0].filename != attachmentName(file) {
			t.Fatalf("attachment name = %q, want %q", parts[0].filename, attachmentName(file))
		}
	})
}

func BenchmarkCompose(b *testing.B) {
	m := baseMail()
	m.Subject = "Störung: Datenbank läuft nicht"
	m.Text = strings.Repeat("Thank you for your message. An engineer will get back to you.\n", 40)
	m.HTML = "<p>" + strings.Repeat("Thank you for your message. ", 80) + "</p>"
	m.References = []string{"a@b.example", "c@d.example"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compose(m); err != nil {
			b.Fatal(err)
		}
	}
}

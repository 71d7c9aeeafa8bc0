package intake

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEmptyInputYieldsFlaggedMessage(t *testing.T) {
	for _, raw := range [][]byte{nil, {}, []byte("\r\n"), []byte("garbage without header")} {
		m := Parse(raw)
		if m == nil {
			t.Fatalf("Parse(%q) = nil", raw)
		}
		if m.Size != int64(len(raw)) {
			t.Errorf("Parse(%q).Size = %d", raw, m.Size)
		}
		if m.Header == nil {
			t.Errorf("Parse(%q).Header is nil", raw)
		}
		if len(m.ParseErrors) == 0 {
			t.Errorf("Parse(%q) has no ParseErrors, want the missing From at least", raw)
		}
	}
}

func TestParseRecoversPanicAsParseError(t *testing.T) {
	parseTestHook = func([]byte) { panic("boom") }
	defer func() { parseTestHook = nil }()
	m := Parse([]byte("From: a@b.example\r\n\r\nhi\r\n"))
	if m == nil {
		t.Fatal("Parse returned nil after a panic")
	}
	if len(m.ParseErrors) == 0 || !strings.Contains(m.ParseErrors[0], "parser panic: boom") {
		t.Fatalf("ParseErrors = %q, want the panic recorded", m.ParseErrors)
	}
}

func TestParseHeaderFieldLimitKeepsFirstFields(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("From: a@b.example\r\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "X-Filler-%d: %d\r\n", i, i)
	}
	b.WriteString("Subject: beyond the limit\r\n\r\nbody stays\r\n")
	m := ParseWithLimits(b.Bytes(), Limits{MaxHeaderFields: 10})
	if got := countFields(m.Header); got != 10 {
		t.Errorf("kept %d header fields, want 10", got)
	}
	if m.Subject != "" {
		t.Errorf("Subject = %q, want it dropped with the fields beyond the limit", m.Subject)
	}
	if m.FromAddress() != "a@b.example" {
		t.Errorf("From = %q, want the first field kept", m.FromAddress())
	}
	if strings.TrimSpace(m.Text) != "body stays" {
		t.Errorf("Text = %q, want the body kept", m.Text)
	}
	if !hasError(m.ParseErrors, "22 fields, more than the limit of 10") {
		t.Errorf("ParseErrors = %q, want the limit recorded", m.ParseErrors)
	}
}

func countFields(h map[string][]string) int {
	n := 0
	for _, v := range h {
		n += len(v)
	}
	return n
}

func TestParseLongLineIsRecordedNotDropped(t *testing.T) {
	long := strings.Repeat("x", 300)
	raw := "From: a@b.example\r\nSubject: s\r\n\r\nstart " + long + " end\r\n"
	m := ParseWithLimits([]byte(raw), Limits{MaxLineLength: 200})
	if !strings.Contains(m.Text, long+" end") {
		t.Errorf("long line lost from Text")
	}
	if !hasError(m.ParseErrors, "longer than 200 bytes, first at line 4, longest 310 bytes") {
		t.Errorf("ParseErrors = %q, want the long line recorded", m.ParseErrors)
	}
	if m := Parse([]byte(raw)); len(m.ParseErrors) != 0 {
		t.Errorf("default limits flag a 310-byte line: %q", m.ParseErrors)
	}
}

func TestParseAttachmentLimitKeepsFirst(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee files\r\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f%d.bin\r\n\r\ndata%d\r\n", i, i)
	}
	b.WriteString("--B--\r\n")
	m := ParseWithLimits(b.Bytes(), Limits{MaxAttachments: 3})
	var names []string
	for _, a := range m.Attachments {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "f1.bin,f2.bin,f3.bin" {
		t.Errorf("attachments = %s, want f1.bin,f2.bin,f3.bin", got)
	}
	if !hasError(m.ParseErrors, "5 attachments, more than the limit of 3") {
		t.Errorf("ParseErrors = %q, want the limit recorded", m.ParseErrors)
	}
}

func TestParseReturnPath(t *testing.T) {
	tests := []struct {
		header   string
		wantPath string
		wantHas  bool
	}{
		{"", "", false},
		{"Return-Path: <>\r\n", "", true},
		{"Return-Path: < >\r\n", "", true},
		{"Return-Path: <Bounce@Mail.Example>\r\n", "Bounce@mail.example", true},
		{"Return-Path: bare@example.org\r\n", "bare@example.org", true},
	}
	for _, tt := range tests {
		m := Parse([]byte(tt.header + "From: a@b.example\r\n\r\nx\r\n"))
		if m.ReturnPath != tt.wantPath || m.HasReturnPath != tt.wantHas {
			t.Errorf("%q: ReturnPath=%q HasReturnPath=%v, want %q %v", tt.header, m.ReturnPath, m.HasReturnPath, tt.wantPath, tt.wantHas)
		}
	}
}

func TestParseMessageIDs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<a@b>", "a@b"},
		{"  <a@b>  <c@d>\r\n\t<e@f>", "a@b c@d e@f"},
		{"<a@b> <a@b>", "a@b"},
		{"junk <a@b> (comment) more <c@d", "a@b c@d"},
		{"<a@b<c@d>", "a@b c@d"},
		{"a@b, c@d", "a@b c@d"},
		{"bare-id-without-at", "bare-id-without-at"},
		{"two words", ""},
		{"<>", ""},
		{"", ""},
		{"<fol\r\n ded@x>", "folded@x"},
	}
	for _, tt := range tests {
		if got := strings.Join(parseMessageIDs(tt.in), " "); got != tt.want {
			t.Errorf("parseMessageIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAttachmentNamesAreSanitised(t *testing.T) {
	tests := []struct {
		name, ctype string
		want        string
	}{
		{"report.pdf", "application/pdf", "report.pdf"},
		{"../../etc/passwd", "text/plain", "passwd"},
		{`C:\Users\x\..\evil.exe`, "application/octet-stream", "evil.exe"},
		{".htaccess", "text/plain", "htaccess"},
		{"...", "text/plain", "attachment-7.txt"},
		{"", "image/png", "attachment-7.png"},
		{"", "application/x-unknown-thing", "attachment-7.bin"},
		{"invoice\u202efdp.exe", "application/octet-stream", "invoicefdp.exe"},
		{"a\x00b\x1fc.txt", "text/plain", "abc.txt"},
		{"what?.txt", "text/plain", "what_.txt"},
		{"trailing. ", "text/plain", "trailing"},
		{"bad\xffutf8.txt", "text/plain", "badutf8.txt"},
	}
	for _, tt := range tests {
		if got := SanitizeFileName(tt.name, tt.ctype, 7); got != tt.want {
			t.Errorf("SanitizeFileName(%q, %q) = %q, want %q", tt.name, tt.ctype, got, tt.want)
		}
	}
}

func TestParseAttachmentNameTruncatedKeepsExtension(t *testing.T) {
	long := strings.Repeat("ü", 150) + ".pdf" // 300 bytes of name
	got := SanitizeFileName(long, "application/pdf", 1)
	if len(got) > 200 || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Fatalf("SanitizeFileName(long) = %q (%d bytes), want ≤200 valid UTF-8 bytes ending .pdf", got, len(got))
	}
}

func TestParseDuplicateAttachmentNamesAreDisambiguated(t *testing.T) {
	raw := "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" +
		"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\none\r\n" +
		"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\ntwo\r\n--B--\r\n"
	m := Parse([]byte(raw))
	if len(m.Attachments) != 2 || m.Attachments[0].Name != "log.txt" || m.Attachments[1].Name != "log-2.txt" {
		t.Fatalf("attachments = %+v, want log.txt and log-2.txt", m.Attachments)
	}
}

func TestParseHeaderValuesAreDecoded(t *testing.T) {
	raw := "From: =?utf-8?q?J=C3=BCrgen?= <j@x.example>\r\nSubject: =?iso-8859-1?q?Gr=FC=DFe?=\r\nMessage-ID: <id@x>\r\n\r\nx\r\n"
	m := Parse([]byte(raw))
	if got := m.Header.Get("Subject"); got != "Grüße" {
		t.Errorf(`Header.Get("Subject") = %q, want "Grüße"`, got)
	}
	if got := m.Header.Get("Message-ID"); got != "<id@x>" {
		t.Errorf(`Header.Get("Message-ID") = %q, want "<id@x>" under the canonical key`, got)
	}
	if m.From == nil || m.From.Name != "Jürgen" {
		t.Errorf("From = %+v, want decoded name Jürgen", m.From)
	}
}

func TestParseRaw8bitLatin1HeaderIsReadable(t *testing.T) {
	raw := []byte("From: a@b.example\r\nSubject: Caf\xe9 ferm\xe9\r\n\r\nx\r\n")
	if got := Parse(raw).Subject; got != "Café fermé" {
		t.Errorf("Subject = %q, want %q", got, "Café fermé")
	}
}

func hasError(errs []string, sub string) bool {
	for _, e := range errs {
		if strings.Contains(e, sub) {
			return true
		}
	}
	return false
}

func TestParse_hugeSubjectAndNamesAreCappedAndFlagged(t *testing.T) {
	subject := strings.Repeat("Sehr dringend: Störung ", 16<<20/24)
	name := strings.Repeat("Ä", 10000)
	raw := "From: \"" + name + "\" <ops@acme.example>\r\nTo: support@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <big@acme.example>\r\n\r\nBody.\r\n"
	m := Parse([]byte(raw))
	if len(m.Subject) > MaxSubjectBytes || !strings.HasSuffix(m.Subject, "…") || !strings.HasPrefix(m.Subject, "Sehr dringend: Störung") {
		t.Errorf("subject not capped: %d bytes, ends %q", len(m.Subject), m.Subject[max(0, len(m.Subject)-20):])
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.From.Name) {
		t.Error("capping cut a character in half")
	}
	if len(m.From.Name) > MaxDisplayNameBytes {
		t.Errorf("display name is %d bytes", len(m.From.Name))
	}
	for _, vs := range m.Header {
		for _, v := range vs {
			if len(v) > MaxHeaderValueBytes {
				t.Errorf("a header value of %d bytes was kept", len(v))
			}
		}
	}
	flagged := strings.Join(m.ParseErrors, "\n")
	if !strings.Contains(flagged, "Subject is") || !strings.Contains(flagged, "display name is") {
		t.Errorf("capping not flagged: %q", flagged)
	}
	if m.From.Address != "ops@acme.example" || m.MessageID != "big@acme.example" {
		t.Errorf("capping lost the sender or id: %v %q", m.From, m.MessageID)
	}
}

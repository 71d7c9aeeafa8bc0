package intake

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// mimeBomb is the hostile mail of issue 11: a short text, then multiparts
// nested depth deep, each with its own boundary (20,000 deep is 1.4 MB).
func mimeBomb(depth int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Mallory <mallory@example.org>\r\nTo: support@example.test\r\nSubject: Logs attached\r\n" +
		"Message-ID: <bomb@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n" +
		"--b0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find the logs attached.\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nthe bottom\r\n", depth-1)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.Bytes()
}

func TestParseMIMEBombIsCutAtTheDepthLimit(t *testing.T) {
	raw := mimeBomb(20000)
	sc := scanMIME(raw, Limits{}.withDefaults())
	// Work counts, not time: the scan stopped at the limit rather than
	// visiting 20,000 parts, and so will the parser.
	if sc.cut <= 0 || sc.parts > DefaultMaxMIMEDepth+2 || len(sc.open) != DefaultMaxMIMEDepth || sc.cut > 4096 {
		t.Fatalf("scan: cut at %d after %d parts with %d multiparts open; want a cut within the first few KB after at most %d parts, %d open",
			sc.cut, sc.parts, len(sc.open), DefaultMaxMIMEDepth+2, DefaultMaxMIMEDepth)
	}

	m := Parse(raw)
	if m.Subject != "Logs attached" || m.FromAddress() != "mallory@example.org" || m.MessageID != "bomb@example.org" {
		t.Errorf("header: subject %q from %q id %q", m.Subject, m.FromAddress(), m.MessageID)
	}
	if !strings.Contains(m.Text, "Please find the logs attached.") {
		t.Errorf("Text = %q, want the text before the nesting", m.Text)
	}
	if !hasParseError(m.ParseErrors, "nested more than 32 deep (limits.max_mime_depth)") {
		t.Errorf("ParseErrors %q do not flag the depth", m.ParseErrors)
	}
	if m.Size != int64(len(raw)) {
		t.Errorf("Size %d, want the whole raw mail's %d", m.Size, len(raw))
	}
}

func TestParseMIMELimitsApplyAsConfigured(t *testing.T) {
	nested := mimeBomb(6) // legitimate depth
	if sc := scanMIME(nested, Limits{}.withDefaults()); sc.cut != -1 || sc.depth != 6 || sc.parts != 8 {
		t.Fatalf("within the defaults: %+v, want no cut, depth 6, 8 parts", sc)
	}
	m := ParseWithLimits(nested, Limits{MaxMIMEDepth: 4})
	if !hasParseError(m.ParseErrors, "nested more than 4 deep") || !strings.Contains(m.Text, "Please find the logs") {
		t.Errorf("max depth 4: errors %q text %q", m.ParseErrors, m.Text)
	}

	var b bytes.Buffer
	b.WriteString("From: a@example.org\r\nSubject: many parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n")
	for i := range 600 {
		fmt.Fprintf(&b, "--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--p--\r\n")
	sc := scanMIME(b.Bytes(), Limits{}.withDefaults())
	if sc.cut < 0 || sc.parts != DefaultMaxMIMEParts {
		t.Fatalf("600 parts: scan visited %d parts, cut %d; want a cut at %d", sc.parts, sc.cut, DefaultMaxMIMEParts)
	}
	m = Parse(b.Bytes())
	if !hasParseError(m.ParseErrors, "more than 500 MIME parts (limits.max_mime_parts)") || !strings.Contains(m.Text, "part 0") {
		t.Errorf("600 parts: errors %q, text starts %q", m.ParseErrors, firstLines(m.Text, 2))
	}
	if strings.Contains(m.Text, "part 499") {
		t.Errorf("text holds part 499, beyond the 500 parts parsed (the top level counts as one)")
	}
}

// The parsing work is bytes × depth: a big mail nested within the depth
// limit can still be too much, and is cut where it would be.
func TestParseMIMEWorkBudgetCutsBigDeepMail(t *testing.T) {
	raw := mimeBomb(30)
	// Put 5 MB at the bottom: 30 × 5 MB is over the budget.
	bottom := []byte("the bottom\r\n")
	i := bytes.Index(raw, bottom)
	big := bytes.Repeat([]byte(strings.Repeat("A", 76)+"\r\n"), 5<<20/78)
	raw = append(append(append([]byte{}, raw[:i]...), big...), raw[i:]...)
	sc := scanMIME(raw, Limits{}.withDefaults())
	if sc.cut < 0 || !strings.Contains(sc.exceeded, "too costly") || sc.work > mimeWorkBudget {
		t.Fatalf("scan: cut %d, %q, work %d; want a cut within the work budget %d", sc.cut, sc.exceeded, sc.work, mimeWorkBudget)
	}
}

// The parser itself admits only so many distinct boundaries, so that even
// a structure the pre-scan misjudged cannot make it nest without end. Here
// the pre-scan is bypassed.
func TestGuardedParserStopsNestingAtItsBudget(t *testing.T) {
	raw := mimeBomb(2000)
	over := 0
	env, err := guardedParser(40, &over).ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	var walk func(p *enmime.Part, d int)
	walk = func(p *enmime.Part, d int) {
		depth = max(depth, d)
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			walk(c, d+1)
		}
	}
	walk(env.Root, 0)
	if depth > 41 || over == 0 {
		t.Fatalf("parsed %d levels deep with %d boundaries refused; want at most 41 levels", depth, over)
	}
}

func hasParseError(errs []string, sub string) bool {
	for _, e := range errs {
		if strings.Contains(e, sub) {
			return true
		}
	}
	return false
}

// BenchmarkParseMIMEBomb measures the mail of issue 11, which took over
// nine minutes before the limits.
func BenchmarkParseMIMEBomb(b *testing.B) {
	raw := mimeBomb(20000)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if m := Parse(raw); len(m.ParseErrors) == 0 {
			b.Fatal("bomb not flagged")
		}
	}
}

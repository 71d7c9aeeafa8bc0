package intake

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketd/ticket"
)

var update = flag.Bool("update", false, "rewrite testdata/intake/*.golden.json from the parser's output (review the diff by hand)")

const (
	goldenDir = "../testdata/intake"
	// ourLoop is the loop-header value the goldens are computed with.
	ourLoop = "support@example.com"
)

// goldenSummary is what a golden file pins down about a parsed message.
type goldenSummary struct {
	Subject       string             `json:"subject"`
	From          string             `json:"from"`
	To            []string           `json:"to,omitempty"`
	Cc            []string           `json:"cc,omitempty"`
	ReplyTo       []string           `json:"reply_to,omitempty"`
	Date          string             `json:"date"`
	MessageID     string             `json:"message_id"`
	InReplyTo     []string           `json:"in_reply_to"`
	References    []string           `json:"references"`
	ReturnPath    string             `json:"return_path"`
	HasReturnPath bool               `json:"has_return_path"`
	Text          string             `json:"text"`
	NewText       string             `json:"new_text"`
	Forwarded     string             `json:"forwarded,omitempty"`
	HasHTML       bool               `json:"has_html"`
	Attachments   []goldenAttachment `json:"attachments"`
	Automated     string             `json:"automated"`
	ParseErrors   bool               `json:"parse_errors"`
}

type goldenAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Inline      bool   `json:"inline"`
}

func summarize(m *ticket.Message) goldenSummary {
	s := goldenSummary{
		Subject:       m.Subject,
		From:          addrString(m.From),
		To:            addrStrings(m.To),
		Cc:            addrStrings(m.Cc),
		ReplyTo:       addrStrings(m.ReplyTo),
		MessageID:     m.MessageID,
		InReplyTo:     m.InReplyTo,
		References:    m.References,
		ReturnPath:    m.ReturnPath,
		HasReturnPath: m.HasReturnPath,
		Text:          m.Text,
		NewText:       m.NewText,
		Forwarded:     m.Forwarded,
		HasHTML:       m.HTML != "",
		Attachments:   []goldenAttachment{},
		ParseErrors:   len(m.ParseErrors) > 0,
	}
	if !m.Date.IsZero() {
		s.Date = m.Date.UTC().Format(time.RFC3339)
	}
	if s.InReplyTo == nil {
		s.InReplyTo = []string{}
	}
	if s.References == nil {
		s.References = []string{}
	}
	for _, a := range m.Attachments {
		s.Attachments = append(s.Attachments, goldenAttachment{a.Name, a.ContentType, a.Size, a.SHA256, a.Inline})
	}
	s.Automated, _ = Automated(m, ourLoop)
	return s
}

func TestGoldenParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found %d .eml files in %s, want at least 15", len(files), goldenDir)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m := Parse(raw)
			for _, e := range m.ParseErrors {
				t.Logf("parse error: %s", e)
			}
			if m.Size != int64(len(raw)) {
				t.Errorf("Size = %d, want %d", m.Size, len(raw))
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep "Name <addr>" readable
			enc.SetIndent("", "  ")
			if err := enc.Encode(summarize(m)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			goldenPath := strings.TrimSuffix(file, ".eml") + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parse summary differs from %s:\n%s", goldenPath, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff lists the lines that differ, position by position; enough to
// see what changed in a small JSON document.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
		}
	}
	return b.String()
}

// addrString shows an address as a person reads it; mail.Address.String
// would RFC 2047-encode the name.
func addrString(a *mail.Address) string {
	if a == nil {
		return ""
	}
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

func addrStrings(list []*mail.Address) []string {
	var out []string
	for _, a := range list {
		out = append(out, addrString(a))
	}
	return out
}

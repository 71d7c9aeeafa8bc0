package intake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks Parse's promises on arbitrary bytes: a non-nil message,
// the right Size, no panic (not even a recovered one), valid bounds.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(goldenDir, "*.eml"))
	for _, s := range seeds {
		raw, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("From: a@b\r\n\r\n"))
	f.Add(mimeBomb(20000)) // issue 11: 20,000 nested multiparts in 1.4 MB
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw)
		if m == nil {
			t.Fatal("Parse returned nil")
		}
		if m.Size != int64(len(raw)) {
			t.Fatalf("Size = %d, want %d", m.Size, len(raw))
		}
		for _, e := range m.ParseErrors {
			if strings.HasPrefix(e, "parser panic") {
				t.Fatalf("recovered panic: %s", strings.Join(m.ParseErrors, "\n"))
			}
		}
		if len(m.ParseErrors) > maxParseErrors+1 {
			t.Fatalf("%d parse errors, cap is %d", len(m.ParseErrors), maxParseErrors)
		}
		if len(m.Attachments) > DefaultMaxAttachments {
			t.Fatalf("%d attachments, limit is %d", len(m.Attachments), DefaultMaxAttachments)
		}
		for _, a := range m.Attachments {
			if a.Name == "" || strings.ContainsAny(a.Name, "/\\") || strings.HasPrefix(a.Name, ".") || len(a.Name) > maxAttachmentName {
				t.Fatalf("unsafe attachment name %q", a.Name)
			}
			if a.Size != int64(len(a.Content)) {
				t.Fatalf("attachment %q Size %d != len(Content) %d", a.Name, a.Size, len(a.Content))
			}
		}
	})
}

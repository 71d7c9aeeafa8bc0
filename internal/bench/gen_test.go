package bench

import (
	"bytes"
	"strings"
	"testing"

	"ticketd/intake"
)

func TestGeneratorIsDeterministic(t *testing.T) {
	a, b := NewGenerator(7, "support@example.com", 12), NewGenerator(7, "support@example.com", 12)
	for i := 0; i < 50; i++ {
		ma, mb := a.Next(), b.Next()
		if ma.MessageID != mb.MessageID || !bytes.Equal(ma.Raw, mb.Raw) {
			t.Fatalf("mail %d differs between two generators with the same seed", i)
		}
	}
	if c := NewGenerator(8, "support@example.com", 12).Next(); bytes.Equal(c.Raw, NewGenerator(7, "support@example.com", 12).Next().Raw) {
		t.Error("different seeds gave the same mail")
	}
}

func TestGeneratorMailIsRealistic(t *testing.T) {
	g := NewGenerator(1, "support@example.com", 40)
	contacts := map[string]bool{}
	for _, cu := range g.Customers() {
		if len(cu.Contacts) != contactsPerCustomer || !cu.Contacts[0].Primary {
			t.Fatalf("customer %s: %d contacts, first primary %v", cu.Name, len(cu.Contacts), cu.Contacts[0].Primary)
		}
		for _, c := range cu.Contacts {
			contacts[c.Email] = true
		}
	}
	if len(contacts) < 40 {
		t.Fatalf("%d distinct contacts, want at least 40", len(contacts))
	}
	langs, attachments, minSize, maxSize := map[string]int{}, 0, 1<<30, 0
	for i := 0; i < 300; i++ {
		m := g.Next()
		raw := string(m.Raw)
		if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
			t.Fatalf("mail %d has a bare LF", i)
		}
		for _, h := range []string{"\r\nFrom: ", "\r\nTo: ", "\r\nSubject: ", "\r\nDate: ", "\r\nMessage-ID: <" + m.MessageID + ">", "\r\nMIME-Version: 1.0", "Received: from "} {
			if !strings.Contains(raw[:strings.Index(raw, "\r\n\r\n")], h) {
				t.Fatalf("mail %d lacks %q in its header", i, h)
			}
		}
		p := intake.Parse(m.Raw)
		if len(p.ParseErrors) > 0 {
			t.Fatalf("mail %d: parse errors %q\n%s", i, p.ParseErrors, raw[:min(len(raw), 2000)])
		}
		if p.MessageID != m.MessageID || p.FromAddress() != m.From || !contacts[m.From] {
			t.Fatalf("mail %d: parsed Message-ID %q From %q, generated %q from %q", i, p.MessageID, p.FromAddress(), m.MessageID, m.From)
		}
		if strings.TrimSpace(p.NewText) == "" || p.Subject == "" {
			t.Fatalf("mail %d: empty text or subject after parsing", i)
		}
		if reason, auto := intake.Automated(p, "support@example.com"); auto {
			t.Fatalf("mail %d is seen as automated: %s", i, reason)
		}
		if m.Attachment {
			attachments++
			if len(p.Attachments) == 0 {
				t.Fatalf("mail %d: attachment not found by the parser", i)
			}
		}
		langs[m.Lang]++
		minSize, maxSize = min(minSize, len(m.Raw)), max(maxSize, len(m.Raw))
	}
	if langs["en"] == 0 || langs["de"] == 0 || langs["fr"] == 0 {
		t.Errorf("languages %v, want en, de and fr", langs)
	}
	if attachments < 30 || attachments > 150 {
		t.Errorf("%d of 300 mails with attachments", attachments)
	}
	if minSize < 1000 || minSize > 3000 || maxSize < 100_000 || maxSize > 260_000 {
		t.Errorf("sizes %d–%d bytes, want about 1 KB to 200 KB", minSize, maxSize)
	}
}

func TestGeneratorLarge(t *testing.T) {
	g := NewGenerator(1, "support@example.com", 4)
	m := g.Large(1 << 20)
	p := intake.Parse(m.Raw)
	if len(p.ParseErrors) > 0 || len(p.Attachments) != 1 || p.Attachments[0].Size != 1<<20 {
		t.Fatalf("parse errors %q, attachments %d", p.ParseErrors, len(p.Attachments))
	}
}

func TestContactsFor(t *testing.T) {
	if n := ContactsFor(1201, 10); n != 151 {
		t.Errorf("ContactsFor(1201, 10) = %d, want 151 (8 mails each)", n)
	}
}

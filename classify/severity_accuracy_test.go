package classify

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"ticketd/ticket"
)

const corpusDir = "../testdata/classify"

// corpusMail is one labelled mail of testdata/classify.
type corpusMail struct {
	file  string
	want  ticket.Level
	note  string
	input Input
}

// loadCorpus reads labels.tsv and the mails it names.
func loadCorpus(tb testing.TB) []corpusMail {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "labels.tsv"))
	if err != nil {
		tb.Fatalf("open labels: %v", err)
	}
	defer f.Close()
	var out []corpusMail
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) < 2 {
			tb.Fatalf("labels.tsv:%d: want file<TAB>level<TAB>note", line)
		}
		want, err := ticket.ParseLevel(fields[1])
		if err != nil {
			tb.Fatalf("labels.tsv:%d: %v", line, err)
		}
		m := corpusMail{file: fields[0], want: want}
		if len(fields) > 2 {
			m.note = fields[2]
		}
		raw, err := os.Open(filepath.Join(corpusDir, m.file))
		if err != nil {
			tb.Fatalf("labels.tsv:%d: %v", line, err)
		}
		env, err := enmime.ReadEnvelope(raw)
		raw.Close()
		if err != nil {
			tb.Fatalf("%s: read envelope: %v", m.file, err)
		}
		m.input = Input{Subject: env.GetHeader("Subject"), Body: env.Text, Header: env.Root.Header}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read labels: %v", err)
	}
	return out
}

// TestAccuracy classifies the labelled corpus and fails below 90% exact
// level, or on any dangerous miss: a P0/P1 mail rated P3/P4, or a P4 mail
// rated P0/P1.
func TestAccuracy(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 60 {
		t.Fatalf("corpus has %d mails, want at least 60", len(corpus))
	}
	var confusion [5][5]int
	exact := 0
	for _, m := range corpus {
		got := Default().Classify(m.input)
		confusion[m.want.Rank()][got.Level.Rank()]++
		if got.Level == m.want {
			exact++
			continue
		}
		t.Logf("MISS %s: want %s, got %s (%s)", m.file, m.want, got.Level, m.note)
		for _, r := range got.Reasons {
			t.Logf("       %s", r)
		}
		if m.want.Rank() <= 1 && got.Level.Rank() >= 3 {
			t.Errorf("%s: %s mail classified %s", m.file, m.want, got.Level)
		}
		if m.want == ticket.P4 && got.Level.Rank() <= 1 {
			t.Errorf("%s: P4 mail classified %s", m.file, got.Level)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "confusion (rows: label, columns: classified)\n        P0  P1  P2  P3  P4   recall\n")
	for i, l := range ticket.Levels {
		row := 0
		fmt.Fprintf(&b, "  %s  ", l)
		for j := range ticket.Levels {
			fmt.Fprintf(&b, "%3d ", confusion[i][j])
			row += confusion[i][j]
		}
		fmt.Fprintf(&b, "  %d/%d\n", confusion[i][i], row)
	}
	accuracy := float64(exact) / float64(len(corpus))
	fmt.Fprintf(&b, "exact: %d/%d = %.1f%%", exact, len(corpus), 100*accuracy)
	t.Log(b.String())
	if accuracy < 0.90 {
		t.Errorf("accuracy %.1f%% is below 90%%", 100*accuracy)
	}
}

// BenchmarkClassify classifies the whole corpus once per iteration.
func BenchmarkClassify(b *testing.B) {
	corpus := loadCorpus(b)
	e := Default()
	b.ResetTimer()
	for b.Loop() {
		for _, m := range corpus {
			e.Classify(m.input)
		}
	}
}

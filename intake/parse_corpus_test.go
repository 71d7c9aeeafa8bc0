package intake

import (
	"bytes"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// enmimeDir locates enmime's module directory, whose testdata holds real
// and deliberately broken mail.
func enmimeDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/jhillyerd/enmime/v2").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("enmime module directory not found (go list: %v); corpus skipped", err)
	}
	return dir
}

// TestCorpusEnmime parses every file of enmime's testdata, 200 seeded
// random blobs and random mutations of our golden mails: none may panic
// (a recovered panic shows up as a "parser panic" ParseError, which fails
// the test too), and every message must be non-nil with the right Size.
func TestCorpusEnmime(t *testing.T) {
	var files []string
	root := filepath.Join(enmimeDir(t), "testdata")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	if len(files) == 0 {
		t.Skipf("no files under %s", root)
	}

	var parsed, flagged int
	check := func(label string, raw []byte) {
		t.Helper()
		m := Parse(raw)
		parsed++
		if m == nil {
			t.Fatalf("%s: Parse returned nil", label)
		}
		if m.Size != int64(len(raw)) {
			t.Errorf("%s: Size = %d, want %d", label, m.Size, len(raw))
		}
		for _, e := range m.ParseErrors {
			if strings.HasPrefix(e, "parser panic") {
				t.Errorf("%s: %s", label, e)
			}
		}
		if len(m.ParseErrors) > 0 {
			flagged++
		}
	}

	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		check(rel, raw)
	}
	corpusFiles := parsed

	rng := rand.New(rand.NewSource(3834))
	for i := 0; i < 200; i++ {
		blob := make([]byte, rng.Intn(4096))
		rng.Read(blob)
		check("random blob", blob)
	}

	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*.eml"))
	for _, g := range goldens {
		raw, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			check(filepath.Base(g)+" mutated", mutate(rng, raw))
		}
	}
	t.Logf("parsed %d messages (%d enmime corpus files, 200 random blobs, %d golden mutations), %d flagged with parse errors",
		parsed, corpusFiles, 20*len(goldens), flagged)
}

// mutate applies a few random edits that tend to break MIME structure:
// flipped bytes, deleted and duplicated ranges, truncation, and inserted
// boundary-like or header-like lines.
func mutate(rng *rand.Rand, raw []byte) []byte {
	b := bytes.Clone(raw)
	for n := 1 + rng.Intn(4); n > 0 && len(b) > 0; n-- {
		i := rng.Intn(len(b))
		switch rng.Intn(6) {
		case 0:
			b[i] = byte(rng.Intn(256))
		case 1:
			j := min(len(b), i+rng.Intn(64))
			b = append(b[:i], b[j:]...)
		case 2:
			j := min(len(b), i+rng.Intn(256))
			b = append(b[:j], append(bytes.Clone(b[i:j]), b[j:]...)...)
		case 3:
			b = b[:i]
		case 4:
			b = append(b[:i], append([]byte("\r\n--"), b[i:]...)...)
		case 5:
			b = append(b[:i], append([]byte("\r\nContent-Type: multipart/mixed; boundary=\"\r\n"), b[i:]...)...)
		}
	}
	return b
}

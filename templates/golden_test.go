package templates

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current templates")

// TestGolden_ackPreviews pins the acknowledgement customers see, in every
// language, with and without a contractual response time. Read the
// .golden files after -update: they are the review copy of the wording.
func TestGolden_ackPreviews(t *testing.T) {
	for _, lang := range Languages {
		for _, variant := range []string{"ack", "ack-no-target"} {
			t.Run(variant+"."+lang, func(t *testing.T) {
				d := Sample(Ack, lang)
				if variant == "ack-no-target" {
					d.Due = Due{}
				}
				r, err := Builtin().Render(Ack, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				got := "Subject: " + r.Subject + "\n\n----- text -----\n" + r.Text + "----- html -----\n" + r.HTML
				path := filepath.Join("testdata", variant+"."+lang+".golden")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./templates -run Golden -update)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file; if intended, run with -update and read it.\ngot:\n%s", path, got)
				}
			})
		}
	}
}

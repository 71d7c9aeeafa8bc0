package classify

import (
	"os"
	"strings"
	"testing"
)

func TestExplainText(t *testing.T) {
	s, b := os.Getenv("X_SUBJ"), os.Getenv("X_BODY")
	if b == "" {
		t.Skip()
	}
	b = strings.ReplaceAll(b, `\n`, "\n")
	r := Default().Classify(Input{Subject: s, Body: b})
	t.Logf("%s %s\n%s", r.Level, r.Factors, strings.Join(reasonStrings(r.Reasons), "\n"))
}

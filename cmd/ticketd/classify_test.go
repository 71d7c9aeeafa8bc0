package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClassify_jsonShowsFactorsConfidenceAndDeclaredLevel(t *testing.T) {
	env := map[string]string{"TICKETD_CONFIG": filepath.Join(t.TempDir(), "none.toml")}
	dir := t.TempDir()
	mail := filepath.Join(dir, "declared.eml")
	os.WriteFile(mail, []byte("From: a@b.example\nSubject: Prio 1: API down\nMessage-ID: <x@b>\n\nTotal outage of our production API, every request fails.\n"), 0o600)
	out, _, code := run(t, env, "classify", "--json", "../../testdata/demo/01-acme-checkout-down.eml", mail)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	first := got[0]
	factors, _ := first["factors"].(map[string]any)
	if first["level"] != "P0" || factors["state"] != "stopped" || factors["environment"] != "production" {
		t.Errorf("factors: %v", first)
	}
	if c, ok := first["confidence"].(float64); !ok || c <= 0 || c > 1 || first["confidence_label"] == "" {
		t.Errorf("confidence: %v", first["confidence"])
	}
	if _, present := first["declared_level"]; !present || first["declared_level"] != nil {
		t.Errorf("declared_level must be present and null without a declared level: %v", first["declared_level"])
	}
	if got[1]["declared_level"] != "P1" || got[1]["declared"] != "P1" || got[1]["level"] != "P0" {
		t.Errorf("declared Prio 1 on a total outage: level %v, declared %v / %v", got[1]["level"], got[1]["declared"], got[1]["declared_level"])
	}
}

func TestClassify_explainCorrectionsAndLearning(t *testing.T) {
	env := map[string]string{"TICKETD_CONFIG": filepath.Join(t.TempDir(), "none.toml")}
	dir := t.TempDir()
	factors := "environment=non-production scope=unknown function=system state=stopped workaround=unknown impact=unknown data_loss=none security=none intent=incident"
	corrections := filepath.Join(dir, "corrections.tsv")
	os.WriteFile(corrections, []byte("# at\tassessed\tcorrected\tfactors\n"+
		"2026-03-02T09:00:00Z\tP2\tP3\t"+factors+"\n2026-03-03T09:00:00Z\tP2\tP3\t"+factors+"\n2026-03-04T09:00:00Z\tP2\tP3\t"+factors+"\n"), 0o600)
	out, errOut, code := run(t, env, "classify", "--explain-corrections", corrections)
	if code != 0 || !strings.Contains(out, "3 corrections, 0 confirmations") || !strings.Contains(out, "P2 → P3") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	mail := filepath.Join(dir, "staging.eml")
	os.WriteFile(mail, []byte("From: a@b.example\nSubject: staging\nMessage-ID: <y@b>\n\nOur staging server is down since the upgrade.\n"), 0o600)
	out, errOut, code = run(t, env, "classify", "--learn-from", corrections, mail)
	if code != 0 || !strings.Contains(out, "1 adjustments") || !strings.Contains(out, ": P3 —") {
		t.Fatalf("learned classification, exit %d: %s%s", code, out, errOut)
	}
	out, _, code = run(t, env, "classify", "--table")
	if code != 0 || !strings.Contains(out, "stopped-for-everyone") || !strings.Contains(out, "when any") {
		t.Fatalf("table, exit %d: %s", code, out)
	}
	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("2026-03-02T09:00:00Z\tP2\tP9\t"+factors+"\n"), 0o600)
	if _, errOut, code := run(t, env, "classify", "--explain-corrections", bad); code == 0 || !strings.Contains(errOut, "line 1") {
		t.Fatalf("a bad corrections file must fail naming the line: exit %d, %s", code, errOut)
	}
}

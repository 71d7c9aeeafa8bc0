package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"ticketd/ticket"
)

// classified is one labelled mail with what the table made of it.
type classified struct {
	m   corpusMail
	res Result
}

// classifyCorpus classifies every labelled mail with the table alone
// (no learned model), so that the leave-one-author-out tests add a model
// that has not seen the author.
func classifyCorpus(t testing.TB) []classified {
	tableOnly := *Default()
	tableOnly.model = nil
	e := &tableOnly
	var out []classified
	for _, m := range loadCorpus(t) {
		out = append(out, classified{m, e.Classify(m.input)})
	}
	return out
}

// tableDecided reports whether a row of the built-in table set the level
// (not the customer's declared level, not a follow-up keeping its level):
// where Classify lets the model override (Result.ByModel).
func tableDecided(r Result) bool {
	for _, row := range Default().Table() {
		if row.Name == r.Row {
			return r.Reasons[0].Rule == "table:"+r.Row && r.Level == row.Level
		}
	}
	return false
}

// leaveOutModels trains, once for the three leave-one-author-out tests,
// a model per author on every other author's mails (on all cores; each
// model is the same whatever the order). cs must be classifyCorpus's.
func leaveOutModels(cs []classified) map[string]*levelModel {
	leaveOutOnce.Do(func() {
		models := make([]*levelModel, len(authorOrder))
		var wg sync.WaitGroup
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for i, author := range authorOrder {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				models[i] = trainModel(examplesOf(cs, func(c classified) bool { return authors[c.m.corpus] != author }), modelLambda, modelSteps)
			}()
		}
		wg.Wait()
		leaveOut = map[string]*levelModel{}
		for i, author := range authorOrder {
			leaveOut[author] = models[i]
		}
	})
	return leaveOut
}

var (
	leaveOutOnce sync.Once
	leaveOut     map[string]*levelModel
)

func examplesOf(cs []classified, keep func(classified) bool) []modelExample {
	var out []modelExample
	for _, c := range cs {
		if keep(c) {
			out = append(out, modelExample{c.res.features, c.m.want.Rank()})
		}
	}
	return pruneRareWords(out, modelMinMails)
}

// isUrgencyFlip reports whether a and b lie on either side of the
// dangerous line (P0/P1 against P3/P4): a candidate restriction
// measured leave-one-author-out; Classify forbids only isFlipDown.
func isUrgencyFlip(a, b int) bool {
	return isFlipDown(a, b) || isFlipDown(b, a)
}

// arbitrate is a candidate rule: the table's level, unless the model
// puts at least threshold on an adjacent level.
func arbitrate(table int, p [5]float64, threshold float64) int {
	if a := argmaxLevel(p); a != table && (a-table == 1 || table-a == 1) && p[a] >= threshold {
		return a
	}
	return table
}

// TestLeaveOneAuthorOut trains the model without one author's mails and
// scores it on them, for every author: the table alone, the model alone
// and the table arbitrated by the model. The table's own figures here are
// not leave-one-author-out (its cues were tuned on all corpora; see
// testdata/classify/ROUND2.md for the figures by phase); the model's are.
func TestLeaveOneAuthorOut(t *testing.T) {
	cs := classifyCorpus(t)
	thresholds := []float64{0.5, 0.6, 0.7, 0.8, 0.9}
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-28s %s\n", "author", "method", "score on that author, model trained without it")
	total := map[string]*score{}
	add := func(k string, want ticket.Level, got int) {
		if total[k] == nil {
			total[k] = &score{}
		}
		total[k].add(want, ticket.Levels[got])
	}
	byRow := map[string]*[3]int{} // row → overrides at 0.2 that helped, hurt, changed nothing right
	for _, author := range authorOrder {
		model := leaveOutModels(cs)[author]
		// Classify itself, its model trained without the author: what
		// the author would have met, but for the cues (written after
		// reading every in-tree author, this one included).
		withModel := *Default()
		withModel.model = model
		per := map[string]*score{}
		for _, c := range cs {
			if authors[c.m.corpus] != author {
				continue
			}
			p := model.probabilities(c.res.features)
			table := c.res.Level.Rank()
			results := map[string]int{"table": table, "model": argmaxLevel(p), "Classify": withModel.Classify(c.m.input).Level.Rank()}
			for _, th := range thresholds {
				results[fmt.Sprintf("table+model ≥ %.1f", th)] = arbitrate(table, p, th)
			}
			for _, th := range []float64{0.1, 0.2, 0.3} {
				got, adj := table, table
				if tableDecided(c.res) && p[table] < th {
					got = argmaxLevel(p)
					if d := got - table; d == 1 || d == -1 {
						adj = got
					}
				}
				results[fmt.Sprintf("model where p(table) < %.1f", th)] = got
				results[fmt.Sprintf("adjacent, p(table) < %.1f", th)] = adj
				safe := got
				if isUrgencyFlip(table, got) {
					safe = table
				}
				results[fmt.Sprintf("no urgency flip, p(table) < %.1f", th)] = safe
			}
			for _, lead := range []float64{0.3, 0.35, 0.4} {
				got := table
				if tableDecided(c.res) && p[table] < 0.2 && p[argmaxLevel(p)] >= lead { // the rule of rounds 5–17
					got = argmaxLevel(p)
				}
				results[fmt.Sprintf("model where p(table) < 0.2, lead ≥ %.2f", lead)] = got
				down := got
				if isFlipDown(table, got) {
					down = table
				}
				results[fmt.Sprintf("no flip down, p(table) < 0.2, lead ≥ %.2f", lead)] = down
				if isUrgencyFlip(table, got) {
					got = table
				}
				results[fmt.Sprintf("no urgency flip, p(table) < 0.2, lead ≥ %.2f", lead)] = got
			}
			if got := results["model where p(table) < 0.2"]; got != table && (os.Getenv("CLASSIFY_LOAO_AUTHORS") == "" || strings.Contains(os.Getenv("CLASSIFY_LOAO_AUTHORS"), author)) {
				k := c.res.Row + " " + string(c.res.Level) + "→" + string(ticket.Levels[got])
				if byRow[k] == nil {
					byRow[k] = &[3]int{}
				}
				switch c.m.want.Rank() {
				case got:
					byRow[k][0]++
				case table:
					byRow[k][1]++
				default:
					byRow[k][2]++
				}
			}
			decides := table
			if tableDecided(c.res) && !isFlipDown(table, argmaxLevel(p)) {
				decides = argmaxLevel(p)
			}
			results["model decides, no flip down"] = decides
			if c.res.Uncertain {
				results["model where uncertain"] = argmaxLevel(p)
			} else {
				results["model where uncertain"] = table
			}
			for k, got := range results {
				if per[k] == nil {
					per[k] = &score{}
				}
				per[k].add(c.m.want, ticket.Levels[got])
				add(k, c.m.want, got)
			}
		}
		for _, k := range sortedKeys(per) {
			fmt.Fprintf(&b, "%-8s %-28s %s\n", author, k, per[k])
		}
	}
	for _, k := range sortedKeys(total) {
		fmt.Fprintf(&b, "%-8s %-28s %s\n", "all", k, total[k])
	}
	b.WriteString("overrides at p(table) < 0.2 by row (CLASSIFY_LOAO_AUTHORS restricts): helped / hurt / wrong either way\n")
	var keys []string
	for k := range byRow {
		keys = append(keys, k)
	}
	slicesSort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-50s %d / %d / %d\n", k, byRow[k][0], byRow[k][1], byRow[k][2])
	}
	t.Log("\n" + b.String())
}

func sortedKeys(m map[string]*score) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slicesSort(ks)
	return ks
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// pageScore counts how the pager fares: P0 mails paged as P0, P0/P1 mails
// paged below P1 (missed pages), and mails below P1 paged at P0/P1 (false
// urgent pages).
type pageScore struct{ p0, p0Paged, urgent, urgentMissed, calm, calmPaged int }

func (s *pageScore) add(want ticket.Level, page ticket.Level) {
	if want == ticket.P0 {
		s.p0++
		if page == ticket.P0 {
			s.p0Paged++
		}
	}
	if want.Rank() <= 1 {
		s.urgent++
		if page.Rank() > 1 {
			s.urgentMissed++
		}
	} else {
		s.calm++
		if page.Rank() <= 1 {
			s.calmPaged++
		}
	}
}

func (s pageScore) String() string {
	return fmt.Sprintf("P0 paged as P0 %d/%d, P0/P1 paged below P1 %d/%d, P2-P4 paged as P0/P1 %d/%d", s.p0Paged, s.p0, s.urgentMissed, s.urgent, s.calmPaged, s.calm)
}

// pageWithModel pages the more urgent neighbour of the page level when
// the model gives it at least threshold and the factors describe an
// incident.
func pageWithModel(r Result, p [5]float64, threshold float64) ticket.Level {
	page := r.PageLevel
	if k := page.Rank() - 1; k >= 0 && p[k] >= threshold && supportsIncident(r.Factors) {
		return ticket.Levels[k]
	}
	return page
}

func TestLeaveOneAuthorOutPaging(t *testing.T) {
	cs := classifyCorpus(t)
	var b strings.Builder
	for _, author := range authorOrder {
		model := leaveOutModels(cs)[author]
		per := map[string]*pageScore{}
		for _, c := range cs {
			if authors[c.m.corpus] != author {
				continue
			}
			p := model.probabilities(c.res.features)
			for _, th := range []float64{1.1, 0.4, 0.3, 0.2} {
				k := fmt.Sprintf("page ≥ %.1f", th)
				if th > 1 {
					k = "PageLevel"
				}
				if per[k] == nil {
					per[k] = &pageScore{}
				}
				per[k].add(c.m.want, pageWithModel(c.res, p, th))
			}
		}
		for _, k := range []string{"PageLevel", "page ≥ 0.4", "page ≥ 0.3", "page ≥ 0.2"} {
			fmt.Fprintf(&b, "%-8s %-11s %s\n", author, k, per[k])
		}
	}
	t.Log("\n" + b.String())
}

// notTrainedOn are corpora model.json must not learn from (during phase
// 1 of round 3 it was heldout2, scored in aggregate only; during phase 1
// of round 4 heldout3, whose unread half E2 judged the phase; see
// testdata/classify/ROUND3.md and ROUND4.md). None now.
var notTrainedOn = map[string]bool{}

// TestModelIsTrainedOnTheCorpora keeps model.json honest: it must be what
// training on every labelled corpus gives, the round-1 held-out split
// left out (with words among its features the model could learn those
// mails by heart, and the split would no longer tell anything). CLASSIFY_UPDATE_MODEL=1
// rewrites it (after a change to cues or table, the factors change).
func TestModelIsTrainedOnTheCorpora(t *testing.T) {
	cs := classifyCorpus(t)
	m := trainModel(examplesOf(cs, func(c classified) bool { return !notTrainedOn[c.m.corpus] && !heldOut(c.m.corpus, c.m.file) }), modelLambda, modelSteps)
	m.round()
	n := 0
	for _, c := range cs {
		if !notTrainedOn[c.m.corpus] && !heldOut(c.m.corpus, c.m.file) {
			n++
		}
	}
	m.Note = fmt.Sprintf("trained on %d labelled mails of testdata/classify (the round-1 held-out split left out) by TestModelIsTrainedOnTheCorpora (lambda %g, %d steps, words in at least %d mails); regenerate with CLASSIFY_UPDATE_MODEL=1", n, modelLambda, modelSteps, modelMinMails)
	if os.Getenv("CLASSIFY_UPDATE_MODEL") != "" {
		if err := os.WriteFile("model.json", formatModel(m), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := loadModel(builtinModelJSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(have.Weights) != len(m.Weights) {
		t.Fatalf("model.json has %d features, training gives %d: run CLASSIFY_UPDATE_MODEL=1 go test -run TestModelIsTrainedOnTheCorpora ./classify", len(have.Weights), len(m.Weights))
	}
	for name, w := range m.Weights {
		for k := range w {
			if d := math.Abs(have.Weights[name][k] - w[k]); d > 1e-3 {
				t.Fatalf("model.json %s[%d] = %v, training gives %v: run CLASSIFY_UPDATE_MODEL=1 go test -run TestModelIsTrainedOnTheCorpora ./classify", name, k, have.Weights[name][k], w[k])
			}
		}
	}
}

// formatModel writes m as JSON with one line per feature, P0..P4 in
// order, so that it reads as a table.
func formatModel(m *levelModel) []byte {
	row := func(w [5]float64) string {
		data, _ := json.Marshal(w)
		return string(data)
	}
	var b strings.Builder
	note, _ := json.Marshal(m.Note)
	fmt.Fprintf(&b, "{\n  \"note\": %s,\n  \"bias\": %s,\n  \"weights\": {\n", note, row(m.Bias))
	names := make([]string, 0, len(m.Weights))
	for name := range m.Weights {
		names = append(names, name)
	}
	slicesSort(names)
	for i, name := range names {
		key, _ := json.Marshal(name)
		sep := ","
		if i == len(names)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %s: %s%s\n", key, row(m.Weights[name]), sep)
	}
	b.WriteString("  }\n}\n")
	return []byte(b.String())
}

// TestLeaveOneAuthorOutUncertainty: does a low model probability for the
// table's level mark the results to confirm (the dangerous misses first)
// better than the table's own confidence?
func TestLeaveOneAuthorOutUncertainty(t *testing.T) {
	cs := classifyCorpus(t)
	var b strings.Builder
	for _, author := range authorOrder {
		model := leaveOutModels(cs)[author]
		type tally struct{ flagged, flaggedWrong, wrong, dangerous, dangerousFlagged int }
		per := map[string]*tally{}
		for _, c := range cs {
			if authors[c.m.corpus] != author {
				continue
			}
			p := model.probabilities(c.res.features)
			wrong := c.res.Level != c.m.want
			dangerous := isDangerous(c.m.want, c.res.Level)
			for _, rule := range []struct {
				name string
				flag bool
			}{
				{"Uncertain", c.res.Uncertain},
				{"p(level) < 0.3", p[c.res.Level.Rank()] < 0.3},
				{"p(level) < 0.4", p[c.res.Level.Rank()] < 0.4},
				{"p(level) < 0.5", p[c.res.Level.Rank()] < 0.5},
				{"Uncertain or p < 0.3", c.res.Uncertain || p[c.res.Level.Rank()] < 0.3},
			} {
				x := per[rule.name]
				if x == nil {
					x = &tally{}
					per[rule.name] = x
				}
				if rule.flag {
					x.flagged++
					if wrong {
						x.flaggedWrong++
					}
					if dangerous {
						x.dangerousFlagged++
					}
				}
				if wrong {
					x.wrong++
				}
				if dangerous {
					x.dangerous++
				}
			}
		}
		for _, name := range []string{"Uncertain", "p(level) < 0.3", "p(level) < 0.4", "p(level) < 0.5", "Uncertain or p < 0.3"} {
			x := per[name]
			fmt.Fprintf(&b, "%-8s %-22s flagged %3d (%3d wrong) of %d wrong; dangerous flagged %d/%d\n", author, name, x.flagged, x.flaggedWrong, x.wrong, x.dangerousFlagged, x.dangerous)
		}
	}
	t.Log("\n" + b.String())
}

// TestHedge: the level is kept where the model agrees or is sure, and
// moved to the more urgent level that costs least where the model finds
// an incident not unlikely; never to a less urgent one.
func TestHedge(t *testing.T) {
	for _, c := range []struct {
		name  string
		level int
		p     [5]float64
		want  int
	}{
		{"sure P3 stays", 3, [5]float64{0.02, 0.05, 0.05, 0.85, 0.03}, 3},
		{"P3 with an incident not unlikely goes to P2", 3, [5]float64{0.05, 0.25, 0.15, 0.45, 0.10}, 2},
		{"P4 with P0 likely goes to P0", 4, [5]float64{0.80, 0.05, 0.05, 0.05, 0.05}, 0},
		{"P4 with P0 as likely goes to P2", 4, [5]float64{0.55, 0.05, 0.05, 0.05, 0.30}, 2},
		{"P4 the model is unsure of, without urgency, stays", 4, [5]float64{0.02, 0.03, 0.25, 0.30, 0.40}, 4},
		{"P1 the model finds P4 stays (never less urgent)", 1, [5]float64{0.05, 0.20, 0.05, 0.10, 0.60}, 1},
		{"P0 stays", 0, [5]float64{0.40, 0.10, 0.10, 0.20, 0.20}, 0},
		{"P2 stays", 2, [5]float64{0.10, 0.25, 0.30, 0.25, 0.10}, 2},
	} {
		if got := hedge(c.level, c.p); got != c.want {
			t.Errorf("%s: hedge(P%d, %v) = P%d, want P%d", c.name, c.level, c.p, got, c.want)
		}
	}
}

// TestHedgeOnFirstContact replays what fourteen engines of the past made
// of authors none of them had seen (testdata/classify/firstcontact.tsv:
// the level and the model's probabilities, mail by mail) and hedges it
// as Classify does now. hedgeKeep and hedgeDanger were chosen on this
// record: with them, at most half a point of exact levels may be lost
// and at least a quarter of the dangerous misses must go.
func TestHedgeOnFirstContact(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusRoot, "firstcontact.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before, after score
	authorsSeen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 10 {
			t.Fatalf("firstcontact.tsv: %d fields in %q", len(fs), line)
		}
		want, err1 := ticket.ParseLevel(fs[3])
		level, err2 := ticket.ParseLevel(fs[4])
		if err1 != nil || err2 != nil {
			t.Fatalf("firstcontact.tsv: %q: %v %v", line, err1, err2)
		}
		var p [5]float64
		for k := range p {
			if p[k], err = strconv.ParseFloat(fs[5+k], 64); err != nil {
				t.Fatalf("firstcontact.tsv: %q: %v", line, err)
			}
		}
		authorsSeen[fs[0]] = true
		before.add(want, level)
		after.add(want, ticket.Levels[hedge(level.Rank(), p)])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d authors at first contact\nas classified: %s\nhedged:        %s", len(authorsSeen), before, after)
	if before.n < 1000 || len(authorsSeen) < 14 {
		t.Fatalf("firstcontact.tsv holds %d mails of %d authors, want the 1,260 of 14", before.n, len(authorsSeen))
	}
	if after.pct(after.exact) < before.pct(before.exact)-0.5 || after.dangerous > before.dangerous*3/4 {
		t.Errorf("the hedge no longer pays on first contact: %s → %s", before, after)
	}
}

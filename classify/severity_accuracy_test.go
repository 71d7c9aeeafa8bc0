package classify

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ticketd/intake"
	"ticketd/ticket"
)

const corpusRoot = "../testdata/classify"

// corpusMail is one labelled mail.
type corpusMail struct {
	corpus string // "project", "dev", "dev2", "extra"
	file   string
	want   ticket.Level
	note   string
	input  Input
}

// corpora are the labelled sets, by name and folder under corpusRoot.
// dev2 is optional: it is copied in when its author has finished it.
var corpora = []struct{ name, dir string }{
	{"project", "."}, {"dev", "dev"}, {"extra", "extra"}, {"dev2", "dev2"}, {"extra2", "extra2"}, {"extra3", "extra3"}, {"extra4", "extra4"},
	{"heldout1", "heldout1"}, {"dev3", "dev3"}, {"heldout2", "heldout2"}, {"dev4", "dev4"}, {"heldout3", "heldout3"}, {"heldout4", "heldout4"}, {"heldout5", "heldout5"}, {"heldout6", "heldout6"}, {"heldout7", "heldout7"}, {"heldout8", "heldout8"}, {"heldout9", "heldout9"}, {"heldout10", "heldout10"}, {"heldout11", "heldout11"}, {"heldout12", "heldout12"}, {"heldout13", "heldout13"}, {"heldout14", "heldout14"}, {"heldout15", "heldout15"}, {"heldout16", "heldout16"}, {"heldout17", "heldout17"}, {"heldout18", "heldout18"}, {"heldout19", "heldout19"}, {"heldout20", "heldout20"}, {"heldout21", "heldout21"}, {"heldout22", "heldout22"}, {"heldout23", "heldout23"}, {"heldout24", "heldout24"}, {"heldout25", "heldout25"}, {"heldout26", "heldout26"}, {"heldout27", "heldout27"}, {"heldout28", "heldout28"}, {"heldout29", "heldout29"}, {"heldout30", "heldout30"}, {"heldout31", "heldout31"}, {"heldout32", "heldout32"}, {"heldout33", "heldout33"}, {"heldout34", "heldout34"}, {"heldout35", "heldout35"}, {"heldout36", "heldout36"}, {"heldout37", "heldout37"}, {"heldout38", "heldout38"}, {"heldout40", "heldout40"}, {"heldout41", "heldout41"}, {"heldout42", "heldout42"}, {"heldout43", "heldout43"}, {"heldout45", "heldout45"}, {"heldout46", "heldout46"}, {"heldout47", "heldout47"}, {"heldout48", "heldout48"}, {"heldout49", "heldout49"}, {"heldout50", "heldout50"}, {"heldout57", "heldout57"}, {"heldout59", "heldout59"}, {"heldout54", "heldout54"}, {"heldout60", "heldout60"}, {"heldout61", "heldout61"}, {"heldout55", "heldout55"}, {"heldout58", "heldout58"}, {"heldout63", "heldout63"},
}

// splitCorpora are the corpora the round-1 hash split (heldOut) applies
// to; heldout1, dev3, heldout2, dev4 and heldout3 came later and are judged by
// author instead.
var splitCorpora = map[string]bool{"project": true, "dev": true, "extra": true, "dev2": true, "extra2": true, "extra3": true, "extra4": true}

// heldOut reports whether a mail belongs to the held-out split. The rule
// was fixed before the factor classifier was tuned (testdata/classify/
// heldout.tsv records it); mails in the split are never used to tune.
func heldOut(corpus, file string) bool {
	if !splitCorpora[corpus] {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(corpus + "/" + file))
	return h.Sum32()%3 == 0
}

// loadCorpus reads every labels.tsv and the mails it names, parsed as the
// daemon parses them (intake.Parse: MIME, charsets, HTML to text, quoted
// history stripped into NewText).
func loadCorpus(tb testing.TB) []corpusMail {
	tb.Helper()
	var out []corpusMail
	for _, c := range corpora {
		dir := filepath.Join(corpusRoot, c.dir)
		f, err := os.Open(filepath.Join(dir, "labels.tsv"))
		if os.IsNotExist(err) && c.name != "project" && c.name != "dev" {
			continue
		}
		if err != nil {
			tb.Fatalf("open labels: %v", err)
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			text := sc.Text()
			if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "file\t") {
				continue
			}
			fields := strings.Split(text, "\t")
			if len(fields) < 2 {
				tb.Fatalf("%s/labels.tsv:%d: want file<TAB>level<TAB>note", c.dir, line)
			}
			want, err := ticket.ParseLevel(fields[1])
			if err != nil {
				tb.Fatalf("%s/labels.tsv:%d: %v", c.dir, line, err)
			}
			m := corpusMail{corpus: c.name, file: fields[0], want: want}
			if len(fields) > 2 {
				m.note = fields[2]
			}
			raw, err := os.ReadFile(filepath.Join(dir, m.file))
			if err != nil {
				tb.Fatalf("%s/labels.tsv:%d: %v", c.dir, line, err)
			}
			msg := intake.Parse(raw)
			m.input = Input{Subject: msg.Subject, Body: msg.NewText, Forwarded: msg.Forwarded, Header: msg.Header}
			out = append(out, m)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatalf("read labels: %v", err)
		}
	}
	return out
}

// score is exact / within one level / dangerous misses over a set.
type score struct {
	n, exact, withinOne, dangerous int
	confusion                      [5][5]int
}

// dangerous: a P0/P1 mail rated P3/P4, or a P4 mail rated P0/P1.
func isDangerous(want, got ticket.Level) bool {
	return dangerousMiss(want.Rank(), got.Rank())
}

func (s *score) add(want, got ticket.Level) {
	s.n++
	s.confusion[want.Rank()][got.Rank()]++
	d := want.Rank() - got.Rank()
	if d == 0 {
		s.exact++
	}
	if d >= -1 && d <= 1 {
		s.withinOne++
	}
	if isDangerous(want, got) {
		s.dangerous++
	}
}

func (s score) pct(k int) float64 {
	if s.n == 0 {
		return 0
	}
	return 100 * float64(k) / float64(s.n)
}

func (s score) String() string {
	return fmt.Sprintf("%3d mails: exact %5.1f%%, within one %5.1f%%, dangerous %d", s.n, s.pct(s.exact), s.pct(s.withinOne), s.dangerous)
}

func (s score) confusionTable() string {
	var b strings.Builder
	b.WriteString("        P0  P1  P2  P3  P4   (rows: label, columns: classified)\n")
	for i, l := range ticket.Levels {
		fmt.Fprintf(&b, "  %s  ", l)
		for j := range ticket.Levels {
			fmt.Fprintf(&b, "%3d ", s.confusion[i][j])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestHeldOutSplitIsTheRecordedOne keeps the split honest: heldout.tsv,
// written before tuning, must list exactly the mails the rule selects.
func TestHeldOutSplitIsTheRecordedOne(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusRoot, "heldout.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		recorded[f[0]+"/"+f[1]] = true
	}
	for _, m := range loadCorpus(t) {
		key := m.corpus + "/" + m.file
		if heldOut(m.corpus, m.file) && !recorded[key] {
			t.Errorf("%s is held out by the rule but not recorded in heldout.tsv", key)
		}
		if recorded[key] && !heldOut(m.corpus, m.file) {
			t.Errorf("%s is recorded as held out but the rule does not select it", key)
		}
	}
}

// authors groups the corpora by who wrote them: generalisation is judged
// by author, because mails by one author share a style that cues tuned
// on some of them also fit (round 1: 99 % on its corpora, 59 % on mail by
// an author it never saw).
var authors = map[string]string{
	"project": "project",            // the project's own mails
	"dev":     "dev",                // the shared development corpus
	"dev2":    "A", "heldout1": "A", // independent author A
	"dev3":      "B",                                                                  // independent author B, an ops-desk persona
	"heldout2":  "C",                                                                  // independent author C, a former customer-success manager (unseen in rounds 1 and 2)
	"dev4":      "D",                                                                  // independent author D, a first-level-support trainer
	"heldout3":  "E",                                                                  // independent author E, a former SRE writing to the rules' blind spots (scored once in round 3; development data from round 4 on)
	"heldout4":  "F",                                                                  // independent author F, a former customer-success lead, realistic (scored once in round 4; development data from round 5 on)
	"heldout5":  "G",                                                                  // independent author G, a former hosting service-desk manager (scored once after round 5; development data from round 6 on)
	"heldout6":  "H",                                                                  // independent author H, a former public-sector and healthcare support lead, non-technical writers (scored after rounds 5 and 6; development data from round 7 on)
	"heldout7":  "I",                                                                  // independent author I, a former head of support of an accounting and commerce software vendor (scored after rounds 4–8; development data from round 9 on)
	"heldout8":  "J",                                                                  // independent author J, a former support manager of logistics, manufacturing and retail software (scored after rounds 4–9; development data from round 10 on)
	"heldout9":  "K",                                                                  // independent author K, a former support lead of hospitality and events software (scored after rounds 4–10; development data from round 11 on)
	"heldout10": "L",                                                                  // independent author L, a former customer-care lead of legal practice and property management software (scored after rounds 4–11; development data from round 12 on)
	"heldout11": "M",                                                                  // independent author M, a former head of support for utilities and public transport software (scored after rounds 4–12; development data from round 13 on)
	"heldout12": "N",                                                                  // independent author N, a former support lead of marketing and CRM software (scored after rounds 4–13; development data from round 14 on)
	"heldout13": "O",                                                                  // independent author O, a former support lead of education software (scored after rounds 4–14; development data from round 15 on)
	"heldout14": "P",                                                                  // independent author P, a former support lead of pharmacy, laboratory and medical-device service software (scored after rounds 4–15; development data from round 16 on)
	"heldout15": "Q",                                                                  // independent author Q, a former support lead of manufacturing software (scored after rounds 4–16; development data from round 17 on)
	"heldout16": "R",                                                                  // independent author R, a former head of support of media and publishing software (scored after rounds 4–17 and with the model deciding; development data from round 19 on)
	"heldout17": "S",                                                                  // independent author S, a former support team lead of insurance, banking and pension software (scored after rounds 4–18; development data from round 19 on)
	"heldout18": "T",                                                                  // independent author T, a former support manager of telecom, ISP and travel software (scored after rounds 4–19; development data from round 20 on)
	"heldout19": "U",                                                                  // independent author U, a former service-desk lead of facility-management, construction and real-estate software (scored after rounds 4–20; development data from round 21 on)
	"heldout20": "V",                                                                  // independent author V, a former support lead of software for car dealers, workshops, rental and fleets (scored after rounds 4–21; development data from round 22 on)
	"heldout21": "W",                                                                  // independent author W, a former support coordinator of software for non-profits, clubs and foundations (scored after rounds 4–22; development data from round 23 on)
	"heldout22": "X",                                                                  // independent author X, a former support lead of HR, payroll and workforce software (scored after rounds 22 and 23; development data from round 24 on)
	"heldout23": "Y",                                                                  // independent author Y, a former head of customer service of agriculture and food supply-chain software (scored after rounds 22–24; development data from round 25 on)
	"heldout24": "Z",                                                                  // independent author Z, a former support lead of library, museum, archive and venue software (scored after rounds 22–25; development data from round 26 on)
	"heldout25": "AA",                                                                 // independent author AA, a former support lead of veterinary, animal-shelter and pet-insurance software (scored after rounds 22–26; development data from round 27 on)
	"heldout26": "AB",                                                                 // independent author AB, a former support lead of multichannel e-commerce software for online sellers (scored after rounds 22–27; development data from round 28 on)
	"heldout27": "AC",                                                                 // independent author AC, a former service-desk lead of software for dental practices and labs, opticians and physiotherapy chains (scored after rounds 22, 25 and 28; development data from round 29 on)
	"heldout28": "AD",                                                                 // independent author AD, a former support lead of software for taxi, patient-transport and school-transport dispatch (scored after rounds 22, 25, 28, 29 and 30; development data from round 31 on)
	"heldout29": "AE",                                                                 // independent author AE, a former service-desk lead of software for private security companies and alarm-receiving centres (scored at round 30; development data from round 31 on)
	"heldout30": "AF",                                                                 // independent author AF, a former support team lead of software for water, wastewater, district-heating and waste-collection utilities (scored at rounds 31 and 32; development data from round 33 on)
	"heldout31": "AG",                                                                 // independent author AG, a former support lead of software for airport ground handling, air cargo and freight terminals (scored at round 32; development data from round 33 on)
	"heldout32": "AH",                                                                 // independent author AH, a former support lead of software for pharmacy chains, hospital pharmacies and drug wholesalers (scored after round 33; development data from round 34 on)
	"heldout33": "AI",                                                                 // independent author AI, a former support lead of software for venues, theatres, festivals, sports clubs and broadcasters (scored after rounds 33 and 34; development data from round 35 on)
	"heldout34": "AJ",                                                                 // independent author AJ, a former support lead of software for hotels, hostels, holiday apartments and spa resorts (scored after round 35 and the forward fix; development data from round 36 on)
	"heldout35": "AK",                                                                 // independent author AK, a former support lead of software for public transport operators (scored after rounds 36 and 37; development data from round 38 on)
	"heldout37": "AM",                                                                 // independent author AM, a former support lead of software for construction firms and building-material suppliers (scored after rounds 37 and 38; development data from round 39 on)
	"heldout38": "AN",                                                                 // independent author AN, a former support lead of software for home care, nursing services and care homes (scored after round 38; development data from round 39 on)
	"heldout40": "AP",                                                                 // independent author AP, a former support lead of software for property managers and housing associations (scored after round 39; development data from round 40 on)
	"heldout41": "AQ",                                                                 // independent author AQ, a former support lead of software for fitness studios, pools and sports centres (scored after round 39; development data from round 40 on)
	"heldout42": "AR",                                                                 // independent author AR, a former support lead of software for municipalities and public administrations (scored after round 40; development data from round 41 on)
	"heldout43": "AS",                                                                 // independent author AS, a former support lead of software for private, language and driving schools (scored after round 41; development data from round 42 on)
	"heldout45": "AU",                                                                 // independent author AU, a former support lead of software for wineries, breweries and beverage wholesalers (scored after round 42; development data from round 43 on)
	"heldout46": "AV",                                                                 // independent author AV, a former support lead of software for craft businesses (plumbers, electricians, roofers) (scored after round 43; development data from round 44 on)
	"heldout47": "AW",                                                                 // independent author AW, a former support lead of software for recruitment and temporary-staffing agencies (scored after round 43; development data from round 44 on)
	"heldout48": "AX",                                                                 // independent author AX, a former support lead of software for marinas, ferry operators and boat rental (scored after round 44; development data from round 45 on)
	"heldout49": "AY",                                                                 // independent author AY, a former support lead of software for print shops, sign makers and packaging printers (scored after round 44; development data from round 45 on)
	"heldout50": "AZ",                                                                 // independent author AZ, a former support lead of software for blood donation, biobanks and sample logistics (scored after round 45; development data from round 46 on)
	"heldout36": "AL",                                                                 // independent author AL, a former support lead of software for law firms, notaries and legal departments (scored after round 36; development data from round 37 on)
	"heldout57": "BG",                                                                 // independent author BG, a former support lead of software for cinemas, bowling alleys and family leisure centres (scored unread at 125237d; development data from round 47 on)
	"heldout59": "BI",                                                                 // independent author BI, a former support lead of software for cleaning, facility-hygiene and pest-control service companies (scored unread at 125237d; development data from round 47 on)
	"heldout54": "BD",                                                                 // independent author BD, a former support lead of software for industrial laundries and textile-rental services (scored unread at 125237d; development data from round 47 on)
	"heldout60": "BJ",                                                                 // independent author BJ, a former support lead of software for ski resorts and mountain railways (scored unread at d911314; development data from round 47 on)
	"heldout61": "BK",                                                                 // independent author BK, a former support lead of software for solar installers and energy cooperatives (scored unread at d911314; development data from round 47 on)
	"heldout55": "BE",                                                                 // independent author BE, a former support lead of software for opticians and hearing-aid acousticians (scored unread at 125237d and f1d26a0; development data from round 47 on)
	"heldout58": "BH",                                                                 // independent author BH, a former support lead of software for translation and interpreting agencies (scored unread at 125237d and f1d26a0; development data from round 47 on)
	"heldout63": "BM",                                                                 // independent author BM, a former support lead of software for dog groomers, pet hotels and dog-walking services (scored unread at 18139df; development data from round 47 on)
	"extra":     "helper", "extra2": "helper", "extra3": "helper", "extra4": "helper", // round 1's helper, who also wrote cues
}

var authorOrder = []string{"project", "dev", "helper", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK", "AL", "AM", "AN", "AP", "AQ", "AR", "AS", "AU", "AV", "AW", "AX", "AY", "AZ", "BG", "BI", "BD", "BJ", "BK", "BE", "BH", "BM"}

// TestAccuracy classifies every labelled corpus and reports exact,
// within-one and dangerous misses per corpus, per author and for round
// 1's hash held-out split. CLASSIFY_SHOW=<corpus> lists the misses of one
// corpus (the round-1 held-out split excepted: it stays unread);
// CLASSIFY_SHOW=tune lists those of every corpus.
func TestAccuracy(t *testing.T) {
	corpus := loadCorpus(t)
	e := Default()
	per := map[string]*score{}
	get := func(k string) *score {
		if per[k] == nil {
			per[k] = &score{}
		}
		return per[k]
	}
	pages := map[string]*pageScore{}
	flagged := map[string][2]int{}   // author → dangerous misses, of them flagged uncertain
	uncertain := map[string][2]int{} // author → uncertain results, of them wrong
	show := os.Getenv("CLASSIFY_SHOW")
	var dump strings.Builder // CLASSIFY_DUMP=file: one line per mail (held: in the round-1 split; the model set the level), to compare versions
	for _, m := range corpus {
		got := e.Classify(m.input)
		held := heldOut(m.corpus, m.file)
		fmt.Fprintf(&dump, "%s/%s\t%s\t%s\t%s\t%t\t%t\n", m.corpus, m.file, m.want, got.Level, got.Row, held, got.ByModel)
		get(m.corpus).add(m.want, got.Level)
		get("author "+authors[m.corpus]).add(m.want, got.Level)
		if held {
			get("round-1 held-out split").add(m.want, got.Level)
			get("held-out, author "+authors[m.corpus]).add(m.want, got.Level)
		}
		get("all").add(m.want, got.Level)
		a := authors[m.corpus]
		if pages[a] == nil {
			pages[a] = &pageScore{}
		}
		pages[a].add(m.want, got.PageLevel)
		if got.Uncertain {
			u := uncertain[a]
			u[0]++
			if got.Level != m.want {
				u[1]++
			}
			uncertain[a] = u
		}
		if isDangerous(m.want, got.Level) {
			f := flagged[a]
			f[0]++
			if got.Uncertain {
				f[1]++
			}
			flagged[a] = f
		}
		if got.Level != m.want && !held && (show == "tune" || show == m.corpus) {
			t.Logf("MISS %s/%s: want %s, got %s (conf %.2f, cands %v, page %s) %s\n    %s\n    %s", m.corpus, m.file, m.want, got.Level,
				got.Confidence, got.Candidates, got.PageLevel, m.note, got.Factors, strings.Join(reasonStrings(got.Reasons), "\n    "))
		}
	}
	if path := os.Getenv("CLASSIFY_DUMP"); path != "" {
		if err := os.WriteFile(path, []byte(dump.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	for _, c := range corpora {
		if per[c.name] != nil {
			fmt.Fprintf(&b, "%-24s %s\n", c.name, per[c.name])
		}
	}
	for _, a := range authorOrder {
		fmt.Fprintf(&b, "%-24s %s\n", "author "+a, per["author "+a])
	}
	fmt.Fprintf(&b, "%-24s %s\n", "round-1 held-out split", per["round-1 held-out split"])
	for _, a := range authorOrder {
		if s := per["held-out, author "+a]; s != nil {
			fmt.Fprintf(&b, "  %-22s %s\n", "of author "+a, s)
		}
	}
	fmt.Fprintf(&b, "%-24s %s\n", "all", per["all"])
	for _, a := range authorOrder {
		fmt.Fprintf(&b, "pager, author %-8s %s; uncertain %d (%d wrong); dangerous misses flagged uncertain %d/%d\n", a, pages[a],
			uncertain[a][0], uncertain[a][1], flagged[a][1], flagged[a][0])
	}
	for _, a := range authorOrder {
		b.WriteString("author " + a + ":\n" + per["author "+a].confusionTable())
	}
	t.Log("\n" + b.String())

	// The target on mail by an author nobody here tuned on is
	// ≥ 85 % exact, ≥ 97 % within one, no dangerous miss. Scores on the
	// corpora used for development say little about that (see
	// TestLeaveOneAuthorOut); here floors only guard against regressions.
	for name, f := range accuracyFloor {
		s := per[name]
		if s == nil {
			t.Errorf("%s: no mails", name)
			continue
		}
		if s.pct(s.exact) < f.exact || s.pct(s.withinOne) < f.withinOne || s.dangerous > f.dangerous {
			t.Errorf("%s regressed below %.0f%% exact, %.0f%% within one, %d dangerous: %s", name, f.exact, f.withinOne, f.dangerous, s)
		}
	}
}

type floor struct {
	exact, withinOne float64
	dangerous        int
}

// accuracyFloor: each corpus and the round-1 held-out split must not fall
// below these (the figures at the end of round 18, rounded down). In
// round 18 the model's likeliest level became the Level wherever a row
// decided, except a P0/P1 row taken to P3/P4 (isFlipDown): the split
// went from 94.1 % / 4 dangerous to 93.2 % / 3, project from 100 to 98.1
// % (two mails the model reads one level apart). Since
// round 8 the model reads words too and is trained on every corpus but
// the round-1 held-out split: the corpora's figures are training fit,
// only the split's are not (and TestLeaveOneAuthorOut's, by author). In round
// 5 the model no longer overrides a row on a flat distribution
// (overrideLead): extra4's w-de-p0-amt-termine, a mail of the round-1
// held-out split, had been right by that chance (P0 0.24 over the row's
// P2 0.18) and is now P2; it was not tuned back (ROUND5.md). They are
// floors against regressions, not targets: the target is for mail by an
// author nobody here has read. heldout2 went from 100 to 98.9 % in round 4
// when model.json was retrained with heldout3: the model no longer
// overrides en-disaster-broken-logo-in-mails (testdata/classify/ROUND4.md).
var accuracyFloor = map[string]floor{
	"project":                {97, 100, 0},
	"dev":                    {97, 100, 0}, // en-doc-error: P4 (a documentation error) against the model's P3 by 0.05 since round 47
	"dev2":                   {100, 100, 0},
	"extra":                  {89, 93, 3},
	"extra2":                 {100, 100, 0},
	"extra3":                 {96, 96, 1},
	"extra4":                 {96, 100, 0},
	"heldout1":               {97, 100, 0},
	"dev3":                   {100, 100, 0},
	"heldout2":               {100, 100, 0},
	"dev4":                   {99, 100, 0},
	"heldout3":               {87, 94, 1},
	"heldout4":               {96, 98, 0},
	"heldout5":               {98, 100, 0},
	"heldout6":               {98, 98, 0},
	"heldout7":               {92, 96, 1},
	"heldout8":               {94, 97, 0},
	"heldout9":               {95, 100, 0},
	"heldout10":              {97, 100, 0},
	"heldout11":              {95, 98, 0},
	"heldout12":              {96, 98, 1},
	"heldout13":              {94, 95, 1},
	"heldout14":              {98, 98, 0},
	"heldout15":              {98, 100, 0},
	"heldout16":              {98, 98, 0},
	"heldout17":              {98, 98, 0},
	"heldout18":              {98, 98, 0},
	"heldout19":              {98, 98, 0},
	"heldout20":              {98, 98, 0},
	"heldout21":              {98, 98, 0},
	"heldout22":              {98, 98, 0},
	"heldout23":              {98, 98, 0},
	"heldout24":              {98, 98, 0},
	"heldout25":              {98, 98, 0},
	"heldout26":              {98, 98, 0},
	"heldout27":              {98, 98, 0},
	"heldout28":              {98, 98, 0},
	"heldout29":              {98, 98, 0},
	"heldout30":              {98, 98, 0},
	"heldout31":              {98, 98, 0},
	"heldout32":              {98, 98, 0},
	"heldout33":              {98, 98, 0},
	"heldout34":              {98, 98, 0},
	"heldout35":              {98, 98, 0},
	"heldout36":              {98, 98, 0},
	"heldout37":              {98, 98, 0},
	"heldout38":              {98, 98, 0},
	"heldout40":              {98, 98, 0},
	"heldout41":              {97, 98, 0},
	"heldout42":              {98, 98, 0},
	"heldout43":              {98, 98, 0},
	"heldout45":              {98, 98, 0},
	"heldout46":              {98, 98, 0},
	"heldout47":              {98, 98, 0},
	"heldout48":              {98, 98, 0},
	"heldout49":              {97, 98, 0},
	"heldout50":              {98, 98, 0},
	"heldout63":              {98, 98, 0},
	"heldout55":              {97, 97, 0},
	"heldout58":              {97, 97, 0},
	"heldout60":              {97, 98, 0},
	"heldout61":              {96, 98, 0},
	"heldout57":              {97, 98, 0},
	"heldout59":              {96, 98, 0},
	"heldout54":              {97, 98, 0},
	"round-1 held-out split": {94, 98, 2},
}

func reasonStrings(rs []Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// BenchmarkClassify classifies the whole corpus once per iteration and
// reports the mean and the median time per mail (the budget is a
// median of 0.5 ms).
func BenchmarkClassify(b *testing.B) {
	corpus := loadCorpus(b)
	e := Default()
	total := make([]time.Duration, len(corpus))
	b.ResetTimer()
	for b.Loop() {
		for i, m := range corpus {
			start := time.Now()
			e.Classify(m.input)
			total[i] += time.Since(start)
		}
	}
	slices.Sort(total)
	median := total[len(total)/2] / time.Duration(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(corpus))/1e3, "µs/mail")
	b.ReportMetric(float64(median.Nanoseconds())/1e3, "median-µs/mail")
}

// TestExplainMail prints what the classifier read in the mails named by
// CLASSIFY_EXPLAIN ("dev3/en-foo.eml,heldout1/…"): the text it judged,
// the factors and every reason. A development aid; it checks nothing.
func TestExplainMail(t *testing.T) {
	names := os.Getenv("CLASSIFY_EXPLAIN")
	if names == "" {
		t.Skip("set CLASSIFY_EXPLAIN=corpus/file.eml[,…]")
	}
	for _, name := range strings.Split(names, ",") {
		dir, file := filepath.Split(name)
		raw, err := os.ReadFile(filepath.Join(corpusRoot, dir, file))
		if err != nil {
			t.Fatal(err)
		}
		msg := intake.Parse(raw)
		newText, forwarded := stripQuotedText(msg.NewText)
		r := Default().Classify(Input{Subject: msg.Subject, Body: msg.NewText, Forwarded: msg.Forwarded, Header: msg.Header})
		t.Logf("%s: %s (conf %.2f, cands %v, page %s)\nSUBJECT: %s\nTEXT:\n%s\nFORWARDED: %d bytes\n%s\n%s", name, r.Level, r.Confidence, r.Candidates, r.PageLevel,
			msg.Subject, newText, len(forwarded), r.Factors, strings.Join(reasonStrings(r.Reasons), "\n"))
	}
}

// TestExplainText prints what the classifier reads in a text given by
// CLASSIFY_TEXT (and CLASSIFY_SUBJECT; "\n" for a line break). A
// development aid like TestExplainMail; it checks nothing.
func TestExplainText(t *testing.T) {
	body := os.Getenv("CLASSIFY_TEXT")
	if body == "" {
		t.Skip("set CLASSIFY_TEXT (and CLASSIFY_SUBJECT)")
	}
	body = strings.ReplaceAll(body, `\n`, "\n")
	r := Default().Classify(Input{Subject: os.Getenv("CLASSIFY_SUBJECT"), Body: body})
	t.Logf("%s (conf %.2f, cands %v, page %s)\n%s\n%s", r.Level, r.Confidence, r.Candidates, r.PageLevel, r.Factors, strings.Join(reasonStrings(r.Reasons), "\n"))
}

package classify

import (
	"regexp"
	"strings"
)

// Attribution lines that start quoted history: "On Mon, 3 Mar 2025, Ann
// <a@x> wrote:", "Am 03.03.2025 um 10:00 schrieb Ann:", "Le lun. 3 mars
// 2025 à 10:00, Ann a écrit :". Mail clients wrap them, so a start line and
// an end line may be two lines apart.
var (
	attributionStartRE = regexp.MustCompile(`^(On|Am|Le)\s`)
	attributionEndRE   = regexp.MustCompile(`(wrote|schrieb|geschrieben|a écrit|a ecrit)[^:]{0,80}:\s*$`)
	separatorRE        = regexp.MustCompile(`^(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}|_{10,})`)
	outlookFromRE      = regexp.MustCompile(`^\*?(From|Von|De)\s?:`)
	outlookSentRE      = regexp.MustCompile(`^\*?(Sent|Gesendet|Envoyé|Date|Datum)\s?:`)
)

// stripQuotedText removes what the caller should already have removed:
// lines quoted with ">", the history below an attribution line or an
// Outlook header block, and the signature below "-- ".
func stripQuotedText(body string) string {
	lines := strings.Split(body, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		trimmed := strings.TrimSpace(line)
		if line == "-- " || line == "--" || separatorRE.MatchString(trimmed) {
			break
		}
		if attributionStartRE.MatchString(trimmed) && endsAttribution(lines, i) {
			break
		}
		if outlookFromRE.MatchString(trimmed) && followedBy(lines, i, outlookSentRE) {
			break
		}
		if strings.HasPrefix(trimmed, ">") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// endsAttribution reports whether line i or one of the next two ends an
// attribution ("… wrote:").
func endsAttribution(lines []string, i int) bool {
	for j := i; j < len(lines) && j <= i+2; j++ {
		if attributionEndRE.MatchString(strings.TrimRight(lines[j], "\r ")) {
			return true
		}
		if j > i && strings.TrimSpace(lines[j]) == "" {
			return false
		}
	}
	return false
}

// followedBy reports whether one of the four lines after i matches re.
func followedBy(lines []string, i int, re *regexp.Regexp) bool {
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		if re.MatchString(strings.TrimSpace(lines[j])) {
			return true
		}
	}
	return false
}

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
	separatorRE        = regexp.MustCompile(`^(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}|_{10,})`)
	outlookFromRE      = regexp.MustCompile(`^\*?(From|Von|De)\s?:`)
	outlookSentRE      = regexp.MustCompile(`^\*?(Sent|Gesendet|Envoyé|Date|Datum)\s?:`)
)

// forwardRE marks the start of a forwarded message.
var forwardRE = regexp.MustCompile(`(?i)^-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|Message transfere|Begin forwarded message)|^(Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié)\s*:`)

// stripQuotedText removes what the caller should already have removed:
// lines quoted with ">", the history below an attribution line or an
// Outlook header block, and the signature below "-- ". A forwarded
// message is returned apart: it is what someone else wrote.
func stripQuotedText(body string) (newText, forwarded string) {
	lines := strings.Split(body, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		trimmed := strings.TrimSpace(line)
		if forwardRE.MatchString(trimmed) {
			forwarded = strings.Join(lines[i+1:], "\n")
			break
		}
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
	return strings.Join(out, "\n"), forwarded
}

// replyPrefixRE matches the prefixes mail clients put before the subject of
// a reply or forward, in the languages ticketd reads and a few more:
// Re, AW (Antwort), WG (Weitergeleitet), TR (Transféré), Fwd/FW, SV/VS
// (Nordic), Antw, Réf/Ref, RIF, with counters such as "Re[2]:".
var replyPrefixRE = regexp.MustCompile(`(?i)^\s*((re|aw|wg|tr|fwd?|fw|sv|vs|antw|ref|réf|rif|r|odp|vl|enc|res|rv)\s*(\[\d+\]|\(\d+\))?\s*:\s*)+`)

// stripReplyPrefixes returns the subject without reply and forward
// prefixes, and whether there were any.
func stripReplyPrefixes(subject string) (string, bool) {
	loc := replyPrefixRE.FindStringIndex(subject)
	if loc == nil {
		return subject, false
	}
	return subject[loc[1]:], true
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

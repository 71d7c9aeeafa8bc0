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
	separatorRE        = regexp.MustCompile(`^(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}|_{10,}|-{20,}$|={20,}$)`)
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
	inLog := false
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed != "" && strings.ContainsRune("-BbAaDd", rune(trimmed[0])) && forwardRE.MatchString(trimmed) {
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
		if isLogLine(line) || (inLog && continuesLog(line)) {
			// Pasted logs and stack traces: their ERROR and FATAL are a
			// program's words, not the customer's account of the impact.
			inLog = true
			continue
		}
		inLog = false
		if (len(out) == 0 || strings.TrimSpace(out[len(out)-1]) == "") && disclaimerRE.MatchString(trimmed) {
			// A legal footer ("This e-mail may be confidential…") ends
			// what the author wrote.
			break
		}
		if len(trimmed) < 60 && closingRE.MatchString(trimmed) && isSignatureBlock(lines[i+1:]) {
			// "Best regards," then name, title, "For URGENT issues call …":
			// a signature says nothing about this mail's impact.
			out = append(out, line)
			break
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"), forwarded
}

// closingRE matches the closing salutation that starts a signature block.
var closingRE = regexp.MustCompile(`(?i)^(best|kind|warm|many thanks and|with kind)?\s*(regards|wishes|cheers|thanks|thank you|sincerely)[,.!]?$|^(mit )?(freundlichen|besten|herzlichen|vielen|liebe)?\s*(grüßen|grüssen|grüße|grüsse|gruß|gruss|dank)[,.!]?$|^(lg|mfg|vg|bg)[,.]?$|^(bien |très )?(cordialement|à vous|sincèrement)[,.!]?$|^(bonne journée|merci( d'avance| par avance| beaucoup)?)[,.!]?$|^(salutations|meilleures salutations|avec nos meilleures salutations)[,.!]?$`)

// isSignatureBlock reports whether the lines after a closing salutation
// look like a signature: at most 8 non-empty short lines before the end or
// before quoted history.
func isSignatureBlock(rest []string) bool {
	n := 0
	for _, l := range rest {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, ">") || attributionStartRE.MatchString(t) || outlookFromRE.MatchString(t) || separatorRE.MatchString(t) || forwardRE.MatchString(t) {
			break
		}
		if t == "" {
			continue
		}
		n++
		if n > 8 || len(t) > 90 {
			return false
		}
		// A later closing ("Thank you. … Regards,") or a line of prose
		// (many words, ending a sentence) means the text goes on.
		if (len(t) < 60 && closingRE.MatchString(t)) || (len(strings.Fields(t)) >= 9 && strings.ContainsAny(t[len(t)-1:], ".?!:,")) {
			return false
		}
	}
	return true
}

// replyPrefixRE matches the prefixes mail clients put before the subject of
// a reply or forward, in the languages ticketd reads and a few more:
// Re, AW (Antwort), WG (Weitergeleitet), TR (Transféré), Fwd/FW, SV/VS
// (Nordic), Antw, Réf/Ref, RIF, with counters such as "Re[2]:", and the
// prefixes of automatic replies ("Automatic reply:", "Abwesenheitsnotiz:").
var replyPrefixRE = regexp.MustCompile(`(?i)^\s*((re|aw|wg|tr|fwd?|fw|sv|vs|antw|ref|réf|rif|r|odp|vl|enc|res|rv|automatic reply|auto-reply|autoreply|out of office|automatische antwort|abwesenheitsnotiz|réponse automatique|absence)\s*(\[\d+\]|\(\d+\))?\s*:\s*)+`)

// stripReplyPrefixes returns the subject without reply and forward
// prefixes, and whether there were any.
func stripReplyPrefixes(subject string) (string, bool) {
	loc := replyPrefixRE.FindStringIndex(subject)
	if loc == nil {
		return subject, false
	}
	return subject[loc[1]:], true
}

// forwardPrefixRE matches a prefix chain made only of forward prefixes
// (Fwd, FW, WG, TR, Enc, RV): the mail passes on someone else's report,
// it does not answer one.
var forwardPrefixRE = regexp.MustCompile(`(?i)^\s*((fwd?|fw|wg|tr|enc|rv)\s*(\[\d+\]|\(\d+\))?\s*:\s*)+$`)

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

// Log lines: a timestamp first ("2025-02-26 15:12:09", "[12:00:01]",
// "Feb 26 15:12:09", "26.02.2025 15:12"), a level word in a log's shape
// ("ERROR [main]", "FATAL:", "| WARN |"), or a stack-trace line.
var (
	logTimestampRE = regexp.MustCompile(`^\s*[\[(]?(\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}|\d{1,2}:\d{2}:\d{2}|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}|\d{1,2}\.\d{1,2}\.\d{2,4},? \d{1,2}:\d{2}:\d{2})`)
	logLevelRE     = regexp.MustCompile(`(^|[\s\[|])(ERROR|FATAL|CRITICAL|SEVERE|WARN|WARNING|INFO|DEBUG|TRACE|PANIC|EMERG|ALERT)(\]|\s*\||\s+\[|:\s+\S+\s*[:\[(]|\s+[\w.$]+\s+-\s)`)
	stackTraceRE   = regexp.MustCompile(`^\s+at [\w.$<>]+\(|^\s*Caused by: |^\s*Traceback \(most recent call last\)|^\s+File "[^"]+", line \d+|^\s*Exception in thread |^\s*[\w.$]+(Exception|Error): |^\s*goroutine \d+ \[|^\s*at .+\.(js|ts):\d+`)
)

func isLogLine(line string) bool {
	t := strings.TrimLeft(line, " \t")
	if t == "" {
		return false
	}
	// Cheap tests first: most lines of a mail are prose.
	if c := t[0]; (c >= '0' && c <= '9' || c == '[' || c == '(' || c >= 'A' && c <= 'Z') && logTimestampRE.MatchString(line) {
		return true
	}
	if hasLogLevelWord(line) && logLevelRE.MatchString(line) {
		return true
	}
	return (len(t) < len(line) || strings.Contains(line, "Caused by") || strings.Contains(line, "Traceback") ||
		strings.Contains(line, "Exception") || strings.Contains(line, "Error") || strings.Contains(line, "goroutine")) && stackTraceRE.MatchString(line)
}

// logLevels are the level words logs print in capitals.
var logLevels = []string{"ERROR", "FATAL", "CRITICAL", "SEVERE", "WARN", "INFO", "DEBUG", "TRACE", "PANIC", "EMERG", "ALERT"}

func hasLogLevelWord(line string) bool {
	for _, l := range logLevels {
		if strings.Contains(line, l) {
			return true
		}
	}
	return false
}

// continuesLog: an indented line or a "Detail:" line right after a log
// line belongs to it.
func continuesLog(line string) bool {
	return line != "" && (line[0] == ' ' || line[0] == '\t') && strings.TrimSpace(line) != ""
}

// disclaimerRE matches the first line of a legal footer in English,
// German or French.
var disclaimerRE = regexp.MustCompile(`(?i)^(\*+\s*)?(confidentiality( notice)?|disclaimer|legal notice|haftungsausschluss|vertraulichkeitshinweis|avis de confidentialit[ée]|avertissement)\s*[:*-]|^(this|the information in this) (e-?mail|message|communication)( and any (attachments?|files)( transmitted with it)?)? (is|are|may be|may contain|contains|is intended)\b.{0,60}(confidential|privileged|intended|addressee|recipient)|^(diese|die) (e-?mail|nachricht)( und (alle|jegliche|etwaige) anh[äa]nge?)? (enth[äa]lt|ist|kann) .{0,40}(vertraulich|rechtlich|ausschlie(ß|ss)lich)|^(ce|le pr[ée]sent) (message|courriel|e-?mail)( et (toutes )?(les|ses) pi[èe]ces jointes)? (est|sont|peut|contient|peuvent)\b.{0,60}(confidentiel|destinataire|exclusi|priv)`)

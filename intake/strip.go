package intake

import (
	"regexp"
	"strings"
	"unicode"
)

// StripQuoted returns what the author wrote in this mail: text without the
// quoted history and signature beneath it.
//
// The rule is deliberately simple. The text is cut at the first of:
//   - an attribution line ("On <date>, <name> wrote:", "Am <date> schrieb
//     <name>:", "Le <date>, <name> a écrit :", also wrapped over two lines;
//     the bare "<name> wrote:" / "<name> schrieb:" only when quoted lines
//     follow, since such a line also occurs in prose);
//   - an Outlook separator ("-----Original Message-----" and its German and
//     French forms, or a line of underscores followed by From:) or an
//     Outlook header block (From:/Von:/De : followed by Sent:/Gesendet:/
//     Envoyé : or Date: and To:/Subject: within a few lines);
//   - a signature delimiter ("-- " per RFC 3676 §4.3, or "--" alone) or a
//     mobile footer ("Sent from my iPhone" and its translations).
//
// Lines quoted with '>' before the cut are dropped. When that leaves
// nothing (a bottom-posted or interleaved reply), the answer is every line
// that is neither quoted nor an attribution, up to a signature. Only when
// even that is empty (the mail is all quotes) is the original text
// returned, trimmed. Line ends are normalised to \n.
func StripQuoted(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")

	cut := len(lines)
	for i := range lines {
		if isCutPoint(lines, i) {
			cut = i
			break
		}
	}
	if out := joinUnquoted(lines[:cut]); out != "" {
		return out
	}

	// Bottom-posted or interleaved: keep the author's lines wherever they
	// are, up to their signature.
	var (
		kept       []string
		hasContent bool
	)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if n := attributionAt(lines, i); n > 0 {
			i += n - 1
			continue
		}
		if isQuoted(line) || isOutlookSeparator(lines, i) {
			continue
		}
		if isSignature(line) || isMobileFooter(line) {
			if hasContent {
				break
			}
			continue
		}
		hasContent = hasContent || strings.TrimSpace(line) != ""
		kept = append(kept, line)
	}
	if out := joinUnquoted(kept); out != "" {
		return out
	}
	return strings.TrimSpace(text)
}

// joinUnquoted drops quoted lines, trims trailing blanks of each line,
// collapses runs of blank lines and trims blank lines at both ends.
func joinUnquoted(lines []string) string {
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		if isQuoted(line) {
			continue
		}
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if line == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue // leading blanks, and runs left by dropped quotes
		}
		out = append(out, line)
	}
	return strings.TrimRightFunc(strings.Join(out, "\n"), unicode.IsSpace)
}

func isQuoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

func isCutPoint(lines []string, i int) bool {
	return attributionAt(lines, i) > 0 ||
		isOutlookSeparator(lines, i) ||
		isHeaderBlock(lines, i) ||
		isSignature(lines[i]) ||
		isMobileFooter(lines[i])
}

var (
	// Attribution lines that are unambiguous on their own.
	attributionRe = regexp.MustCompile(`(?i)^(` +
		`on\s.{1,250}\swrote:` + // Gmail, Apple Mail, Thunderbird (en)
		`|am\s.{1,250}\sschrieb(\s.{0,200})?:` + // Gmail, Thunderbird (de)
		`|.{1,200}\shat am\s.{1,100}\sgeschrieben:` + // GMX, web.de (de)
		`|le\s.{1,250}\sa\s+écrit\s?:` + // Gmail, Thunderbird (fr)
		`)$`)
	// "<name> wrote:" is also prose; it counts only before quoted lines.
	bareAttributionRe = regexp.MustCompile(`(?i)^.{1,150}\s(wrote|schrieb|a écrit)\s?:$`)

	outlookSeparatorRe = regexp.MustCompile(`(?i)^-{3,}\s*(original message|ursprüngliche nachricht|message d'origine|originalnachricht|mensaje original|messaggio originale)\s*-{3,}$`)
	underscoreRe       = regexp.MustCompile(`^_{20,}$`)

	headerFromRe    = regexp.MustCompile(`(?i)^\*?(from|von|de)\s?:\*?\s*\S`)
	headerSentRe    = regexp.MustCompile(`(?i)^\*?(sent|date|gesendet|datum|envoyé|date d'envoi)\s?:`)
	headerSubjectRe = regexp.MustCompile(`(?i)^\*?(to|subject|an|betreff|à|a|objet|cc)\s?:`)

	mobileFooterRe = regexp.MustCompile(`(?i)^(` +
		`sent from my \S+( \S+){0,3}` +
		`|sent from (mail|outlook|yahoo mail) for \S+` +
		`|get outlook for \S+` +
		`|von meinem \S+( \S+){0,2} gesendet` +
		`|gesendet von meinem \S+( \S+){0,3}` +
		`|envoyé de mon \S+( \S+){0,3}` +
		`)\.?$`)
)

// attributionAt reports how many lines (1 or 2) an attribution starting at
// lines[i] occupies, or 0.
func attributionAt(lines []string, i int) int {
	line := strings.TrimSpace(lines[i])
	if line == "" || isQuoted(line) || len(line) > 400 {
		return 0
	}
	if attributionRe.MatchString(line) {
		return 1
	}
	if bareAttributionRe.MatchString(line) && quotedFollows(lines, i+1) {
		return 1
	}
	// Wrapped: "On Tue, 5 Mar 2024 at 10:12, Jane Doe <jane@example.com>"
	// then "wrote:". Only lines that start like an attribution are joined.
	if i+1 < len(lines) {
		lower := strings.ToLower(line)
		if strings.HasPrefix(lower, "on ") || strings.HasPrefix(lower, "am ") || strings.HasPrefix(lower, "le ") {
			next := strings.TrimSpace(lines[i+1])
			if next != "" && !isQuoted(next) && attributionRe.MatchString(line+" "+next) {
				return 2
			}
		}
	}
	return 0
}

// quotedFollows reports whether the next non-blank line from i is quoted.
func quotedFollows(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "" {
			continue
		}
		return isQuoted(lines[i])
	}
	return false
}

func isOutlookSeparator(lines []string, i int) bool {
	line := strings.TrimSpace(lines[i])
	if outlookSeparatorRe.MatchString(line) {
		return true
	}
	if underscoreRe.MatchString(line) {
		// Outlook's "____…" rule is followed by the From: block.
		for j := i + 1; j < len(lines) && j <= i+2; j++ {
			if headerFromRe.MatchString(strings.TrimSpace(lines[j])) {
				return true
			}
		}
	}
	return false
}

// isHeaderBlock reports whether lines[i] starts an Outlook-style header
// block: From: followed within six lines by a Sent/Date line and a
// To/Subject line. Requiring all three keeps "From: our logs…" in prose.
func isHeaderBlock(lines []string, i int) bool {
	if !headerFromRe.MatchString(strings.TrimSpace(lines[i])) {
		return false
	}
	var sent, subject bool
	for j := i + 1; j < len(lines) && j <= i+6; j++ {
		l := strings.TrimSpace(lines[j])
		sent = sent || headerSentRe.MatchString(l)
		subject = subject || headerSubjectRe.MatchString(l)
	}
	return sent && subject
}

// isSignature reports an RFC 3676 §4.3 signature delimiter "-- ", and the
// common mangled form "--" without the trailing space.
func isSignature(line string) bool {
	line = strings.TrimRight(line, "\r")
	return line == "-- " || line == "--"
}

func isMobileFooter(line string) bool {
	line = strings.TrimSpace(line)
	return len(line) <= 80 && mobileFooterRe.MatchString(line)
}

// forwardMarkerRe matches the line a mail client puts above a forwarded
// message (Gmail, Thunderbird, Apple Mail; English, German, French).
var forwardMarkerRe = regexp.MustCompile(`(?i)^-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|message transfere|original message|ursprüngliche nachricht|message d'origine)\s*-*$|^(begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:$`)

// forwardHeaderRe matches the header lines of a forwarded message that the
// reply header patterns do not ("Sujet :", "Pour :", "Reply-To:").
var forwardHeaderRe = regexp.MustCompile(`(?i)^\*?(sujet|pour|reply-to|antwort an|répondre à|cc|bcc|cci|kopie)\s?:`)

// ForwardedText returns the text of the message embedded below the new
// text: the forwarded report of "Fwd: Checkout down — FYI, see below", or
// the mail an Outlook "FW:" carries under its header block. The embedded
// message's own header lines are skipped and its own quoted history and
// signature cut (StripQuoted). It returns "" when nothing is embedded.
// Classification reads it only for a forward whose new text says nothing:
// the forwarded report is then what is reported.
func ForwardedText(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	start := -1
	for i := range lines {
		if isQuoted(lines[i]) {
			continue
		}
		l := strings.TrimSpace(lines[i])
		if forwardMarkerRe.MatchString(l) || isOutlookSeparator(lines, i) {
			start = i + 1
			break
		}
		if isHeaderBlock(lines, i) {
			start = i
			break
		}
	}
	if start < 0 {
		return ""
	}
	// Skip the embedded message's header lines ("From:", "Date:",
	// "Betreff:", "Objet :", "Sujet :", "Pour :" …), with blank lines
	// before or among them.
	i := start
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || headerFromRe.MatchString(l) || headerSentRe.MatchString(l) || headerSubjectRe.MatchString(l) || forwardHeaderRe.MatchString(l) {
			continue
		}
		break
	}
	if i >= len(lines) {
		return ""
	}
	return StripQuoted(strings.Join(lines[i:], "\n"))
}

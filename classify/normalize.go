package classify

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds s for matching: lower case; accents, umlauts and cedillas
// removed (é→e, ä→a, ç→c); ß→ss; ligatures expanded (æ→ae, œ→oe, ﬁ→fi);
// typographic apostrophes (’ ‘ ʼ ´ `) turned into '. Everything else,
// spaces and punctuation included, is kept, so the words of Normalize(s) are
// the words of s. Invalid UTF-8 becomes U+FFFD. Normalize is idempotent.
//
// The German spelling without umlauts ("Stoerung" for "Störung") is not
// folded here, because "ue" is common in English and French ("queue",
// "bloquée"); the rule compiler gives every pattern both spellings instead.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	// Lower-case first so that no decomposition is left for a second
	// pass to find; then decompose (NFKD) and drop the combining marks.
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(strings.ToLower(s), string(utf8.RuneError))) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'ß', 'ẞ':
			b.WriteString("ss")
		case 'æ', 'Æ':
			b.WriteString("ae")
		case 'œ', 'Œ':
			b.WriteString("oe")
		case 'ø', 'Ø':
			b.WriteByte('o')
		case 'đ', 'Đ':
			b.WriteByte('d')
		case 'ł', 'Ł':
			b.WriteByte('l')
		case 'ı':
			b.WriteByte('i')
		case 'þ', 'Þ':
			b.WriteString("th")
		case '’', '‘', 'ʼ', '´', '`', '′':
			b.WriteByte('\'')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// isApostrophe reports the apostrophes French elisions ("l'arrêt") and
// English contractions ("isn't") are written with.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '´', '`', '′':
		return true
	}
	return false
}

// isWordRune reports whether r belongs to a word. Combining marks do, so
// decomposed input ("e" + U+0301) stays one word.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
}

// textToken is one normalised word of a text, with where it came from.
type textToken struct {
	word       string // Normalize(original word)
	start, end int    // byte offsets of the original word in the text
	sentence   int    // sentence number, counted across subject and body
	clause     int    // clause number: sentences and commas end clauses
	paragraph  int    // paragraph number: blank lines and list items end paragraphs
	aside      bool   // inside brackets: "none of our four warehouses (Leeds, Bristol, …) can"
}

// tokenizedText is a text cut into words and sentences.
type tokenizedText struct {
	src      string
	tokens   []textToken
	question []bool // question[s]: sentence s ended with '?'
	contrast []int  // clauses that start with "but", "aber", "mais"…
}

// startsWithContrast reports whether clause c starts with a contrast word.
func (t *tokenizedText) startsWithContrast(c int) bool { return slices.Contains(t.contrast, c) }

// tokenizeText splits src into normalised words and numbers its sentences.
// A sentence ends at . ! ? ; … followed by a space or the end, at a blank
// line, and before a bulleted line. Single line breaks do not end one:
// mail clients wrap lines in the middle of sentences. Elisions and
// contractions are split at the apostrophe ("l'arrêt" → l, arret) and the
// English "n't" becomes the word "not" ("isn't" → isn, not), so negation
// cues see it.
func tokenizeText(src string) *tokenizedText {
	t := &tokenizedText{src: src}
	sentence, clause, paragraph := 0, 0, 0
	paraStart := 0 // the first token of the paragraph
	newParagraph := func() {
		if len(t.tokens) > paraStart {
			paragraph++
			paraStart = len(t.tokens)
		}
	}
	sentenceHasWords := false
	brackets := 0 // open brackets in this sentence
	endSentence := func(isQuestion bool) {
		brackets = 0
		if !sentenceHasWords {
			return
		}
		t.question = append(t.question, isQuestion)
		sentence++
		clause++
		sentenceHasWords = false
	}
	wordStart := -1
	flush := func(end int) {
		if wordStart < 0 {
			return
		}
		word := Normalize(src[wordStart:end])
		if std, ok := dialect[word]; ok {
			word = std
		} else if std, ok := umlautWords[strings.ToLower(src[wordStart:end])]; ok {
			word = std
		}
		if stem, ok := unapostrophed[word]; ok {
			// "cant", "doesnt": typed without the apostrophe, read as
			// "can't", "doesn't" (the stem, then "not").
			t.tokens = append(t.tokens, textToken{word: stem, start: wordStart, end: end - 1, sentence: sentence, clause: clause, paragraph: paragraph, aside: brackets > 0},
				textToken{word: "not", start: end - 1, end: end, sentence: sentence, clause: clause, paragraph: paragraph, aside: brackets > 0})
			sentenceHasWords = true
			wordStart = -1
			return
		}
		if contrastWords[word] && sentenceHasWords {
			clause++ // "it was fixed yesterday but is down again": two clauses
			t.contrast = append(t.contrast, clause)
		}
		t.tokens = append(t.tokens, textToken{word: word, start: wordStart, end: end, sentence: sentence, clause: clause, paragraph: paragraph, aside: brackets > 0})
		sentenceHasWords = true
		wordStart = -1
	}
	lineStart := true // only spaces seen since the last newline
	newlines := 0     // newlines since the last non-space rune
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		if isWordRune(r) {
			if lineStart && isListNumber(src[i:]) {
				// "1) …", "2. …" at the start of a line: a list item.
				endSentence(false)
				newParagraph()
			}
			if wordStart < 0 {
				wordStart = i
			}
			lineStart = false
			newlines = 0
			i += size
			continue
		}
		if (r == ',' || r == '.' || r == '\'' || r == '\u00a0' || r == '\u202f') && wordStart >= 0 && isDigitRun(src[wordStart:i]) && i+size < len(src) && src[i+size] >= '0' && src[i+size] <= '9' {
			// "3,412", "8.000", "1'000" (Swiss): one number.
			i += size
			continue
		}
		if wordStart >= 0 && (joinsIdentifier(r, src[wordStart:i], src[i+size:]) || r == '/' && wordStart > 0 && src[wordStart-1] == '/' && i+size < len(src) && isWordRune(rune(src[i+size]))) {
			// "session.idle-timeout", "order_ref_uk", "o.h.e.j.s": names
			// from configuration, code and logs are one word, not prose;
			// so is a path after a slash ("/v1/orders" names no function).
			i += size
			continue
		}
		if isApostrophe(r) && wordStart >= 0 && isNegatedContraction(src[wordStart:i], src[i+size:]) {
			// "isn't", "don't": the stem, then "not" for the "'t".
			flush(i)
			t.tokens = append(t.tokens, textToken{word: "not", start: i, end: i + size + 1, sentence: sentence, clause: clause, paragraph: paragraph})
			i += size + 1
			continue
		}
		flush(i)
		i += size
		switch r {
		case '\n':
			newlines++
			if newlines >= 2 {
				endSentence(false)
				if newlines == 2 {
					newParagraph()
				}
			}
			lineStart = true
			continue
		case ' ', '\t', '\r', '\u00a0':
			continue
		case ',', ':', '(', ')', '–', '—':
			// A negation does not reach across a comma, colon, bracket or
			// dash: "no production impact, just a question".
			clause++
			switch {
			case r == '(':
				brackets++
			case r == ')' && brackets > 0:
				brackets--
			}
			if r == '–' && lineStart {
				endSentence(false)
			}
		case '.', '!', '?', ';', '…':
			next, _ := utf8.DecodeRuneInString(src[i:])
			if r == '.' && len(t.tokens) > 0 && t.tokens[len(t.tokens)-1].end == i-size && isAbbreviation(t.tokens[len(t.tokens)-1].word) {
				break // "ca. 70", "z.B.", "e.g.": no sentence end
			}
			if i >= len(src) || unicode.IsSpace(next) || next == '"' || next == ')' || next == '»' {
				endSentence(r == '?' || strings.HasSuffix(strings.TrimRight(src[:i-size], "!"), "?"))
			}
		case '-', '*', '•', '·':
			if lineStart {
				// A list item is a matter of its own, like a paragraph.
				endSentence(false)
				newParagraph()
			} else if r == '-' && i-size > 0 && src[i-size-1] == ' ' && i < len(src) && src[i] == ' ' {
				// "we need it fixed - it still fails": a spaced hyphen is
				// a dash and ends a clause like "–".
				clause++
			}
		}
		lineStart = false
		newlines = 0
	}
	if wordStart >= 0 {
		flush(len(src))
	}
	endSentence(false)
	return t
}

// isListNumber reports whether s starts with a list item's number: one
// or two digits, then "." or ")" and a space ("1. ", "12) ").
func isListNumber(s string) bool {
	n := 0
	for n < len(s) && n < 3 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n >= 1 && n <= 2 && n+1 < len(s) && (s[n] == '.' || s[n] == ')') && (s[n+1] == ' ' || s[n+1] == '\t')
}

// joinsIdentifier reports whether r, standing between word (so far) and
// rest, joins them into one identifier: a dot or underscore between two
// word characters ("session.idle", "order_ref"), and a hyphen or slash
// inside a word that already is one ("session.idle-timeout"). Dotted
// abbreviations stay words: "z.B", "e.g" are short.
func joinsIdentifier(r rune, word, rest string) bool {
	next, _ := utf8.DecodeRuneInString(rest)
	if rest == "" || !isWordRune(next) {
		return false
	}
	switch r {
	case '_':
		return true
	case '.':
		// Letters on both sides and more than an abbreviation's one or two
		// letters on one of them: "session.idle", "v5.2", "ticketd.example".
		end := strings.IndexFunc(rest, func(r rune) bool { return !isWordRune(r) })
		if end < 0 {
			end = len(rest)
		}
		last := word[strings.LastIndexAny(word, "._-/")+1:]
		return utf8.RuneCountInString(last) > 2 || end > 2 || strings.ContainsAny(word, "._")
	case '-', '/':
		// "re-issue", "re-send", "ré-émettre": a prefix, not the word
		// "issue".
		return strings.ContainsAny(word, "._") || (r == '-' && (strings.EqualFold(word, "re") || strings.EqualFold(word, "ré")))
	}
	return false
}

// isDigitRun reports whether s ends in an ASCII digit and is all digits
// and number separators.
func isDigitRun(s string) bool {
	if s == "" || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != ',' && r != '.' && r != '\'' && r != '\u00a0' && r != '\u202f' {
			return false
		}
	}
	return true
}

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = map[string]bool{"ca": true, "approx": true, "eg": true, "ie": true, "etc": true, "vs": true, "no": true,
	"nr": true, "bzw": true, "evtl": true, "ggf": true, "usw": true, "inkl": true, "zb": true, "dh": true, "mr": true, "mrs": true,
	"dr": true, "st": true, "env": true, "cf": true, "resp": true, "z": true, "b": true, "e": true, "g": true, "i": true}

func isAbbreviation(word string) bool { return abbreviations[word] }

// contrastWords start a clause of their own, like a comma: what stands on
// either side may be negated, resolved or bound separately.
var contrastWords = map[string]bool{"but": true, "however": true, "although": true, "whereas": true,
	"aber": true, "jedoch": true, "sondern": true, "allerdings": true, "obwohl": true,
	"mais": true, "cependant": true, "toutefois": true, "pourtant": true, "alors": true}

// isQuestion reports whether sentence s ended with a question mark.
func (t *tokenizedText) isQuestion(s int) bool {
	return s >= 0 && s < len(t.question) && t.question[s]
}

// isNegatedContraction reports whether word + "'" + rest is an English
// "n't" contraction: word ends in n and rest is a lone t.
// umlautWords are German words that Normalize would fold onto an
// English cue word: "10 Stück" is ten pieces, not "stuck". They are
// written with "ue" instead, as a German keyboard without umlauts would.
var umlautWords = map[string]string{"stück": "stueck", "stücke": "stuecke", "stücken": "stuecken"}

// dialect folds Swiss German, Bavarian and Austrian words of support
// mail to standard German (as Normalize writes it), so the cues need no
// second spelling: "nüt gaht meh" is "nichts geht mehr", "koana kimmt
// nei" "keiner kommt nei". Words that are also English or French words
// a mail might use ("hut", "sit", "date", "mir", "des", "no") are left
// out.
var dialect = map[string]string{"isch": "ist", "gaht": "geht", "goht": "geht", "meh": "mehr", "alli": "alle", "olle": "alle",
	"ois": "alles", "chunde": "kunden", "nod": "nicht", "ned": "nicht", "nid": "nicht", "nut": "nichts", "koana": "keiner",
	"koaner": "keiner", "kimmt": "kommt", "chunnt": "kommt", "chond": "konnen", "cha": "kann", "chan": "kann", "bode": "boden",
	"heit": "heute", "gsi": "gewesen", "wuche": "woche", "nume": "nur", "nimma": "nimmer"}

// unapostrophed are English negated contractions typed without the
// apostrophe, by their stem. "dont" is left out: it is French ("whose");
// "wont" and "cant" are rare as words of their own in support mail.
var unapostrophed = map[string]string{"cant": "can", "doesnt": "doesn", "didnt": "didn", "isnt": "isn", "arent": "aren",
	"wasnt": "wasn", "werent": "weren", "wont": "won", "couldnt": "couldn", "wouldnt": "wouldn", "shouldnt": "shouldn",
	"havent": "haven", "hasnt": "hasn", "hadnt": "hadn"}

func isNegatedContraction(word, rest string) bool {
	if !strings.HasSuffix(strings.ToLower(word), "n") || rest == "" || (rest[0] != 't' && rest[0] != 'T') {
		return false
	}
	after, _ := utf8.DecodeRuneInString(rest[1:])
	return len(rest) == 1 || !isWordRune(after)
}

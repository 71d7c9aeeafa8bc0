package templates

import (
	"slices"
	"strings"
	"unicode"
)

// stopwords are frequent function words and support-mail greetings of each
// language. Words common in two of them ("in", "an", "was", "also", "des",
// "a", "on", "will", "am", "me", "hier") are left out, so every hit is evidence for one
// language only.
var stopwords = map[string]map[string]bool{
	"en": set(`the and is are not of to it this that these with for we you i our your have has
		had be been being can cannot could would should do does did don doesn didn isn aren
		there they them their my all any from at as by or if but when what which who
		after before since today yesterday now still please thanks thank hello hi dear
		regards kind best sincerely issue problem error working works down again just
		one some no yes how why where us get got see seems`),
	"de": set(`der die das dem den und ist sind nicht ein eine einen einem einer eines
		ich wir sie es er ihr ihre ihnen uns unser unsere mit auf für von zu zum zur im
		bei nach wie auch noch wird werden wurde wurden haben hat hatte kann können
		könnten bitte danke vielen dank hallo guten tag seit aber oder wenn dass daß sehr
		geehrte geehrter geehrten damen herren grüße grüßen gruß grüsse grüssen freundlichen
		mehr schon nur heute gestern keine kein funktioniert läuft leider mir mich dies
		diese dieser dieses jetzt gibt ob weil sich`),
	"fr": set(`le la les un une du de et est sont ne pas plus que qui quoi dans sur avec
		pour par nous vous je il elle ils elles ce cet cette ces mais ou où au aux mon ma
		mes votre vos notre nos leur leurs être avoir été ont avons avez fait depuis
		bonjour merci cordialement salutations madame monsieur aujourd hui encore
		toujours déjà problème erreur fonctionne marche lors si ça cela c l d j qu n
		y à très bien`),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// DetectLanguage guesses whether text is English, German or French by
// counting stopwords, and returns "en", "de", "fr", or "" when the text
// gives too little evidence or two languages are close (a mail written
// half in each). It is meant for choosing the language of an automatic
// reply to an unknown sender, not for linguistics.
func DetectLanguage(text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r)
	})
	score := map[string]int{}
	for _, w := range words {
		for lang, sw := range stopwords {
			if sw[w] {
				score[lang]++
			}
		}
	}
	best, second := "", 0
	for _, lang := range Languages {
		switch s := score[lang]; {
		case best == "" || s > score[best]:
			second = score[best]
			best = lang
		case s > second:
			second = s
		}
	}
	// One hit decides a greeting like "Bonjour"; longer text needs two,
	// and the winner must lead clearly: 3:2 is a mixed mail, not a language.
	need := 2
	if len(words) <= 3 {
		need = 1
	}
	if score[best] < need || 2*score[best] < 3*second+1 {
		return ""
	}
	return best
}

// ChooseLanguage picks the language of a mail: the contact's language,
// else the customer's, else the one detected in text, else fallback,
// else DefaultLanguage. Tags are matched on their primary subtag, so
// "de-CH" and "FR" count; languages without templates are skipped.
func ChooseLanguage(contact, customer, text, fallback string) string {
	for _, lang := range []string{contact, customer, DetectLanguage(text), fallback} {
		if l := normalizeLang(lang); slices.Contains(Languages, l) {
			return l
		}
	}
	return DefaultLanguage
}

// normalizeLang lower-cases a language tag and keeps its primary subtag.
func normalizeLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	return lang
}

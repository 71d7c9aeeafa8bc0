package templates

import (
	"strings"
	"testing"
)

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", ""},
		{"only_numbers_and_symbols", "1042 -- 08:10 / 30s !!!", ""},
		{"log_line_without_words_we_know", "ORA-12541 TNS listener timeout", ""},
		{"english_greeting", "Hello", "en"},
		{"german_greeting", "Hallo!", "de"},
		{"french_greeting", "Bonjour", "fr"},
		{"english_short", "The server is down since this morning, please help.", "en"},
		{"german_short", "Der Server ist seit heute Morgen nicht erreichbar.", "de"},
		{"french_short", "Le serveur ne répond plus depuis ce matin.", "fr"},
		{"german_with_umlauts_and_eszett", "Sehr geehrte Damen und Herren, können Sie uns bitte helfen? Mit freundlichen Grüßen", "de"},
		{"english_long", `Hi team,

since the update last night our users cannot log in to the portal. We get an error 500 after entering the password.
We have already restarted the service and cleared the cache, but the problem is still there.
Could you please have a look as soon as possible? This is blocking all of our sales staff.

Thanks and best regards,
Sarah`, "en"},
		{"german_long", `Guten Tag,

seit dem Update von gestern Abend können sich unsere Benutzer nicht mehr am Portal anmelden. Nach der Eingabe des Passworts erscheint ein Fehler 500.
Wir haben den Dienst bereits neu gestartet und den Cache geleert, aber das Problem besteht weiterhin.
Könnten Sie sich das bitte so schnell wie möglich ansehen? Der gesamte Vertrieb ist dadurch blockiert.

Mit freundlichen Grüßen
Jonas Becker`, "de"},
		{"french_long", `Bonjour,

depuis la mise à jour d'hier soir, nos utilisateurs ne peuvent plus se connecter au portail. Une erreur 500 s'affiche après la saisie du mot de passe.
Nous avons déjà redémarré le service et vidé le cache, mais le problème persiste.
Pourriez-vous regarder cela dès que possible ? Toute notre équipe commerciale est bloquée.

Cordialement,
Claire Dubois`, "fr"},
		{"german_with_english_error_message", "Hallo, seit heute früh bekommen wir beim Login die Meldung \"Access denied for this user\". Können Sie bitte prüfen, was da los ist? Danke und viele Grüße", "de"},
		{"evenly_mixed_english_and_german", "Hello, the server is down. Hallo, der Server ist nicht erreichbar.", ""},
		{"evenly_mixed_french_and_english", "Bonjour, le serveur est en panne. Hello, the server is down.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectLanguage(tt.text); got != tt.want {
				t.Errorf("DetectLanguage(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestDetectLanguage_stopwordListsAreDisjoint(t *testing.T) {
	for a, wa := range stopwords {
		for b, wb := range stopwords {
			for w := range wa {
				if a < b && wb[w] {
					t.Errorf("%q is a stopword of both %s and %s; it proves nothing", w, a, b)
				}
			}
		}
	}
}

func TestChooseLanguage(t *testing.T) {
	const german = "Guten Tag, der Server ist seit heute nicht erreichbar. Bitte helfen Sie uns."
	tests := []struct {
		name                              string
		contact, customer, text, fallback string
		want                              string
	}{
		{"contact_wins", "fr", "de", german, "en", "fr"},
		{"contact_regional_tag", "de-CH", "fr", "", "en", "de"},
		{"customer_when_contact_unset", "", "FR", german, "en", "fr"},
		{"unsupported_contact_language_is_skipped", "it", "", german, "en", "de"},
		{"detected_from_text", "", "", german, "fr", "de"},
		{"fallback_when_text_says_nothing", "", "", "1042", "fr", "fr"},
		{"default_when_nothing_is_known", "", "", "", "es", DefaultLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ChooseLanguage(tt.contact, tt.customer, tt.text, tt.fallback); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzDetectLanguage(f *testing.F) {
	for _, s := range []string{"", "Hello", "Guten Tag", "Bonjour, merci", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch got := DetectLanguage(s); got {
		case "", "en", "de", "fr":
		default:
			t.Fatalf("DetectLanguage(%q) = %q", s, got)
		}
	})
}

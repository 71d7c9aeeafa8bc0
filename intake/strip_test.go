package intake

import (
	"strings"
	"testing"
)

func TestStripQuoted(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "plain_text_is_kept",
			in:   "Hello,\n\nthe server is down.\n",
			want: "Hello,\n\nthe server is down.",
		},
		{
			name: "quoted_lines_below_answer_are_cut",
			in:   "Yes, it works now.\n\n> Did the patch help?\n> Support\n",
			want: "Yes, it works now.",
		},
		{
			name: "gmail_attribution_cuts",
			in:   "Works now.\n\nOn Tue, 5 Mar 2024 at 10:12, Jane Doe <jane@example.com> wrote:\n> old\n",
			want: "Works now.",
		},
		{
			name: "attribution_wrapped_over_two_lines_cuts",
			in:   "Works now.\n\nOn Tue, 5 Mar 2024 at 10:12, Jane Doe <jane@example.com>\nwrote:\n\n> old\n",
			want: "Works now.",
		},
		{
			name: "attribution_without_quotes_below_still_cuts",
			in:   "Fixed.\n\nOn Monday, March 4, 2024 9:00 AM, Support <support@example.com> wrote:\nPlease restart the service.\n",
			want: "Fixed.",
		},
		{
			name: "german_am_schrieb_cuts",
			in:   "Danke, läuft.\n\nAm 05.03.2024 um 10:12 schrieb Support Team <support@example.com>:\n> Bitte neu starten.\n",
			want: "Danke, läuft.",
		},
		{
			name: "german_gmail_attribution_cuts",
			in:   "Danke.\n\nAm Di., 5. März 2024 um 10:12 Uhr schrieb Max Muster <max@example.de>:\n> alt\n",
			want: "Danke.",
		},
		{
			name: "german_name_schrieb_cuts_before_quotes",
			in:   "Passt.\n\nMax Muster schrieb:\n> alt\n",
			want: "Passt.",
		},
		{
			name: "french_attribution_cuts",
			in:   "Merci !\n\nLe lun. 18 mars 2024 à 16:20, Support <support@example.com> a écrit :\n> ancien\n",
			want: "Merci !",
		},
		{
			name: "french_attribution_wrapped_cuts",
			in:   "Merci !\n\nLe lun. 18 mars 2024 à 16:20, Support <support@example.com> a\nécrit :\n> ancien\n",
			want: "Merci !",
		},
		{
			name: "name_wrote_in_prose_without_quotes_is_kept",
			in:   "This is what my colleague wrote:\nthe disk is full on node 3.\n",
			want: "This is what my colleague wrote:\nthe disk is full on node 3.",
		},
		{
			name: "outlook_original_message_cuts",
			in:   "Still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Dana\nSubject: x\n\nold\n",
			want: "Still broken.",
		},
		{
			name: "outlook_german_separator_cuts",
			in:   "Weiterhin defekt.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\n\nalt\n",
			want: "Weiterhin defekt.",
		},
		{
			name: "outlook_french_separator_cuts",
			in:   "Toujours en panne.\n\n-----Message d'origine-----\nDe : Support\n\nancien\n",
			want: "Toujours en panne.",
		},
		{
			name: "outlook_header_block_cuts",
			in:   "Done.\n\nFrom: Support <support@example.com>\nSent: Wednesday, March 13, 2024 4:10 PM\nTo: Tom\nSubject: RE: x\n\nold\n",
			want: "Done.",
		},
		{
			name: "outlook_german_header_block_cuts",
			in:   "Erledigt.\n\nVon: Support <support@example.com>\nGesendet: Mittwoch, 13. März 2024 16:10\nAn: Tom\nBetreff: AW: x\n\nalt\n",
			want: "Erledigt.",
		},
		{
			name: "outlook_french_header_block_cuts",
			in:   "Fait.\n\nDe : Support <support@example.com>\nEnvoyé : mercredi 13 mars 2024 16:10\nÀ : Tom\nObjet : RE: x\n\nancien\n",
			want: "Fait.",
		},
		{
			name: "underscore_rule_before_from_cuts",
			in:   "Thanks\n\n________________________________\nFrom: Support <support@example.com>\nSent: today\n",
			want: "Thanks",
		},
		{
			name: "from_line_in_prose_is_kept",
			in:   "From: the logs I attached you can see the crash.\nIt happens daily.\n",
			want: "From: the logs I attached you can see the crash.\nIt happens daily.",
		},
		{
			name: "rfc3676_signature_cuts",
			in:   "Please help.\n-- \nJane Doe\nACME\n",
			want: "Please help.",
		},
		{
			name: "signature_without_trailing_space_cuts",
			in:   "Please help.\n--\nJane Doe\n",
			want: "Please help.",
		},
		{
			name: "double_dash_inside_a_line_is_kept",
			in:   "Run it with --force -- then check.\n",
			want: "Run it with --force -- then check.",
		},
		{
			name: "sent_from_my_iphone_cuts",
			in:   "On my way.\n\nSent from my iPhone\n\n> old\n",
			want: "On my way.",
		},
		{
			name: "von_meinem_iphone_gesendet_cuts",
			in:   "Bin dran.\n\nVon meinem iPhone gesendet\n",
			want: "Bin dran.",
		},
		{
			name: "envoye_de_mon_iphone_cuts",
			in:   "J'arrive.\n\nEnvoyé de mon iPhone\n",
			want: "J'arrive.",
		},
		{
			name: "bottom_posted_reply_keeps_answer",
			in:   "On Tue, 5 Mar 2024, Support <support@example.com> wrote:\n> Did it work?\n\nYes, thanks.\n-- \nJane\n",
			want: "Yes, thanks.",
		},
		{
			name: "interleaved_answers_are_kept",
			in:   "> Version?\n7.3.1\n> Access?\nyes\n",
			want: "7.3.1\nyes",
		},
		{
			name: "all_quoted_returns_original",
			in:   "> only a quote\n> nothing else\n",
			want: "> only a quote\n> nothing else",
		},
		{
			name: "crlf_is_normalised",
			in:   "Line one\r\nLine two\r\n\r\n> quoted\r\n",
			want: "Line one\nLine two",
		},
		{
			name: "empty_stays_empty",
			in:   "",
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuoted(tt.in); got != tt.want {
				t.Errorf("StripQuoted(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestStripQuotedNeverEmptiesAuthoredText checks the promise that text
// with any unquoted content never strips to nothing.
func TestStripQuotedNeverEmptiesAuthoredText(t *testing.T) {
	inputs := []string{
		"-- \nonly a signature",
		"Sent from my iPhone",
		"On Mon, 1 Jan 2024, A <a@b> wrote:",
		"-----Original Message-----\nhello",
		"From: a\nSent: b\nTo: c\nSubject: d",
	}
	for _, in := range inputs {
		if got := StripQuoted(in); strings.TrimSpace(got) == "" {
			t.Errorf("StripQuoted(%q) = %q, want non-empty", in, got)
		}
	}
}

func FuzzStripQuoted(f *testing.F) {
	f.Add("Hello\n\nOn Tue, 5 Mar 2024, A <a@b> wrote:\n> x\n")
	f.Add("> a\nb\n> c\n-- \nsig")
	f.Add("x\n-----Original Message-----\nFrom: a\nSent: b\nTo: c\n")
	f.Add("Am 1.1.2024 schrieb X:\n> y\n")
	f.Add("\r\n\r\n>\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		out := StripQuoted(in)
		if len(out) > len(in) {
			t.Fatalf("output longer than input: %q -> %q", in, out)
		}
		if strings.TrimSpace(in) != "" && strings.TrimSpace(out) == "" {
			t.Fatalf("non-blank input %q stripped to blank", in)
		}
	})
}

func TestForwardedText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"nothing_embedded", "The server is down.\n\nDana\n", ""},
		{"gmail_forward_header_block_skipped",
			"FYI\n\n---------- Forwarded message ---------\nFrom: Ann <ann@x.example>\nDate: Mon, 2 Mar 2026\nSubject: Down\nTo: Dan <d@x.example>\n\nThe shop is down.\n",
			"The shop is down."},
		{"apple_mail_begin_forwarded",
			"See below.\n\nBegin forwarded message:\n\nFrom: Ann <ann@x.example>\nSubject: Down\nDate: 2 March 2026\nTo: Dan\n\nNobody can log in.\n",
			"Nobody can log in."},
		{"outlook_block_and_own_history_cut",
			"Zur Info.\n\n-----Ursprüngliche Nachricht-----\nVon: Henrik\nGesendet: Samstag\nAn: Jonas\nBetreff: Kassen\n\nKeine Zahlung geht durch.\n\n-----Ursprüngliche Nachricht-----\nVon: System\nGesendet: Samstag\nAn: Henrik\nBetreff: alt\n\nalt\n",
			"Keine Zahlung geht durch."},
		{"french_transfer_marker",
			"Pour info.\n\n-------- Message transféré --------\nObjet : Bons bloqués\nDate : 04/03/2026\nDe : Patrick\nÀ : Julien\n\nAucune tablette ne reçoit les bons.\n",
			"Aucune tablette ne reçoit les bons."},
		{"thunderbird_french_headers",
			"FYI\n\n-------- Message transféré --------\nSujet : Portail famille\nDate : Thu, 19 Feb 2026 16:21:09 +0100\nDe : Martine <m@x.example>\nPour : accueil@x.example\n\nJ'ai vu le dossier d'une autre dame.\n",
			"J'ai vu le dossier d'une autre dame."},
		{"quoted_marker_is_history_not_a_forward", "Thanks!\n\n> ---------- Forwarded message ---------\n> From: x\n", ""},
		{"marker_with_nothing_below", "FYI\n\n---------- Forwarded message ---------\nFrom: Ann\nDate: today\nTo: Dan\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForwardedText(tt.in); got != tt.want {
				t.Errorf("ForwardedText() = %q, want %q", got, tt.want)
			}
		})
	}
}

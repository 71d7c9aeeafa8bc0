package classify

import (
	"testing"

	"ticketd/ticket"
)

// TestClassifyDefinitionExamples checks one or two mails per bullet of the
// level definitions (DESIGN.md, dev2/README.md), in the three languages.
// definitionProbes are the seeds' own examples of each level.
var definitionProbes = []struct {
	want          ticket.Level
	subject, body string
}{
	{"P0", "Site down", "Our website has been returning 502 for all visitors since 9:40. We're a web shop, so no sales at all right now."},
	{"P0", "", "Since the 6am deploy nobody in the company can log into the application. We tried different browsers and networks."},
	{"P0", "Outage", "The whole platform is unreachable for us and our customers. This is a complete outage."},
	{"P0", "", "After the patch the production database is corrupted and the application refuses to start."},
	{"P0", "", "Alle Bestellungen von gestern sind aus dem System verschwunden."},
	{"P0", "", "Unser komplettes System ist seit heute morgen ausgefallen, niemand kann arbeiten."},
	{"P0", "", "Le site est KO depuis 10h, plus aucune commande n'est possible."},
	{"P0", "", "Nos clients ne peuvent plus payer : tous les paiements par carte échouent depuis midi."},
	{"P0", "", "We discovered that an attacker downloaded our customer table including emails and hashed passwords."},
	{"P1", "", "The reporting module is down but everything else works. Managers can't get their daily figures and there's no workaround."},
	{"P1", "", "Since yesterday about 20% of card payments fail with a timeout. Most go through."},
	{"P1", "", "Production is very slow, pages take 20 seconds to load for everyone. People can still work, barely."},
	{"P1", "", "We noticed logins from an unknown IP on our admin account. We are not sure if anything was accessed."},
	{"P1", "", "Die Rechnungsstellung funktioniert seit dem Update nicht mehr. Bestellungen laufen weiter, aber wir können keine Rechnungen schreiben."},
	{"P1", "", "Seit Montag bricht der Versand von Auftragsbestätigungen für viele Kunden ab, eine Umgehung gibt es nicht."},
	{"P1", "", "Le module de planning ne s'ouvre plus en production, le reste de l'application marche. Aucun contournement."},
	{"P2", "", "Our staging environment has been down since the upgrade. Production is fine."},
	{"P2", "", "The nightly import fails; we import the file manually every morning, which takes about two hours."},
	{"P2", "", "Auf der Testumgebung kann sich niemand anmelden, Produktion läuft."},
	{"P2", "", "L'environnement de préproduction est très lent et nos tests de charge échouent."},
	{"P2", "", "The PDF export fails for large reports. We split them by hand, it costs us half a day per week."},
	{"P3", "", "The date picker shows the week starting on Sunday instead of Monday. Minor, but confusing."},
	{"P3", "", "One of our users can't upload a profile picture. Everyone else can."},
	{"P3", "", "Export to Excel sometimes fails; trying again works."},
	{"P3", "", "Im Bericht ist die Summe um einen Cent falsch gerundet."},
	{"P3", "", "Le bouton Annuler est mal traduit en allemand."},
	{"P3", "", "The search doesn't find customers by their phone number, we search by name instead."},
	{"P4", "", "Could you tell us which ports need to be open for the new agent?"},
	{"P4", "", "We'd love to see a dark mode in a future version."},
	{"P4", "", "Thanks for fixing the export so quickly, all good now."},
	{"P4", "Re: [P0] outage yesterday", "Please send us the post-mortem for yesterday's outage."},
	{"P4", "", "Wann ist das nächste Wartungsfenster geplant?"},
	{"P4", "", "Pouvez-vous nous envoyer la facture du mois dernier au format PDF ?"},
	{"P4", "", "The user guide still describes the old menu structure."},
	{"P4", "URGENT", "URGENT: how do I export all users to CSV?"},
	{"P4", "", "We need to add two more technical contacts to our contract, what do we need to send you?"},
}

func TestClassifyDefinitionExamples(t *testing.T) {
	for _, p := range definitionProbes {
		r := Default().Classify(Input{Subject: p.subject, Body: p.body})
		if r.Level != p.want {
			t.Errorf("want %s, got %s by row %q (%s): %q", p.want, r.Level, r.Row, r.Factors, p.body)
		}
	}
}

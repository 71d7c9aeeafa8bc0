#!/usr/bin/env python3
"""Writes the third extra severity corpus (*.eml + labels.tsv) in this folder (issue 12).

Written by the engineer of the factor classifier, trying to avoid the classifier's
vocabulary: impact told through consequences ("the trucks are waiting at the gate"),
bullet-point reports, partner escalations, mixed-language mails. Labelled from the level
definitions in ../dev2/README.md before the classifier ran on them; the first-contact score is recorded in README.md. Because the
author also wrote the cue lists, this set is weaker evidence than the dev corpora.
Run: python3 gen_extra3.py
"""
import os
from email.mime.text import MIMEText
from email.utils import formataddr

HERE = os.path.dirname(os.path.abspath(__file__))
MAILS = []


def mail(name, level, note, enc, frm, subject, body, forwarded=None):
    MAILS.append(dict(name=name, level=level, note=note, enc=enc, frm=frm, subject=subject,
                      body=body.strip("\n") + "\n", forwarded=forwarded))


# ---------------------------------------------------------------- P0

# ---------------------------------------------------------------- P0
mail("z-en-p0-trucks-gate", "P0", "consequences only: dispatch halted, trucks waiting", "plain", "dc.manager@coldchain-east.example",
     "Dispatch halted at Rotterdam DC", """
Morning,

- 05:50 the dispatch screens went blank after your overnight release
- no loading lists since then, 23 trucks waiting at the gate
- drivers are leaving at 09:00 whether loaded or not
- restarting the terminals and the app server made no difference

We are shipping nothing. Need someone on this immediately.

Erik
""")
mail("z-de-p0-schicht-heim", "P0", "Austrian: plant stopped, shift sent home", "qp", "werk@stahlbau-enns.example",
     "Werk steht", """
Grüß Gott,

seit 4 Uhr früh lässt sich das Leitsystem nicht mehr starten, die Anlage bekommt
keine Fertigungsaufträge. Die Nachtschicht haben wir heimgeschickt, die
Frühschicht steht herum. Jede Stunde Stillstand kostet uns einen fünfstelligen
Betrag.

Bitte um sofortigen Rückruf.
Ing. Huber
""")
mail("z-fr-p0-appels-bloques", "P0", "call centre phones dead for everyone", "plain", "supervision@assistance-plus.example",
     "Téléphonie inutilisable", """
Bonjour,

depuis 7h45 nos 140 téléconseillers n'ont plus aucune tonalité : les appels
entrants tombent directement sur un message d'erreur. C'est notre seul canal
pour les assistés en panne sur la route.

Merci d'intervenir immédiatement.
""")
mail("z-en-p0-partner-escalation", "P0", "partner escalates: end customer's shop offline", "plain", "escalations@nordic-msp.example",
     "ESCALATION - customer Hilltop Retail fully offline", """
Hello,

we are the managed service partner for Hilltop Retail. Their storefront on your
platform has served only error pages since 13:10 CET for every visitor, and
their admin backend times out as well. Hilltop has no other sales channel.

Our own checks (DNS, CDN, certificates) are green. Please engage your on-call
team now; Hilltop's CEO is on the phone with us.

Regards,
Nordic MSP - Escalation Desk
""")
mail("z-en-p0-wiped-tenant", "P0", "tenant reset wiped all records", "plain", "admin@fernway-clinic.example",
     "Our tenant was reset", """
Hi,

this morning our tenant looks like a brand-new installation: no patients, no
appointments, no users except the default admin. Yesterday evening everything
was there. Nobody here ran any reset. We cannot see a single record from the
last five years.
""")
mail("z-de-p0-api-mixed", "P0", "mixed German/English: API down for all partners", "plain", "platform@logi-connect.example",
     "API komplett weg / API completely gone", """
Hallo zusammen,

seit 11:20 liefert die Partner-API nur noch Connection reset. Alle 60 Partner
sind betroffen, keine einzige Sendungsanmeldung geht durch.

Hi all, since 11:20 your partner API resets every connection. All 60 partners
are affected, not one shipment booking goes through.

Danke / thanks,
Ops
""")

# ---------------------------------------------------------------- P1
mail("z-en-p1-half-stores-prices", "P1", "price updates stopped for half the stores", "plain", "pricing@greenbasket.example",
     "Price updates not reaching 40 stores", """
Hi,

price changes made since yesterday noon do not arrive in about 40 of our 80
stores; the shelf labels and the tills there still show last week's prices.
The other stores are fine. Customers are being charged old prices at the
till, which we cannot correct afterwards.

Any quick fix you can suggest? We have not found one.
""")
mail("z-de-p1-fahrerapp", "P1", "driver app login broken for a region", "qp", "dispo@kurier-sued.example",
     "Fahrer-App Region Süd", """
Hallo,

seit dem App-Update heute Morgen kommen unsere Fahrer in der Region Süd (ca. 70
von 200) nicht mehr in die App. Sie fahren jetzt mit ausgedruckten Listen, die
Zustellnachweise fehlen dann aber komplett. Die anderen Regionen sind nicht
betroffen.

Gruß
Disposition
""")
mail("z-fr-p1-ordonnances", "P1", "prescriptions transmission failing for many pharmacies", "plain", "support@reseau-pharma.example",
     "Transmission des ordonnances en échec", """
Bonjour,

depuis hier soir, la télétransmission des ordonnances échoue pour une grande
partie de nos officines (environ 60 %). Les pharmaciens peuvent délivrer les
médicaments mais les dossiers s'accumulent et les remboursements sont bloqués.

Pas de solution de notre côté.
""")
mail("z-en-p1-auth-intermittent", "P1", "intermittent login failures for many users", "plain", "it@harbour-uni.example",
     "Students randomly kicked out", """
Hello,

since the start of term about one in four login attempts fails with a
generic error and students are kicked out mid-exam in the online assessment
tool. Retrying sometimes works, sometimes not. Exams are running all week.
""")
mail("z-de-p1-verdacht-mail", "P1", "suspected mailbox compromise, unclear what was read", "plain", "datenschutz@kanzlei-vogt.example",
     "Verdächtige Weiterleitungsregel", """
Guten Tag,

in zwei Postfächern unserer Kanzlei haben wir heute eine Weiterleitungsregel an
eine fremde Adresse gefunden, die keiner von uns angelegt hat. Ob darüber
Mandantendaten abgeflossen sind, können wir noch nicht sagen.

Wir bitten um Prüfung der Anmeldeprotokolle.
""")
mail("z-en-p1-queue-backlog", "P1", "message queue stuck, backlog growing, partial processing", "plain", "sre@parcelhub.example",
     "Event queue backlog growing fast", """
Hi,

our tracking events are piling up in your ingestion queue: 1.8 million
unprocessed since 02:00, growing by ~50k per minute. Some events trickle
through, so customers see tracking that is hours old. Our support lines are
filling up with "where is my parcel" calls.
""")

# ---------------------------------------------------------------- P2
mail("z-en-p2-sandbox-keys", "P2", "sandbox API keys rejected, integration tests blocked", "plain", "dev@fintrail.example",
     "Sandbox rejects our API keys", """
Hi,

since this morning the sandbox rejects all our API keys with 401, including
newly generated ones. Our CI pipeline runs its integration tests against the
sandbox, so every build is red. Live traffic is unaffected.
""")
mail("z-de-p2-schulungsumgebung", "P2", "training environment broken before a course", "plain", "akademie@pflege-nord.example",
     "Schulungsumgebung", """
Hallo,

in der Schulungsumgebung lassen sich seit dem Wochenende keine Pflegeberichte
mehr speichern. Am Donnerstag kommen 20 neue Mitarbeitende zur Einschulung.
Im Echtbetrieb funktioniert alles.
""")
mail("z-fr-p2-etats-manuels", "P2", "monthly statements broken, rebuilt by hand over two days", "qp", "gestion@syndic-martin.example",
     "Relevés de charges", """
Bonjour,

les relevés de charges trimestriels ne se génèrent plus depuis la mise à jour.
Nos gestionnaires les refont sous Excel copropriété par copropriété, ce qui
leur prend deux jours entiers.
""")
mail("z-en-p2-webhooks-delayed", "P2", "webhooks hours late, polling as costly workaround", "plain", "integrations@bookwise.example",
     "Webhooks arriving hours late", """
Hi,

booking webhooks currently reach us 3-4 hours late. We have switched our
integration to polling your API every minute, which works but has tripled our
hosting bill and forced us to rewrite part of the service.
""")
mail("z-de-p2-abnahme-rechte", "P2", "acceptance system permissions broken for testers", "qp", "qs@stadtverwaltung-linz.example",
     "Abnahmesystem: Berechtigungen", """
Grüß Gott,

im Abnahmesystem sehen alle Tester seit gestern nur noch leere Masken, weil die
Berechtigungen nicht mehr geladen werden. Die Abnahme der Version 3.2 ist
damit unterbrochen. Produktiv ist alles in Ordnung.
""")
mail("z-fr-p2-recette-lente", "P2", "acceptance environment extremely slow", "plain", "projet@mutuelle-cote.example",
     "Recette inexploitable", """
Bonjour,

l'environnement de recette met plus d'une minute à afficher chaque écran depuis
lundi, nos testeurs ne peuvent plus dérouler leurs cas de test dans les délais.
La production n'est pas concernée.
""")

# ---------------------------------------------------------------- P3
mail("z-en-p3-one-printer", "P3", "labels print slightly off on one printer", "plain", "store12@homecraft.example",
     "Labels slightly off", """
Hi,

on the label printer in store 12 the barcodes come out about 2 mm too far to
the left. They still scan fine. Other stores are OK.
""")
mail("z-de-p3-sortierung-kunden", "P3", "customer list sorting ignores umlauts", "plain", "innendienst@haustechnik-ott.example",
     "Sortierung Kundenliste", """
Hallo,

in der Kundenliste werden Namen mit Umlaut (Özdemir, Ärztehaus) ans Ende
sortiert. Wir finden sie über die Suche, also kein Drama.
""")
mail("z-fr-p3-export-colonne", "P3", "export adds an empty column", "plain", "compta@garage-renaud.example",
     "Colonne vide dans l'export", """
Bonjour,

l'export des factures contient depuis peu une colonne vide en trop à la fin.
On la supprime dans Excel, ce n'est pas gênant.
""")
mail("z-en-p3-mobile-landscape", "P3", "mobile layout broken in landscape", "html", "ux@fitzone-gyms.example",
     "Booking page in landscape mode", """
<p>Hi,</p><p>when members rotate their phone to landscape, the class booking page
overlaps the header and the "Book" button is half hidden. Portrait mode works,
and most people use portrait anyway.</p>
""")
mail("z-de-p3-einzelne-rechnung", "P3", "one credit note has a wrong date", "plain", "buchhaltung@moebel-fuchs.example",
     "Datum einer Gutschrift", """
Hallo,

bei der Gutschrift GS-2025-0081 steht das Rechnungsdatum statt des
Gutschriftdatums. Alle anderen Gutschriften passen. Wir haben sie von Hand
korrigiert.
""")
mail("z-en-p3-slow-export-small", "P3", "a rarely used export is slow", "plain", "it@ridgeway-hotels.example",
     "Guest history export slow", """
Hello,

the guest history export now takes about 4 minutes instead of 30 seconds. We
only use it once a month for marketing, so it's not a big issue.
""")

# ---------------------------------------------------------------- P4
mail("z-en-p4-status-page", "P4", "asks whether a status page exists", "plain", "noc@vantage-telecom.example",
     "Status page?", """
Hi,

do you have a public status page or an RSS feed for incidents we could
subscribe to? Our NOC would like to add it to their dashboard.
""")
mail("z-de-p4-dsgvo", "P4", "GDPR data processing agreement request", "plain", "datenschutz@praxis-gruen.example",
     "Auftragsverarbeitungsvertrag", """
Guten Tag,

für unsere Dokumentation benötigen wir Ihren aktuellen
Auftragsverarbeitungsvertrag nach Art. 28 DSGVO sowie die Liste der
Unterauftragsverarbeiter. Können Sie uns diese zusenden?
""")
mail("z-fr-p4-merci-equipe", "P4", "thanks after resolution, no further action", "plain", "direction@hotel-des-pins.example",
     "Merci", """
Bonjour,

un grand merci à toute l'équipe pour la réactivité de samedi soir. Tout
fonctionne parfaitement depuis, aucune action supplémentaire n'est nécessaire
de notre côté.

Cordialement,
La direction
""")
mail("z-en-p4-sla-credit", "P4", "reply requesting SLA credit after outage", "plain", "procurement@oakline.example",
     "RE: Incident INC-4471 - platform unavailable", """
Hi,

following incident INC-4471 on 3 March (platform unavailable for 5 hours), we
would like to claim the service credit under section 7.2 of our agreement.
Please confirm the amount and how it will be applied.
""")
mail("z-de-p4-feature-kalender", "P4", "feature wish for calendar sync", "plain", "orga@tanzschule-berg.example",
     "Wunsch: Kalender-Synchronisation", """
Hallo,

schön wäre es, wenn sich die Kurstermine mit Google Kalender synchronisieren
ließen. Derzeit tragen wir sie doppelt ein, was aber kein großes Problem ist.
""")
mail("z-fr-p4-question-api", "P4", "question about API pagination", "plain", "dev@agence-orbite.example",
     "Pagination de l'API", """
Bonjour,

quelle est la taille de page maximale pour l'endpoint /orders et le curseur
reste-t-il valable si des commandes sont ajoutées entre deux appels ?
""")


def encode_subject(subject):
    from email.header import Header
    try:
        subject.encode("ascii")
        return subject
    except UnicodeEncodeError:
        return Header(subject, "utf-8").encode()


def build(m):
    body = m["body"]
    if m["forwarded"]:
        body += "\n---------- Forwarded message ---------\n" + m["forwarded"] + "\n"
    if m["enc"] == "html":
        msg = MIMEText("<html><body>" + body + "</body></html>", "html", "utf-8")
    elif m["enc"] == "latin1":
        msg = MIMEText(body, "plain", "iso-8859-1")
    elif m["enc"] == "qp":
        msg = MIMEText(body, "plain", "utf-8")
        del msg["Content-Transfer-Encoding"]
        import quopri
        msg.set_payload(quopri.encodestring(body.encode()).decode())
        msg["Content-Transfer-Encoding"] = "quoted-printable"
    elif m["enc"] == "b64":
        msg = MIMEText(body, "plain", "utf-8")  # utf-8 defaults to base64
    else:
        # 8bit UTF-8, written by hand: the email package would re-encode it.
        head = "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\nMIME-Version: 1.0\n"
        head += "Subject: %s\nFrom: %s\nTo: support@vendor.example\nDate: Mon, 03 Nov 2025 09:00:00 +0000\n" % (encode_subject(m["subject"]), m["frm"])
        head += "Message-ID: <%s@extra3.example>\n\n" % m["name"]
        return head.encode() + body.encode()
    msg["Subject"] = encode_subject(m["subject"])
    msg["From"] = m["frm"]
    msg["To"] = "support@vendor.example"
    msg["Date"] = "Mon, 03 Nov 2025 09:00:00 +0000"
    msg["Message-ID"] = "<%s@extra3.example>" % m["name"]
    return msg.as_bytes()


def main():
    with open(os.path.join(HERE, "labels.tsv"), "w") as labels:
        labels.write("# file\tlevel\tnote (labelled from the seed definitions before classifying; see gen_extra3.py)\n")
        for m in MAILS:
            with open(os.path.join(HERE, m["name"] + ".eml"), "wb") as f:
                f.write(build(m))
            labels.write("%s.eml\t%s\t%s\n" % (m["name"], m["level"], m["note"]))


if __name__ == "__main__":
    main()

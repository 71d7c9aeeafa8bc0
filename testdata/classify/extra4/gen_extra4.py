#!/usr/bin/env python3
"""Writes the fourth extra severity corpus (*.eml + labels.tsv) in this folder (issue 12).

Written by the engineer of the factor classifier in other trades (hospitals, schools,
public offices, developers, hotels) and other registers: formal letters, chat-like
notes, numbered timelines, understatement, second-hand reports. Labelled from the level
definitions in ../dev2/README.md before the classifier ran on them; the first-contact score is recorded in README.md. Because the
author also wrote the cue lists, this set is weaker evidence than the dev corpora.
Run: python3 gen_extra4.py
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

# ---------------------------------------------------------------- P0
mail("w-en-p0-ward-rounds", "P0", "hospital: medication records unavailable on all wards", "plain", "clinical.apps@st-aidan-hospital.example",
     "Medication charts unavailable hospital-wide", """
Dear support,

since 02:10 the electronic medication charts cannot be opened on any ward. Nurses
are giving medication from paper back-up sheets that are already 12 hours old.
This is a patient safety issue and has been escalated to our medical director.

Please phone the duty manager on 0161 555 0102 immediately.
""")
mail("w-de-p0-amt-termine", "P0", "public office: appointment system down for the whole city", "qp", "it-service@stadt-musterburg.example",
     "Terminvergabe Bürgerbüro ausgefallen", """
Sehr geehrte Damen und Herren,

die Online-Terminvergabe sämtlicher Bürgerbüros der Stadt ist seit 7:30 Uhr
nicht mehr erreichbar. Bürgerinnen und Bürger können weder Termine buchen noch
bestehende Termine einsehen, an den Schaltern bilden sich lange Schlangen.

Wir bitten um umgehende Bearbeitung.

Mit freundlichen Grüßen
IT-Service der Stadt Musterburg
""")
mail("w-fr-p0-hotel-reservations", "P0", "hotel chain: no booking possible on any channel", "qp", "revenue@hotels-azur.example",
     "Plus aucune réservation possible", """
Bonjour,

depuis la bascule de cette nuit, plus aucune réservation n'est possible, ni sur
notre site ni via les agences en ligne : toutes les tentatives finissent en
erreur. Nous sommes en pleine haute saison et chaque heure nous coûte des
dizaines de réservations.
""")
mail("w-en-p0-timeline", "P0", "numbered timeline: checkout API dead", "plain", "oncall@shopfloor-labs.example",
     "INCIDENT: checkout API", """
Timeline (UTC):
1. 16:02 deploy of your gateway config 4.7
2. 16:04 checkout success rate drops to 0 %
3. 16:10 we roll back our frontend - no change
4. 16:25 still 0 %, every checkout returns 502

Impact: no customer has been able to pay for 25 minutes and counting.
""")
mail("w-de-p0-daten-ueberschrieben", "P0", "sync overwrote customer master data", "plain", "stammdaten@grosshandel-kern.example",
     "Kundenstamm überschrieben", """
Hallo,

der nächtliche Abgleich hat heute Nacht bei rund 12.000 Kunden die Adressen und
Konditionen mit leeren Werten überschrieben. Im Produktivsystem sind die Daten
weg, unser letztes Backup ist vom Vortag und würde einen Tag Aufträge kosten.
""")
mail("w-en-p0-understatement", "P0", "understatement: 'a bit of a problem' but nobody can work", "plain", "office@tiny-agency.example",
     "A bit of a problem here", """
Hi both,

we seem to have a bit of a problem: since this morning none of us can get into
the system at all, it just says "tenant suspended". That's the whole team of
35, so we're basically sitting here drinking coffee. Could someone have a look?

Ta,
Jo
""")

# ---------------------------------------------------------------- P1
mail("w-en-p1-school-grades", "P1", "school: grade entry broken days before report cards", "plain", "it@riverside-academy.example",
     "Teachers cannot enter grades", """
Hello,

since Monday about half of our teachers get an error when saving grades in the
markbook; the other half can save. Report cards must be printed on Friday and
there is no other way to enter grades.
""")
mail("w-de-p1-pflegedoku-langsam", "P1", "care documentation extremely slow in production", "qp", "edv@seniorenheim-linde.example",
     "Pflegedokumentation extrem langsam", """
Guten Tag,

seit dem Update braucht das Speichern eines Pflegeberichts im Echtbetrieb bis
zu zwei Minuten. Die Pflegekräfte dokumentieren nur noch das Nötigste und
schreiben den Rest auf Zettel. Eine Lösung haben wir nicht gefunden.
""")
mail("w-fr-p1-paiement-partiel", "P1", "card payments failing for a third of customers", "plain", "ecommerce@librairie-vent.example",
     "Paiements refusés pour une partie des clients", """
Bonjour,

depuis ce matin environ un tiers des paiements par carte sur notre boutique sont
refusés avec un message « transaction non autorisée ». Les autres passent. Les
clients concernés abandonnent leur panier.
""")
mail("w-en-p1-dev-ci", "P1", "developer tool: all production deploys blocked", "plain", "platform@buildright.example",
     "Production deployments failing", """
Hi,

every production deployment through your pipeline fails since 09:00 with
"artifact signature invalid". Our running services are fine, but we cannot ship
any fix to production, including a security patch we need out today.
""")
mail("w-de-p1-second-hand", "P1", "second-hand report: many users lose changes", "plain", "helpdesk@versorgung-rhein.example",
     "Meldung aus den Fachbereichen", """
Hallo,

aus mehreren Fachbereichen wird uns gemeldet, dass Änderungen an Verträgen
beim Speichern teilweise verloren gehen - betroffen sind nach erster Zählung
rund 30 Kolleginnen und Kollegen. Die Verträge selbst bleiben erhalten, nur die
letzten Eingaben fehlen. Das kostet viel Zeit und Nerven.
""")
mail("w-fr-p1-acces-suspect", "P1", "suspected unauthorised access to an API key", "plain", "securite@energie-plus.example",
     "Clé API potentiellement compromise", """
Bonjour,

une de nos clés API a été publiée par erreur dans un dépôt public pendant deux
heures. Nous l'avons révoquée, mais nous ne savons pas si elle a été utilisée.
Pouvez-vous vérifier les appels effectués avec cette clé ?
""")

# ---------------------------------------------------------------- P2
mail("w-en-p2-staging-data", "P2", "staging refresh failed, test data missing", "plain", "qa@medsys-labs.example",
     "Staging refresh incomplete", """
Hi,

last night's refresh of our staging environment from production stopped halfway:
about 40 % of the tables are empty on staging. Testing of the April release is on
hold until this is sorted. Production is untouched.
""")
mail("w-de-p2-berichte-umweg", "P2", "reports only via a slow detour", "qp", "controlling@spedition-berger.example",
     "Monatsberichte nur über Umweg", """
Hallo,

die Monatsberichte lassen sich im Portal nicht mehr erzeugen. Über den
Rohdatenexport und eine eigene Auswertung bekommen wir die Zahlen zwar, das
dauert für unser Controlling aber jedes Mal einen halben Tag.
""")
mail("w-fr-p2-formation-env", "P2", "training environment users cannot log in", "plain", "formation@hopital-ouest.example",
     "Environnement de formation", """
Bonjour,

les stagiaires ne parviennent plus à se connecter à l'environnement de
formation depuis mardi. La prochaine session commence lundi avec 15 soignants.
L'environnement de production n'est pas concerné.
""")
mail("w-en-p2-email-bounces", "P2", "invoice e-mails bounce, sent manually", "plain", "billing@greenline-water.example",
     "Invoice e-mails bouncing", """
Hello,

since Tuesday the invoice e-mails your system sends to our customers bounce
for all Gmail addresses. Our billing team downloads those invoices and sends
them manually, which takes them most of the morning each day.
""")
mail("w-de-p2-testsystem-import", "P2", "test system import crashes", "plain", "projekt@versicherung-nord.example",
     "Testsystem: Import stürzt ab", """
Hallo,

auf dem Testsystem stürzt der Vertragsimport seit dem letzten Patch bei jeder
Datei ab. Wir können die Migration für den Go-Live im Mai nicht weiter testen.
""")
mail("w-fr-p2-synchro-manuelle", "P2", "stock sync broken, stock keyed by hand daily", "latin1", "logistique@cave-dupuis.example",
     "Synchronisation des stocks", """
Bonjour,

la synchronisation des stocks entre l'entrepôt et la boutique ne fonctionne plus
depuis vendredi. Nous mettons à jour les quantités à la main chaque soir, ce
qui prend deux heures à notre magasinier.
""")

# ---------------------------------------------------------------- P3
mail("w-en-p3-avatar", "P3", "profile pictures not shown for some users", "plain", "intranet@coastal-council.example",
     "Profile pictures missing", """
Hi,

for a few staff the profile picture shows a grey placeholder instead of their
photo. It doesn't stop anyone from working, it's just odd.
""")
mail("w-de-p3-ein-kollege-drucken", "P3", "one colleague cannot print labels, prints from another PC", "plain", "lager@werkzeug-hahn.example",
     "Etikettendruck bei einem Kollegen", """
Hallo,

ein Kollege im Lager kann seit gestern keine Versandetiketten drucken, bei allen
anderen geht es. Er druckt vorerst am Nachbar-PC.
""")
mail("w-fr-p3-libelle", "P3", "wrong label on a report column", "plain", "rh@groupe-sapin.example",
     "Libellé erroné", """
Bonjour,

dans le rapport des absences, la colonne « Congés » s'intitule « Conges » (sans
accent). Rien de grave, mais nos managers l'ont remarqué.
""")
mail("w-en-p3-csv-order", "P3", "CSV columns in a different order since update", "plain", "data@northlake-univ.example",
     "CSV column order changed", """
Hello,

since the update the enrolment CSV export puts the columns in a different order.
We adjusted our import macro, so it's fine now, but please keep it stable in
future.
""")
mail("w-de-p3-kalender-woche", "P3", "calendar week starts on Sunday", "plain", "sekretariat@schule-am-see.example",
     "Kalenderwoche", """
Hallo,

der Kalender im Lehrerportal beginnt die Woche am Sonntag statt am Montag. Das
ist etwas verwirrend, aber man gewöhnt sich daran.
""")
mail("w-fr-p3-notif-doublon", "P3", "notifications sent twice to one user", "plain", "secretariat@cabinet-roux.example",
     "Notifications en double", """
Bonjour,

une de nos secrétaires reçoit chaque notification de rendez-vous en double
depuis lundi. Les autres collègues non. Ce n'est pas bloquant.
""")

# ---------------------------------------------------------------- P4
mail("w-en-p4-accessibility", "P4", "asks about accessibility conformance", "plain", "procurement@county-library.example",
     "Accessibility statement", """
Hello,

for our procurement file we need your accessibility conformance report (WCAG 2.1
AA). Could you send it or point us to where it is published?
""")
mail("w-de-p4-rechnungsadresse", "P4", "change billing address", "plain", "buchhaltung@dental-weber.example",
     "Neue Rechnungsanschrift", """
Guten Tag,

ab 1. Januar lautet unsere Rechnungsanschrift: Dental Weber GmbH, Bahnhofstr. 5,
80331 München. Bitte passen Sie Ihre Stammdaten entsprechend an.
""")
mail("w-fr-p4-webinaire", "P4", "asks about webinar recording", "plain", "marketing@maison-claire.example",
     "Enregistrement du webinaire", """
Bonjour,

le webinaire de jeudi sur les nouveautés de la version 9 sera-t-il enregistré ?
Deux collègues ne pourront pas y assister.
""")
mail("w-en-p4-closing-thanks", "P4", "confirms fix, closes", "plain", "ops@lighthouse-logistics.example",
     "Re: [Ticket#5521] label printing", """
All good on our side now after the driver update - labels are printing again in
all depots. Please go ahead and close the ticket. Thanks for the help!
""")
mail("w-de-p4-rca-nachfrage", "P4", "asks for the incident report after an outage", "plain", "it-leitung@klinik-sued.example",
     "AW: Störung Patientenportal 02.04.", """
Guten Tag,

nachdem das Portal seit Mittwoch wieder stabil läuft, bitten wir um den
abschließenden Störungsbericht mit Ursache und Maßnahmen für unsere
Dokumentation.
""")
mail("w-fr-p4-doc-api", "P4", "API documentation example wrong", "plain", "dev@atelier-numerique.example",
     "Exemple erroné dans la documentation", """
Bonjour,

dans la documentation de l'API, l'exemple de création de client utilise le
champ « mail » alors que l'API attend « email ». Le reste est clair, merci.
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
        head += "Message-ID: <%s@extra4.example>\n\n" % m["name"]
        return head.encode() + body.encode()
    msg["Subject"] = encode_subject(m["subject"])
    msg["From"] = m["frm"]
    msg["To"] = "support@vendor.example"
    msg["Date"] = "Mon, 03 Nov 2025 09:00:00 +0000"
    msg["Message-ID"] = "<%s@extra4.example>" % m["name"]
    return msg.as_bytes()


def main():
    with open(os.path.join(HERE, "labels.tsv"), "w") as labels:
        labels.write("# file\tlevel\tnote (labelled from the seed definitions before classifying; see gen_extra4.py)\n")
        for m in MAILS:
            with open(os.path.join(HERE, m["name"] + ".eml"), "wb") as f:
                f.write(build(m))
            labels.write("%s.eml\t%s\t%s\n" % (m["name"], m["level"], m["note"]))


if __name__ == "__main__":
    main()

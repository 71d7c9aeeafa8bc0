#!/usr/bin/env python3
"""Writes the second extra severity corpus (*.eml + labels.tsv) in this folder (issue 12).

Written by the engineer of the factor classifier after dev2 arrived, imitating dev2's
longer, nuanced mails with context sentences (what was checked, what still works,
deadlines), and labelled from the level definitions in ../dev2/README.md before the
classifier ran on them; the first-contact score is recorded in README.md. Because the
author also wrote the cue lists, this set is weaker evidence than the dev corpora.
Run: python3 gen_extra2.py
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
mail("y-en-p0-sso-everyone", "P0", "SSO change locks out every user in production", "plain", "it.ops@harlow-group.example",
     "Nobody can sign in since the SSO certificate rollover", """
Hi,

this morning at 06:00 your platform rolled over the SAML signing certificate
(we got the notice last week). Since then every sign-in attempt on our
production tenant ends on "Invalid response signature" - nobody at Harlow can
get in, including our admins, so we cannot even switch to local accounts.

We checked our IdP metadata twice and re-imported it, no change. About 1,100
staff are affected and our service desk is at a standstill.

Please call me on +44 161 496 0000.

Mike Dawson
Head of IT Operations
""")
mail("y-en-p0-maintenance-page", "P0", "shop shows maintenance page to all visitors after update", "qp", "ecom@peak-outdoor.example",
     "Shop stuck on maintenance page after your update", """
Hello,

after the 4.12 update you pushed at 03:00, our live shop shows the
"We'll be back soon" maintenance page to every visitor. The admin panel says
maintenance mode is off. Nobody can browse or buy; we have had zero orders
since 03:00 and this is our busiest weekend of the season.

We cleared all caches on our side and restarted the CDN, nothing changed.

Regards,
Laura Finch
E-commerce Manager
""")
mail("y-de-p0-portal-down", "P0", "customer portal down for all, no orders possible", "qp", "leitstand@stadtwerke-ried.example",
     "Kundenportal seit 10 Uhr down", """
Guten Tag,

seit ca. 10:05 Uhr ist unser Kundenportal für alle Kunden nicht mehr
erreichbar (HTTP 503). Damit sind weder Zählerstandsmeldungen noch
Tarifwechsel oder Bestellungen möglich. Unsere Hotline wird gerade überrannt.

Auf unserer Seite wurde nichts geändert, die Firewall-Logs zeigen die
Anfragen sauber an Ihre Plattform durchgereicht.

Mit freundlichen Grüßen
Kerstin Albrecht
Leitstand IT
""")
mail("y-fr-p0-commandes-disparues", "P0", "weekend orders vanished from production", "b64", "support-si@maison-bertin.example",
     "Commandes du week-end introuvables", """
Bonjour,

depuis la maintenance de dimanche soir, toutes les commandes passées entre
samedi 8h et dimanche 20h ont disparu de notre back-office de production,
environ 2 300 commandes. Elles ne sont ni dans les listes ni dans les exports,
et notre prestataire confirme que les lignes ne sont plus en base.

Nous ne pouvons ni préparer ni facturer ces commandes. Merci de nous dire en
urgence si une restauration est possible.

Cordialement,
Paul Bertin
""")
mail("y-en-p0-other-customers-data", "P0", "customers see other customers' invoices: data exposed", "plain", "dpo@clearwater-energy.example",
     "Customers can see other customers' invoices", """
Hello,

since this morning several of our customers have reported that, when they open
"My invoices" in the customer portal, they see invoices of other customers,
including names, addresses and bank details. We verified it ourselves with two
test accounts: the data of other customers is shown.

We have taken the portal offline as a precaution. This is a personal data
breach and we will have to notify the regulator within 72 hours.

Regards,
Sarah Quinn
Data Protection Officer
""")
mail("y-de-p0-ransomware", "P0", "ransomware encrypted the production application server", "qp", "it-sicherheit@holzbau-fink.example",
     "Ransomware auf Applikationsserver", """
Hallo,

heute Nacht wurde unser Applikationsserver für Ihre Software von Ransomware
verschlüsselt. Die Angreifer haben eine Lösegeldforderung hinterlassen. Die
Anwendung ist komplett ausgefallen, die Datenbank liegt auf demselben Server.

Wir haben den Server isoliert und die Polizei informiert. Wir brauchen
dringend Unterstützung beim Wiederaufbau aus dem Backup.

Gruß
Robert Fink
""")
mail("y-en-p0-payroll-rejected", "P0", "all payroll payments rejected by the bank, salaries due", "plain", "payroll@northbank-care.example",
     "Payroll file rejected - salaries due tomorrow", """
Hi,

the payroll payment file generated by your system this morning was rejected
by our bank in full: all 3,412 salary payments bounced with "invalid
creditor identifier". Salaries are due tomorrow and nothing has been paid.

We regenerated the file twice with the same result. We have no other way of
paying staff.

Thanks,
Grace Holt
Payroll Manager
""")
mail("y-fr-p0-caisses", "P0", "all tills down in every store", "latin1", "exploitation@supermarches-levant.example",
     "Caisses bloquées dans tous les magasins", """
Bonjour,

depuis 8h30 aucune caisse ne peut encaisser dans nos 14 magasins : l'écran
reste figé sur "connexion au serveur". Les clients repartent sans payer leurs
courses. Nous avons redémarré plusieurs caisses, sans effet.

Rappelez-nous au plus vite svp.

Thierry Levant
""")

# ---------------------------------------------------------------- P1
mail("y-en-p1-one-warehouse-labels", "P1", "one of three warehouses cannot print shipping labels", "plain", "logistics@brightwave.example",
     "Shipping labels not printing in Leeds warehouse", """
Hi team,

since the carrier update yesterday, our Leeds warehouse can no longer print
shipping labels - the print job is accepted but nothing comes out, and the
label preview is blank. Our two other warehouses print normally.

Leeds ships about a third of our parcels, so roughly 900 orders a day are
piling up there. We have not found a way around it.

Regards,
Dev Patel
Logistics Systems
""")
mail("y-en-p1-search-slow", "P1", "production search takes 30+ s for everyone, no workaround", "qp", "apps@greystone-law.example",
     "Search in production unusably slow", """
Hello,

since Tuesday the full-text search in production takes 30 to 60 seconds per
query for all of our lawyers, when it used to take under a second. Our fee
earners use it constantly, so their work has slowed to a crawl. Everything
else in the application is fine.

We are not aware of any workaround - there is no other way to find
documents. Please treat this with priority.

Kind regards,
Martin Greystone
""")
mail("y-de-p1-modul-zeiterfassung", "P1", "time tracking module unavailable, rest works", "plain", "it@elektro-bauer.example",
     "Modul Zeiterfassung nicht verfügbar", """
Guten Morgen,

seit heute früh ist das Modul Zeiterfassung in der Produktivumgebung nicht
verfügbar: beim Aufruf kommt "Service unavailable". Alle anderen Module
laufen normal. Unsere 250 Monteure können ihre Stunden nicht erfassen, und
die Lohnabrechnung ist nächste Woche.

Einen Workaround haben wir nicht.

Viele Grüße
Sandra Bauer
""")
mail("y-fr-p1-module-facturation", "P1", "billing module stopped responding, rest of the app works", "plain", "dsi@transports-morel.example",
     "Module de facturation hors service", """
Bonjour,

depuis ce matin le module de facturation ne répond plus en production : la
page tourne puis expire. Le reste de l'application fonctionne (planning,
suivi des tournées). Nous ne pouvons donc émettre aucune facture, alors que
c'est la clôture du mois vendredi.

Nous n'avons pas de solution de contournement.

Cordialement,
Anne Morel
""")
mail("y-en-p1-api-429", "P1", "40% of API calls rejected with 429 in production", "plain", "platform@tidewater-apps.example",
     "API returning 429 for 40% of our calls", """
Hi,

since 11:00 UTC about 40% of our production API calls get "429 Too Many
Requests", although our volume is the same as every day and far below our
contracted limit. Our mobile app users see failed refreshes and some orders
do not go through. The rest of the calls work.

Could you check the rate limiter configuration for our account?

Thanks,
Owen
""")
mail("y-en-p1-credential-stuffing", "P1", "suspected credential stuffing against customer accounts", "plain", "secops@finchley-bank.example",
     "Possible credential stuffing on customer logins", """
Hello,

our monitoring shows around 40,000 failed login attempts on customer accounts
in the last two hours from rotating IP addresses, and 12 successful logins
that the customers say were not them. We suspect a credential stuffing attack.
We have forced a password reset for those 12 accounts.

We do not yet know whether any data was accessed. Please help us with the
access logs and consider enabling stricter rate limiting.

Regards,
Security Operations
""")
mail("y-de-p1-export-finanzamt", "P1", "tax export fails for everyone before the deadline", "qp", "buchhaltung@kanzlei-roth.example",
     "DATEV-Export schlägt fehl, Frist Freitag", """
Hallo,

der DATEV-Export für die Umsatzsteuer-Voranmeldung bricht seit gestern bei
allen Mandanten mit einem Fehler ab ("Schema validation failed"). Die Frist
beim Finanzamt ist Freitag. Ohne den Export können wir die Meldungen nicht
abgeben, eine manuelle Erfassung ist bei 180 Mandanten nicht machbar.

Mit freundlichen Grüßen
Daniela Roth
""")
mail("y-fr-p1-lenteurs-prod", "P1", "production app very slow for all agents, working but hampered", "qp", "support@mutuelle-atlantique.example",
     "Lenteurs importantes en production", """
Bonjour,

depuis lundi l'application est très lente en production pour l'ensemble de
nos conseillers : l'ouverture d'un dossier prend plus de 40 secondes et les
enregistrements échouent parfois au premier essai. Les conseillers continuent
à travailler mais les temps d'attente au téléphone explosent.

Aucun contournement trouvé de notre côté.

Bien cordialement,
Hélène Dumas
""")

# ---------------------------------------------------------------- P2
mail("y-en-p2-preprod-broken", "P2", "pre-production broken after upgrade, release blocked", "plain", "release@kingsway-media.example",
     "Pre-prod broken after 9.4 upgrade", """
Hi,

we upgraded our pre-production environment to 9.4 yesterday and since then the
content editor fails to save any article ("500 Internal Server Error").
Production is still on 9.3 and works fine. Our release to production is
planned for next Wednesday and we cannot complete our acceptance tests.
""")
mail("y-en-p2-reports-manual", "P2", "production report generation fails, compiled by hand for hours", "plain", "finance.systems@larch-hotels.example",
     "Monthly occupancy report fails", """
Hello,

the monthly occupancy report fails in production with "query timeout" since
the last update. We are compiling the figures by hand from the daily reports
instead, which takes our analyst about three hours each time. Everything else
works.

Thanks,
Priya
""")
mail("y-de-p2-testsystem-schnittstellen", "P2", "interfaces down on the test system, production fine", "plain", "qs@versicherung-brandt.example",
     "Testsystem: Schnittstellen ohne Funktion", """
Hallo,

auf unserem Testsystem funktionieren seit dem Einspielen des Patches 7.2.3
sämtliche Schnittstellen nicht mehr (Partner, Inkasso, DMS). Die Produktion
läuft noch mit 7.2.2 und ist nicht betroffen. Unser Regressionstest für das
Quartalsrelease steht damit still.

Gruß
Jan Brandt
""")
mail("y-fr-p2-export-compta-manuel", "P2", "accounting export fails in production, a day of manual entry a month", "qp", "compta@cooperative-vigne.example",
     "Export comptable en échec", """
Bonjour,

en production, l'export comptable mensuel échoue depuis la version 5.8. En
attendant, notre comptable ressaisit les écritures à la main dans le logiciel
de comptabilité, ce qui lui prend une bonne journée chaque mois.

Merci de regarder quand vous pourrez.

Cordialement,
Luc Martin
""")
mail("y-en-p2-training-env", "P2", "training environment inaccessible before courses", "plain", "academy@sterling-care.example",
     "Training environment not reachable", """
Hi,

our training environment (training.sterling-care.example) has not been
reachable since Friday - the login page times out. We run onboarding courses
for new carers there every Monday. The live system is not affected.
""")
mail("y-de-p2-import-aufwendig", "P2", "production import broken, manual splitting costs hours", "latin1", "edv@moebelhaus-weiss.example",
     "Artikelimport bricht ab", """
Guten Tag,

der Artikelimport im Produktivsystem bricht bei Dateien über 20 MB ab. Wir
teilen die Lieferantendateien derzeit von Hand auf, das kostet uns pro Woche
rund vier Stunden und ist fehleranfällig.

Freundliche Grüße
Michael Weiß
""")
mail("y-fr-p2-uat-connexions", "P2", "UAT rejects all connections, tests blocked", "plain", "projet@banque-hermine.example",
     "UAT inaccessible", """
Bonjour,

notre environnement UAT refuse toutes les connexions depuis le changement de
certificat de lundi. Nos testeurs métier sont bloqués et la recette de la
version 12 prend du retard. La production n'est pas concernée.

Cordialement,
Équipe projet
""")
mail("y-en-p2-sync-manual", "P2", "CRM sync stopped in production, manual re-entry daily", "plain", "salesops@quarrytech.example",
     "CRM contact sync stopped", """
Hello,

the nightly contact sync between your platform and our CRM has stopped in
production since Monday. Our sales assistants now copy new contacts over
manually, which takes them about two hours every morning.

Best,
Hannah
""")

# ---------------------------------------------------------------- P3
mail("y-en-p3-single-signature", "P3", "one user's e-mail signature missing", "plain", "office@brook-dental.example",
     "Signature missing for one user", """
Hi,

one of our receptionists, Amy, no longer has her signature added to outgoing
e-mails from the system since last week. Everyone else's signature works. She
is adding it by hand for now, which is fine.

Thanks,
Joanne
""")
mail("y-de-p3-einzelner-auftrag", "P3", "one order shows wrong delivery address", "qp", "vertrieb@gartenbau-lenz.example",
     "Falsche Lieferadresse bei einem Auftrag", """
Hallo,

bei einem einzelnen Auftrag (A-2025-10077) wird in der Übersicht die alte
Lieferadresse des Kunden angezeigt, obwohl im Kundenstamm die neue hinterlegt
ist. Auf dem Lieferschein steht die richtige Adresse. Alle anderen Aufträge
sind korrekt.

Gruß
Tim Lenz
""")
mail("y-fr-p3-arrondi-facture", "P3", "one invoice shows a rounding difference", "plain", "compta@atelier-sud.example",
     "Arrondi sur une facture", """
Bonjour,

une seule facture (F-10442) affiche un arrondi erroné de 0,01 EUR sur la TVA.
Les autres factures sont justes. Ce n'est pas bloquant, nous avons corrigé à
la main.

Cordialement,
Sophie
""")
mail("y-en-p3-tooltip", "P3", "tooltip text truncated", "html", "ux@northstar-events.example",
     "Tooltip text cut off", """
<p>Hi,</p>
<p>on the event settings page, the help tooltip for "Capacity" is cut off after
about 40 characters, so you can't read the whole explanation. Cosmetic, but
our new staff rely on those tooltips.</p>
<p>Cheers,<br>Ben</p>
""")
mail("y-en-p3-filter-reset", "P3", "filter resets after navigating back, annoying", "plain", "ops@harbourview-fm.example",
     "Filters reset when going back", """
Hello,

when we filter the work order list (e.g. by building) and open an order, the
filter is reset when we go back to the list. It's annoying with long lists
but we can live with it - we just set the filter again.

Regards,
Colin
""")
mail("y-de-p3-pdf-schrift", "P3", "wrong font in PDF quotes", "plain", "marketing@druckerei-stein.example",
     "Falsche Schriftart im Angebots-PDF", """
Hallo,

in den Angebots-PDFs wird seit dem Update statt unserer Hausschrift Arial
verwendet. Inhaltlich ist alles korrekt, es sieht nur nicht schön aus.

Grüße
Petra Stein
""")
mail("y-fr-p3-notification-retard", "P3", "notifications arrive late, minor", "plain", "agence@immo-riviera.example",
     "Notifications en retard", """
Bonjour,

les notifications de nouveaux messages arrivent avec environ 15 minutes de
retard depuis quelques jours. Ce n'est pas très grave, nos agents consultent
de toute façon la messagerie régulièrement.

Merci,
Julie
""")
mail("y-en-p3-export-date-format", "P3", "CSV export uses US date format, Excel workaround", "plain", "data@pinewood-school.example",
     "Date format in CSV export", """
Hi,

the CSV export of attendance records writes dates as MM/DD/YYYY although our
locale is en-GB. We convert them in Excel, so it's only a small annoyance.
""")

# ---------------------------------------------------------------- P4
mail("y-en-p4-maintenance-window", "P4", "question about next maintenance window", "plain", "it@westfield-clinic.example",
     "Next maintenance window?", """
Hello,

could you let us know when the next maintenance window is scheduled and how
long the platform will be unavailable? We need to inform our clinics in
advance.

Thank you,
Rachel
""")
mail("y-de-p4-benutzer-anlegen", "P4", "request to create a user", "plain", "personal@autohaus-kern.example",
     "Neuer Benutzer", """
Guten Tag,

bitte legen Sie für unseren neuen Kollegen Herrn Lukas Kern einen Benutzer mit
den Rechten "Verkauf" an. Er beginnt am 1. Dezember.

Danke und Gruß
Autohaus Kern
""")
mail("y-fr-p4-merci-resolu", "P4", "thanks, resolved, close", "plain", "contact@boulangerie-fournil.example",
     "RE: Imprimante tickets", """
Bonjour,

merci beaucoup pour votre aide, depuis la mise à jour l'imprimante de tickets
fonctionne de nouveau. Vous pouvez clôturer la demande.

Bonne journée,
Nathalie
""")
mail("y-en-p4-rca-request", "P4", "reply asking for RCA after an outage", "plain", "cto@lumio-health.example",
     "Re: [P0] Platform outage 14 Nov", """
Hi,

thanks for the quick recovery last Thursday. As agreed on the call, could you
please send us the root cause analysis and the list of preventive measures by
the end of next week? Our board meets on the 28th.

Regards,
Tom Reyes
CTO
""")
mail("y-de-p4-rechnung-frage", "P4", "question about an invoice", "qp", "einkauf@baustoffe-hahn.example",
     "Frage zu Ihrer Rechnung 2025-3321", """
Guten Tag,

auf Ihrer Rechnung 2025-3321 sind 45 Lizenzen berechnet, wir haben laut
Vertrag aber nur 40. Können Sie das bitte prüfen und uns gegebenenfalls eine
korrigierte Rechnung senden?

Mit freundlichen Grüßen
Einkauf
""")
mail("y-fr-p4-formation", "P4", "training dates request", "plain", "rh@groupe-caravelle.example",
     "Dates de formation", """
Bonjour,

merci de nous communiquer les prochaines dates de formation pour les
administrateurs, nous avons trois nouvelles personnes à former en janvier.

Cordialement,
Service RH
""")
mail("y-en-p4-api-question", "P4", "how-to question on webhooks", "plain", "dev@kite-studio.example",
     "Webhook retries", """
Hi there,

quick question: if our webhook endpoint is down for a few minutes, do you
retry the events, and if so how often and for how long? I couldn't find it in
the docs.

Thanks!
Mia
""")
mail("y-en-p4-feature-sso-groups", "P4", "feature wish: map SSO groups", "plain", "it@orchard-schools.example",
     "Feature request: group mapping", """
Hello,

it would be great if SSO groups could be mapped to roles automatically. Today
we assign roles by hand when a teacher joins, which works but is a bit
tedious at the start of each term. Is this on your roadmap?

Kind regards,
David
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
        head += "Message-ID: <%s@extra2.example>\n\n" % m["name"]
        return head.encode() + body.encode()
    msg["Subject"] = encode_subject(m["subject"])
    msg["From"] = m["frm"]
    msg["To"] = "support@vendor.example"
    msg["Date"] = "Mon, 03 Nov 2025 09:00:00 +0000"
    msg["Message-ID"] = "<%s@extra2.example>" % m["name"]
    return msg.as_bytes()


def main():
    with open(os.path.join(HERE, "labels.tsv"), "w") as labels:
        labels.write("# file\tlevel\tnote (labelled from the seed definitions before classifying; see gen_extra2.py)\n")
        for m in MAILS:
            with open(os.path.join(HERE, m["name"] + ".eml"), "wb") as f:
                f.write(build(m))
            labels.write("%s.eml\t%s\t%s\n" % (m["name"], m["level"], m["note"]))


if __name__ == "__main__":
    main()

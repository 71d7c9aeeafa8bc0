#!/usr/bin/env python3
"""Writes the labelled severity corpus (*.eml + labels.tsv) in this folder.

The .eml files are the test data; this script only documents how they were
made (encodings, attachments, quoted history) and can regenerate them.
Run: python3 gen_corpus.py
"""
import base64, email.charset, os
from email.mime.text import MIMEText
from email.mime.multipart import MIMEMultipart
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.utils import format_datetime, formataddr
from email.header import Header
import datetime, html

HERE = os.path.dirname(os.path.abspath(__file__))
PNG = base64.b64decode(b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

# name, level, note, encoding, from, subject, body, extra headers
# encodings: plain8 (utf-8 8bit), qp (utf-8 quoted-printable), b64 (utf-8 base64),
# latin1 (iso-8859-1 quoted-printable), html (HTML only), alt (text+html),
# attach (multipart/mixed with an attachment)
MAILS = []
def mail(name, level, note, enc, frm, subject, body, headers=None, attach=None):
    MAILS.append(dict(name=name, level=level, note=note, enc=enc, frm=frm, subject=subject,
                      body=body.strip("\n") + "\n", headers=headers or {}, attach=attach))

# ------------------------------------------------------------------ English
mail("en-p0-shop-checkout-dead", "P0", "shop stopped taking orders", "qp", "Tom Baker <tom.baker@fernhill-outdoor.co.uk>",
"Checkout completely dead - all orders failing", """
Hi team,

since about 07:40 our web shop has stopped taking orders. Every checkout attempt
ends with a 503 coming from your payment service, and our monitoring shows the
API endpoint as unreachable from all three of our data centres.

This is our live store on a Saturday morning, so we are losing revenue by the
minute. We restarted our own front-end nodes twice, no change.

Please call me on +44 7700 900123 as soon as someone picks this up.

Tom
--
Tom Baker | E-commerce Operations | Fernhill Outdoor Ltd
""")

mail("en-p0-data-loss-upgrade", "P0", "data loss in production DB", "attach", "Priya Nair <priya.nair@kestrel-logistics.com>",
"Ticket history missing after upgrade to 5.4.2", """
Hello,

after applying 5.4.2 to our production instance last night, all ticket history
between 10 and 12 March is gone. The rows are simply not in the database any
more and the audit trail shows a cleanup job deleting them at 02:13. We are
looking at real data loss here, including customer correspondence we are
legally required to keep.

We have stopped all further jobs. I have attached the upgrade log. Please tell
us how to recover the deleted records.

Regards,
Priya Nair
Kestrel Logistics - IT Service Desk
""", attach=("upgrade-5.4.2.log", "text/plain", b"02:13:07 cleanup: purged 18342 rows from ticket_history\n02:13:09 cleanup: done\n"))

mail("en-p0-plant-standstill", "P0", "production line halted, HTML only", "html", "Grace Okafor <g.okafor@brightwater-foods.com>",
"MES connector stopped - production halted", """
Our entire plant floor is at a standstill.

The MES connector stopped syncing work orders at 05:10 and the lines cannot start without them. Production is halted across both shifts, about 120 people are waiting.

We already checked the network and the database on our side; everything else is fine. Please escalate.

Grace Okafor
Plant IT Lead, Brightwater Foods
""")

mail("en-p0-nobody-can-log-in", "P0", "follow-up, nobody can work; quoted history", "plain8", "Mark Feldman <mfeldman@northgate-insurance.com>",
"Re: Console login slow", """
Following up on my mail from this morning: it got a lot worse. None of our 400
agents can log into the console any more; the login page spins and then times
out. Nobody can work and the phone queue is piling up.

Mark

On Tue, 4 Mar 2025 at 08:12, Mark Feldman <mfeldman@northgate-insurance.com> wrote:
> Hi, logging into the agent console takes about 30 seconds today. Not
> critical yet, but could you have a look?
>
> Mark
""")

mail("en-p1-security-api-key", "P1", "security incident", "plain8", "Lena Fischer <lena.fischer@orbis-pay.io>",
"Suspicious admin logins - possible compromised API key", """
Hi,

we noticed several logins to the admin console overnight from IP addresses in
a country where we have no staff at all. Around the same time, one of our API
keys was used to download the full contact list. We believe that key was
compromised and treat this as a security incident.

We have rotated all keys already. We need your help to go through the audit
log and confirm what exactly was accessed.

Thanks,
Lena Fischer
Security Officer, Orbis Pay
""")

mail("en-p1-reporting-slow", "P1", "prod severely degraded, no workaround", "b64", "Daniel Kim <daniel.kim@harbourline.com>",
"Reporting unusable since this morning's release", """
Hello support,

since this morning's release, the reporting module in production is extremely
slow - dashboards take three to four minutes to load and most of them end in a
timeout. Our finance team is closing the month this week and can't get the
numbers out. There is no workaround we know of; the old export menu uses the
same queries.

Could you get someone on this today please?

Daniel Kim
Harbourline Shipping
""")

mail("en-p1-severity-2-invoices", "P1", "explicit Severity 2 (= P1)", "plain8", "Olivia Grant <olivia.grant@tallis-energy.com>",
"Severity 2: invoices stuck in approval queue", """
Hi,

since Monday evening invoices above 10,000 EUR no longer leave the approval
queue. Approvers click "approve", the status flips back to "pending" after a
few seconds. About 60 invoices are stuck now and suppliers are starting to
call us.

Best regards
Olivia Grant
Accounts Payable Systems, Tallis Energy
""")

mail("en-p1-attachments-upload", "P1", "many users blocked, significant impact", "alt", "Sam Porter <sam.porter@meridianhealth.org>",
"Users cannot upload attachments since update", """
Good afternoon,

roughly a third of our users cannot upload attachments since yesterday's
update. The upload dialog accepts the file and then shows "request failed".
Our helpdesk depends on screenshots from callers, so this has a significant
impact on how fast we can resolve their issues, and we have found no way
around it.

Browser console output is below:
  POST /api/attachments 413 (Payload Too Large)

Sam Porter
Meridian Health - Service Management
""")

mail("en-p2-staging-down", "P2", "staging server down, prod fine", "plain8", "Ahmed Youssef <ahmed.youssef@clearpoint-media.com>",
"Staging server down after 5.4 upgrade", """
Hi,

our staging server is down since we upgraded it to 5.4 yesterday: the service
won't start and the log ends with "schema version mismatch". Production is
still on 5.3 and running fine, but we can't validate the upgrade before the
rollout we planned for the weekend.

Could you tell us what we did wrong?

Thanks
Ahmed
""")

mail("en-p2-import-by-hand", "P2", "costly workaround, quoted history", "qp", "Julia Novak <julia.novak@ridgeway-retail.com>",
"Re: CSV import fails for large files", """
Hi Martin,

thanks for the quick reply. To answer your question: yes, this is production.
The import fails for every file above roughly 50 MB. We can split the files by
hand as a workaround, but that takes one of our people about two hours every
day, which we can't keep doing for long.

Julia

-----Original Message-----
From: Martin <support@vendor.example>
Sent: Wednesday, 5 March 2025 16:02
To: Julia Novak
Subject: RE: CSV import fails for large files

Hello Julia, is this on your production system or on the test system?
""")

mail("en-p2-qa-sso-broken", "P2", "QA blocked, no production impact", "plain8", "Chris Adeyemi <chris.adeyemi@lumen-bank.com>",
"QA environment: SSO login broken after certificate renewal", """
Hello,

after we renewed the SAML certificate yesterday, SSO logins to our QA
environment fail with "invalid signature". All our testers are blocked and the
regression run for next week's release can't start. There is no impact on
production, which still uses the old certificate until Friday.

Regards,
Chris Adeyemi
""")

mail("en-p2-golive-at-risk", "P2", "test instance crashing, go-live at risk", "attach", "Hannah Ross <hannah.ross@stonebridge-council.gov.uk>",
"Go-live at risk - test instance keeps crashing during migration", """
Hi all,

our go-live planned for next Monday is at risk. The test instance crashes every
time we run the data migration scripts, usually about 40 minutes in. Nothing
is live yet, so no end users are affected, but the project board meets on
Thursday to decide whether we postpone.

The crash dump is attached.

Many thanks,
Hannah Ross
Digital Services, Stonebridge Council
""", attach=("crash-dump.txt", "text/plain", b"panic: runtime error: index out of range [3] with length 3\n"))

mail("en-p3-column-sorting", "P3", "minor issue, workaround", "plain8", "Ben Carter <ben.carter@aldgate-legal.co.uk>",
"Last updated column sorts alphabetically", """
Hi,

minor issue: in the ticket list, the "Last updated" column is sorted
alphabetically instead of by date, so 10/03 comes before 9/03. Not a big deal,
we export to Excel and sort there for now.

Cheers,
Ben
""")

mail("en-p3-pdf-logo-cut", "P3", "cosmetic PDF issue, screenshot", "attach", "Maria Lopez <maria.lopez@sunvale-hotels.com>",
"Logo cut off in PDF export", """
Hello,

when I export a report to PDF, our company logo is cut off at the top by a few
pixels. Everything else in the report looks fine. I attached a screenshot.

Best,
Maria Lopez
Sunvale Hotels
""", attach=("screenshot.png", "image/png", PNG))

mail("en-p3-utc-times", "P3", "inconvenience", "qp", "Oliver Hughes <oliver.hughes@pennant-travel.co.uk>",
"Notification e-mails show UTC times", """
Hi there,

the e-mail notifications show times in UTC instead of our local time
(Europe/London). It's a bit confusing for our staff, but they know to add an
hour during summer time. Could this be changed at some point?

Thanks
Oliver
""")

mail("en-p3-apostrophe-search", "P3", "X-Priority 1 and Importance high on a P3", "plain8", "Siobhan O'Brien <siobhan.obrien@kilmore-credit.ie>",
"Search does not find names with apostrophes", """
Hi,

the search box does not find tickets when the customer name contains an
apostrophe - ironic given my own name. Searching for O'Brien returns nothing,
searching for Brien works. We can always search by ticket number instead, so
it's more annoying than anything.

Siobhan
""", headers={"X-Priority": "1 (Highest)", "Importance": "High"})

mail("en-p4-urgent-change-email", "P4", "shouting URGENT on a how-to question", "plain8", "Kevin Marsh <kevin.marsh@quayside-dental.com>",
"URGENT!!! change contact email", """
URGENT PLEASE!!!

How do I change the e-mail address of one of our technical contacts? I can't
find the option anywhere in the portal and our old admin left the company.

Thanks!!!
Kevin
""", headers={"X-Priority": "1", "Importance": "high"})

mail("en-p4-rate-limit-question", "P4", "no production impact, just a question", "plain8", "Aisha Rahman <aisha.rahman@tidewater-analytics.com>",
"Question about API rate limits", """
Hello,

quick question about the API: what is the maximum number of requests per
minute for the /tickets endpoint, and is the limit per key or per account?
No production impact, we're just planning a new integration.

Kind regards,
Aisha
""")

mail("en-p4-dashboard-feature", "P4", "feature request", "html", "Robert Chen <robert.chen@glenmore-utilities.com>",
"Feature request: SLA breaches per team on the dashboard", """
Hi,

it would be really helpful if the dashboard could show SLA breaches broken down by team, not only the overall number. Our team leads currently count them by hand from the ticket list.

Is something like that on your roadmap?

Robert Chen
Glenmore Utilities
""")

mail("en-p4-admin-guide-key", "P4", "documentation error", "plain8", "Emily Watson <emily.watson@corrib-software.com>",
"Admin guide: wrong config key in section 4.2", """
Hi,

the admin guide, section 4.2, says the config key is retry_interval, but the
software only accepts retry_delay. It took us a while to figure out. Just
letting you know so the docs can be corrected.

Emily
""")

mail("en-p4-weekend-support", "P4", "contract clarification", "qp", "Paul Reid <paul.reid@hadley-motors.com>",
"Does Standard include weekend support?", """
Hello,

could you clarify whether our Standard plan includes any weekend support? Our
contract only mentions "business days" and my colleagues read it differently.

Thank you,
Paul Reid
Hadley Motors
""")

mail("en-p4-not-urgent-export-format", "P4", "not urgent; how-to question with signature", "plain8", "Nina Patel <nina.patel@westcombe-schools.org>",
"Exporting tickets to Excel", """
Hi,

nothing urgent. Is there a way to export all tickets of one customer to Excel,
including the internal notes? I looked in the export menu but only saw the
public replies.

Thanks a lot,
Nina

--
Nina Patel
IT Coordinator, Westcombe Schools Trust
Tel. +44 1632 960 555
""")

# ------------------------------------------------------------------ German
mail("de-p0-produktion-steht", "P0", "Produktion steht, latin-1", "latin1", "Jürgen Maier <j.maier@maier-praezision.de>",
"Produktion steht - Server nicht erreichbar", """
Guten Morgen,

seit 6:15 Uhr ist unser Produktivsystem nicht mehr erreichbar. Die Mitarbeiter
in der Fertigung können keine Aufträge mehr buchen, die Produktion steht.

Bitte rufen Sie mich umgehend unter 07151 123456 zurück.

Mit freundlichen Grüßen
Jürgen Maier
Maier Präzisionsteile GmbH
""")

mail("de-p0-webshop-totalausfall", "P0", "Totalausfall Webshop, base64", "b64", "Sabine Krüger <s.krueger@gartenwelt-online.de>",
"Totalausfall Webshop", """
Hallo zusammen,

unser Webshop ist seit gestern 22 Uhr komplett ausgefallen, Kunden bekommen nur
noch eine Fehlerseite mit Code 500. Wir verlieren jede Stunde Umsatz, gerade
jetzt in der Saison.

Ein Neustart der Anwendung hat nichts gebracht.

Viele Grüße
Sabine Krüger
""")

mail("de-p0-stammdaten-verschwunden", "P0", "Datenverlust, quoted history Am ... schrieb", "qp", "Thomas Becker <thomas.becker@rheinland-versand.de>",
"AW: Update heute Nacht", """
Hallo Frau Schmidt,

nach dem nächtlichen Update sind sämtliche Kundenstammdaten der Filiale Köln
aus der Datenbank verschwunden, rund 8.000 Datensätze. Es handelt sich um das
Live-System, die Kollegen können keine Lieferungen mehr zuordnen.

Gruß
Thomas Becker

Am 05.03.2025 um 18:30 schrieb Support <support@vendor.example>:
> Guten Tag Herr Becker,
> das Update wird heute Nacht zwischen 1 und 3 Uhr eingespielt. Es ist keine
> Ausfallzeit zu erwarten.
""")

mail("de-p0-kassen", "P0", "explicit [P0], niemand kann verkaufen", "plain8", "Petra Hoffmann <p.hoffmann@backhaus-sonnenschein.de>",
"[P0] Anmeldung an allen Filialkassen schlägt fehl", """
Hallo,

seit heute Mittag funktioniert an keiner unserer 35 Filialkassen die Anmeldung
mehr. Niemand kann verkaufen, die Kunden stehen Schlange.

Petra Hoffmann
""")

mail("de-p1-unbefugter-zugriff", "P1", "Sicherheitsvorfall", "latin1", "Markus Wolf <markus.wolf@stadtwerke-talheim.de>",
"Verdacht auf unbefugten Zugriff", """
Sehr geehrte Damen und Herren,

wir haben heute festgestellt, dass sich jemand mit den Zugangsdaten eines
ehemaligen Mitarbeiters angemeldet und dabei Kundendaten exportiert hat. Das
Konto war eigentlich seit Januar deaktiviert. Wir behandeln das als
Sicherheitsvorfall und bitten um Unterstützung bei der Auswertung der Logs.

Mit freundlichen Grüßen
Markus Wolf
Informationssicherheit, Stadtwerke Talheim
""")

mail("de-p1-rechnungserstellung", "P1", "Störung Produktivsystem, keine Umgehung", "qp", "Andrea Schulz <andrea.schulz@nordlicht-moebel.de>",
"Störung Rechnungserstellung", """
Guten Tag,

seit dem Update gestern Abend bricht im Produktivsystem die Rechnungserstellung
bei etwa jeder zweiten Rechnung mit einem Fehler ab. Der Versand ist dadurch
stark eingeschränkt, eine Umgehungslösung haben wir leider nicht gefunden.

Die Fehlermeldung lautet: "InvoiceRenderer: null reference".

Freundliche Grüße
Andrea Schulz
""")

mail("de-p1-prio1-aussendienst", "P1", "explicit Prio 1", "plain8", "Stefan Braun <stefan.braun@alpen-haustechnik.at>",
"Prio 1 - Außendienst kann sich nicht anmelden", """
Hallo Support,

unsere Außendienstmitarbeiter können sich seit heute früh nicht mehr in der
mobilen App anmelden. Im Büro funktioniert alles.

Danke und Gruß
Stefan Braun
""")

mail("de-p1-antwortzeiten", "P1", "erhebliche Beeinträchtigung, HTML only", "html", "Claudia Neumann <c.neumann@kanzlei-neumann-partner.de>",
"Erhebliche Beeinträchtigung durch Antwortzeiten", """
Sehr geehrtes Support-Team,

die Antwortzeiten in unserer Produktionsumgebung sind seit Montag extrem langsam. Das Öffnen einer Akte dauert über eine Minute, häufig bricht der Vorgang ganz ab. Unsere Anwälte sind in ihrer Arbeit erheblich beeinträchtigt.

Mit freundlichen Grüßen
Claudia Neumann
""")

mail("de-p2-testumgebung", "P2", "Totalausfall der Testumgebung", "latin1", "Frank Zimmermann <frank.zimmermann@hansa-logistik.de>",
"Totalausfall der Testumgebung", """
Hallo,

unsere Testumgebung ist seit dem Wochenende komplett ausgefallen, der
Applikationsserver startet nicht mehr. Die Produktion ist nicht betroffen,
aber unsere Abnahmetests für das Release nächste Woche hängen daran.

Gruß
Frank Zimmermann
""")

mail("de-p2-sap-abgleich", "P2", "manueller aufwändiger Workaround, quoted", "qp", "Monika Richter <m.richter@elbtal-pharma.de>",
"AW: Abgleich mit SAP", """
Hallo Herr Lang,

der automatische Abgleich mit SAP funktioniert seit letzter Woche weiterhin
nicht. Wir übertragen die Buchungen derzeit manuell, das kostet uns täglich
rund drei Stunden und ist fehleranfällig.

Viele Grüße
Monika Richter

-----Ursprüngliche Nachricht-----
Von: Support <support@vendor.example>
Gesendet: Montag, 3. März 2025 09:14
An: Richter, Monika
Betreff: Abgleich mit SAP

Guten Tag Frau Richter, können Sie uns die Logdatei schicken?
""")

mail("de-p2-staging-update", "P2", "Staging startet nicht", "latin1", "Lukas Hartmann <lukas.hartmann@brandt-it.de>",
"Staging-Server startet nach Update nicht mehr", """
Hallo,

nach dem Update auf 5.4 startet unser Staging-Server nicht mehr, im Log steht
nur "database migration failed". Produktiv sind wir noch auf 5.3, dort läuft
alles stabil. Wir möchten aber nächste Woche umstellen und können bis dahin
nichts testen.

Grüße
Lukas Hartmann
""")

mail("de-p2-schweregrad-3", "P2", "explicit Schweregrad 3 (= P2)", "attach", "Ingrid Vogel <ingrid.vogel@vogel-landmaschinen.de>",
"Schweregrad 3: Import der Lieferantendaten schlägt fehl", """
Guten Tag,

der nächtliche Import der Lieferantendaten bricht seit drei Tagen mit dem
angehängten Fehler ab. Die Stammdaten sind dadurch nicht aktuell, bestellen
können wir aber weiterhin.

Freundliche Grüße
Ingrid Vogel
""", attach=("import-fehler.txt", "text/plain", "Fehler: Zeile 1834: ungültiges Datum '31.02.2025'\n".encode("utf-8")))

mail("de-p3-druckvorschau", "P3", "kleiner Fehler", "latin1", "Heike Schröder <heike.schroeder@schroeder-steuerberatung.de>",
"Kleiner Fehler in der Druckvorschau", """
Hallo,

in der Druckvorschau werden Umlaute im Betreff teilweise als Fragezeichen
angezeigt. Der eigentliche Ausdruck ist korrekt, es betrifft nur die Vorschau.

Viele Grüße
Heike Schröder
""")

mail("de-p3-datumsfilter", "P3", "Workaround vorhanden", "plain8", "Dominik Weber <dominik.weber@weber-elektro.de>",
"Datumsfilter zeigt letzten Monatstag nicht", """
Hallo Support,

beim Filtern nach Datum werden Tickets vom letzten Tag des Monats nicht
angezeigt. Wenn wir den Zeitraum einen Tag länger wählen, passt es - wir können
also damit leben, wollten es aber melden.

Gruß
Dominik Weber
""")

mail("de-p3-kontaktliste", "P3", "lästig", "qp", "Katrin Lehmann <k.lehmann@lehmann-bau.de>",
"Sortierung der Kontaktliste geht verloren", """
Guten Tag,

wenn man in der Kontaktliste nach Firma sortiert und danach einen Kontakt
öffnet, ist beim Zurückgehen die Sortierung wieder weg. Das ist auf Dauer
ziemlich lästig, vor allem bei langen Listen.

Mit freundlichen Grüßen
Katrin Lehmann
""")

mail("de-p3-dringend-spalten", "P3", "DRINGEND-Geschrei und Importance high bei P3", "plain8", "Rolf Keller <rolf.keller@keller-sanitaer.de>",
"DRINGEND!!! Spaltenbreite im Ticketexport", """
DRINGEND!!!

Im Excel-Export der Tickets sind die Spalten viel zu schmal, man muss jede
Spalte von Hand aufziehen, bevor man etwas lesen kann. Bitte beheben.

Rolf Keller
""", headers={"Importance": "high", "X-MSMail-Priority": "High"})

mail("de-p4-zweiter-ansprechpartner", "P4", "Wie kann ich", "plain8", "Anna Schmitt <anna.schmitt@schmitt-optik.de>",
"Zweiten Ansprechpartner hinterlegen", """
Hallo,

wie kann ich für unsere Firma einen zweiten technischen Ansprechpartner
hinterlegen? Im Portal finde ich nur die Möglichkeit, den bestehenden zu
ändern.

Danke und viele Grüße
Anna Schmitt
""")

mail("de-p4-csv-export-vorschlag", "P4", "Verbesserungsvorschlag", "latin1", "Jörg Baumann <joerg.baumann@baumann-medien.de>",
"Verbesserungsvorschlag: CSV-Export im Portal", """
Hallo,

ein Verbesserungsvorschlag: Es wäre schön, wenn man im Kundenportal die eigenen
Tickets als CSV exportieren könnte. Wir werten die Tickets quartalsweise aus
und kopieren sie bisher einzeln heraus.

Schöne Grüße
Jörg Baumann
""")

mail("de-p4-doku-api", "P4", "Fehler in der Dokumentation", "qp", "Sebastian Klein <sebastian.klein@klein-software.de>",
"Falsches Beispiel in der API-Dokumentation", """
Hallo,

in der Dokumentation zur REST-API ist beim Endpunkt /contacts ein falsches
Beispiel angegeben: Das Feld heißt dort "mail", die API erwartet aber "email".
Vielleicht können Sie das bei Gelegenheit korrigieren.

Viele Grüße
Sebastian Klein
""")

mail("de-p4-nur-eine-frage", "P4", "Produktion nicht betroffen, nur eine Frage", "plain8", "Miriam Koch <miriam.koch@koch-immobilien.de>",
"Frage zu Benutzerlizenzen", """
Guten Tag,

keine Störung, die Produktion ist nicht betroffen - ich hätte nur eine Frage:
Zählen deaktivierte Benutzer bei der Anzahl der Lizenzen mit?

Vielen Dank
Miriam Koch
""")

mail("de-p4-wartungsfenster", "P4", "Rückfrage Wartungsfenster, Signatur", "alt", "Uwe Fuchs <uwe.fuchs@fuchs-automotive.de>",
"Rückfrage zum Wartungsfenster am Samstag", """
Hallo,

können Sie mir bitte bestätigen, ob das angekündigte Wartungsfenster am
Samstag von 20 bis 22 Uhr unserer Zeit stattfindet oder nach UTC gerechnet
ist?

Danke
Uwe Fuchs

--
Uwe Fuchs
Leiter IT-Betrieb Produktion
Fuchs Automotive GmbH
""")

# ------------------------------------------------------------------ French
mail("fr-p0-production-arret", "P0", "production à l'arrêt, latin-1", "latin1", "Pierre Lefèvre <pierre.lefevre@lefevre-emballages.fr>",
"Production à l'arrêt", """
Bonjour,

depuis 8h ce matin notre production est à l'arrêt : le serveur d'application ne
répond plus et aucun opérateur ne peut se connecter aux postes de l'atelier.

Merci de nous rappeler au plus vite au 03 20 12 34 56.

Cordialement,
Pierre Lefèvre
Responsable informatique, Lefèvre Emballages
""")

mail("fr-p0-portail-panne", "P0", "panne totale du portail, base64", "b64", "Camille Moreau <camille.moreau@assur-horizon.fr>",
"Panne totale du portail client", """
Bonjour,

notre portail client est totalement indisponible depuis 6h30. Les assurés
tombent sur une page blanche et notre centre d'appels est débordé.

C'est un lundi de fin de mois, la situation est critique pour nous.

Camille Moreau
""")

mail("fr-p0-perte-commandes", "P0", "perte de données, quoted history Le ... a écrit", "qp", "Nicolas Girard <nicolas.girard@girard-distribution.fr>",
"RE: Migration de la base", """
Bonjour,

suite à la migration d'hier soir, toutes les commandes saisies entre le 3 et le
5 mars ont disparu de la base de production. Nos préparateurs ne savent plus
quoi expédier. Il s'agit d'une perte de données importante.

Nicolas Girard

Le mer. 5 mars 2025 à 17:45, Support <support@vendor.example> a écrit :
> Bonjour Monsieur Girard,
> la migration est prévue ce soir à 22h. Aucune action n'est requise de votre
> part.
""")

mail("fr-p0-site-hors-service", "P0", "site e-commerce hors service, HTML only", "html", "Julie Fontaine <julie.fontaine@maison-fontaine.fr>",
"Site e-commerce hors service", """
Bonjour,

plus rien ne fonctionne : notre site e-commerce est hors service depuis 14h et affiche une erreur de connexion à la base de données. Nous sommes en pleine période de soldes.

Julie Fontaine
Maison Fontaine
""")

mail("fr-p1-compte-compromis", "P1", "incident de sécurité", "latin1", "Antoine Mercier <a.mercier@credit-mutuel-agricole-exemple.fr>",
"Incident de sécurité - compte administrateur compromis", """
Bonjour,

nous avons constaté ce matin que le compte administrateur d'un de nos
prestataires a été utilisé depuis une adresse IP inconnue pour créer deux
nouveaux comptes. Nous pensons que le mot de passe a été volé et traitons cela
comme un incident de sécurité. Les comptes ont été désactivés.

Pouvez-vous nous aider à analyser les journaux d'accès ?

Antoine Mercier
RSSI
""")

mail("fr-p1-performances", "P1", "dégradation importante en production, aucun contournement", "qp", "Sophie Laurent <sophie.laurent@transports-laurent.fr>",
"Dégradation importante des performances", """
Bonjour,

depuis la mise à jour de jeudi, l'application est extrêmement lente en
production : l'affichage d'un bon de livraison prend plus d'une minute. Nos
chauffeurs attendent au quai et nous n'avons trouvé aucun contournement.

Cordialement,
Sophie Laurent
""")

mail("fr-p1-priorite-stocks", "P1", "explicit Priorité : 1", "plain8", "Hugo Bernard <hugo.bernard@bernard-quincaillerie.fr>",
"Priorité : 1 - synchronisation des stocks", """
Bonjour,

la synchronisation des stocks entre l'entrepôt et la boutique en ligne ne se
fait plus depuis hier midi. Les clients commandent des articles qui ne sont
plus disponibles.

Hugo Bernard
""")

mail("fr-p1-bons-de-commande", "P1", "moitié des utilisateurs bloqués, impact important", "attach", "Élodie Rousseau <elodie.rousseau@groupe-rousseau.fr>",
"Validation des bons de commande impossible", """
Bonjour,

environ la moitié de nos utilisateurs ne peuvent plus valider leurs bons de
commande depuis la mise à jour de mardi ; le bouton reste grisé. L'impact est
important sur notre activité car les achats sont bloqués pour plusieurs
services. Vous trouverez une capture d'écran en pièce jointe.

Élodie Rousseau
""", attach=("capture.png", "image/png", PNG))

mail("fr-p2-recette-panne", "P2", "recette en panne, production non impactée", "latin1", "Mathieu Petit <mathieu.petit@petit-mutuelle.fr>",
"Serveur de recette en panne", """
Bonjour,

notre environnement de recette est en panne depuis la mise à jour d'hier. La
production n'est pas impactée, mais nos tests de validation de la nouvelle
version sont bloqués.

Cordialement,
Mathieu Petit
""")

mail("fr-p2-export-sage", "P2", "contournement coûteux, quoted", "qp", "Isabelle Dubois <isabelle.dubois@cabinet-dubois.fr>",
"RE: Export comptable vers Sage", """
Bonjour,

l'export comptable vers Sage échoue toujours. En attendant, nous ressaisissons
les écritures à la main, ce qui représente plusieurs heures de travail chaque
semaine pour notre comptable.

Isabelle Dubois

-----Message d'origine-----
De : Support <support@vendor.example>
Envoyé : lundi 3 mars 2025 10:02
À : Isabelle Dubois
Objet : Export comptable vers Sage

Bonjour, pourriez-vous nous transmettre le fichier d'export ?
""")

mail("fr-p2-preprod", "P2", "préproduction inaccessible", "plain8", "Romain Faure <romain.faure@faure-industrie.fr>",
"Environnement de préproduction inaccessible", """
Bonjour,

depuis ce matin l'environnement de préproduction est inaccessible, le service
web renvoie une erreur 502. Nous devions y valider la montée de version prévue
vendredi.

Merci,
Romain Faure
""")

mail("fr-p2-gravite-majeure", "P2", "explicit Gravité : majeure", "alt", "Claire Morel <claire.morel@morel-editions.fr>",
"Gravité : majeure - génération des PDF", """
Bonjour,

la génération des factures PDF échoue pour toutes les factures comportant plus
de 20 lignes. Nous les produisons depuis un autre outil en attendant, ce qui
nous demande du temps.

Claire Morel
""")

mail("fr-p3-bouton-mobile", "P3", "petit souci d'affichage", "latin1", "Léa Garnier <lea.garnier@garnier-fleurs.fr>",
"Petit souci d'affichage sur mobile", """
Bonjour,

petit souci d'affichage : sur mobile, le libellé du bouton « Enregistrer »
déborde du cadre. Le bouton fonctionne normalement.

Bonne journée,
Léa Garnier
""")

mail("fr-p3-envoi-groupe", "P3", "contournement existant", "qp", "Thierry Chevalier <thierry.chevalier@chevalier-immo.fr>",
"Échec ponctuel de l'envoi groupé", """
Bonjour,

l'envoi groupé de notifications échoue parfois avec un message d'erreur
générique. Il suffit de relancer l'envoi et cela passe, nous avons donc un
contournement, mais nous préférons vous le signaler.

Cordialement,
Thierry Chevalier
""")

mail("fr-p3-dates-excel", "P3", "un peu gênant", "plain8", "Manon Blanc <manon.blanc@blanc-conseil.fr>",
"Format des dates dans l'export Excel", """
Bonjour,

dans l'export Excel, les dates sont au format américain (mois/jour/année) alors
que notre compte est paramétré en français. C'est un peu gênant pour nos
tableaux de suivi.

Merci d'avance,
Manon Blanc
""")

mail("fr-p3-urgent-logo", "P3", "URGENT et X-Priority 1 sur un P3", "plain8", "Gilles Roux <gilles.roux@roux-batiment.fr>",
"URGENT - couleur du logo dans les notifications", """
URGENT !!!

Le logo de notre société apparaît en noir et blanc dans les e-mails de
notification au lieu d'être en couleur. Merci de corriger rapidement.

Gilles Roux
""", headers={"X-Priority": "1"})

mail("fr-p4-demande-evolution", "P4", "demande d'évolution", "plain8", "Aurélie Lambert <aurelie.lambert@lambert-sante.fr>",
"Demande d'évolution : filtre par client", """
Bonjour,

serait-il possible d'ajouter un filtre par client dans le tableau de bord ? Il
s'agit d'une demande d'évolution, rien d'urgent.

Bien cordialement,
Aurélie Lambert
""")

mail("fr-p4-fuseau-horaire", "P4", "comment puis-je", "latin1", "François Perrin <francois.perrin@perrin-avocats.fr>",
"Modifier le fuseau horaire d'un contact", """
Bonjour,

comment puis-je modifier le fuseau horaire d'un de nos contacts techniques ?
Il travaille désormais depuis Montréal.

Merci,
François Perrin
""")

mail("fr-p4-doc-installation", "P4", "erreur dans la documentation", "qp", "Yannick Martin <yannick.martin@martin-informatique.fr>",
"Erreur dans la documentation d'installation", """
Bonjour,

la documentation d'installation indique le port 8443 pour l'interface
d'administration, alors que la version 5.4 utilise le port 9443. La page n'est
plus à jour.

Cordialement,
Yannick Martin
""")

mail("fr-p4-jours-feries", "P4", "précision sur le contrat", "html", "Valérie Henry <valerie.henry@henry-transports.fr>",
"Jours fériés et contrat de support", """
Bonjour,

pourriez-vous nous confirmer si les jours fériés alsaciens (Vendredi saint, 26 décembre) sont couverts par notre contrat de support ?

Merci par avance,
Valérie Henry
""")

mail("fr-p4-simple-question", "P4", "pas d'impact production, simple question", "plain8", "Olivier Caron <olivier.caron@caron-logistique.fr>",
"Version de PostgreSQL supportée", """
Bonjour,

la production n'est pas impactée, il s'agit d'une simple question : quelle
version de PostgreSQL est supportée par la version 5.4 ?

Merci,
Olivier Caron

--
Olivier Caron
Administrateur systèmes
""")


def build(m):
    qp_utf8 = email.charset.Charset("utf-8"); qp_utf8.body_encoding = email.charset.QP
    b64_utf8 = email.charset.Charset("utf-8"); b64_utf8.body_encoding = email.charset.BASE64
    enc, body = m["enc"], m["body"]
    def html_of(text):
        paras = [p for p in text.split("\n\n")]
        return "<html><body>" + "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paras) + "</body></html>"
    if enc == "plain8":
        msg = MIMEText(body, "plain", "utf-8"); del msg["Content-Transfer-Encoding"]; msg["Content-Transfer-Encoding"] = "8bit"
        msg.set_payload(body.encode("utf-8"))
    elif enc == "qp":
        msg = MIMEText(body, "plain", qp_utf8)
    elif enc == "b64":
        msg = MIMEText(body, "plain", b64_utf8)
    elif enc == "latin1":
        msg = MIMEText(body, "plain", "iso-8859-1")
    elif enc == "html":
        msg = MIMEText(html_of(body), "html", qp_utf8)
    elif enc == "alt":
        msg = MIMEMultipart("alternative")
        msg.attach(MIMEText(body, "plain", qp_utf8)); msg.attach(MIMEText(html_of(body), "html", qp_utf8))
    elif enc == "attach":
        msg = MIMEMultipart("mixed")
        msg.attach(MIMEText(body, "plain", qp_utf8))
        fname, ctype, data = m["attach"]
        if ctype.startswith("image/"):
            part = MIMEImage(data, ctype.split("/")[1])
        else:
            part = MIMEApplication(data, "octet-stream"); part.replace_header("Content-Type", ctype + '; name="%s"' % fname)
        part.add_header("Content-Disposition", "attachment", filename=fname)
        msg.attach(part)
    else:
        raise ValueError(enc)
    name, addr = m["frm"].rsplit(" <", 1)
    msg["From"] = formataddr((name, addr.rstrip(">")), charset="utf-8")
    msg["To"] = "Support <support@vendor.example>"
    msg["Subject"] = Header(m["subject"], "utf-8").encode() if not m["subject"].isascii() else m["subject"]
    msg["Date"] = format_datetime(datetime.datetime(2025, 3, 6, 9, 30, tzinfo=datetime.timezone.utc))
    msg["Message-ID"] = "<%s@corpus.ticketd.test>" % m["name"]
    for k, v in m["headers"].items():
        msg[k] = v
    return msg.as_bytes()

def main():
    for f in os.listdir(HERE):
        if f.endswith(".eml"):
            os.remove(os.path.join(HERE, f))
    with open(os.path.join(HERE, "labels.tsv"), "w", encoding="utf-8") as lab:
        lab.write("# file\tlevel\tnote (hand-labelled; see gen_corpus.py)\n")
        for m in MAILS:
            with open(os.path.join(HERE, m["name"] + ".eml"), "wb") as f:
                f.write(build(m).replace(b"\n", b"\r\n"))
            lab.write("%s.eml\t%s\t%s\n" % (m["name"], m["level"], m["note"]))
    print(len(MAILS), "mails")

main()

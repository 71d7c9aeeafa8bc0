#!/usr/bin/env python3
"""Writes the extra severity corpus (*.eml + labels.tsv) in this folder (issue 12).

Written by the engineer of the factor classifier, in styles the other corpora
lack: terse ops staff, managers, non-native English, Swiss and Austrian German,
HTML-only mail, signatures shouting URGENT, forwarded chains, replies asking for
reports or credits. Labels follow the seed definitions (Scalr P0-P4, Blancco
Severity 1-4, DESIGN.md) and were written before the classifier ran on these
mails; the first-contact score is recorded in README.md. Because the author also
wrote the cue lists, this set is weaker evidence than the dev corpora.
Run: python3 gen_extra.py
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
mail("x-en-p0-ops-terse", "P0", "terse ops, all tenants 5xx", "plain", "noc@brightline.example",
     "prod api 5xx", """
prod api returning 5xx for 100% of requests since 14:02 utc, all tenants.
rollback of our side didn't help. pls page someone.
-- noc
""")
mail("x-en-p0-manager-crm", "P0", "manager, whole call centre idle, URGENT signature", "qp", "Helen Price <h.price@meridian-ins.example>",
     "CRM unavailable - call centre cannot work", """
Hello,

our entire call centre has been unable to work for the past hour: the CRM
won't load for anybody, all 180 agents are sitting idle and customers are
hanging up. This is costing us significantly.

I need someone on the phone now.

Helen Price
Head of Customer Operations
--
Meridian Insurance | For URGENT matters call +44 20 7946 0000
""")
mail("x-en-p0-nonnative-blank", "P0", "non-native English, everyone blank screen", "plain", "it.support@sunrise-tex.example",
     "System not opening", """
Dear Support,

our system is not opening since morning for all the users, we are getting
blank screen after login page. Kindly do the needful on urgent basis as our
business is fully stopped.

Regards,
Ramesh
""")
mail("x-de-p0-zahlungen-html", "P0", "HTML only, every payment declined", "html", "shop@gartenwelt.example",
     "Keine Zahlungen mehr möglich", """
<p>Guten Tag,</p>
<p>seit 7 Uhr können unsere Kunden im Onlineshop nicht mehr bezahlen &ndash; jede Zahlung wird abgelehnt.
Wir machen aktuell keinen Umsatz.</p>
<p>Mit freundlichen Grüßen<br>Team Gartenwelt</p>
""")
mail("x-de-p0-kassa-at", "P0", "Austrian usage (Kassa, nimmer), all branches", "latin1", "filialen@billa-muster.example",
     "Kassa in allen Filialen", """
Servus,

in allen unseren Filialen geht die Kassa seit 9 Uhr nimmer, die Kunden stehen
an und wir können nix verkaufen. Bitte sofort zurückrufen!

LG Franz
""")
mail("x-fr-p0-connexion-tous", "P0", "all users locked out, activity paralysed", "b64", "dsi@groupe-lemoine.example",
     "Connexion impossible pour tous", """
Bonjour,

depuis la mise à jour de cette nuit, l'ensemble de nos utilisateurs ne peut plus
se connecter à l'application. Toute l'activité est paralysée.

Cordialement,
La DSI
""")
mail("x-en-p0-attachments-removed", "P0", "data removed by a cleanup job in production", "plain", "records@harbour-legal.example",
     "Attachments removed from production storage", """
Hi,

after running the cleanup job you recommended last week, all attachments from
2023 have been removed from our production storage. We need them for an audit
next month and they do not show up in the recycle bin either.

Regards,
Olivia
""")
mail("x-fr-p0-donnees-exfiltrees", "P0", "customer data exfiltrated: confirmed breach", "qp", "rssi@assur-ouest.example",
     "Fuite de données clients", """
Bonjour,

nous avons découvert que les données personnelles de nos clients (noms,
adresses, IBAN) ont été exfiltrées via l'API publique la nuit dernière. L'accès
est coupé, mais les données sont dans la nature.

Le RSSI
""")
mail("x-en-p0-fwd-scanners", "P0", "forward: new text says nothing, forwarded part is the outage", "plain", "ops.manager@northwind.example",
     "Fwd: warehouse scanners", """
Can you please look at this asap, see below from our warehouse lead.
""", forwarded="""From: Warehouse Lead <lead@northwind.example>
Date: Mon, 3 Nov 2025 06:40
Subject: warehouse scanners

None of the handheld scanners in the warehouse can connect since 6am, we
cannot ship anything today.""")
mail("x-de-p0-erp-ch", "P0", "Swiss German (Grüezi, ss), ERP down, production stopped", "qp", "informatik@praezisa.example",
     "ERP nicht erreichbar", """
Grüezi

Seit heute Morgen ist unser gesamtes ERP nicht mehr erreichbar, die Produktion
in beiden Werken steht. Bitte melden Sie sich umgehend.

Freundliche Grüsse
Beat Meier
""")

# ---------------------------------------------------------------- P1
mail("x-en-p1-logged-out", "P1", "half the agents logged out repeatedly, no fix", "plain", "service.desk@carelink.example",
     "Agents logged out every few minutes", """
Since yesterday's deploy, about half of our agents get logged out of the
console every few minutes. They can still work, but it is very disruptive and
we found no way to stop it.
""")
mail("x-en-p1-invoicing-run", "P1", "manager: invoicing stopped, ordering continues, month-end", "plain", "cfo.office@lumen-retail.example",
     "Invoicing run failed", """
Hi,

the invoicing run failed this morning and no invoices went out. Customers are
still ordering fine, but finance cannot bill until this is fixed, and month-end
is on Friday.

Thanks,
Mark
""")
mail("x-de-p1-schnittstelle", "P1", "interface transfers no orders, partial phone workaround", "qp", "it@hansen-logistik.example",
     "Schnittstelle Lagerverwaltung", """
Hallo,

die Schnittstelle zu unserem Lagerverwaltungssystem überträgt seit gestern
Abend keine Aufträge mehr. Die dringendsten Aufträge geben wir telefonisch
durch, der Großteil bleibt aber liegen.

Gruß
Jens Hansen
""")
mail("x-fr-p1-visa", "P1", "Visa cards refused, other cards work", "plain", "ecommerce@maison-roux.example",
     "Paiements Visa refusés", """
Bonjour,

depuis ce matin, les paiements par carte Visa sont refusés sur notre site ; les
autres cartes passent. Une part importante de nos clients est concernée.

Merci,
Claire
""")
mail("x-en-p1-phishing", "P1", "phishing, suspicious login, unknown if accessed", "plain", "security@pinecrest.example",
     "Possible compromised account", """
Hello,

one of our employees clicked a phishing link and entered her credentials; we
saw a login from an unknown location afterwards. We reset the password. Please
check whether anything was accessed with that account.
""")
mail("x-en-p1-nonnative-reports", "P1", "non-native: prod reports time out, management blocked, no workaround", "plain", "ajay.k@vertex-dist.example",
     "reports not working", """
Hello team,

reports module in production is giving timeout since 2 days, our management is
not able to see the sales figures. No workaround is there. Please check on
priority.

Thanks & regards
Ajay
""")
mail("x-de-p1-antwortzeiten", "P1", "prod response times so bad clerks can hardly work", "b64", "fachbereich@stadt-musterhausen.example",
     "Antwortzeiten Produktivsystem", """
Guten Tag,

seit dem Update sind die Antwortzeiten im Produktivsystem so schlecht, dass
unsere Sachbearbeiter kaum noch arbeiten können (bis zu 40 Sekunden pro Maske).

Mit freundlichen Grüßen
Petra Lang
""")
mail("x-fr-p1-bons-livraison", "P1", "delivery notes fail for all warehouses, handwritten lists", "qp", "logistique@transports-bal.example",
     "Bons de livraison", """
Bonjour,

la génération des bons de livraison échoue depuis hier soir pour tous nos
entrepôts. Les camions partent avec des listes manuscrites, ce n'est pas tenable
longtemps.

Cordialement,
Sylvain
""")
mail("x-en-p1-backups", "P1", "production backups failing, data at risk", "plain", "dba@quarry-bank.example",
     "Nightly backups failing", """
Our backup jobs have been failing every night since Tuesday in production. No
data is lost yet, but we currently have no valid backup.
""")
mail("x-de-p1-token", "P1", "suspected misuse of an old API token", "plain", "ciso@muster-energie.example",
     "Ungewöhnliche API-Zugriffe", """
Hallo,

wir haben ungewöhnliche API-Zugriffe mit einem alten Token bemerkt, das
eigentlich gesperrt sein sollte. Ob Daten abgeflossen sind, wissen wir noch
nicht.

Viele Grüße
Stefanie Roth
""")

# ---------------------------------------------------------------- P2
mail("x-en-p2-uat-down", "P2", "UAT down, production OK, sign-off at risk", "plain", "pmo@atlas-health.example",
     "UAT environment down", """
Hi,

our UAT environment has been down since the weekend patch. Production is OK.
We have a sign-off meeting on Thursday that we can't prepare without it.
""")
mail("x-en-p2-ops-staging", "P2", "terse ops, staging migration fails", "plain", "devops@kitefin.example",
     "staging migration", """
staging db migration fails at step 14/20, blocks our release. prod unaffected.
logs attached.
""")
mail("x-de-p2-bi-export", "P2", "export to BI fails, pulled by hand daily for an hour", "qp", "controlling@weber-bau.example",
     "Datenexport BI", """
Hallo,

der nächtliche Datenexport an unser BI-System läuft seit Montag in einen
Fehler. Wir ziehen die Daten momentan jeden Morgen von Hand, das dauert gut
eine Stunde.

Grüße
Tobias
""")
mail("x-fr-p2-import-tarifs", "P2", "price import fails, prices keyed by hand half a day a week", "latin1", "achats@quincaillerie-dupre.example",
     "Import des tarifs fournisseurs", """
Bonjour,

l'import des tarifs fournisseurs échoue depuis la dernière version. Nous
saisissons les prix à la main, cela prend une demi-journée par semaine.

Bien à vous,
Marc Dupré
""")
mail("x-en-p2-training-sso", "P2", "training tenant SSO fails for all trainees", "plain", "lms@northshore-college.example",
     "SSO on training tenant", """
Hello,

single sign-on on our training tenant fails for all trainees since the
certificate change. The training course starts on Monday.
""")
mail("x-de-p2-testumgebung-absturz", "P2", "service on test system crashes regularly", "plain", "qa@fintech-nord.example",
     "Dienst stürzt ab", """
Auf der Testumgebung stürzt der Dienst nach ca. 10 Minuten regelmäßig ab, wir
können unsere Lasttests nicht durchführen.
""")
mail("x-fr-p2-qualif-lente", "P2", "qualification environment very slow, tests delayed", "b64", "recette@banque-alpine.example",
     "Lenteurs en qualification", """
Bonjour,

notre environnement de qualification est très lent depuis mardi (plus de 20
secondes par écran) et nos campagnes de tests prennent un retard important.
""")
mail("x-en-p2-bulk-import", "P2", "bulk import broken in prod, accounts created one by one, a day each", "plain", "admin@district-schools.example",
     "Bulk user import", """
Hi,

bulk user import via CSV stopped working in production after 6.1. We now create
the accounts one by one, which takes our admin a full day for each new school.
""")
mail("x-de-p2-zahlungszuordnung", "P2", "payment matching broken, manual hours daily", "qp", "buchhaltung@kaufhaus-lind.example",
     "Zuordnung Zahlungseingänge", """
Guten Tag,

die automatische Zuordnung der Zahlungseingänge funktioniert seit dem Update
nicht mehr. Unsere Buchhaltung macht das jetzt manuell, was täglich mehrere
Stunden kostet.
""")
mail("x-en-p2-android-html", "P2", "HTML only, app crashes for some Android users", "html", "mobile@fleetways.example",
     "App crash on Android", """
<div>Hi,</div><div><br></div>
<div>the mobile app crashes for some of our Android users when they open the
calendar tab. iOS and web work fine.</div><div><br></div><div>Kevin</div>
""")

# ---------------------------------------------------------------- P3
mail("x-en-p3-page-numbers", "P3", "wrong page number position, not a big deal", "plain", "docs@greenleaf.example",
     "Page numbers in PDF export", """
The PDF export puts the page numbers on the wrong side. Not a big deal, just
thought you should know.
""")
mail("x-en-p3-nonnative-colors", "P3", "non-native: graph colours change, no problem for work", "plain", "m.silva@andes-trading.example",
     "dashboard colors", """
Hi, in dashboard the graph colors are changing after refresh, is looking
strange but no problem for work.
""")
mail("x-de-p3-cursor", "P3", "cursor jumps, a bit annoying", "plain", "support@stadtwerke-nord.example",
     "Cursor springt", """
Im Ticketformular springt der Cursor nach dem Speichern ins erste Feld zurück.
Etwas nervig, aber kein Beinbruch.
""")
mail("x-de-p3-umlaute-excel", "P3", "umlauts wrong in Excel export, CSV works", "latin1", "verwaltung@gemeinde-au.example",
     "Umlaute im Excel-Export", """
Hallo,

beim Export nach Excel werden Umlaute falsch dargestellt. Über den CSV-Export
klappt es.
""")
mail("x-fr-p3-tri-date", "P3", "date sort wrong, sorted in Excel instead", "plain", "contrats@immo-sud.example",
     "Tri par date", """
Bonjour,

le tri par date dans la liste des contrats ne fonctionne pas correctement. On
s'en sort en triant dans Excel.
""")
mail("x-fr-p3-coquille", "P3", "typo on the login screen", "qp", "accueil@mairie-exemple.example",
     "Coquille écran de connexion", """
Petite coquille dans l'écran de connexion : « Mot de passe oubliér ». Rien de
grave.
""")
mail("x-en-p3-reports-mail", "P3", "scheduled report mails stopped, download works", "plain", "bi@oakridge.example",
     "Scheduled reports not e-mailed", """
The scheduled reports are not being e-mailed anymore since the update. People
can still download them from the portal, so it's workable.
""")
mail("x-en-p3-search-twice-urgent-sig", "P3", "duplicate search results, refresh fixes it; URGENT in signature", "plain", "anna.k@polaris-it.example",
     "Search results shown twice", """
Some users report that the search sometimes returns results twice. Refreshing
the page fixes it.

--
Anna Kowalski | IT Service Desk
URGENT? Call +1 555 0199 (24/7)
""")
mail("x-de-p3-kollege-fehlermeldung", "P3", "one colleague, occasional error, second click works", "plain", "it@kanzlei-brandt.example",
     "Fehlermeldung bei Berichten", """
Ein Kollege bekommt beim Öffnen von Berichten gelegentlich eine Fehlermeldung,
nach erneutem Klicken geht es.
""")

# ---------------------------------------------------------------- P4
mail("x-en-p4-bank-details", "P4", "admin: vendor bank details", "plain", "ap@coastal-foods.example",
     "Vendor records", """
Hi,

could you send us your updated bank details and W-9 form for our vendor
records?

Thanks,
Accounts Payable
""")
mail("x-en-p4-pricing", "P4", "pricing question for an upgrade", "plain", "director@bluebird-academy.example",
     "Premium plan pricing", """
Hi! We're thinking of upgrading to the Premium plan - what would the price be
for 25 seats?
""")
mail("x-de-p4-danke", "P4", "thanks, runs again, close the ticket", "qp", "it@moebel-kraus.example",
     "AW: Druckdienst", """
Vielen Dank für die schnelle Hilfe gestern, seitdem läuft alles wieder
einwandfrei. Das Ticket kann geschlossen werden.

Gruß
Kraus
""")
mail("x-de-p4-schulung", "P4", "training dates", "plain", "personal@stadtbau.example",
     "Schulung für Administratoren", """
Guten Tag,

wir möchten für unsere neuen Administratoren eine Schulung buchen. Welche
Termine haben Sie im Februar?
""")
mail("x-fr-p4-questionnaire", "P4", "security questionnaire for a supplier audit", "plain", "achats@clinique-mer.example",
     "Questionnaire sécurité", """
Bonjour,

pourriez-vous nous renvoyer le questionnaire de sécurité rempli (ISO 27001) pour
notre audit fournisseur ?

Merci
""")
mail("x-fr-p4-graphql", "P4", "feature question, would be useful", "plain", "dev@agence-pixel.example",
     "API GraphQL", """
Bonjour,

est-il prévu de proposer une API GraphQL ? Ce serait très utile pour nos
intégrations.
""")
mail("x-en-p4-reply-incident-report", "P4", "reply to a P0 asking for the incident report", "plain", "coo@mega-stores.example",
     "Re: [Ticket#231][P0] Total outage - all stores", """
Now that things are stable again, could you share the post-incident report and
the timeline? Our board wants it for Monday.

Regards,
Daniel
""")
mail("x-en-p4-release-notes-link", "P4", "documentation link returns 404", "plain", "web@helix-media.example",
     "Release notes link", """
Quick heads-up: the link to the release notes on your status page returns a
404.
""")
mail("x-de-p4-gutschrift", "P4", "reply asking for an SLA credit after an outage", "qp", "einkauf@modehaus-berger.example",
     "AW: Ausfall Webshop 12.3.", """
Guten Tag,

bezüglich des Ausfalls vom 12. März beantragen wir die vertraglich vereinbarte
Gutschrift. Bitte bestätigen Sie uns den Betrag.

Freundliche Grüße
Einkauf
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
        head += "Message-ID: <%s@extra.example>\n\n" % m["name"]
        return head.encode() + body.encode()
    msg["Subject"] = encode_subject(m["subject"])
    msg["From"] = m["frm"]
    msg["To"] = "support@vendor.example"
    msg["Date"] = "Mon, 03 Nov 2025 09:00:00 +0000"
    msg["Message-ID"] = "<%s@extra.example>" % m["name"]
    return msg.as_bytes()


def main():
    with open(os.path.join(HERE, "labels.tsv"), "w") as labels:
        labels.write("# file\tlevel\tnote (labelled from the seed definitions before classifying; see gen_extra.py)\n")
        for m in MAILS:
            with open(os.path.join(HERE, m["name"] + ".eml"), "wb") as f:
                f.write(build(m))
            labels.write("%s.eml\t%s\t%s\n" % (m["name"], m["level"], m["note"]))


if __name__ == "__main__":
    main()

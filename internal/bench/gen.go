// Package bench measures the whole ticketd pipeline: a generator of
// realistic support mail (seeded, so runs are comparable) and a runner that
// drives a real daemon through IMAP intake, parse, classify, store, outbox
// and SMTP, against in-process servers (internal/mailtest) or given ones.
// It reports throughput from a backlog, acknowledgement latency under a
// steady offered rate, and peak RSS while ingesting a large attachment.
// `ticketd bench` is its command line. Size: about 1,900 lines (the mail
// generator, the runner for in-process and external servers, and the
// prefill of large databases); it is a tool, not part of the product.
package bench

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"ticketd/ticket"
)

// Customer is a generated customer with its technical contacts, to be
// registered in the directory before the mail arrives.
type Customer struct {
	ticket.Customer
	Contacts []ticket.Contact
}

// Mail is one generated message.
type Mail struct {
	MessageID  string // without angle brackets
	Raw        []byte // RFC 5322, CRLF line ends
	From       string
	Lang       string // en, de or fr
	Attachment bool
}

// Generator produces realistic support mail from registered contacts:
// English, German and French, plain or multipart/alternative, some with
// quoted history and some with attachments, 1 KB to 200 KB. Equal seeds
// give equal mail.
type Generator struct {
	support   string
	run       string
	rng       *rand.Rand
	customers []Customer
	contacts  []contactRef
	n         int
	base      time.Time
}

type contactRef struct {
	c    ticket.Contact
	cu   *ticket.Customer
	lang string
}

// contactsPerCustomer stays within the smallest built-in plan's limit (4).
const contactsPerCustomer = 4

type region struct {
	lang, region, tz, domain string
}

var regions = []region{
	{"en", "GB", "Europe/London", "co.uk.example"},
	{"en", "CH-ZH", "Europe/Zurich", "ch.example"},
	{"de", "DE-BY", "Europe/Berlin", "de.example"},
	{"de", "CH-ZH", "Europe/Zurich", "ch.example"},
	{"fr", "FR", "Europe/Paris", "fr.example"},
}

var plans = []string{"standard", "premium", "business-8h", "business-2h"}

var (
	companyWords = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne",
		"Soylent", "Aperture", "Gringotts", "Wonka", "Oscorp", "Massive", "Nakatomi", "Virtucon", "Zorg", "Dupont"}
	companySuffix = map[string][]string{"en": {"Ltd", "Inc", "plc"}, "de": {"GmbH", "AG", "KG"}, "fr": {"SA", "SARL", "SAS"}}
	firstNames    = map[string][]string{
		"en": {"Sarah", "Tom", "Emily", "James", "Olivia", "Jack", "Amelia", "Harry"},
		"de": {"Jonas", "Lena", "Lukas", "Anna", "Felix", "Jürgen", "Sophie", "Maximilian"},
		"fr": {"Claire", "Hugo", "Léa", "Louis", "Chloé", "Gabriel", "Manon", "Élodie"},
	}
	lastNames = map[string][]string{
		"en": {"Collins", "Smith", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright"},
		"de": {"Weber", "Müller", "Schmidt", "Fischer", "Wagner", "Becker", "Hoffmann", "Schäfer"},
		"fr": {"Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Rousseau", "Fontaine"},
	}
	subjects = map[string][]string{
		"en": {"Production down: license server unreachable", "Backups failing since last night", "Question about the API rate limits",
			"Dashboard very slow after upgrade", "Feature request: export to CSV", "Login fails for all users in EU region",
			"Typo in the admin documentation", "Nightly job crashed with OutOfMemoryError", "Certificate expiry warning"},
		"de": {"Produktion steht: Lizenzserver nicht erreichbar", "Backups schlagen seit gestern Nacht fehl", "Frage zu den API-Limits",
			"Dashboard nach Update sehr langsam", "Wunsch: Export nach CSV", "Anmeldung für alle Benutzer gestört",
			"Tippfehler in der Dokumentation", "Nachtlauf mit Speicherfehler abgebrochen", "Zertifikat läuft bald ab"},
		"fr": {"Production arrêtée : serveur de licences injoignable", "Les sauvegardes échouent depuis cette nuit", "Question sur les limites de l'API",
			"Tableau de bord très lent après la mise à jour", "Demande d'évolution : export CSV", "Connexion impossible pour tous les utilisateurs",
			"Coquille dans la documentation", "Le traitement de nuit a planté", "Certificat bientôt expiré"},
	}
	paragraphs = map[string][]string{
		"en": {"Since this morning around 07:40 our operators cannot reach the license server, and every client shows a licence error.",
			"We restarted the service twice and checked the firewall rules, nothing changed on our side since Friday.",
			"This affects about 40 users at the Zurich site; the Basel site seems fine for now.",
			"Could you please have a look and tell us whether this is a known issue with version 8.3?",
			"The log excerpt below shows the timeouts; I can send the full log if that helps.",
			"There is no workaround at the moment, the team is waiting.",
			"It is not urgent, but we would appreciate an answer this week."},
		"de": {"Seit heute Morgen gegen 07:40 erreichen unsere Bediener den Lizenzserver nicht mehr, jeder Client meldet einen Lizenzfehler.",
			"Wir haben den Dienst zweimal neu gestartet und die Firewall-Regeln geprüft; bei uns hat sich seit Freitag nichts geändert.",
			"Betroffen sind etwa 40 Benutzer am Standort München, Nürnberg läuft im Moment noch.",
			"Können Sie sich das bitte ansehen und uns sagen, ob das ein bekanntes Problem der Version 8.3 ist?",
			"Der Log-Auszug unten zeigt die Zeitüberschreitungen; das vollständige Log schicke ich gern nach.",
			"Einen Workaround gibt es derzeit nicht, das Team wartet.",
			"Es eilt nicht, aber eine Antwort diese Woche wäre schön."},
		"fr": {"Depuis ce matin vers 07h40, nos opérateurs n'arrivent plus à joindre le serveur de licences et chaque poste affiche une erreur.",
			"Nous avons redémarré le service deux fois et vérifié le pare-feu ; rien n'a changé de notre côté depuis vendredi.",
			"Environ 40 utilisateurs du site de Lyon sont concernés, le site de Grenoble fonctionne pour l'instant.",
			"Pourriez-vous regarder et nous dire s'il s'agit d'un problème connu de la version 8.3 ?",
			"L'extrait de journal ci-dessous montre les délais dépassés ; je peux envoyer le journal complet si besoin.",
			"Il n'y a pas de contournement pour le moment, l'équipe attend.",
			"Ce n'est pas urgent, mais une réponse cette semaine serait appréciée."},
	}
	greetings = map[string][2]string{
		"en": {"Hello support team,", "Best regards"},
		"de": {"Guten Tag,", "Freundliche Grüsse"},
		"fr": {"Bonjour,", "Cordialement"},
	}
	userAgents = []string{"Mozilla Thunderbird 128.3.1", "Microsoft Outlook 16.0", "Apple Mail (2.3774)", "Roundcube Webmail/1.6.9"}
)

// NewGenerator returns a generator for mail to support from contacts
// registered contacts (rounded up to whole customers of four).
func NewGenerator(seed int64, support string, contacts int) *Generator {
	g := &Generator{support: support, rng: rand.New(rand.NewSource(seed)), base: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	contacts = max(contacts, 1)
	for i := 0; len(g.customers)*contactsPerCustomer < contacts; i++ {
		r := regions[g.rng.Intn(len(regions))]
		name := fmt.Sprintf("%s %s %d", companyWords[i%len(companyWords)], pick(g.rng, companySuffix[r.lang]), i/len(companyWords)+1)
		slug := strings.ToLower(companyWords[i%len(companyWords)]) + fmt.Sprint(i)
		cu := Customer{Customer: ticket.Customer{Name: name, Plan: plans[g.rng.Intn(len(plans))], Region: r.region, Language: r.lang}}
		for j := 0; j < contactsPerCustomer; j++ {
			first, last := pick(g.rng, firstNames[r.lang]), pick(g.rng, lastNames[r.lang])
			cu.Contacts = append(cu.Contacts, ticket.Contact{
				Email:   fmt.Sprintf("%s.%s%d@%s.%s", asciiLower(first), asciiLower(last), j, slug, r.domain),
				Name:    first + " " + last,
				TZ:      r.tz,
				Primary: j == 0,
			})
		}
		g.customers = append(g.customers, cu)
	}
	for i := range g.customers {
		cu := &g.customers[i]
		for _, c := range cu.Contacts {
			g.contacts = append(g.contacts, contactRef{c: c, cu: &cu.Customer, lang: cu.Language})
		}
	}
	return g
}

// SetRunID makes Message-IDs unique to one run (for a shared external
// mailbox); the mail is otherwise unchanged.
func (g *Generator) SetRunID(id string) { g.run = id }

// Customers is the directory the generated mail comes from.
func (g *Generator) Customers() []Customer { return g.customers }

// ContactsFor is how many contacts keep every sender of total mails under
// perHour automatic replies an hour (the per-sender rate limit), so that
// every mail is acknowledged.
func ContactsFor(total, perHour int) int {
	per := max(perHour-2, 1)
	return (total + per - 1) / per
}

// Next returns the next mail. Senders take turns, so mail is spread evenly
// over the contacts.
func (g *Generator) Next() Mail {
	i := g.n
	g.n++
	ref := g.contacts[i%len(g.contacts)]
	lang := ref.lang
	if g.rng.Intn(10) == 0 { // some write in another language than their company's
		lang = []string{"en", "de", "fr"}[g.rng.Intn(3)]
	}
	// Sizes: most support mail is small; some carry logs or screenshots.
	var target int
	switch p := g.rng.Intn(100); {
	case p < 60:
		target = 1024 + g.rng.Intn(4*1024)
	case p < 88:
		target = 5*1024 + g.rng.Intn(45*1024)
	default:
		target = 50*1024 + g.rng.Intn(150*1024)
	}
	kind := g.rng.Intn(10) // 0–3 plain, 4–6 alternative, 7–9 with attachment
	return g.compose(i, ref, lang, target, kind >= 7, kind >= 4 && kind < 7, 0)
}

// Large returns a mail with one binary attachment of size bytes (before
// base64), from the first contact.
func (g *Generator) Large(size int) Mail {
	i := g.n
	g.n++
	return g.compose(i, g.contacts[0], g.contacts[0].lang, 0, true, false, size)
}

func (g *Generator) compose(i int, ref contactRef, lang string, target int, attach, alternative bool, bigAttachment int) Mail {
	id := fmt.Sprintf("bench.%d.%08x", i, g.rng.Uint32())
	if g.run != "" {
		id += "." + g.run
	}
	domain := ref.c.Email[strings.LastIndexByte(ref.c.Email, '@')+1:]
	id += "@" + domain
	var h bytes.Buffer
	date := g.base.Add(time.Duration(i) * 37 * time.Second)
	hdr := func(k, v string) { fmt.Fprintf(&h, "%s: %s\r\n", k, v) }
	hdr("Return-Path", "<"+ref.c.Email+">")
	hdr("Received", fmt.Sprintf("from mail.%s (mail.%s [192.0.2.%d])\r\n\tby mx.example.com with ESMTPS id %08X\r\n\tfor <%s>; %s",
		domain, domain, 1+i%250, g.rng.Uint32(), g.support, date.Format(time.RFC1123Z)))
	hdr("From", mime.QEncoding.Encode("utf-8", ref.c.Name)+" <"+ref.c.Email+">")
	hdr("To", "Support <"+g.support+">")
	if g.rng.Intn(5) == 0 {
		other := ref.cu.Name
		hdr("Cc", fmt.Sprintf("%s <it-team@%s>", mime.QEncoding.Encode("utf-8", other+" IT"), domain))
	}
	subject := pick(g.rng, subjects[lang])
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+id+">")
	hdr("MIME-Version", "1.0")
	hdr("User-Agent", pick(g.rng, userAgents))
	hdr("Content-Language", lang)

	textTarget := target
	if alternative {
		textTarget /= 2 // the HTML part repeats the text
	}
	text := g.body(ref, lang, textTarget)
	var body bytes.Buffer
	switch {
	case attach:
		hdr("Content-Type", `multipart/mixed; boundary="mixed-`+id[:12]+`"`)
		b := "mixed-" + id[:12]
		fmt.Fprintf(&body, "--%s\r\n", b)
		if alternative {
			g.alternative(&body, text, id)
		} else {
			writeText(&body, text)
		}
		fmt.Fprintf(&body, "--%s\r\n", b)
		left := target - h.Len() - body.Len()
		if bigAttachment > 0 {
			writeBinary(&body, "core-dump.bin", "application/octet-stream", bigAttachment, g.rng)
		} else if g.rng.Intn(2) == 0 {
			writeLog(&body, "server.log", max(left, 512), g.rng)
		} else {
			writeBinary(&body, "screenshot.png", "image/png", max(left*3/4, 512), g.rng)
		}
		fmt.Fprintf(&body, "--%s--\r\n", b)
	case alternative:
		g.alternativeTop(&h, &body, text, id)
	default:
		writeTextHeaders(&h)
		writeQP(&body, text)
	}
	h.WriteString("\r\n")
	h.Write(body.Bytes())
	return Mail{MessageID: id, Raw: h.Bytes(), From: ref.c.Email, Lang: lang, Attachment: attach}
}

// body is the mail's text: greeting, a few paragraphs, signature and, for
// larger mail, quoted history and log lines up to about target bytes.
func (g *Generator) body(ref contactRef, lang string, target int) string {
	var b strings.Builder
	gr := greetings[lang]
	b.WriteString(gr[0] + "\n\n")
	ps := paragraphs[lang]
	for k, n := 0, 2+g.rng.Intn(3); k < n; k++ {
		b.WriteString(ps[g.rng.Intn(len(ps))] + "\n\n")
	}
	b.WriteString(gr[1] + "\n" + ref.c.Name + "\n-- \n" + ref.c.Name + "\n" + ref.cu.Name + "\nTel. +41 44 000 00 00\n")
	if b.Len() < target/2 {
		b.WriteString("\n")
		fmt.Fprintf(&b, "On Mon, 23 Feb 2026 at 10:12, %s wrote:\n", ref.c.Name)
		for b.Len() < target/2 {
			fmt.Fprintf(&b, "> %s\n", ps[g.rng.Intn(len(ps))])
		}
	}
	for b.Len() < target*3/4 {
		fmt.Fprintf(&b, "2026-03-02T07:%02d:%02d.%03dZ ERROR licsrv[%d]: connection to 10.0.%d.%d:27000 timed out after 30000 ms\n",
			g.rng.Intn(60), g.rng.Intn(60), g.rng.Intn(1000), 1000+g.rng.Intn(9000), g.rng.Intn(255), g.rng.Intn(255))
	}
	return b.String()
}

func (g *Generator) alternativeTop(h, body *bytes.Buffer, text, id string) {
	b := "alt-" + id[:12]
	fmt.Fprintf(h, "Content-Type: multipart/alternative; boundary=%q\r\n", b)
	g.parts(body, text, b)
}

func (g *Generator) alternative(body *bytes.Buffer, text, id string) {
	b := "alt-" + id[:12]
	fmt.Fprintf(body, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", b)
	g.parts(body, text, b)
}

func (g *Generator) parts(body *bytes.Buffer, text, boundary string) {
	fmt.Fprintf(body, "--%s\r\n", boundary)
	writeText(body, text)
	fmt.Fprintf(body, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
	var html strings.Builder
	html.WriteString("<html><body>")
	for _, p := range strings.Split(text, "\n\n") {
		html.WriteString("<p>" + strings.ReplaceAll(escapeHTML(p), "\n", "<br>") + "</p>\n")
	}
	html.WriteString("</body></html>")
	writeQP(body, html.String())
	fmt.Fprintf(body, "--%s--\r\n", boundary)
}

func writeTextHeaders(h *bytes.Buffer) {
	h.WriteString("Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\n")
}

func writeText(body *bytes.Buffer, text string) {
	body.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	writeQP(body, text)
}

func writeQP(body *bytes.Buffer, text string) {
	w := quotedprintable.NewWriter(body)
	io.WriteString(w, strings.ReplaceAll(text, "\n", "\r\n"))
	w.Close()
	body.WriteString("\r\n")
}

func writeLog(body *bytes.Buffer, name string, size int, rng *rand.Rand) {
	fmt.Fprintf(body, "Content-Type: text/plain; charset=us-ascii; name=%q\r\nContent-Disposition: attachment; filename=%q\r\n\r\n", name, name)
	for start := body.Len(); body.Len()-start < size; {
		fmt.Fprintf(body, "2026-03-01 23:%02d:%02d INFO  scheduler: job %d finished in %d ms\r\n", rng.Intn(60), rng.Intn(60), rng.Intn(100000), rng.Intn(5000))
	}
}

// writeBinary writes size random bytes base64-encoded in 76-column lines,
// encoding in chunks so a large attachment never needs a second copy.
func writeBinary(body *bytes.Buffer, name, ctype string, size int, rng *rand.Rand) {
	fmt.Fprintf(body, "Content-Type: %s; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", ctype, name, name)
	body.Grow(size/57*78 + 80)
	chunk := make([]byte, 57) // 57 bytes encode to one 76-column line
	line := make([]byte, 76)
	for left := size; left > 0; left -= len(chunk) {
		chunk = chunk[:min(57, left)]
		rng.Read(chunk)
		n := base64.StdEncoding.EncodedLen(len(chunk))
		base64.StdEncoding.Encode(line[:n], chunk)
		body.Write(line[:n])
		body.WriteString("\r\n")
	}
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func pick(rng *rand.Rand, s []string) string { return s[rng.Intn(len(s))] }

// asciiLower folds a name into a local part: lower case, umlauts and
// accents spelled out or dropped.
func asciiLower(s string) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "ae", "Ö", "oe", "Ü", "ue", "é", "e", "è", "e", "É", "e", "ë", "e", "ï", "i", "ç", "c")
	s = strings.ToLower(r.Replace(s))
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

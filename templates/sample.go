package templates

import (
	"time"

	"ticketd/ticket"
)

// sampleText holds the language-dependent parts of the preview data.
type sampleText struct {
	zone, contact, email, customer, label, subject, text  string
	reasons                                               []string
	stranger, strangerName, strangerSubject, strangerText string
	relay                                                 string
}

var samples = map[string]sampleText{
	"en": {
		zone: "Europe/Zurich", contact: "Sarah Collins", email: "sarah.collins@harbour-logistics.example",
		customer: "Harbour Logistics Ltd", label: "Critical",
		subject: "Production database unreachable since 08:10",
		text: "Hello,\n\nsince 08:10 our order system cannot reach the production database " +
			"(connection timeout after 30 s). Warehouse staff cannot book shipments.\n\n" +
			"We restarted the application servers, with no effect. Logs are attached.\n\nSarah",
		reasons:         []string{`"production" and "cannot book shipments" in the text`, "sender marked it urgent"},
		strangerSubject: "VPN keeps disconnecting",
		stranger:        "tom.baker@harbour-logistics.example", strangerName: "Tom Baker",
		strangerText: "Hi, our VPN client keeps disconnecting since this morning. Can you help?",
		relay: "Hello Sarah,\n\nthank you for the logs. The connection pool on db-prod-2 was exhausted " +
			"after last night's update. We have raised the limit and the order system is connected again.\n\n" +
			"Could you confirm that shipments can be booked?",
	},
	"de": {
		zone: "Europe/Zurich", contact: "Jonas Becker", email: "jonas.becker@mueller-maschinenbau.example",
		customer: "Müller Maschinenbau AG", label: "Kritisch",
		subject: "Produktionsdatenbank seit 08:10 nicht erreichbar",
		text: "Guten Tag,\n\nseit 08:10 erreicht unser Auftragssystem die Produktionsdatenbank nicht mehr " +
			"(Timeout nach 30 s). Im Lager können keine Lieferungen gebucht werden.\n\n" +
			"Ein Neustart der Applikationsserver hat nichts geändert. Die Logs hängen an.\n\nJonas Becker",
		reasons:         []string{`„Produktion“ und „keine Lieferungen“ im Text`, "vom Absender als dringend markiert"},
		strangerSubject: "VPN trennt ständig die Verbindung",
		stranger:        "anna.schmid@mueller-maschinenbau.example", strangerName: "Anna Schmid",
		strangerText: "Hallo, unser VPN-Client trennt seit heute Morgen ständig die Verbindung. Können Sie helfen?",
		relay: "Guten Tag Herr Becker,\n\nvielen Dank für die Logs. Der Verbindungspool auf db-prod-2 war nach " +
			"dem Update von heute Nacht erschöpft. Wir haben das Limit erhöht, das Auftragssystem ist wieder verbunden.\n\n" +
			"Können Sie bestätigen, dass sich Lieferungen wieder buchen lassen?",
	},
	"fr": {
		zone: "Europe/Paris", contact: "Claire Dubois", email: "claire.dubois@durand-fils.example",
		customer: "Durand & Fils SA", label: "Critique",
		subject: "Base de production inaccessible depuis 08h10",
		text: "Bonjour,\n\ndepuis 08h10, notre système de commandes n'arrive plus à joindre la base de " +
			"production (délai dépassé après 30 s). L'entrepôt ne peut plus enregistrer d'expéditions.\n\n" +
			"Le redémarrage des serveurs d'application n'a rien changé. Vous trouverez les journaux en pièce jointe.\n\nClaire Dubois",
		reasons:         []string{"« production » et « ne peut plus enregistrer » dans le texte", "marqué urgent par l'expéditeur"},
		strangerSubject: "Le VPN se déconnecte sans cesse",
		stranger:        "luc.martin@durand-fils.example", strangerName: "Luc Martin",
		strangerText: "Bonjour, notre client VPN se déconnecte sans cesse depuis ce matin. Pouvez-vous nous aider ?",
		relay: "Bonjour Madame Dubois,\n\nmerci pour les journaux. Le pool de connexions de db-prod-2 était saturé " +
			"depuis la mise à jour de cette nuit. Nous avons relevé la limite et le système de commandes est de nouveau connecté.\n\n" +
			"Pouvez-vous nous confirmer que les expéditions peuvent être enregistrées ?",
	},
}

// Sample returns realistic preview data for kind in lang (an unknown lang
// gives the English sample): every field is filled, so a template can be
// previewed and checked whatever it uses, and the inbound message is the
// one that kind is about. It is deterministic, so previews are stable.
func Sample(kind Kind, lang string) Data {
	st, ok := samples[normalizeLang(lang)]
	if !ok {
		st = samples[DefaultLanguage]
	}
	loc := zoneLocation(st.zone)
	if loc == nil {
		loc = time.UTC
	}
	received := time.Date(2026, time.November, 23, 8, 30, 0, 0, loc)
	d := Data{
		Zone:     st.zone,
		Support:  SupportInfo{Name: "Northwind Support", Address: "support@northwind.example"},
		Ticket:   TicketInfo{Number: 1042, Subject: st.subject, Status: "new"},
		Level:    LevelInfo{Code: "P1", Label: st.label, Reasons: st.reasons},
		Due:      Due{Set: true, At: received.Add(time.Hour), Target: "1h"},
		Contact:  Person{Name: st.contact, Email: st.email},
		Customer: CustomerInfo{Name: st.customer},
		Plan:     PlanInfo{Name: "Premium 24x7"},
		Engineer: Person{Name: "Priya Natarajan", Email: "priya.natarajan@northwind.example"},
		Message: MessageInfo{
			Subject: st.subject, From: st.email, FromName: st.contact, Text: st.text,
			Attachments: []string{"order-service.log", "db-pool.png"}, ReceivedAt: received,
		},
		Reminder:   ReminderInfo{Percent: 75, Elapsed: "45m"},
		Quarantine: QuarantineInfo{ID: 311, Reason: "DMARC fail for " + ticket.DomainOf(st.email) + " (p=reject)"},
		Notice: Notice{
			Title: "Delivery failed permanently",
			Body:  "The acknowledgement for [Ticket#1042] to " + st.email + " was rejected:\n550 5.1.1 mailbox unavailable",
		},
	}
	switch kind {
	case FollowupAck:
		d.Ticket.Status = "open"
		d.Message.FollowUp = true
	case Alert:
		d.Message.FollowUp = false
	case UnknownSender:
		d.Message = MessageInfo{Subject: st.strangerSubject, From: st.stranger, FromName: st.strangerName, Text: st.strangerText, ReceivedAt: received}
	case Relay:
		d.Ticket.Status = "open"
		d.Message = MessageInfo{Subject: "Re: [Ticket#1042] " + st.subject, From: "priya.natarajan@northwind.example", FromName: "Priya Natarajan", Text: st.relay, ReceivedAt: received.Add(50 * time.Minute)}
	case StaffBounce:
		d.Message = MessageInfo{Subject: "Re: db-prod-2 pool limit", From: "priya.natarajan@northwind.example", FromName: "Priya Natarajan", Text: st.relay, ReceivedAt: received.Add(50 * time.Minute)}
	case Breach, HoldingReply:
		d.Reminder = ReminderInfo{Percent: 100, Elapsed: "1h 00m"}
	}
	d.Digest = DigestInfo{Tickets: []DigestTicket{
		{Number: 1042, Tag: "[Ticket#1042]", Subject: st.subject, Level: st.label, Status: "open", Assignee: "Priya Natarajan",
			Due: FormatDateTime(received.Add(time.Hour), loc, normalizeLang(lang))},
		{Number: 1039, Tag: "[Ticket#1039]", Subject: st.strangerSubject, Level: "P3", Status: "waiting"},
	}}
	d.Hours = HoursInfo{Threshold: 80, UsedPercent: 85, Used: "8h 30m", Included: "10h", Per: "month",
		PeriodStart: FormatDateTime(time.Date(2026, time.November, 1, 0, 0, 0, 0, loc), loc, normalizeLang(lang))}
	return d
}

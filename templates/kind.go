package templates

import (
	"fmt"
	"slices"
	"strings"
)

// Kind names one mail ticketd writes.
type Kind string

// The kinds of mail. Customer-facing: Ack, FollowupAck, UnknownSender,
// HoldingReply, Relay, Digest. Engineer-facing: Alert, Reminder, Breach,
// StaffBounce, HoursWarning. Admin-facing: SpoofedAlert, AdminNotice.
const (
	Ack           Kind = "ack"            // new ticket acknowledgement to the customer
	FollowupAck   Kind = "followup-ack"   // customer follow-up added to a ticket (off by default in notify)
	UnknownSender Kind = "unknown-sender" // sender is not a registered technical contact; mail kept
	SpoofedAlert  Kind = "spoofed-alert"  // to admins: mail claiming to be from a contact failed authentication
	Alert         Kind = "alert"          // to engineers: new ticket or customer follow-up
	Reminder      Kind = "reminder"       // to engineers: part of the first-response target used
	Breach        Kind = "breach"         // to engineers: first-response target passed
	HoldingReply  Kind = "holding-reply"  // to the customer at breach; never counts as a response
	Relay         Kind = "relay"          // an engineer's words relayed to the customer
	StaffBounce   Kind = "staff-bounce"   // to an engineer whose mail matched no ticket
	AdminNotice   Kind = "admin-notice"   // generic admin alert: .Notice.Title and .Notice.Body
	Digest        Kind = "digest"         // to a customer's primary contact: their open tickets (weekly, or asked for with "status")
	HoursWarning  Kind = "hours-warning"  // to the designated engineer (or admin): a customer used 80 % / 100 % of the included hours
)

// Kinds lists every kind, in the order above.
var Kinds = []Kind{Ack, FollowupAck, UnknownSender, SpoofedAlert, Alert, Reminder, Breach, HoldingReply, Relay, StaffBounce, AdminNotice,
	Digest, HoursWarning}

// Languages lists the languages with built-in templates. The first is the
// default for a language ticketd has no templates for.
var Languages = []string{"en", "de", "fr"}

// DefaultLanguage is used when no better language is known.
const DefaultLanguage = "en"

// Parts of a mail, as they appear in file names.
const (
	PartSubject = "subject"
	PartText    = "txt"
	PartHTML    = "html"
)

// Parts lists the three parts every kind has in every language.
var Parts = []string{PartSubject, PartText, PartHTML}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// FileName returns the file name of one part, e.g. "ack.de.txt.tmpl".
func FileName(kind Kind, lang, part string) string {
	return string(kind) + "." + lang + "." + part + ".tmpl"
}

// parseFileName splits KIND.LANG.PART.tmpl and says what is wrong with a
// name that is not one of ours.
func parseFileName(name string) (Kind, string, string, error) {
	base, ok := strings.CutSuffix(name, ".tmpl")
	if !ok {
		return "", "", "", fmt.Errorf("unexpected file (template files are named KIND.LANG.PART.tmpl, e.g. %s)", FileName(Ack, "de", PartText))
	}
	fields := strings.Split(base, ".")
	if len(fields) != 3 {
		return "", "", "", fmt.Errorf("file name is not KIND.LANG.PART.tmpl (e.g. %s)", FileName(Ack, "de", PartText))
	}
	kind, lang, part := Kind(fields[0]), fields[1], fields[2]
	if !kind.Valid() {
		return "", "", "", fmt.Errorf("unknown kind %q (known: %s)", kind, joinKinds())
	}
	if !slices.Contains(Languages, lang) {
		return "", "", "", fmt.Errorf("unknown language %q (known: %s)", lang, strings.Join(Languages, ", "))
	}
	if !slices.Contains(Parts, part) {
		return "", "", "", fmt.Errorf("unknown part %q (known: %s)", part, strings.Join(Parts, ", "))
	}
	return kind, lang, part, nil
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

package ticket

import (
	"net/mail"
	"net/textproto"
	"time"
)

// Message is an inbound mail after parsing. The raw bytes are stored
// separately and are the source of truth; this is what the pipeline
// reasons about. Parsing never fails outright: problems are listed in
// ParseErrors and the message is flagged.
type Message struct {
	MessageID  string   // without angle brackets; "" when the mail has none
	InReplyTo  []string // message ids, without angle brackets
	References []string // message ids, without angle brackets, oldest first

	Subject string        // decoded
	From    *mail.Address // nil when missing or unparseable
	To      []*mail.Address
	Cc      []*mail.Address
	ReplyTo []*mail.Address
	Date    time.Time // zero when missing or unparseable

	// ReturnPath is the envelope sender as recorded by the delivering
	// server ("" for the null path <>); HasReturnPath tells whether the
	// header was present at all.
	ReturnPath    string
	HasReturnPath bool

	Text string // plain text body; converted from HTML when there is no text part
	HTML string // HTML body, if any

	// NewText is Text with quoted history and signature removed: what the
	// author wrote in this mail. Classification and alerts use it.
	NewText string

	// Forwarded is the text of the message embedded below the new text
	// (a forwarded report, or the mail under an Outlook header block),
	// its own history and signature cut; "" when there is none.
	// Classification reads it for a forward whose new text says nothing.
	Forwarded string

	Attachments []Attachment

	// Header holds every header field, canonical keys, decoded where the
	// parser could; used for Authentication-Results, Auto-Submitted etc.
	Header textproto.MIMEHeader

	// ParseErrors lists what the parser could not make sense of. A message
	// with any entry is flagged malformed but still processed where possible.
	ParseErrors []string

	// Size is the length of the raw message in bytes.
	Size int64
}

// Attachment is one attached (or inline, non-body) part.
type Attachment struct {
	Name        string // sanitised file name, never empty
	ContentType string
	Size        int64
	SHA256      string // hex
	Inline      bool
	Content     []byte
}

// FromAddress returns the normalised From address or "".
func (m *Message) FromAddress() string {
	if m == nil || m.From == nil {
		return ""
	}
	return NormalizeAddress(m.From.Address)
}

// LoopHeader is the header every mail ticketd sends carries, with the
// support address as its value. Inbound mail carrying it with our value is
// our own and is never answered automatically.
const LoopHeader = "X-Ticketd-Loop"

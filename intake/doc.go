// Package intake reads the support mailbox over IMAP (IDLE with poll
// fallback, reconnect with backoff, UIDVALIDITY/UID checkpoint) and turns raw
// RFC 5322 bytes into a ticket.Message: MIME and charsets, HTML to text,
// attachments, quoted-history and signature stripping, and RFC 3834
// automated-mail detection. It decides nothing about severity and sends no
// mail.
//
// Size: about 2,900 lines in two halves that meet only in ticket.Fetched:
// the IMAP client (imap*.go) and the MIME parser with its limits
// (parse*.go, strip.go, auto.go). They stay one package because DESIGN
// gives intake both and neither half is used without the other.
package intake

// Package notify composes outbound mail and delivers the outbox over SMTP
// with retry and error classes. It never parses inbound mail.
//
// Three pieces, each usable alone:
//   - Compose turns a Mail into RFC 5322 bytes that cannot carry injected
//     header fields (RFC 2047 and RFC 2231 for non-ASCII text, RFC 2045
//     quoted-printable and base64 bodies, lines of at most 998 octets).
//   - Deliverer submits bytes to one SMTP relay (RFC 5321), reusing one
//     connection, and classes every failure as temporary or permanent.
//   - Worker drains an Outbox (implemented by the store) through a
//     delivery function, retrying temporary failures with capped
//     exponential backoff and giving up after a deadline.
package notify

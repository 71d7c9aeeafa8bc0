package intake

import (
	"fmt"
	"mime"
	"strings"

	"ticketd/ticket"
)

// Automated reports whether m was sent by a machine, or asks not to be
// answered by one, so that ticketd must not reply to it automatically
// (RFC 3834 §2, §5). reason names the header that decided, in words an
// admin can read. ourLoopValue is the value ticketd puts in its loop
// header (ticket.LoopHeader); "" disables that check.
//
// The checks, first match wins: our own loop header; Auto-Submitted other
// than "no"; X-Auto-Response-Suppress All/AutoReply; Precedence
// bulk/junk/list/auto_reply; List-Id or List-Unsubscribe; a null
// Return-Path; a From of mailer-daemon, postmaster or a no-reply address;
// a multipart/report (DSN or MDN); the X-Autoreply family.
func Automated(m *ticket.Message, ourLoopValues ...string) (reason string, automated bool) {
	if m == nil {
		return "", false
	}
	h := m.Header

	for _, v := range h.Values(ticket.LoopHeader) {
		for _, ours := range ourLoopValues {
			if our := normLoop(ours); our != "" && normLoop(v) == our {
				return fmt.Sprintf("%s: %s (our own mail coming back)", ticket.LoopHeader, strings.TrimSpace(v)), true
			}
		}
	}

	// RFC 3834 §5.1: any Auto-Submitted value other than "no" marks
	// machine-generated mail; parameters after ';' do not change that.
	for _, v := range h.Values("Auto-Submitted") {
		kw := strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		if kw == "no" {
			continue
		}
		if kw == "" {
			return "Auto-Submitted present without a value (RFC 3834 §5)", true
		}
		return fmt.Sprintf("Auto-Submitted: %s (RFC 3834 §2)", kw), true
	}

	// Microsoft's X-Auto-Response-Suppress on inbound mail asks us not to
	// send automatic replies to it; honouring it is the point of the header.
	for _, v := range h.Values("X-Auto-Response-Suppress") {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if strings.EqualFold(f, "All") || strings.EqualFold(f, "AutoReply") {
				return fmt.Sprintf("X-Auto-Response-Suppress: %s (sender asks for no automatic replies)", strings.TrimSpace(v)), true
			}
		}
	}

	// RFC 3834 §2: responders should not answer Precedence bulk, junk or
	// list; auto_reply is what some responders set on their own replies.
	for _, v := range h.Values("Precedence") {
		switch p := strings.ToLower(strings.TrimSpace(v)); p {
		case "bulk", "junk", "list", "auto_reply", "auto-reply":
			return fmt.Sprintf("Precedence: %s (RFC 3834 §2)", p), true
		}
	}

	// RFC 2919 List-Id, RFC 2369 List-Unsubscribe: mailing-list traffic
	// (RFC 3834 §2 says not to answer list mail).
	for _, k := range []string{"List-Id", "List-Unsubscribe"} {
		if len(h.Values(k)) > 0 {
			return fmt.Sprintf("%s present: mailing list (RFC 3834 §2, RFC 2369/2919)", k), true
		}
	}

	// RFC 3834 §2 and RFC 5321 §4.5.5: mail with a null reverse path is a
	// bounce or notification and must not be answered.
	if m.HasReturnPath && m.ReturnPath == "" {
		return "Return-Path: <> (null reverse path, RFC 3834 §2)", true
	}

	if m.From != nil {
		local := strings.ToLower(ticket.LocalPart(m.From.Address))
		if plus := strings.IndexByte(local, '+'); plus > 0 {
			local = local[:plus]
		}
		switch local {
		case "mailer-daemon", "postmaster":
			return fmt.Sprintf("From: %s (mail system address, RFC 3834 §2)", m.From.Address), true
		case "noreply", "no-reply", "do-not-reply", "donotreply", "no_reply":
			return fmt.Sprintf("From: %s (no-reply address)", m.From.Address), true
		}
	}

	// RFC 6522 multipart/report carries DSNs (RFC 3464) and MDNs (RFC 8098).
	if ct := h.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
		}
		if mt == "multipart/report" {
			rt := strings.ToLower(params["report-type"])
			switch rt {
			case "delivery-status":
				return "Content-Type: multipart/report; report-type=delivery-status (DSN, RFC 3464)", true
			case "disposition-notification":
				return "Content-Type: multipart/report; report-type=disposition-notification (MDN, RFC 8098)", true
			}
			return "Content-Type: multipart/report (RFC 6522)", true
		}
	}

	// Non-standard headers older responders set on their replies.
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder"} {
		if len(h.Values(k)) > 0 {
			return fmt.Sprintf("%s present (auto-responder)", k), true
		}
	}
	return "", false
}

func normLoop(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	return strings.ToLower(strings.TrimSpace(v))
}

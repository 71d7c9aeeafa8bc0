package intake

import (
	"net/mail"
	"net/textproto"
	"strings"
	"testing"

	"ticketd/ticket"
)

func TestAutomated(t *testing.T) {
	const our = "support@example.com"
	human := &mail.Address{Name: "Jane", Address: "jane@customer.example"}
	msg := func(from *mail.Address, kv ...string) *ticket.Message {
		h := textproto.MIMEHeader{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return &ticket.Message{From: from, Header: h}
	}
	tests := []struct {
		name       string
		m          *ticket.Message
		wantAuto   bool
		wantReason string // substring of the reason
	}{
		{"human_mail_is_not_automated", msg(human, "Subject", "help"), false, ""},
		{"nil_message_is_not_automated", nil, false, ""},
		{"auto_submitted_no_is_human", msg(human, "Auto-Submitted", "no"), false, ""},
		{"auto_submitted_NO_any_case_is_human", msg(human, "Auto-Submitted", " No ; x=y"), false, ""},
		{"auto_replied", msg(human, "Auto-Submitted", "auto-replied"), true, "Auto-Submitted: auto-replied (RFC 3834 §2)"},
		{"auto_generated_with_params", msg(human, "Auto-Submitted", "Auto-Generated; owner-email=x@y"), true, "Auto-Submitted: auto-generated"},
		{"auto_submitted_empty", msg(human, "Auto-Submitted", ""), true, "without a value"},
		{"precedence_bulk", msg(human, "Precedence", "bulk"), true, "Precedence: bulk"},
		{"precedence_junk", msg(human, "Precedence", "JUNK"), true, "Precedence: junk"},
		{"precedence_list", msg(human, "Precedence", "list"), true, "Precedence: list"},
		{"precedence_auto_reply", msg(human, "Precedence", "auto_reply"), true, "Precedence: auto_reply"},
		{"precedence_first_class_is_human", msg(human, "Precedence", "first-class"), false, ""},
		{"list_id", msg(human, "List-Id", "<dev.lists.example>"), true, "List-Id"},
		{"list_unsubscribe", msg(human, "List-Unsubscribe", "<mailto:u@lists.example>"), true, "List-Unsubscribe"},
		{"x_auto_response_suppress_all", msg(human, "X-Auto-Response-Suppress", "All"), true, "sender asks for no automatic replies"},
		{"x_auto_response_suppress_autoreply", msg(human, "X-Auto-Response-Suppress", "DR, AutoReply"), true, "X-Auto-Response-Suppress"},
		{"x_auto_response_suppress_oof_only_is_human", msg(human, "X-Auto-Response-Suppress", "OOF, DR"), false, ""},
		{"null_return_path", func() *ticket.Message { m := msg(human); m.HasReturnPath = true; return m }(), true, "Return-Path: <>"},
		{"present_return_path_is_human", func() *ticket.Message {
			m := msg(human)
			m.HasReturnPath, m.ReturnPath = true, "jane@customer.example"
			return m
		}(), false, ""},
		{"mailer_daemon", msg(&mail.Address{Address: "MAILER-DAEMON@mx.example"}), true, "mail system address"},
		{"postmaster", msg(&mail.Address{Address: "postmaster@mx.example"}), true, "mail system address"},
		{"noreply", msg(&mail.Address{Address: "noreply@saas.example"}), true, "no-reply address"},
		{"no_reply_with_tag", msg(&mail.Address{Address: "No-Reply+alerts@saas.example"}), true, "no-reply address"},
		{"do_not_reply", msg(&mail.Address{Address: "do-not-reply@saas.example"}), true, "no-reply address"},
		{"replyer_is_human", msg(&mail.Address{Address: "noreplyer@saas.example"}), false, ""},
		{"dsn_report", msg(human, "Content-Type", `multipart/report; report-type=delivery-status; boundary="b"`), true, "DSN, RFC 3464"},
		{"mdn_report", msg(human, "Content-Type", `multipart/report; report-type="disposition-notification"; boundary=b`), true, "MDN, RFC 8098"},
		{"report_unparseable_params", msg(human, "Content-Type", `Multipart/Report; boundary="unterminated`), true, "multipart/report"},
		{"multipart_mixed_is_human", msg(human, "Content-Type", `multipart/mixed; boundary=b`), false, ""},
		{"x_autoreply", msg(human, "X-Autoreply", "yes"), true, "X-Autoreply"},
		{"x_autorespond", msg(human, "X-Autorespond", "1"), true, "X-Autorespond"},
		{"x_auto_reply", msg(human, "X-Auto-Reply", "true"), true, "X-Auto-Reply"},
		{"our_loop_header", msg(human, ticket.LoopHeader, our), true, "our own mail"},
		{"our_loop_header_other_case_and_brackets", msg(human, ticket.LoopHeader, "<Support@Example.COM>"), true, "our own mail"},
		{"our_loop_among_several", msg(human, ticket.LoopHeader, "other@x.example", ticket.LoopHeader, our), true, "our own mail"},
		{"foreign_loop_header_is_human", msg(human, ticket.LoopHeader, "helpdesk@other.example"), false, ""},
		{"loop_check_wins_over_others", msg(human, "Precedence", "bulk", ticket.LoopHeader, our), true, ticket.LoopHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, auto := Automated(tt.m, our)
			if auto != tt.wantAuto {
				t.Fatalf("Automated = %v (%q), want %v", auto, reason, tt.wantAuto)
			}
			if !auto && reason != "" {
				t.Errorf("reason %q for a non-automated mail", reason)
			}
			if !strings.Contains(reason, tt.wantReason) {
				t.Errorf("reason %q does not contain %q", reason, tt.wantReason)
			}
		})
	}
}

// TestAutomatedEmptyLoopValueDisablesLoopCheck guards against "" matching
// an empty loop header.
func TestAutomatedEmptyLoopValueDisablesLoopCheck(t *testing.T) {
	m := &ticket.Message{Header: textproto.MIMEHeader{"X-Ticketd-Loop": {""}}}
	if reason, auto := Automated(m, ""); auto {
		t.Fatalf("Automated = true (%q), want false", reason)
	}
}

// TestAutomatedOnParsedMail runs Automated on parsed bytes, so header
// canonicalisation and Return-Path extraction are covered end to end.
func TestAutomatedOnParsedMail(t *testing.T) {
	raw := "Return-Path: <>\r\nFrom: a@b.example\r\nx-ticketd-loop: support@example.com\r\nSubject: x\r\n\r\nbody\r\n"
	reason, auto := Automated(Parse([]byte(raw)), "support@example.com")
	if !auto || !strings.Contains(reason, "our own mail") {
		t.Fatalf("Automated = %v, %q; want our loop detected", auto, reason)
	}
	raw = "Return-Path: <>\r\nFrom: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"
	reason, auto = Automated(Parse([]byte(raw)), "support@example.com")
	if !auto || !strings.Contains(reason, "null reverse path") {
		t.Fatalf("Automated = %v, %q; want null return path", auto, reason)
	}
}

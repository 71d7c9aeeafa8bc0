package classify

import (
	"net/textproto"
	"slices"
	"strings"
	"testing"
)

// authHeader builds a header with the given Authentication-Results values,
// topmost first.
func authHeader(values ...string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for _, v := range values {
		h.Add("Authentication-Results", v)
	}
	return h
}

// Realistic Authentication-Results values, as the big providers write them.
const (
	gmailPass = "mx.google.com;\r\n" +
		"       dkim=pass header.i=@acme.example header.s=20230601 header.b=Qx3fZt1a;\r\n" +
		"       spf=pass (google.com: domain of ops@acme.example designates 203.0.113.7 as permitted sender) smtp.mailfrom=ops@acme.example;\r\n" +
		"       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=acme.example"
	gmailForged = "mx.google.com;\r\n" +
		"       dkim=pass header.i=@mailer.evil.example header.s=s1 header.b=AAAAbbbb;\r\n" +
		"       spf=pass (google.com: domain of bounce@mailer.evil.example designates 198.51.100.9 as permitted sender) smtp.mailfrom=bounce@mailer.evil.example;\r\n" +
		"       dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=acme.example"
	microsoftPass = "mx.microsoft.com 1; spf=pass (sender ip is 203.0.113.7)" +
		" smtp.rcpttodomain=help.example smtp.mailfrom=acme.example; dmarc=pass (p=reject sp=reject pct=100)" +
		" action=none header.from=acme.example; dkim=pass (signature was verified) header.d=acme.example; arc=none"
	// Exchange Online writes no authserv-id at all.
	microsoftNoID = "spf=pass (sender IP is 40.107.22.15) smtp.mailfrom=acme.example; dkim=pass (signature was verified)" +
		" header.d=acme.example;dmarc=pass action=none header.from=acme.example;compauth=pass reason=100"
	fastmailDMARCNone = "mx3.messagingengine.com;\r\n" +
		"    arc=none (no signatures found);\r\n" +
		"    dkim=pass (2048-bit rsa key sha256) header.d=mail.acme.example\r\n" +
		"      header.i=@mail.acme.example header.b=Zm9vYmFy header.a=rsa-sha256\r\n" +
		"      header.s=fm2 x-bits=2048;\r\n" +
		"    dmarc=none policy.published-domain-policy=none header.from=acme.example;\r\n" +
		"    iprev=pass smtp.remote-ip=203.0.113.7 (out.esp.example);\r\n" +
		"    spf=softfail smtp.mailfrom=bounces@esp.example smtp.helo=out.esp.example;\r\n" +
		"    x-aligned-from=fail;\r\n" +
		"    x-me-sender=none"
)

var allTrusted = []string{"mx.example.com", "mx.google.com", "mx.microsoft.com", "mx3.messagingengine.com"}

func TestEvaluateAuth(t *testing.T) {
	tests := []struct {
		name        string
		header      textproto.MIMEHeader
		from        string
		trusted     []string
		checked     bool
		pass, fail  bool
		dmarc, spf  string
		dkimAligned bool
		spfAligned  bool
		dkimDomains []string
		detail      string // substring of Detail
	}{
		{
			name: "gmail_dmarc_pass", header: authHeader(gmailPass), from: "acme.example", trusted: allTrusted,
			checked: true, pass: true, dmarc: "pass", spf: "pass", dkimAligned: true, spfAligned: true,
			dkimDomains: []string{"acme.example"}, detail: "dmarc=pass (header.from=acme.example)",
		},
		{
			name: "gmail_dmarc_fail_with_third_party_dkim", header: authHeader(gmailForged), from: "acme.example", trusted: allTrusted,
			checked: true, fail: true, dmarc: "fail", spf: "pass",
			dkimDomains: []string{"mailer.evil.example"}, detail: "dmarc=fail (header.from=acme.example)",
		},
		{
			name: "microsoft_with_version_dmarc_pass", header: authHeader(microsoftPass), from: "acme.example", trusted: allTrusted,
			checked: true, pass: true, dmarc: "pass", spf: "pass", dkimAligned: true, spfAligned: true,
			dkimDomains: []string{"acme.example"}, detail: "dmarc=pass",
		},
		{
			name: "microsoft_without_authserv_id_is_ignored", header: authHeader(microsoftNoID), from: "acme.example", trusted: allTrusted,
			detail: "no Authentication-Results from a trusted authserv-id (ignored 1 from: (no readable authserv-id))",
		},
		{
			name: "fastmail_dmarc_none_passes_on_subdomain_dkim", header: authHeader(fastmailDMARCNone), from: "acme.example", trusted: allTrusted,
			checked: true, pass: true, dmarc: "none", spf: "softfail", dkimAligned: true,
			dkimDomains: []string{"mail.acme.example"}, detail: "dkim=pass for mail.acme.example (aligned with acme.example)",
		},
		{
			name: "untrusted_pass_is_ignored", header: authHeader("mx.evil.example; dmarc=pass header.from=acme.example"),
			from: "acme.example", trusted: allTrusted,
			detail: "no Authentication-Results from a trusted authserv-id (ignored 1 from: mx.evil.example)",
		},
		{
			name:   "untrusted_header_above_trusted_one_does_not_count",
			header: authHeader("relay.partner.example; dmarc=pass header.from=acme.example", gmailForged),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, dmarc: "fail", spf: "pass", dkimDomains: []string{"mailer.evil.example"}, detail: "dmarc=fail",
		},
		{
			name:   "topmost_trusted_header_wins_over_older_trusted_pass",
			header: authHeader("mx.example.com; dmarc=fail header.from=acme.example", "mx.google.com; dmarc=pass header.from=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, dmarc: "fail", detail: "dmarc=fail",
		},
		{
			name:   "topmost_trusted_header_wins_over_older_trusted_fail",
			header: authHeader("mx.example.com; dmarc=pass header.from=acme.example", "mx.google.com; dmarc=fail header.from=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, pass: true, dmarc: "pass", detail: "dmarc=pass",
		},
		{
			name: "no_dmarc_third_party_dkim_and_spf_softfail_fails",
			header: authHeader("mx.example.com; dkim=pass header.d=esp.example header.s=s1;" +
				" spf=softfail smtp.mailfrom=bounce@esp.example"),
			from: "acme.example", trusted: allTrusted,
			checked: true, fail: true, spf: "softfail", dkimDomains: []string{"esp.example"},
			detail: "no dmarc result, dkim=pass only for esp.example (not aligned with acme.example), spf=softfail (smtp.mailfrom=esp.example)",
		},
		{
			name:   "no_dmarc_aligned_spf_pass_passes",
			header: authHeader("mx.example.com; dkim=none; spf=pass smtp.mailfrom=bounce@mail.acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, pass: true, spf: "pass", spfAligned: true,
			detail: "spf=pass for mail.acme.example (aligned with acme.example)",
		},
		{
			name:   "no_dmarc_unaligned_spf_pass_fails",
			header: authHeader("mx.example.com; spf=pass smtp.mailfrom=bounce@evil.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, spf: "pass",
			detail: "no dmarc result, no passing DKIM signature, spf=pass only for evil.example (not aligned)",
		},
		{
			name:   "null_mail_from_uses_helo_for_spf",
			header: authHeader("mx.example.com; spf=pass smtp.mailfrom=<> smtp.helo=out.acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, pass: true, spf: "pass", spfAligned: true, detail: "spf=pass for out.acme.example (aligned with acme.example)",
		},
		{
			name:   "dmarc_fail_beats_aligned_dkim",
			header: authHeader("mx.example.com; dkim=pass header.d=acme.example; dmarc=fail header.from=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, dmarc: "fail", dkimAligned: true, dkimDomains: []string{"acme.example"}, detail: "dmarc=fail",
		},
		{
			name:   "dmarc_temperror_falls_back_to_aligned_dkim",
			header: authHeader("mx.example.com; dkim=pass header.d=acme.example; dmarc=temperror header.from=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, pass: true, dmarc: "temperror", dkimAligned: true, dkimDomains: []string{"acme.example"}, detail: "(aligned with ",
		},
		{
			name:   "failed_dkim_signature_does_not_align",
			header: authHeader("mx.example.com; dkim=fail (bad signature) header.d=acme.example; spf=none smtp.mailfrom=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, spf: "none", detail: "no passing DKIM signature, spf=none",
		},
		{
			name:   "dmarc_pass_for_another_domain_is_ignored",
			header: authHeader("mx.example.com; dmarc=pass header.from=evil.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, detail: "; ignored dmarc=pass for evil.example",
		},
		{
			name:   "dmarc_fail_for_another_domain_still_fails",
			header: authHeader("mx.example.com; dkim=pass header.d=acme.example; dmarc=fail header.from=other.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, dmarc: "fail", dkimAligned: true, dkimDomains: []string{"acme.example"},
			detail: "dmarc=fail (header.from=other.example)",
		},
		{
			name:   "trusted_none_is_neither_pass_nor_fail",
			header: authHeader("mx.example.com; none"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, detail: "no dkim, spf or dmarc results",
		},
		{
			name:   "comments_with_semicolons_and_equals_are_skipped",
			header: authHeader("mx.example.com (Postfix; v=3.7); spf=pass (a;dmarc=fail b=c) smtp.mailfrom=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, pass: true, spf: "pass", spfAligned: true, detail: "(aligned with ",
		},
		{
			name:   "nested_comment_and_quoted_pair",
			header: authHeader(`mx.example.com; dkim=pass (outer (inner \) ; dmarc=fail) still) header.d=acme.example`),
			from:   "acme.example", trusted: allTrusted,
			checked: true, pass: true, dkimAligned: true, dkimDomains: []string{"acme.example"}, detail: "(aligned with ",
		},
		{
			name:   "unreadable_resinfo_does_not_hide_dmarc_fail",
			header: authHeader("mx.example.com; x-vendor-check; dmarc=fail header.from=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			checked: true, fail: true, dmarc: "fail", detail: "dmarc=fail",
		},
		{
			name:   "authserv_id_matches_case_insensitively_and_without_trailing_dot",
			header: authHeader("MX.Example.COM; dmarc=pass header.from=acme.example"),
			from:   "acme.example", trusted: []string{"mx.example.com."},
			checked: true, pass: true, dmarc: "pass", detail: "dmarc=pass",
		},
		{
			name:   "unsupported_version_is_ignored",
			header: authHeader("mx.example.com 2; dmarc=pass header.from=acme.example"),
			from:   "acme.example", trusted: allTrusted,
			detail: "ignored 1 from: (no readable authserv-id)",
		},
		{
			name:   "empty_trusted_list_trusts_nothing",
			header: authHeader(gmailPass),
			from:   "acme.example", trusted: nil,
			detail: "ignored 1 from: mx.google.com",
		},
		{
			name:   "idn_from_domain_aligns_with_punycode_dkim_domain",
			header: authHeader("mx.example.com; dkim=pass header.d=xn--bcher-kva.example"),
			from:   "Bücher.example", trusted: allTrusted,
			checked: true, pass: true, dkimAligned: true, dkimDomains: []string{"xn--bcher-kva.example"}, detail: "(aligned with ",
		},
		{
			name:   "sibling_under_public_suffix_is_not_aligned",
			header: authHeader("mx.example.com; dkim=pass header.d=evil.co.uk"),
			from:   "acme.co.uk", trusted: allTrusted,
			checked: true, fail: true, dkimDomains: []string{"evil.co.uk"}, detail: "not aligned with acme.co.uk",
		},
		{
			name:   "parent_under_public_suffix_is_aligned",
			header: authHeader("mx.example.com; dkim=pass header.d=acme.co.uk"),
			from:   "mail.acme.co.uk", trusted: allTrusted,
			checked: true, pass: true, dkimAligned: true, dkimDomains: []string{"acme.co.uk"}, detail: "(aligned with ",
		},
		{
			name:   "no_header_at_all",
			header: textproto.MIMEHeader{},
			from:   "acme.example", trusted: allTrusted,
			detail: "no Authentication-Results from a trusted authserv-id",
		},
		{
			name:   "nil_header",
			header: nil,
			from:   "acme.example", trusted: allTrusted,
			detail: "no Authentication-Results from a trusted authserv-id",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := EvaluateAuth(tt.header, tt.from, tt.trusted)
			if v.Checked != tt.checked || v.Pass != tt.pass || v.Fail != tt.fail {
				t.Errorf("Checked, Pass, Fail = %v, %v, %v, want %v, %v, %v (Detail %q)",
					v.Checked, v.Pass, v.Fail, tt.checked, tt.pass, tt.fail, v.Detail)
			}
			if v.DMARC != tt.dmarc || v.SPF != tt.spf {
				t.Errorf("DMARC, SPF = %q, %q, want %q, %q", v.DMARC, v.SPF, tt.dmarc, tt.spf)
			}
			if v.DKIMAligned != tt.dkimAligned || v.SPFAligned != tt.spfAligned {
				t.Errorf("DKIMAligned, SPFAligned = %v, %v, want %v, %v", v.DKIMAligned, v.SPFAligned, tt.dkimAligned, tt.spfAligned)
			}
			if !slices.Equal(v.DKIMDomains, tt.dkimDomains) {
				t.Errorf("DKIMDomains = %q, want %q", v.DKIMDomains, tt.dkimDomains)
			}
			if !strings.Contains(v.Detail, tt.detail) {
				t.Errorf("Detail = %q, want it to contain %q", v.Detail, tt.detail)
			}
		})
	}
}

func TestEvaluateAuthNamesTheTrustedServer(t *testing.T) {
	v := EvaluateAuth(authHeader("relay.partner.example; none", gmailPass), "acme.example", allTrusted)
	if v.AuthServID != "mx.google.com" {
		t.Errorf("AuthServID = %q, want mx.google.com", v.AuthServID)
	}
}

func TestEvaluateAuthKeepsDetailPrintable(t *testing.T) {
	v := EvaluateAuth(authHeader("evil\x1b[31m.example; dmarc=pass"), "acme.example", allTrusted)
	if strings.ContainsRune(v.Detail, '\x1b') {
		t.Errorf("Detail contains an escape character: %q", v.Detail)
	}
	if !strings.Contains(v.Detail, "evil?[31m.example") {
		t.Errorf("Detail = %q, want the id with the escape replaced", v.Detail)
	}
}

func TestAuthStripComments(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"removes_simple_comment", "a (b) c", "a   c"},
		{"removes_nested_comment", "a (b (c) d) e", "a   e"},
		{"keeps_parentheses_in_quoted_string", `a "(b)" c`, `a "(b)" c`},
		{"honours_quoted_pair_in_comment", `a (b \) c) d`, "a   d"},
		{"unfolds_line_breaks", "a;\r\n\tb", "a;   b"},
		{"drops_unterminated_comment", "a (b; c", "a "},
		{"keeps_stray_closing_parenthesis", "a ) b", "a ) b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := authStripComments(tt.in); got != tt.want {
				t.Errorf("authStripComments(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzEvaluateAuth(f *testing.F) {
	for _, v := range []string{gmailPass, gmailForged, microsoftPass, microsoftNoID, fastmailDMARCNone,
		"mx.example.com; none", "mx.example.com 2; dmarc=pass", "mx.example.com; x; dmarc=fail header.from=acme.example",
		"a (b (c \\) d", `mx.example.com; dkim=pass header.d="acme.example"`, ";;;", ""} {
		f.Add(v, "", "acme.example")
		f.Add(v, gmailPass, "mail.acme.example")
	}
	f.Fuzz(func(t *testing.T, top, below, fromDomain string) {
		// Trust the first header's own id, so the fuzzer reaches evaluation.
		id, _, _ := strings.Cut(strings.TrimSpace(authStripComments(top)), ";")
		id, _, _ = strings.Cut(id, " ")
		trusted := []string{id, "mx.google.com"}
		v := EvaluateAuth(authHeader(top, below), fromDomain, trusted)
		if v.Pass && v.Fail {
			t.Fatalf("Pass and Fail both true: %+v", v)
		}
		if !v.Checked && (v.Pass || v.Fail) {
			t.Fatalf("verdict without a trusted header: %+v", v)
		}
		if v.Detail == "" {
			t.Fatalf("empty Detail: %+v", v)
		}
	})
}

package classify

import (
	"fmt"
	"net/textproto"
	"strings"
	"unicode"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"

	"ticketd/ticket"
)

// authResultsHeader is the header field of RFC 8601.
const authResultsHeader = "Authentication-Results"

// AuthVerdict is what the trusted receiving server's Authentication-Results
// header (RFC 8601) says about the domain in a mail's From. ticketd does no
// DNS or signature checks itself; it believes the server it fetches from.
type AuthVerdict struct {
	// Checked is true when a header from a trusted authserv-id was found
	// and read; all fields below but Detail are empty otherwise.
	Checked bool
	// AuthServID is the authserv-id of the header that was used.
	AuthServID string
	// DMARC and SPF are the result values ("pass", "fail", "none",
	// "softfail", …) as reported, or "" when the header has none.
	DMARC, SPF string
	// SPFAligned is true when SPF passed for a MAIL FROM domain in the same
	// organizational domain as From (RFC 7489 §3.1.2, relaxed).
	SPFAligned bool
	// DKIMAligned is true when a passing DKIM signature's domain is in the
	// same organizational domain as From (RFC 7489 §3.1.1, relaxed).
	DKIMAligned bool
	// DKIMDomains lists the domains of passing DKIM signatures, aligned or
	// not, in header order.
	DKIMDomains []string
	// Pass: the From domain is authenticated. Fail: the header shows it is
	// not. Both are false when nothing trusted was found or the server
	// reported no results; they are never both true.
	Pass, Fail bool
	// Detail explains the verdict for admins, e.g.
	// "dmarc=fail (header.from=acme.example)".
	Detail string
}

// EvaluateAuth reads the Authentication-Results headers in h and judges the
// From domain fromDomain by the topmost one whose authserv-id is in trusted.
//
// Only trusted headers count: anyone can add an Authentication-Results
// header before sending, and RFC 8601 §5 has the border MTA remove copies of
// its own. The receiving server prepends its header, so the first trusted
// one in header order is the one it wrote last and is authoritative.
//
// The verdict, as DMARC (RFC 7489) would reach it:
//   - dmarc=fail fails, even if a DKIM signature looks aligned: the server
//     knows the published policy (strict alignment, for one); we do not.
//   - dmarc=pass for the From domain passes.
//   - otherwise (no dmarc result, or none, temperror, permerror) a passing
//     DKIM signature aligned with From, or a passing SPF check aligned with
//     From, passes; neither fails. SPF must be aligned too: an attacker's
//     own domain passes SPF without saying anything about From.
//   - a trusted header without any dkim, spf or dmarc result (for example
//     "mx.example.com; none") is neither pass nor fail.
func EvaluateAuth(h textproto.MIMEHeader, fromDomain string, trusted []string) AuthVerdict {
	fromDomain = ticket.NormalizeDomain(fromDomain)
	var ignored []string
	for _, value := range h.Values(authResultsHeader) {
		id, resinfos, ok := authSplitHeader(value)
		if !ok {
			ignored = append(ignored, "(no readable authserv-id)")
			continue
		}
		if !authTrusted(id, trusted) {
			ignored = append(ignored, id)
			continue
		}
		return authEvaluate(id, resinfos, fromDomain)
	}
	detail := "no Authentication-Results from a trusted authserv-id"
	if len(ignored) > 0 {
		detail += fmt.Sprintf(" (ignored %d from: %s)", len(ignored), authList(ignored, 3))
	}
	return AuthVerdict{Detail: detail}
}

// authSplitHeader removes comments from an Authentication-Results value and
// splits it into its authserv-id and its resinfo parts (RFC 8601 §2.2). It
// fails when there is no authserv-id or its version is not 1; RFC 8601 §2.2
// says such a header is to be ignored. Headers written without an
// authserv-id, as Exchange Online does, therefore never count as trusted.
func authSplitHeader(value string) (id string, resinfos []string, ok bool) {
	parts := strings.Split(authStripComments(value), ";")
	id, _, err := authres.Parse(parts[0])
	if err != nil || id == "" || strings.Contains(id, "=") {
		return "", nil, false
	}
	return id, parts[1:], true
}

// authTrusted reports whether the authserv-id id is one of trusted.
// authserv-ids are usually host names, so they compare case-insensitively.
func authTrusted(id string, trusted []string) bool {
	id = strings.TrimSuffix(id, ".")
	for _, t := range trusted {
		if t = strings.TrimSuffix(strings.TrimSpace(t), "."); t != "" && strings.EqualFold(id, t) {
			return true
		}
	}
	return false
}

// authEvaluate judges fromDomain by the resinfos of the trusted header id.
func authEvaluate(id string, resinfos []string, fromDomain string) AuthVerdict {
	v := AuthVerdict{Checked: true, AuthServID: id}
	var (
		dmarcFrom     string   // header.from of the dmarc result used
		otherDMARC    []string // dmarc=pass results for another domain
		spfDomain     string   // MAIL FROM (or HELO) domain of the spf result used
		sawAnyResults bool
	)
	for _, resinfo := range resinfos {
		if strings.TrimSpace(resinfo) == "" {
			continue
		}
		// One resinfo at a time: authres.Parse stops at the first it cannot
		// read, and a vendor extension ahead of dmarc=fail must not hide it.
		_, results, err := authres.Parse(id + ";" + resinfo)
		if err != nil {
			continue
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DMARCResult:
				sawAnyResults = true
				value, from := string(r.Value), authDomain(r.From)
				switch {
				case value == authres.ResultFail:
					// A failure counts whatever domain it names: a
					// mismatch with our From means the server read
					// another From header than we did.
					if v.DMARC != authres.ResultFail {
						v.DMARC, dmarcFrom = value, from
					}
				case from != "" && from != fromDomain:
					otherDMARC = append(otherDMARC, value+" for "+from)
				case v.DMARC == "" || value == authres.ResultPass && v.DMARC != authres.ResultFail:
					v.DMARC, dmarcFrom = value, from
				}
			case *authres.DKIMResult:
				sawAnyResults = true
				if r.Value != authres.ResultPass {
					continue
				}
				d := authDomain(r.Domain)
				if d == "" {
					// Gmail writes only header.i=@domain.
					d = authDomain(r.Identifier)
				}
				if d == "" {
					continue
				}
				if !authContains(v.DKIMDomains, d) {
					v.DKIMDomains = append(v.DKIMDomains, d)
				}
				if authAligned(d, fromDomain) {
					v.DKIMAligned = true
				}
			case *authres.SPFResult:
				sawAnyResults = true
				d := authDomain(r.From)
				if d == "" {
					// RFC 7208 §2.4: with a null MAIL FROM the HELO
					// identity is checked instead.
					d = authDomain(r.Helo)
				}
				if v.SPF == "" || r.Value == authres.ResultPass && !v.SPFAligned {
					v.SPF, spfDomain = string(r.Value), d
					v.SPFAligned = r.Value == authres.ResultPass && authAligned(d, fromDomain)
				}
			}
		}
	}

	switch {
	case !sawAnyResults:
		v.Detail = "no dkim, spf or dmarc results"
	case v.DMARC == authres.ResultFail:
		v.Fail = true
		v.Detail = "dmarc=fail" + authParam("header.from", dmarcFrom)
	case v.DMARC == authres.ResultPass:
		v.Pass = true
		v.Detail = "dmarc=pass" + authParam("header.from", authOr(dmarcFrom, fromDomain))
	case v.DKIMAligned:
		v.Pass = true
		v.Detail = "dkim=pass for " + authFirstAligned(v.DKIMDomains, fromDomain) + " (aligned with " + fromDomain + ")"
	case v.SPFAligned:
		v.Pass = true
		v.Detail = "spf=pass for " + spfDomain + " (aligned with " + fromDomain + ")"
	default:
		v.Fail = true
		v.Detail = authFailureDetail(v, fromDomain, spfDomain)
	}
	if len(otherDMARC) > 0 {
		v.Detail += "; ignored dmarc=" + strings.Join(otherDMARC, ", ")
	}
	// Domains come from the mail's own From header: keep them printable.
	v.Detail = authPrintable(v.Detail, 500)
	return v
}

// authFailureDetail explains why neither DMARC, aligned DKIM nor aligned
// SPF vouches for fromDomain.
func authFailureDetail(v AuthVerdict, fromDomain, spfDomain string) string {
	var parts []string
	if v.DMARC == "" {
		parts = append(parts, "no dmarc result")
	} else {
		parts = append(parts, "dmarc="+v.DMARC)
	}
	if len(v.DKIMDomains) == 0 {
		parts = append(parts, "no passing DKIM signature")
	} else {
		parts = append(parts, "dkim=pass only for "+strings.Join(v.DKIMDomains, ", ")+" (not aligned with "+authOr(fromDomain, "an empty From domain")+")")
	}
	switch {
	case v.SPF == "":
		parts = append(parts, "no spf result")
	case v.SPF == authres.ResultPass:
		parts = append(parts, "spf=pass only for "+authOr(spfDomain, "an unnamed domain")+" (not aligned)")
	default:
		parts = append(parts, "spf="+v.SPF+authParam("smtp.mailfrom", spfDomain))
	}
	return strings.Join(parts, ", ")
}

// authOrgDomain returns the organizational domain of d (RFC 7489 §3.2): the
// public suffix plus one label. A domain the public suffix list cannot place
// (a bare suffix, a malformed name) is its own organizational domain.
func authOrgDomain(d string) string {
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

// authAligned reports relaxed alignment (RFC 7489 §3.1.1 and §3.1.2): both
// domains, already normalised, share their organizational domain.
func authAligned(d, fromDomain string) bool {
	if d == "" || fromDomain == "" {
		return false
	}
	return d == fromDomain || authOrgDomain(d) == authOrgDomain(fromDomain)
}

// authDomain returns the normalised domain of a result property, which may
// be a domain ("acme.example"), an address ("ops@acme.example") or an
// identity with an empty local part ("@acme.example").
func authDomain(s string) string {
	s = strings.Trim(strings.TrimSpace(s), `"<>`)
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[at+1:]
	}
	return ticket.NormalizeDomain(s)
}

// authStripComments returns value with RFC 5322 comments (nested, with
// quoted pairs) replaced by a space and line breaks unfolded. Comments may
// hold ";" and "=" (Gmail: "(google.com: domain of …)"), which would
// otherwise split or invent results. Quoted strings are kept as they are;
// an unterminated comment runs to the end.
func authStripComments(value string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '\r' || c == '\n' || c == '\t':
			if depth == 0 {
				b.WriteByte(' ')
			}
		case c == '\\' && (quoted || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(value) {
					b.WriteByte(value[i+1])
				}
			}
			i++
		case quoted:
			b.WriteByte(c)
			if c == '"' {
				quoted = false
			}
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// authParam formats " (key=value)", or "" for an empty value.
func authParam(key, value string) string {
	if value == "" {
		return ""
	}
	return " (" + key + "=" + value + ")"
}

// authFirstAligned returns the first domain in ds aligned with fromDomain.
func authFirstAligned(ds []string, fromDomain string) string {
	for _, d := range ds {
		if authAligned(d, fromDomain) {
			return d
		}
	}
	return ""
}

func authContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func authOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// authList joins at most limit items for a Detail, making attacker-supplied
// authserv-ids printable and short.
func authList(items []string, limit int) string {
	var shown []string
	for i, s := range items {
		if i == limit {
			shown = append(shown, fmt.Sprintf("and %d more", len(items)-limit))
			break
		}
		shown = append(shown, authPrintable(s, 64))
	}
	return strings.Join(shown, ", ")
}

// authPrintable replaces unprintable runes in s with '?' and cuts it to at
// most n runes, so header text is safe to show in logs and admin mail.
func authPrintable(s string, n int) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i == n {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

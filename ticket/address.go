package ticket

import (
	"strings"

	"golang.org/x/net/idna"
)

// NormalizeAddress returns addr with its domain lower-cased and converted to
// its ASCII (punycode) form, and its local part unchanged: RFC 5321 §2.4 lets
// the local part be case-sensitive, so two addresses compare equal only when
// their local parts match exactly. An address without '@' is returned
// trimmed. Surrounding angle brackets are removed.
func NormalizeAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local, domain := addr[:at], addr[at+1:]
	return local + "@" + NormalizeDomain(domain)
}

// NormalizeDomain lower-cases a domain and converts IDN labels to ASCII.
// A domain that is not valid IDNA is only lower-cased.
func NormalizeDomain(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if a, err := idna.Lookup.ToASCII(domain); err == nil && a != "" {
		return a
	}
	return domain
}

// DomainOf returns the normalised domain of addr, or "".
func DomainOf(addr string) string {
	addr = NormalizeAddress(addr)
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return addr[at+1:]
	}
	return ""
}

// LocalPart returns the part of addr before the last '@'.
func LocalPart(addr string) string {
	addr = NormalizeAddress(addr)
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return addr[:at]
	}
	return addr
}

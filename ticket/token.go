package ticket

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// A reply token names a ticket in addresses and Message-IDs we send, so a
// reply finds its ticket even when the subject was rewritten. It is a role
// letter + the decimal ticket number + "." + a 10-character MAC, e.g.
// "t42.k7x3ab9qzm". The MAC is the first 50 bits of
// HMAC-SHA256(key, role+":"+number) in lower-case base32: enough that
// guessing a token for someone else's ticket is hopeless, short enough for
// a local part (RFC 5321 §4.5.3.1.1 allows 64 octets).
//
// There are two roles. Customer tokens ("t", MAC over "ticket:N") go out in
// acknowledgements and relayed replies: they let a reply join its ticket.
// Staff tokens ("s", MAC over "staff:N") go out only in mail to engineers
// (alerts, reminders): only a reply carrying one may command the ticket or
// have its text relayed to the customer. A customer who has their own
// ticket's token therefore cannot act as an engineer on it.

// TokenRole says whom a token was given to.
type TokenRole byte

// Token roles.
const (
	TokenCustomer TokenRole = 't'
	TokenStaff    TokenRole = 's'
)

// macDomain is what a role's MAC is computed over, before the number.
func (r TokenRole) macDomain() string {
	if r == TokenStaff {
		return "staff:"
	}
	return "ticket:"
}

// tokenMACLen is the number of base32 characters of MAC in a token.
const tokenMACLen = 10

// maxTokenLen bounds the tokens VerifyToken looks at: the role letter, 19
// digits of an int64, ".", the MAC.
const maxTokenLen = 1 + 19 + 1 + tokenMACLen

// tokenKeyLen is the length of keys made by NewTokenKey.
const tokenKeyLen = 32

// tokenEncoding is RFC 4648 base32 in lower case without padding: case-free
// enough for local parts and unambiguous to read aloud.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewTokenKey returns a new random 32-byte key for SignToken and VerifyToken.
// The key is kept in the database; replacing it invalidates every token
// already sent.
func NewTokenKey() ([]byte, error) {
	key := make([]byte, tokenKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("ticket: read random token key: %w", err)
	}
	return key, nil
}

// SignToken returns the customer reply token for ticket number under key,
// e.g. "t42.k7x3ab9qzm". Ticket numbers are never negative; a token made for
// a negative number is rejected by VerifyToken.
func SignToken(key []byte, number int64) string {
	return SignTokenFor(TokenCustomer, key, number)
}

// SignTokenFor returns the reply token of role for ticket number, e.g.
// "s42.q3…" for TokenStaff.
func SignTokenFor(role TokenRole, key []byte, number int64) string {
	n := strconv.FormatInt(number, 10)
	return string(role) + n + "." + tokenMAC(role, key, n)
}

// tokenMAC returns the MAC part of role's token for the decimal number n.
func tokenMAC(role TokenRole, key []byte, n string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(role.macDomain() + n))
	return tokenEncoding.EncodeToString(h.Sum(nil))[:tokenMACLen]
}

// VerifyToken checks a customer token made by SignToken under key and
// returns its ticket number. A staff token is also accepted: it too names
// the ticket (use VerifyTokenRole to learn the role).
func VerifyToken(key []byte, token string) (int64, bool) {
	n, _, ok := VerifyTokenRole(key, token)
	return n, ok
}

// VerifyTokenRole checks a token made by SignTokenFor under key and returns
// its ticket number and role. It rejects, with false: an empty key, anything
// not exactly of the form SignTokenFor produces (upper case, leading zeros,
// a sign, extra characters, an unknown role), numbers that are negative or
// overflow int64, and a MAC that does not match its role. The MAC
// comparison is constant-time.
func VerifyTokenRole(key []byte, token string) (int64, TokenRole, bool) {
	if len(key) == 0 || len(token) > maxTokenLen {
		return 0, 0, false
	}
	role, n, mac, ok := splitToken(token)
	if !ok {
		return 0, 0, false
	}
	number, err := strconv.ParseInt(n, 10, 64)
	if err != nil || number < 0 {
		return 0, 0, false
	}
	want := tokenMAC(role, key, n)
	if !hmac.Equal([]byte(mac), []byte(want)) {
		return 0, 0, false
	}
	return number, role, true
}

// splitToken splits a syntactically valid token into its role, decimal
// number and MAC. The number must be canonical (no sign, no leading zero)
// so each ticket has exactly one token per key and role; the MAC must be
// lower-case base32.
func splitToken(token string) (role TokenRole, number, mac string, ok bool) {
	if token == "" || (token[0] != byte(TokenCustomer) && token[0] != byte(TokenStaff)) {
		return 0, "", "", false
	}
	role, rest := TokenRole(token[0]), token[1:]
	number, mac, found := strings.Cut(rest, ".")
	if !found || number == "" || len(mac) != tokenMACLen {
		return 0, "", "", false
	}
	if number[0] == '0' && len(number) > 1 {
		return 0, "", "", false
	}
	for i := 0; i < len(number); i++ {
		if number[i] < '0' || number[i] > '9' {
			return 0, "", "", false
		}
	}
	for i := 0; i < len(mac); i++ {
		c := mac[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return 0, "", "", false
		}
	}
	return role, number, mac, true
}

// looksLikeToken reports whether s has the shape of a token, without
// checking its MAC.
func looksLikeToken(s string) bool {
	if len(s) > maxTokenLen {
		return false
	}
	_, _, _, ok := splitToken(s)
	return ok
}

// PlusAddress returns the support address with token as a sub-address,
// "support+TOKEN@domain" (the "+" convention most MTAs follow for RFC 5233
// sub-addressing). A support address without '@' gets "+TOKEN" appended.
func PlusAddress(support string, token string) string {
	support = NormalizeAddress(support)
	at := strings.LastIndexByte(support, '@')
	if at < 0 {
		return support + "+" + token
	}
	return support[:at] + "+" + token + support[at:]
}

// TokenFromAddress returns the token in addr when addr is the support
// address with a token sub-address, as PlusAddress makes it. Domains compare
// case-insensitively and by their ASCII form. The local part before "+" also
// compares case-insensitively: some clients and relays fold the case of the
// whole address, and the token's MAC, not the local part, is what keeps a
// forged address out. The token's shape is checked, its MAC is not: call
// VerifyToken.
func TokenFromAddress(support, addr string) (string, bool) {
	support, addr = NormalizeAddress(support), NormalizeAddress(addr)
	sat, aat := strings.LastIndexByte(support, '@'), strings.LastIndexByte(addr, '@')
	if sat < 0 || aat < 0 || support[sat+1:] != addr[aat+1:] {
		return "", false
	}
	supportLocal, local := support[:sat], addr[:aat]
	if len(local) <= len(supportLocal)+1 ||
		!strings.EqualFold(local[:len(supportLocal)], supportLocal) ||
		local[len(supportLocal)] != '+' {
		return "", false
	}
	token := local[len(supportLocal)+1:]
	if !looksLikeToken(token) {
		return "", false
	}
	return token, true
}

// TokenFromMessageID returns the token in one of our outbound Message-IDs,
// which look like "<kind>.<token>.<random>@<domain>", e.g.
// "ack.t42.k7x3ab9qzm.q8d1x0@support.example" (angle brackets optional).
// kind is one label without dots; random is at least one non-empty label.
// The token's shape is checked, its MAC is not: call VerifyToken.
func TokenFromMessageID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	at := strings.LastIndexByte(id, '@')
	if at < 0 || at == len(id)-1 {
		return "", false
	}
	labels := strings.SplitN(id[:at], ".", 4)
	if len(labels) != 4 || labels[0] == "" || labels[3] == "" {
		return "", false
	}
	for _, random := range strings.Split(labels[3], ".") {
		if random == "" {
			return "", false
		}
	}
	token := labels[1] + "." + labels[2]
	if !looksLikeToken(token) {
		return "", false
	}
	return token, true
}

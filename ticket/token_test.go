package ticket

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
)

var tokenShape = regexp.MustCompile(`^t[0-9]+\.[a-z2-7]{10}$`)

func TestNewTokenKey(t *testing.T) {
	a, err := NewTokenKey()
	if err != nil {
		t.Fatalf("NewTokenKey: %v", err)
	}
	b, err := NewTokenKey()
	if err != nil {
		t.Fatalf("NewTokenKey: %v", err)
	}
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("key lengths = %d, %d, want 32", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Fatalf("two keys are equal: %x", a)
	}
}

func TestSignToken(t *testing.T) {
	t.Run("has_the_documented_shape", func(t *testing.T) {
		for _, n := range []int64{0, 1, 42, math.MaxInt64} {
			tok := SignToken(testKey, n)
			if !tokenShape.MatchString(tok) {
				t.Errorf("SignToken(%d) = %q, want t<number>.<10 base32 chars>", n, tok)
			}
			if !strings.HasPrefix(tok, "t"+strconv.FormatInt(n, 10)+".") {
				t.Errorf("SignToken(%d) = %q does not start with the number", n, tok)
			}
		}
	})
	t.Run("is_deterministic_per_key", func(t *testing.T) {
		if a, b := SignToken(testKey, 42), SignToken(testKey, 42); a != b {
			t.Errorf("SignToken twice = %q, %q", a, b)
		}
	})
	t.Run("differs_between_keys", func(t *testing.T) {
		if a, b := SignToken(testKey, 42), SignToken(otherKey, 42); a == b {
			t.Errorf("same token %q under two keys", a)
		}
	})
	t.Run("differs_between_numbers", func(t *testing.T) {
		a, b := SignToken(testKey, 42), SignToken(testKey, 43)
		if strings.TrimPrefix(a, "t42.") == strings.TrimPrefix(b, "t43.") {
			t.Errorf("same MAC for 42 and 43: %q, %q", a, b)
		}
	})
	t.Run("matches_a_known_vector", func(t *testing.T) {
		// Pins the format: changing it would break the tokens in every
		// mail already sent.
		if got := SignToken(testKey, 42); got != knownToken42 {
			t.Errorf("SignToken(testKey, 42) = %q, want %q", got, knownToken42)
		}
	})
}

// knownToken42 is SignToken(testKey, 42), computed once with
// `printf 'ticket:42' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary | base32 | tr A-Z a-z | cut -c1-10`.
const knownToken42 = "t42.vhgdj2qqfs"

func TestVerifyToken(t *testing.T) {
	good := SignToken(testKey, 42)
	mac := strings.TrimPrefix(good, "t42.")
	tests := []struct {
		name   string
		key    []byte
		token  string
		want   int64
		wantOK bool
	}{
		{"accepts_its_own_token", testKey, good, 42, true},
		{"accepts_ticket_zero", testKey, SignToken(testKey, 0), 0, true},
		{"accepts_max_int64", testKey, SignToken(testKey, math.MaxInt64), math.MaxInt64, true},
		{"rejects_other_key", otherKey, good, 0, false},
		{"rejects_empty_key", nil, SignToken(nil, 42), 0, false},
		{"rejects_other_number_with_same_mac", testKey, "t43." + mac, 0, false},
		{"rejects_upper_case_mac", testKey, "t42." + strings.ToUpper(mac), 0, false},
		{"rejects_upper_case_prefix", testKey, "T42." + mac, 0, false},
		{"rejects_leading_zero", testKey, "t042." + mac, 0, false},
		{"rejects_plus_sign", testKey, "t+42." + mac, 0, false},
		{"rejects_negative", testKey, SignToken(testKey, -1), 0, false},
		{"rejects_overflow", testKey, "t9223372036854775808." + mac, 0, false},
		{"rejects_short_mac", testKey, good[:len(good)-1], 0, false},
		{"rejects_long_mac", testKey, good + "a", 0, false},
		{"rejects_missing_dot", testKey, "t42" + mac, 0, false},
		{"rejects_empty_number", testKey, "t." + mac, 0, false},
		{"rejects_empty", testKey, "", 0, false},
		{"rejects_surrounding_space", testKey, " " + good, 0, false},
		{"rejects_non_base32_mac", testKey, "t42.0189018901", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := VerifyToken(tt.key, tt.token)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("VerifyToken(%q) = %d, %v, want %d, %v", tt.token, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPlusAddress(t *testing.T) {
	tests := []struct {
		name, support, token, want string
	}{
		{"inserts_token_before_at", "support@help.example", "t42.abcdefghij", "support+t42.abcdefghij@help.example"},
		{"normalises_domain", "support@Help.EXAMPLE", "t1.abcdefghij", "support+t1.abcdefghij@help.example"},
		{"keeps_existing_subaddress", "support+tickets@help.example", "t1.abcdefghij", "support+tickets+t1.abcdefghij@help.example"},
		{"appends_without_at", "support", "t1.abcdefghij", "support+t1.abcdefghij"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlusAddress(tt.support, tt.token); got != tt.want {
				t.Errorf("PlusAddress(%q, %q) = %q, want %q", tt.support, tt.token, got, tt.want)
			}
		})
	}
}

func TestTokenFromAddress(t *testing.T) {
	const support = "support@help.example"
	tok := SignToken(testKey, 42)
	tests := []struct {
		name, addr, want string
		wantOK           bool
	}{
		{"round_trips_plus_address", PlusAddress(support, tok), tok, true},
		{"accepts_angle_brackets", "<support+" + tok + "@help.example>", tok, true},
		{"compares_domain_case_insensitively", "support+" + tok + "@HELP.Example", tok, true},
		{"compares_local_part_case_insensitively", "Support+" + tok + "@help.example", tok, true},
		{"rejects_plain_support_address", support, "", false},
		{"rejects_other_domain", "support+" + tok + "@evil.example", "", false},
		{"rejects_other_local_part", "sales+" + tok + "@help.example", "", false},
		{"rejects_longer_local_part", "supportx+" + tok + "@help.example", "", false},
		{"rejects_empty_token", "support+@help.example", "", false},
		{"rejects_non_token_subaddress", "support+hello@help.example", "", false},
		{"rejects_no_at", "support+" + tok, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TokenFromAddress(support, tt.addr)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("TokenFromAddress(%q) = %q, %v, want %q, %v", tt.addr, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	t.Run("handles_support_address_with_subaddress", func(t *testing.T) {
		sup := "support+tickets@help.example"
		got, ok := TokenFromAddress(sup, PlusAddress(sup, tok))
		if !ok || got != tok {
			t.Errorf("TokenFromAddress = %q, %v, want %q, true", got, ok, tok)
		}
	})
	t.Run("handles_idn_support_domain", func(t *testing.T) {
		got, ok := TokenFromAddress("hilfe@bücher.example", "hilfe+"+tok+"@xn--bcher-kva.example")
		if !ok || got != tok {
			t.Errorf("TokenFromAddress = %q, %v, want %q, true", got, ok, tok)
		}
	})
}

func TestTokenFromMessageID(t *testing.T) {
	tok := SignToken(testKey, 42)
	tests := []struct {
		name, id, want string
		wantOK         bool
	}{
		{"extracts_from_bracketed_id", "<ack." + tok + ".q8d1x0@help.example>", tok, true},
		{"extracts_from_bare_id", "alert." + tok + ".q8d1x0@help.example", tok, true},
		{"allows_dots_in_random", "<relay." + tok + ".1700000000.q8d1@help.example>", tok, true},
		{"rejects_missing_random", "<ack." + tok + "@help.example>", "", false},
		{"rejects_empty_random", "<ack." + tok + ".@help.example>", "", false},
		{"rejects_missing_kind", "<" + tok + ".q8d1x0@help.example>", "", false},
		{"rejects_foreign_id", "<CAF=abc.def.ghi@mail.gmail.com>", "", false},
		{"rejects_missing_domain", "<ack." + tok + ".q8d1x0@>", "", false},
		{"rejects_no_at", "ack." + tok + ".q8d1x0", "", false},
		{"rejects_empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TokenFromMessageID(tt.id)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("TokenFromMessageID(%q) = %q, %v, want %q, %v", tt.id, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzVerifyToken(f *testing.F) {
	f.Add(int64(42), "t42.abcdefghij", int64(43))
	f.Add(int64(0), "", int64(1))
	f.Add(int64(math.MaxInt64), "t9223372036854775808.aaaaaaaaaa", int64(-1))
	f.Add(int64(7), "T7.ABCDEFGHIJ", int64(7))
	f.Fuzz(func(t *testing.T, number int64, junk string, other int64) {
		// Arbitrary input never panics and never yields a negative number.
		if n, ok := VerifyToken(testKey, junk); ok && n < 0 {
			t.Fatalf("VerifyToken(%q) = %d, true", junk, n)
		}
		tok := SignToken(testKey, number)
		n, ok := VerifyToken(testKey, tok)
		if number >= 0 && (!ok || n != number) {
			t.Fatalf("VerifyToken(SignToken(%d)) = %d, %v", number, n, ok)
		}
		if number < 0 && ok {
			t.Fatalf("token for negative number %d verified", number)
		}
		// The MAC of one number never verifies with another number.
		if other != number {
			forged := "t" + strconv.FormatInt(other, 10) + tok[strings.IndexByte(tok, '.'):]
			if _, ok := VerifyToken(testKey, forged); ok {
				t.Fatalf("MAC of %d verified for %d: %q", number, other, forged)
			}
		}
		// And never under another key.
		if _, ok := VerifyToken(otherKey, tok); ok {
			t.Fatalf("token %q verified under another key", tok)
		}
	})
}

func TestTokenRole_staffAndCustomerTokensAreNotInterchangeable(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	cust, staff := SignToken(key, 42), SignTokenFor(TokenStaff, key, 42)
	if cust[0] != 't' || staff[0] != 's' {
		t.Fatalf("tokens %q, %q: want role letters t and s", cust, staff)
	}
	if n, role, ok := VerifyTokenRole(key, staff); !ok || n != 42 || role != TokenStaff {
		t.Fatalf("staff token: %d %c %v", n, role, ok)
	}
	if n, role, ok := VerifyTokenRole(key, cust); !ok || n != 42 || role != TokenCustomer {
		t.Fatalf("customer token: %d %c %v", n, role, ok)
	}
	// A customer holding their own token cannot turn it into a staff one by
	// changing the role letter: the MAC covers the role.
	if _, _, ok := VerifyTokenRole(key, "s"+cust[1:]); ok {
		t.Fatal("customer token with its letter changed to s verified")
	}
	if _, _, ok := VerifyTokenRole(key, "t"+staff[1:]); ok {
		t.Fatal("staff token with its letter changed to t verified")
	}
	if _, ok := TokenFromAddress("support@example.com", "support+"+staff+"@example.com"); !ok {
		t.Fatal("staff token not found in a plus-address")
	}
	if _, ok := TokenFromMessageID("alert." + staff + ".abc@example.com"); !ok {
		t.Fatal("staff token not found in a Message-ID")
	}
}

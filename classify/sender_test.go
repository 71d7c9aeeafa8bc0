package classify

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ticketd/ticket"
)

var updateSenderGolden = flag.Bool("sender.update", false, "rewrite testdata/sender/*.golden")

// fakeDirectory is an in-memory Directory keyed by normalised address.
type fakeDirectory struct {
	contacts  map[string]*ticket.Contact
	customers map[int64]*ticket.Customer
	err       error
	lookups   []string
}

func (d *fakeDirectory) LookupContact(_ context.Context, email string) (*ticket.Contact, *ticket.Customer, error) {
	d.lookups = append(d.lookups, email)
	if d.err != nil {
		return nil, nil, d.err
	}
	c, ok := d.contacts[email]
	if !ok {
		return nil, nil, nil
	}
	return c, d.customers[c.CustomerID], nil
}

func newFakeDirectory() *fakeDirectory {
	d := &fakeDirectory{
		contacts: map[string]*ticket.Contact{},
		customers: map[int64]*ticket.Customer{
			1: {ID: 1, Name: "Acme", Plan: "premium"},
			2: {ID: 2, Name: "Bücher GmbH", Plan: "standard"},
		},
	}
	for _, c := range []*ticket.Contact{
		{ID: 10, CustomerID: 1, Email: "ops@acme.example", Primary: true},
		{ID: 11, CustomerID: 1, Email: "Jane.Doe@acme.example"},
		{ID: 20, CustomerID: 2, Email: "info@xn--bcher-kva.example", Primary: true},
		{ID: 30, CustomerID: 3, Email: "orphan@lost.example"},
	} {
		d.contacts[c.Email] = c
	}
	return d
}

var testPolicy = SenderPolicy{
	TrustedAuthServIDs: []string{"mx.example.com", "mx.google.com", "mx3.messagingengine.com"},
	RequireAuth:        "off",
	StaffAddresses:     []string{"lead@help.example"},
	StaffDomains:       []string{"engineers.example"},
}

func requireDMARC(p SenderPolicy) SenderPolicy {
	p.RequireAuth = "dmarc"
	return p
}

// message builds a Message from a From address and Authentication-Results
// values, topmost first.
func message(from string, authResults ...string) *ticket.Message {
	m := &ticket.Message{Header: authHeader(authResults...)}
	if from != "" {
		m.From = &mail.Address{Address: from}
	}
	return m
}

const (
	dmarcPass = "mx.example.com; dkim=pass header.d=acme.example; dmarc=pass header.from=acme.example"
	dmarcFail = "mx.example.com; spf=pass smtp.mailfrom=evil.example; dmarc=fail header.from=acme.example"
)

func TestVerifySender(t *testing.T) {
	tests := []struct {
		name      string
		msg       *ticket.Message
		policy    SenderPolicy
		outcome   ticket.SenderOutcome
		contactID int64 // 0: no contact expected
		reason    string
	}{
		{
			name: "contact_with_dmarc_pass", msg: message("ops@acme.example", dmarcPass), policy: testPolicy,
			outcome: ticket.SenderContact, contactID: 10,
			reason: "From ops@acme.example is a contact of Acme; mx.example.com reports dmarc=pass (header.from=acme.example)",
		},
		{
			name: "contact_with_dmarc_fail_is_spoofed", msg: message("ops@acme.example", dmarcFail), policy: testPolicy,
			outcome: ticket.SenderSpoofed, contactID: 10,
			reason: "From ops@acme.example is a contact of Acme, but mx.example.com reports dmarc=fail (header.from=acme.example)",
		},
		{
			name:   "contact_with_unaligned_dkim_and_no_dmarc_is_spoofed",
			msg:    message("ops@acme.example", "mx.example.com; dkim=pass header.d=esp.example; spf=fail smtp.mailfrom=esp.example"),
			policy: testPolicy, outcome: ticket.SenderSpoofed, contactID: 10,
			reason: "From ops@acme.example is a contact of Acme, but mx.example.com reports no dmarc result, dkim=pass only for esp.example (not aligned with acme.example), spf=fail (smtp.mailfrom=esp.example)",
		},
		{
			name: "contact_without_results_is_accepted_when_require_auth_off", msg: message("ops@acme.example"), policy: testPolicy,
			outcome: ticket.SenderContact, contactID: 10,
			reason: "From ops@acme.example is a contact of Acme; no trusted Authentication-Results, accepted on the From address (require_auth = off)",
		},
		{
			name: "contact_with_empty_require_auth_is_treated_as_off", msg: message("ops@acme.example"),
			policy: SenderPolicy{TrustedAuthServIDs: []string{"mx.example.com"}}, outcome: ticket.SenderContact, contactID: 10,
			reason: "accepted on the From address (require_auth = off)",
		},
		{
			name: "contact_without_results_is_spoofed_when_require_auth_dmarc", msg: message("ops@acme.example"), policy: requireDMARC(testPolicy),
			outcome: ticket.SenderSpoofed, contactID: 10,
			reason: "From ops@acme.example is a contact of Acme, but there are no trusted Authentication-Results; require_auth = dmarc",
		},
		{
			name:    "contact_with_only_untrusted_pass_is_spoofed_when_require_auth_dmarc",
			msg:     message("ops@acme.example", "mx.evil.example; dmarc=pass header.from=acme.example"),
			policy:  requireDMARC(testPolicy),
			outcome: ticket.SenderSpoofed, contactID: 10,
			reason: "no trusted Authentication-Results; require_auth = dmarc",
		},
		{
			name:    "contact_with_trusted_none_is_spoofed_when_require_auth_dmarc",
			msg:     message("ops@acme.example", "mx.example.com; none"),
			policy:  requireDMARC(testPolicy),
			outcome: ticket.SenderSpoofed, contactID: 10,
			reason: "From ops@acme.example is a contact of Acme, but mx.example.com reports no dkim, spf or dmarc results; require_auth = dmarc",
		},
		{
			name:    "contact_with_trusted_none_is_accepted_when_require_auth_off",
			msg:     message("ops@acme.example", "mx.example.com; none"),
			policy:  testPolicy,
			outcome: ticket.SenderContact, contactID: 10,
			reason: "mx.example.com reports no dkim, spf or dmarc results; accepted on the From address (require_auth = off)",
		},
		{
			name:    "contact_with_dmarc_pass_is_accepted_when_require_auth_dmarc",
			msg:     message("ops@acme.example", dmarcPass),
			policy:  requireDMARC(testPolicy),
			outcome: ticket.SenderContact, contactID: 10, reason: "reports dmarc=pass",
		},
		{
			name:    "untrusted_fail_does_not_make_a_contact_spoofed",
			msg:     message("ops@acme.example", "mx.evil.example; dmarc=fail header.from=acme.example"),
			policy:  testPolicy,
			outcome: ticket.SenderContact, contactID: 10, reason: "no trusted Authentication-Results",
		},
		{
			name:    "local_part_case_must_match_exactly",
			msg:     message("jane.doe@acme.example", dmarcPass),
			policy:  testPolicy,
			outcome: ticket.SenderUnknown,
			reason:  "From jane.doe@acme.example is neither a registered contact nor staff",
		},
		{
			name:    "domain_case_is_ignored",
			msg:     message("Jane.Doe@ACME.Example", dmarcPass),
			policy:  testPolicy,
			outcome: ticket.SenderContact, contactID: 11, reason: "From Jane.Doe@acme.example is a contact of Acme",
		},
		{
			name:    "idn_contact_matches_unicode_from",
			msg:     message("info@Bücher.example", "mx.example.com; dkim=pass header.d=xn--bcher-kva.example"),
			policy:  testPolicy,
			outcome: ticket.SenderContact, contactID: 20,
			reason: "From info@xn--bcher-kva.example is a contact of Bücher GmbH; mx.example.com reports dkim=pass for xn--bcher-kva.example (aligned with xn--bcher-kva.example)",
		},
		{
			name:    "contact_without_customer_is_named_by_id",
			msg:     message("orphan@lost.example"),
			policy:  testPolicy,
			outcome: ticket.SenderContact, contactID: 30, reason: "is a contact of customer #3",
		},
		{
			name:    "staff_address",
			msg:     message("lead@HELP.example", "mx.example.com; dmarc=pass header.from=help.example"),
			policy:  testPolicy,
			outcome: ticket.SenderStaff,
			reason:  "From lead@help.example is a staff address; mx.example.com reports dmarc=pass",
		},
		{
			name:    "staff_domain",
			msg:     message("eve@engineers.example"),
			policy:  testPolicy,
			outcome: ticket.SenderStaff, reason: "From eve@engineers.example is a staff address",
		},
		{
			name:    "staff_subdomain_is_not_staff",
			msg:     message("eve@eu.engineers.example"),
			policy:  testPolicy,
			outcome: ticket.SenderUnknown, reason: "neither a registered contact nor staff",
		},
		{
			name:    "forged_staff_address_is_spoofed",
			msg:     message("eve@engineers.example", "mx.example.com; dmarc=fail header.from=engineers.example"),
			policy:  testPolicy,
			outcome: ticket.SenderSpoofed,
			reason:  "From eve@engineers.example is a staff address, but mx.example.com reports dmarc=fail (header.from=engineers.example)",
		},
		{
			name:    "unknown_sender",
			msg:     message("someone@example.org", "mx.example.com; dmarc=pass header.from=example.org"),
			policy:  testPolicy,
			outcome: ticket.SenderUnknown,
			reason:  "From someone@example.org is neither a registered contact nor staff",
		},
		{
			name:    "unknown_sender_with_dmarc_fail_stays_unknown",
			msg:     message("someone@example.org", "mx.example.com; dmarc=fail header.from=example.org"),
			policy:  testPolicy,
			outcome: ticket.SenderUnknown, reason: "neither a registered contact nor staff",
		},
		{
			name:    "missing_from_is_unknown",
			msg:     message(""),
			policy:  testPolicy,
			outcome: ticket.SenderUnknown, reason: "From header missing or unparseable",
		},
		{
			name:    "nil_message_is_unknown",
			msg:     nil,
			policy:  testPolicy,
			outcome: ticket.SenderUnknown, reason: "From header missing or unparseable",
		},
		{
			name:    "from_without_domain_is_unknown",
			msg:     message("postmaster"),
			policy:  testPolicy,
			outcome: ticket.SenderUnknown, reason: `From "postmaster" is not a usable address`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifySender(context.Background(), tt.msg, newFakeDirectory(), tt.policy)
			if err != nil {
				t.Fatalf("VerifySender: %v", err)
			}
			if got.Outcome != tt.outcome {
				t.Errorf("Outcome = %q, want %q (Reason %q)", got.Outcome, tt.outcome, got.Reason)
			}
			var gotID int64
			if got.Contact != nil {
				gotID = got.Contact.ID
			}
			if gotID != tt.contactID {
				t.Errorf("Contact.ID = %d, want %d", gotID, tt.contactID)
			}
			if tt.contactID != 0 && got.Contact.CustomerID != 3 && got.Customer == nil {
				t.Errorf("Customer = nil for contact %d", gotID)
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", got.Reason, tt.reason)
			}
		})
	}
}

func TestVerifySenderLooksUpTheNormalisedAddress(t *testing.T) {
	dir := newFakeDirectory()
	_, err := VerifySender(context.Background(), message("<info@BÜCHER.example>"), dir, testPolicy)
	if err != nil {
		t.Fatalf("VerifySender: %v", err)
	}
	if want := []string{"info@xn--bcher-kva.example"}; len(dir.lookups) != 1 || dir.lookups[0] != want[0] {
		t.Errorf("lookups = %q, want %q", dir.lookups, want)
	}
}

func TestVerifySenderChecksStaffBeforeTheDirectory(t *testing.T) {
	dir := newFakeDirectory()
	dir.contacts["lead@help.example"] = &ticket.Contact{ID: 99, CustomerID: 1, Email: "lead@help.example"}
	got, err := VerifySender(context.Background(), message("lead@help.example"), dir, testPolicy)
	if err != nil {
		t.Fatalf("VerifySender: %v", err)
	}
	if got.Outcome != ticket.SenderStaff || got.Contact != nil || len(dir.lookups) != 0 {
		t.Errorf("Outcome %q, Contact %v, lookups %q; want staff, no contact, no lookup", got.Outcome, got.Contact, dir.lookups)
	}
}

func TestVerifySenderWrapsDirectoryErrors(t *testing.T) {
	errDown := errors.New("database is locked")
	dir := newFakeDirectory()
	dir.err = errDown
	got, err := VerifySender(context.Background(), message("ops@acme.example"), dir, testPolicy)
	if !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want it to wrap %v", err, errDown)
	}
	if !strings.Contains(err.Error(), "ops@acme.example") {
		t.Errorf("err = %q, want it to name the address", err)
	}
	if got.Outcome != ticket.SenderUnchecked {
		t.Errorf("Outcome = %q, want %q", got.Outcome, ticket.SenderUnchecked)
	}
}

func TestVerifySenderRejectsNilDirectory(t *testing.T) {
	if _, err := VerifySender(context.Background(), message("ops@acme.example"), nil, testPolicy); err == nil {
		t.Fatal("VerifySender with a nil directory: want an error")
	}
	// Staff needs no directory.
	got, err := VerifySender(context.Background(), message("lead@help.example"), nil, testPolicy)
	if err != nil || got.Outcome != ticket.SenderStaff {
		t.Errorf("staff without directory = %q, %v, want staff, nil", got.Outcome, err)
	}
}

func TestVerifySenderRejectsInvalidPolicy(t *testing.T) {
	p := testPolicy
	p.RequireAuth = "strict"
	got, err := VerifySender(context.Background(), message("ops@acme.example", dmarcPass), newFakeDirectory(), p)
	if err == nil || !strings.Contains(err.Error(), "require_auth") {
		t.Fatalf("err = %v, want one naming require_auth", err)
	}
	if got.Outcome != ticket.SenderUnchecked {
		t.Errorf("Outcome = %q, want %q", got.Outcome, ticket.SenderUnchecked)
	}
}

func TestSenderPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  SenderPolicy
		wantErr string // "" for valid
	}{
		{"accepts_test_policy", testPolicy, ""},
		{"accepts_zero_policy", SenderPolicy{}, ""},
		{"accepts_require_dmarc_with_trusted_ids", requireDMARC(testPolicy), ""},
		{"rejects_unknown_require_auth", SenderPolicy{RequireAuth: "DMARC"}, `require_auth = "DMARC"`},
		{"rejects_require_dmarc_without_trusted_ids", SenderPolicy{RequireAuth: "dmarc"}, "trusted_authserv_ids"},
		{"rejects_staff_address_without_domain", SenderPolicy{StaffAddresses: []string{"lead"}}, `[staff] addresses: "lead"`},
		{"rejects_staff_domain_with_at", SenderPolicy{StaffDomains: []string{"lead@help.example"}}, "[staff] domains"},
		{"rejects_empty_staff_domain", SenderPolicy{StaffDomains: []string{" "}}, "[staff] domains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSenderPolicyIsStaff(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"lead@help.example", true},
		{"<lead@Help.Example>", true},
		{"Lead@help.example", false}, // local part is exact
		{"other@help.example", false},
		{"eve@engineers.example", true},
		{"eve@ENGINEERS.example.", true},
		{"eve@eu.engineers.example", false}, // exact domain only
		{"eve@notengineers.example", false},
		{"engineers.example", false},
		{"@engineers.example", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := testPolicy.IsStaff(tt.addr); got != tt.want {
				t.Errorf("IsStaff(%q) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
	t.Run("idn_staff_domain", func(t *testing.T) {
		p := SenderPolicy{StaffDomains: []string{"bücher.example"}}
		if !p.IsStaff("a@xn--bcher-kva.example") || !p.IsStaff("a@BÜCHER.example") {
			t.Error("IDN staff domain does not match its A-label or upper-case U-label form")
		}
	})
}

// TestVerifySenderGolden runs each testdata/sender/*.eml through VerifySender
// and compares outcome and reason with the .golden file beside it. Run with
// -sender.update to rewrite the golden files after a deliberate change.
func TestVerifySenderGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "sender", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/sender/*.eml files")
	}
	policy := testPolicy
	policy.TrustedAuthServIDs = append(policy.TrustedAuthServIDs, "mx.microsoft.com")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".eml")
		t.Run(name, func(t *testing.T) {
			m := readEML(t, file)
			res, err := VerifySender(context.Background(), m, newFakeDirectory(), policy)
			if err != nil {
				t.Fatalf("VerifySender: %v", err)
			}
			got := fmt.Sprintf("outcome: %s\nreason: %s\nauth: checked=%v pass=%v fail=%v detail=%s\n",
				res.Outcome, res.Reason, res.Auth.Checked, res.Auth.Pass, res.Auth.Fail, res.Auth.Detail)
			golden := strings.TrimSuffix(file, ".eml") + ".golden"
			if *updateSenderGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -sender.update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s:\ngot:\n%swant:\n%s", name, got, want)
			}
		})
	}
}

// readEML parses the headers of an .eml file into a ticket.Message, as far
// as sender verification needs one.
func readEML(t *testing.T, file string) *ticket.Message {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	m := &ticket.Message{Header: textproto.MIMEHeader(raw.Header)}
	if from, err := raw.Header.AddressList("From"); err == nil && len(from) == 1 {
		m.From = from[0]
	}
	return m
}

package classify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"ticketd/ticket"
)

// Directory finds registered technical contacts. The store implements it;
// tests use an in-memory map.
type Directory interface {
	// LookupContact returns the contact with exactly this normalised
	// address and its customer, or (nil, nil, nil).
	LookupContact(ctx context.Context, email string) (*ticket.Contact, *ticket.Customer, error)
}

// SenderPolicy is the sender-verification part of the configuration.
type SenderPolicy struct {
	// TrustedAuthServIDs are the authserv-ids of the receiving servers
	// whose Authentication-Results we believe ([verify] trusted_authserv_ids).
	TrustedAuthServIDs []string
	// RequireAuth is "off" (or "") to accept contact and staff mail on the
	// From address when no trusted Authentication-Results exist, or
	// "dmarc" to treat such mail as spoofed ([verify] require_auth).
	RequireAuth string
	// StaffAddresses are engineers' addresses ([staff] addresses).
	StaffAddresses []string
	// StaffDomains are domains whose every address is staff ([staff]
	// domains). They match the exact domain only, not subdomains: a
	// subdomain may be delegated to a mail provider or a customer.
	StaffDomains []string
}

// RequireAuth values.
const (
	requireAuthOff   = "off"
	requireAuthDMARC = "dmarc"
)

// Validate reports a policy that cannot work, naming the configuration key.
func (p SenderPolicy) Validate() error {
	var errs []error
	switch p.RequireAuth {
	case "", requireAuthOff:
	case requireAuthDMARC:
		if len(p.TrustedAuthServIDs) == 0 {
			errs = append(errs, errors.New(`[verify] require_auth = "dmarc" needs at least one [verify] trusted_authserv_ids entry, or every contact's mail is spoofed`))
		}
	default:
		errs = append(errs, fmt.Errorf(`[verify] require_auth = %q: want "off" or "dmarc"`, p.RequireAuth))
	}
	for _, a := range p.StaffAddresses {
		if ticket.LocalPart(a) == "" || ticket.DomainOf(a) == "" {
			errs = append(errs, fmt.Errorf("[staff] addresses: %q is not an address (want local@domain)", a))
		}
	}
	for _, d := range p.StaffDomains {
		if d = strings.TrimSpace(d); d == "" || strings.Contains(d, "@") {
			errs = append(errs, fmt.Errorf("[staff] domains: %q is not a domain", d))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("classify: invalid sender policy: %w", err)
	}
	return nil
}

// IsStaff reports whether addr is a staff address or in a staff domain.
// Domains compare case-insensitively and in their ASCII form, local parts
// exactly (RFC 5321 §2.4).
func (p SenderPolicy) IsStaff(addr string) bool {
	addr = ticket.NormalizeAddress(addr)
	domain := ticket.DomainOf(addr)
	if domain == "" || ticket.LocalPart(addr) == "" {
		return false
	}
	for _, s := range p.StaffAddresses {
		if ticket.NormalizeAddress(s) == addr {
			return true
		}
	}
	for _, d := range p.StaffDomains {
		if d = strings.TrimSpace(d); d != "" && ticket.NormalizeDomain(d) == domain {
			return true
		}
	}
	return false
}

// SenderResult is the outcome of VerifySender.
type SenderResult struct {
	Outcome ticket.SenderOutcome
	// Contact and Customer are set when From names a contact, also when
	// the outcome is spoofed, so the admin alert can say whom the forgery
	// targets. Only Outcome says whether to open a ticket.
	Contact  *ticket.Contact
	Customer *ticket.Customer
	// Reason explains the outcome to admins in one sentence.
	Reason string
	// Auth is the Authentication-Results verdict for the From domain.
	Auth AuthVerdict
}

// VerifySender decides who sent m: a registered contact, staff, somebody
// unknown, or somebody forging a contact's or staff address.
//
// Staff is checked before the directory, so an engineer's reply is never
// mistaken for a customer's new ticket. A contact or staff From becomes
// spoofed when the trusted Authentication-Results fail (see EvaluateAuth),
// or, under require_auth = "dmarc", when they do not pass. Unknown senders
// stay unknown whatever their authentication says.
//
// A directory error is returned wrapped, with Outcome SenderUnchecked; an
// invalid policy is returned as an error before anything is looked up.
func VerifySender(ctx context.Context, m *ticket.Message, dir Directory, p SenderPolicy) (SenderResult, error) {
	if err := p.Validate(); err != nil {
		return SenderResult{Outcome: ticket.SenderUnchecked}, err
	}
	if m == nil || m.From == nil {
		return SenderResult{Outcome: ticket.SenderUnknown, Reason: "From header missing or unparseable"}, nil
	}
	addr := m.FromAddress()
	domain := ticket.DomainOf(addr)
	if domain == "" || ticket.LocalPart(addr) == "" {
		return SenderResult{
			Outcome: ticket.SenderUnknown,
			Reason:  fmt.Sprintf("From %q is not a usable address", authPrintable(m.From.Address, 200)),
		}, nil
	}

	res := SenderResult{Auth: EvaluateAuth(m.Header, domain, p.TrustedAuthServIDs)}
	var who string // "a staff address", "a contact of Acme"
	switch {
	case p.IsStaff(addr):
		res.Outcome = ticket.SenderStaff
		who = "a staff address"
	default:
		if dir == nil {
			return SenderResult{Outcome: ticket.SenderUnchecked, Auth: res.Auth},
				fmt.Errorf("classify: verify sender %s: no contact directory", addr)
		}
		contact, customer, err := dir.LookupContact(ctx, addr)
		if err != nil {
			return SenderResult{Outcome: ticket.SenderUnchecked, Auth: res.Auth},
				fmt.Errorf("classify: look up contact %s: %w", addr, err)
		}
		if contact == nil {
			res.Outcome = ticket.SenderUnknown
			res.Reason = fmt.Sprintf("From %s is neither a registered contact nor staff", addr)
			return res, nil
		}
		res.Outcome = ticket.SenderContact
		res.Contact, res.Customer = contact, customer
		who = "a contact of " + senderCustomerName(contact, customer)
	}

	auth := res.Auth
	addr = authPrintable(addr, 200) // only shown from here on
	switch {
	case auth.Fail:
		res.Outcome = ticket.SenderSpoofed
		res.Reason = fmt.Sprintf("From %s is %s, but %s reports %s", addr, who, auth.AuthServID, auth.Detail)
	case !auth.Pass && p.RequireAuth == requireAuthDMARC && !auth.Checked:
		res.Outcome = ticket.SenderSpoofed
		res.Reason = fmt.Sprintf("From %s is %s, but there are no trusted Authentication-Results; require_auth = dmarc", addr, who)
	case !auth.Pass && p.RequireAuth == requireAuthDMARC:
		res.Outcome = ticket.SenderSpoofed
		res.Reason = fmt.Sprintf("From %s is %s, but %s reports %s; require_auth = dmarc", addr, who, auth.AuthServID, auth.Detail)
	case auth.Pass:
		res.Reason = fmt.Sprintf("From %s is %s; %s reports %s", addr, who, auth.AuthServID, auth.Detail)
	case auth.Checked:
		res.Reason = fmt.Sprintf("From %s is %s; %s reports %s; accepted on the From address (require_auth = off)", addr, who, auth.AuthServID, auth.Detail)
	default:
		res.Reason = fmt.Sprintf("From %s is %s; no trusted Authentication-Results, accepted on the From address (require_auth = off)", addr, who)
	}
	return res, nil
}

// senderCustomerName names the customer for a Reason.
func senderCustomerName(c *ticket.Contact, cust *ticket.Customer) string {
	if cust != nil && cust.Name != "" {
		return cust.Name
	}
	if cust != nil {
		return fmt.Sprintf("customer #%d", cust.ID)
	}
	return fmt.Sprintf("customer #%d", c.CustomerID)
}

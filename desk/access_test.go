package desk

import (
	"testing"

	"ticketd/ticket"
)

func TestDecideAccess(t *testing.T) {
	const acme, globex = 1, 2
	for _, tc := range []struct {
		name string
		req  accessRequest
		want authority
	}{
		{"contact_joins_own_customers_ticket_by_token", accessRequest{Sender: ticket.SenderContact, SenderCustomer: acme, TicketCustomer: acme, Via: viaToken}, joinTicket},
		{"contact_joins_own_customers_ticket_by_subject", accessRequest{Sender: ticket.SenderContact, SenderCustomer: acme, TicketCustomer: acme, Via: viaSubject}, joinTicket},
		{"contact_of_other_customer_by_references", accessRequest{Sender: ticket.SenderContact, SenderCustomer: globex, TicketCustomer: acme, Via: viaReferences}, noAccess},
		{"contact_of_other_customer_by_token", accessRequest{Sender: ticket.SenderContact, SenderCustomer: globex, TicketCustomer: acme, Via: viaToken}, noAccess},
		{"contact_of_other_customer_with_staff_token", accessRequest{Sender: ticket.SenderContact, SenderCustomer: globex, TicketCustomer: acme, Via: viaStaffToken}, noAccess},
		{"contact_without_customer", accessRequest{Sender: ticket.SenderContact, TicketCustomer: acme, Via: viaToken}, noAccess},
		{"contact_authenticated_gains_nothing_more", accessRequest{Sender: ticket.SenderContact, SenderCustomer: acme, TicketCustomer: acme, Via: viaStaffToken, Authenticated: true}, joinTicket},
		{"staff_with_staff_token", accessRequest{Sender: ticket.SenderStaff, TicketCustomer: acme, Via: viaStaffToken}, staffCommand},
		{"staff_with_customer_token_only", accessRequest{Sender: ticket.SenderStaff, TicketCustomer: acme, Via: viaToken}, staffNote},
		{"staff_by_subject", accessRequest{Sender: ticket.SenderStaff, TicketCustomer: acme, Via: viaSubject}, staffNote},
		{"staff_by_references", accessRequest{Sender: ticket.SenderStaff, TicketCustomer: acme, Via: viaReferences}, staffNote},
		{"staff_authenticated_by_subject", accessRequest{Sender: ticket.SenderStaff, TicketCustomer: acme, Via: viaSubject, Authenticated: true}, staffCommand},
		{"unknown_with_token", accessRequest{Sender: ticket.SenderUnknown, TicketCustomer: acme, Via: viaToken}, noAccess},
		{"spoofed_with_staff_token", accessRequest{Sender: ticket.SenderSpoofed, TicketCustomer: acme, Via: viaStaffToken}, noAccess},
		{"unchecked_by_references", accessRequest{Sender: ticket.SenderUnchecked, TicketCustomer: acme, Via: viaReferences}, noAccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := decideAccess(tc.req)
			if got != tc.want {
				t.Fatalf("decideAccess(%+v) = %s (%s), want %s", tc.req, got, why, tc.want)
			}
			if why == "" {
				t.Fatal("no reason given")
			}
		})
	}
}

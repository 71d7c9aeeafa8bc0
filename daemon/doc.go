// Package daemon runs ticketd: it wires the parts a configuration (package
// config) describes — intake, store, desk, notify — and drives their loops
// (IMAP intake, processing stored mail through the desk, outbox delivery,
// the reminder and alert-fold timer, nudges from admin commands,
// maintenance), serves /healthz and /metrics, alerts the admin once per
// incident, and shuts down in two phases. It parses no mail, decides
// nothing about a ticket and formats no message: intake, desk and notify
// do.
package daemon

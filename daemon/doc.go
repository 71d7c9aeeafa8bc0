// Package daemon runs ticketd: it loads and validates the configuration,
// wires intake, classification, SLA, templates, store and notify together,
// and drives the loops (IMAP intake, message processing, outbox delivery,
// reminder timers, HTTP health and metrics) with a two-phase graceful
// shutdown. It parses no mail and formats no message itself: it decides
// what happens to each mail and hands the work to the packages that own it.
package daemon

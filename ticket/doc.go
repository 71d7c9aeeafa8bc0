// Package ticket holds the domain types every other package shares: levels,
// ticket states, sender outcomes, customers and contacts, the parsed inbound
// Message, and the injected Clock. It imports nothing from this module, so
// every dependency points inward to it.
package ticket

// Package classify decides who sent a mail (sender verification against the
// contacts directory and Authentication-Results) and how urgent it is
// (severity P0–P4 with reasons). It touches neither network nor database:
// callers pass interfaces.
//
// Severity is decided by an Engine from data, not code: the built-in rules
// (rules.toml, embedded; Default) or an admin's file (LoadRules). An explicit
// level written by the customer wins and is kept as Result.Declared; then
// multilingual (English, German, French) impact rules with negation and
// scope caps; then the default P3. Every Result carries the Reasons shown
// to engineers.
package classify

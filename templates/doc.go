// Package templates holds every mail ticketd writes: built-in templates
// embedded for en/de/fr in text and HTML, admin overrides from a directory,
// strict validation, preview data and live reload. It sends nothing.
//
// Each Kind has three parts, a subject, a plain-text body and an HTML body,
// stored as KIND.LANG.subject.tmpl, KIND.LANG.txt.tmpl and
// KIND.LANG.html.tmpl. Subjects and text bodies go through text/template,
// HTML bodies through html/template, so strings that came from a customer
// are escaped in HTML. A file in the admin directory replaces only its
// built-in twin. Every template sees a Data value; see Data for the fields
// and FuncMap for the few functions.
//
// Validation is strict: a set with any Problem (parse error, unknown field,
// unknown file name, execution error against Sample data) is rejected as a
// whole, and Live keeps serving the previous set.
package templates

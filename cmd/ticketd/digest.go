package main

import (
	"context"
	"fmt"

	"ticketd/daemon"
	"ticketd/templates"
)

// digestJSON is `digest preview --json`.
type digestJSON struct {
	Customer string                   `json:"customer"`
	To       string                   `json:"to"`
	Lang     string                   `json:"lang"`
	Subject  string                   `json:"subject"`
	Text     string                   `json:"text"`
	Tickets  []templates.DigestTicket `json:"tickets"`
}

func (m *Main) cmdDigest(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "preview" {
		return usagef("want `digest preview --customer NAME`")
	}
	f := m.newFlags("digest preview")
	customer := f.String("customer", "", "the customer `name`")
	lang := f.String("lang", "", "`language` en, de or fr (default: the primary contact's)")
	html := f.Bool("html", false, "print the HTML part instead of the text part")
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args[1:]); err != nil {
		return err
	}
	if *customer == "" {
		return usagef("--customer is required")
	}
	cfg, err := m.loadConfig(f)
	if err != nil {
		return err
	}
	k, err := daemon.OpenDesk(ctx, cfg, m.Clock, newLogger(m.Stderr, "error", "text"))
	if err != nil {
		return err
	}
	defer k.DB().Close()
	p, err := k.PreviewDigest(ctx, *customer, *lang)
	if err != nil {
		return err
	}
	if *asJSON {
		tickets := p.Data.Digest.Tickets
		if tickets == nil {
			tickets = []templates.DigestTicket{}
		}
		return writeJSON(m.Stdout, digestJSON{Customer: p.Data.Customer.Name, To: p.To, Lang: p.Lang, Subject: p.Rendered.Subject,
			Text: p.Rendered.Text, Tickets: tickets})
	}
	fmt.Fprintf(m.Stdout, "To: %s\nSubject: %s\n\n", p.To, p.Rendered.Subject)
	if *html {
		fmt.Fprint(m.Stdout, p.Rendered.HTML)
	} else {
		fmt.Fprint(m.Stdout, p.Rendered.Text)
	}
	return nil
}

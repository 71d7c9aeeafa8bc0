package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/desk"
	"ticketd/internal/mailtest"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// The demo's cast: a support team at example.com and three customers.
const (
	demoSupport  = "support@example.com"
	demoPassword = "demo"
)

var demoUsers = []string{demoSupport, "erin@example.com", "oncall@example.com", "support-team@example.com", "admin@example.com",
	"sarah.collins@acme.example", "jonas.weber@globex.example", "claire.martin@fromagerie-dupont.example"}

type demoCustomer struct {
	customer ticket.Customer
	contacts []ticket.Contact
}

var demoDirectory = []demoCustomer{
	{ticket.Customer{Name: "Acme AG", Plan: "premium", Region: "CH-ZH", Language: "en"}, []ticket.Contact{
		{Email: "sarah.collins@acme.example", Name: "Sarah Collins", TZ: "Europe/Zurich", Primary: true},
		{Email: "tom.berger@acme.example", Name: "Tom Berger", TZ: "Europe/Zurich"},
	}},
	{ticket.Customer{Name: "Globex GmbH", Plan: "standard", Region: "DE-BY", Language: "de"}, []ticket.Contact{
		{Email: "jonas.weber@globex.example", Name: "Jonas Weber", TZ: "Europe/Berlin", Primary: true},
	}},
	{ticket.Customer{Name: "Fromagerie Dupont", Plan: "business-8h", Region: "FR", Language: "fr"}, []ticket.Contact{
		{Email: "claire.martin@fromagerie-dupont.example", Name: "Claire Martin", TZ: "Europe/Paris", Primary: true},
	}},
}

func (m *Main) cmdDemo(ctx context.Context, args []string) error {
	f := m.newFlags("demo")
	serve := f.Bool("serve", false, "keep running and print the addresses to point a mail client at")
	mails := f.String("mails", "", "`directory` of .eml files to deliver (default: testdata/demo of this repository)")
	verbose := f.Bool("v", false, "show the daemon's log")
	if _, err := f.parse(args); err != nil {
		return err
	}
	dir := *mails
	if dir == "" {
		var err error
		if dir, err = findDemoMails(); err != nil {
			return err
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no .eml files in %s", dir)
	}
	sort.Strings(files)

	sys, err := mailtest.NewSystem()
	if err != nil {
		return err
	}
	defer sys.Close()
	for _, u := range demoUsers {
		if err := sys.AddUser(u, demoPassword); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "ticketd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	cfg := config.Default()
	cfg.File = "(demo)"
	cfg.Store.Path = filepath.Join(tmp, "ticketd.db")
	cfg.IMAP = config.IMAP{Address: sys.IMAPAddr, Security: "none", Username: demoSupport, Auth: "plain", Mailbox: "INBOX",
		PollInterval: config.Duration{Duration: 5 * time.Second}, Processed: "seen", Secret: config.Secret{Password: demoPassword}}
	cfg.SMTP = config.SMTP{Address: sys.SMTPAddr, Security: "none"}
	cfg.Support = config.Support{Address: demoSupport, Name: "Example Support"}
	cfg.Staff = config.Staff{Domains: []string{"example.com"}, Zone: "Europe/Zurich"}
	cfg.Routing = []config.Route{{Levels: []string{"P0", "P1"}, To: []string{"oncall@example.com"}},
		{Levels: []string{"P2", "P3", "P4"}, To: []string{"support-team@example.com"}}}
	cfg.Verify.Admin = "admin@example.com"
	cfg.Reminders.CustomerHoldingReply = true
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	logOut := io.Discard
	if *verbose || *serve {
		logOut = m.Stderr
	}
	d, err := daemon.New(ctx, cfg, daemon.Options{Clock: m.Clock, Logger: newLogger(logOut, "info", "text"), ProcessInterval: time.Second, ShutdownGrace: 3 * time.Second})
	if err != nil {
		return err
	}
	defer d.Close()
	dirOps := desk.Directory{DB: d.DB(), Plans: d.Plans()}
	for _, dc := range demoDirectory {
		c := dc.customer
		if err := dirOps.AddCustomer(ctx, &c); err != nil {
			return err
		}
		for _, ct := range dc.contacts {
			if _, err := dirOps.AddContact(ctx, desk.NewContact{Customer: c.Name, Contact: ct}); err != nil {
				return err
			}
		}
	}
	// Customer mail first; an engineer's answer (a file naming the alert it
	// answers with %ALERT_REPLY_TO%) goes in once that alert was sent, as
	// a mail client would answer it: to its Reply-To, threaded to it.
	var answers [][]byte
	delivered := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if bytes.Contains(raw, []byte(alertReplyTo)) {
			answers = append(answers, raw)
			continue
		}
		if err := sys.Append(demoSupport, "INBOX", raw); err != nil {
			return fmt.Errorf("deliver %s: %w", file, err)
		}
		delivered++
	}
	fmt.Fprintf(m.Stdout, "ticketd demo: %d mails in %s's INBOX on an in-process IMAP server; ticketd reads them over IMAP,\n", len(files), demoSupport)
	fmt.Fprintf(m.Stdout, "stores them in %s and sends mail through an in-process SMTP server.\n\n", cfg.Store.Path)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	settle := func(n int) error {
		if err := waitSettled(ctx, d.DB(), n, 30*time.Second); err != nil {
			stop()
			<-done
			return err
		}
		return nil
	}
	if err := settle(delivered); err != nil {
		return err
	}
	for _, raw := range answers {
		raw, err := answerAlert(raw, sys.Messages())
		if err == nil {
			err = sys.Append(demoSupport, "INBOX", raw)
		}
		if err != nil {
			stop()
			<-done
			return fmt.Errorf("engineer's answer: %w", err)
		}
		delivered++
	}
	if err := settle(delivered); err != nil {
		return err
	}
	printDemoSummary(m.Stdout, d.DB(), sys.Messages())
	if !*serve {
		stop()
		return <-done
	}
	fmt.Fprintf(m.Stdout, "\nServing until Ctrl-C. Point a mail client at:\n")
	fmt.Fprintf(m.Stdout, "  IMAP  %s  (no TLS)   SMTP  %s  (no TLS, any login)\n", sys.IMAPAddr, sys.SMTPAddr)
	fmt.Fprintf(m.Stdout, "  accounts (password %q): %s\n", demoPassword, strings.Join(demoUsers, ", "))
	fmt.Fprintf(m.Stdout, "Write to %s as sarah.collins@acme.example to open a ticket; alerts arrive in oncall@example.com (P0–P1)\n", demoSupport)
	fmt.Fprintf(m.Stdout, "and support-team@example.com (P2–P4): answer one from there to reply to the customer as an engineer.\n")
	fmt.Fprintf(m.Stdout, "The database is %s; new mail sent by ticketd is listed below as it leaves.\n", cfg.Store.Path)
	sys.OnMessage = func(msg mailtest.Message) {
		subj := ""
		if pm, err := mail.ReadMessage(strings.NewReader(string(msg.Data))); err == nil {
			subj, _ = new(mimeDecoder).decode(pm.Header.Get("Subject"))
		}
		fmt.Fprintf(m.Stdout, "SMTP ← %s: %s\n", strings.Join(msg.To, ", "), subj)
	}
	err = <-done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Placeholders in a demo engineer's answer, filled from the alert for the
// ticket its subject names.
const (
	alertReplyTo   = "%ALERT_REPLY_TO%"
	alertMessageID = "%ALERT_MESSAGE_ID%"
)

// answerAlert fills raw's placeholders from the alert about the ticket
// raw's subject names ("[Ticket#1]") among the mails sent so far.
func answerAlert(raw []byte, sent []mailtest.Message) ([]byte, error) {
	pm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	tag := subjectTagRe.FindString(pm.Header.Get("Subject"))
	if tag == "" {
		return nil, errors.New("its subject names no [Ticket#N]")
	}
	for _, msg := range sent {
		am, err := mail.ReadMessage(bytes.NewReader(msg.Data))
		if err != nil {
			continue
		}
		subj, _ := new(mimeDecoder).decode(am.Header.Get("Subject"))
		if !strings.HasPrefix(subj, tag) || !strings.HasPrefix(am.Header.Get("Message-Id"), "<alert.") {
			continue
		}
		r := strings.NewReplacer(alertReplyTo, am.Header.Get("Reply-To"), alertMessageID, am.Header.Get("Message-Id"))
		return []byte(r.Replace(string(raw))), nil
	}
	return nil, fmt.Errorf("no alert for %s was sent", tag)
}

var subjectTagRe = regexp.MustCompile(`\[Ticket#\d+\]`)

// findDemoMails finds testdata/demo above the working directory.
func findDemoMails() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "testdata", "demo")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testdata/demo not found: run the demo inside the ticketd repository, or pass --mails DIR")
		}
		dir = parent
	}
}

// waitSettled waits until n mails are processed and the outbox is empty.
func waitSettled(ctx context.Context, db *store.DB, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var total, unprocessed, pending int
		err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			if total, unprocessed, err = tx.RawStats(); err != nil {
				return err
			}
			pending, _, err = tx.OutboxStats(time.Now())
			return err
		})
		if err != nil {
			return err
		}
		if total >= n && unprocessed == 0 && pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo did not settle within %s: %d of %d mails stored, %d unprocessed, %d outbound waiting", timeout, total, n, unprocessed, pending)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func printDemoSummary(w io.Writer, db *store.DB, sent []mailtest.Message) {
	ctx := context.Background()
	var ts []*ticket.Ticket
	var q []*store.QuarantineEntry
	var raws []*store.RawMessage
	db.View(ctx, func(tx *store.Tx) error {
		ts, _ = tx.Tickets(store.TicketFilter{})
		q, _ = tx.QuarantineList("")
		for id := int64(1); ; id++ {
			r, err := tx.RawMessage(id)
			if err != nil {
				break
			}
			raws = append(raws, r)
		}
		return nil
	})
	fmt.Fprintln(w, "Mail processed:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range raws {
		fmt.Fprintf(tw, "  uid %d\t%s\t%s\n", r.UID, r.Outcome, r.MessageID)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nTickets:")
	sort.Slice(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tLEVEL\tCUSTOMER (PLAN)\tMSGS\tFIRST RESPONSE\tSUBJECT")
	for _, t := range ts {
		resp := "no target"
		if t.FirstResponseDue != nil {
			loc, err := time.LoadLocation(t.SLAZone)
			if err != nil {
				loc = time.UTC
			}
			resp = "due " + templates.FormatDateTime(*t.FirstResponseDue, loc, "en")
		}
		if t.FirstResponseAt != nil {
			resp = "answered after " + t.FirstResponseAt.Sub(t.CreatedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s (%s)\t%d\t%s\t%s\n", t.Number, t.Level, t.CustomerName, t.Plan, t.MessageCount, resp, truncate(t.Subject, 50))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nWhy these levels:")
	for _, t := range ts {
		if len(t.LevelReasons) > 0 {
			fmt.Fprintf(w, "  #%d %s: %s\n", t.Number, t.Level, truncate(t.LevelReasons[0], 110))
		}
	}
	if len(q) > 0 {
		fmt.Fprintln(w, "\nQuarantine (kept, no ticket):")
		for _, e := range q {
			fmt.Fprintf(w, "  %d  %-8s %s — %s\n", e.ID, e.Outcome, e.From, truncate(e.Reason, 80))
		}
	}
	fmt.Fprintf(w, "\nMail sent over SMTP (%d):\n", len(sent))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, msg := range sent {
		subj, auto := "", ""
		if pm, err := mail.ReadMessage(strings.NewReader(string(msg.Data))); err == nil {
			subj, _ = new(mimeDecoder).decode(pm.Header.Get("Subject"))
			if a := pm.Header.Get("Auto-Submitted"); a != "" {
				auto = "auto"
			} else {
				auto = "human"
			}
		}
		fmt.Fprintf(tw, "  → %s\t%s\t%s\n", strings.Join(msg.To, ", "), auto, subj)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nNot answered, on purpose: the out-of-office (RFC 3834) and the newsletter (List-Id, Precedence: bulk).")
	fmt.Fprintln(w, "Run `ticketd demo --serve` to keep it running and talk to it with a mail client.")
}

// mimeDecoder decodes RFC 2047 encoded words in a header value.
type mimeDecoder struct{ mime.WordDecoder }

func (d *mimeDecoder) decode(s string) (string, error) {
	out, err := d.DecodeHeader(s)
	if err != nil {
		return s, err
	}
	return out, nil
}

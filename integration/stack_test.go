// Package integration runs the ticketd binary as a subprocess against a real
// mail stack on loopback — Postfix (SMTP) in front of Dovecot (LMTP, IMAP) —
// and drives it the way customers and engineers do: mail submitted through
// Postfix, answers read from their IMAP mailboxes, ticketd's state read
// through its CLI (`tickets list --json`, `tickets show --json`,
// `quarantine list --json`).
//
// The tests skip when Dovecot or Postfix are not installed, unless
// TICKETD_REQUIRE_MAILSTACK=1 (CI) makes that a failure.
package integration

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx": the PostgreSQL stack
	_ "modernc.org/sqlite"

	"ticketd/internal/mailstack"
	"ticketd/internal/mailtest"
)

const (
	support  = "support@example.test"
	admin    = "admin@example.test"
	eng      = "eng@example.test"
	password = "secret"
)

// Customers' technical contacts (Dovecot users in example.org).
var contacts = []string{"alice@example.org", "bob@example.org", "carol@example.org", "dave@example.org"}

// Other mailboxes: an unknown sender, a would-be victim of header
// injection, a probe for the vacation responder, and mailer-daemon so that
// an answer to a bounce would be visible rather than rejected.
var others = []string{"mallory@example.org", "victim@example.org", "probe@example.org", "mailer-daemon@example.org"}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	printReport()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ticketdBinary builds ./cmd/ticketd once per test binary. It is built
// lazily, after the mail stack is known to be there, so a skipping run
// costs nothing.
func ticketdBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ticketd-bin")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ticketd")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/ticketd")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/ticketd: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// stackOptions adjust newStack.
type stackOptions struct {
	autoRepliesPerHour int               // [limits]; 0 = 1000 (effectively off)
	sieve              map[string]string // Dovecot Sieve scripts per user
	dbDir              string            // where the database lives; "" = the stack dir
	extraConfig        string            // appended to ticketd.toml
	processed, moveTo  string            // [imap]; "" = leave
	routeLevels        []string          // levels alerted to the engineer; nil = all
	pgDSN              string            // [store] on this PostgreSQL database; "" = SQLite
}

// stack is one mail stack with one ticketd on it.
type stack struct {
	t      *testing.T
	dc     *mailstack.Dovecot
	pf     *mailstack.Postfix
	dir    string
	cfg    string // config file
	dbPath string
	pgDSN  string // the PostgreSQL database, when not dbPath
	bin    string
	d      *daemonProc
	starts int // how many times the daemon was started
	logs   []string
}

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	var users []mailstack.User
	for _, u := range append(append([]string{support, admin, eng}, contacts...), others...) {
		users = append(users, mailstack.User{Name: u, Password: password})
	}
	port := mailstack.FreePort(t)
	dc := mailstack.StartDovecotWithOptions(t, mailstack.DovecotOptions{Sieve: o.sieve, SubmissionHost: fmt.Sprintf("127.0.0.1:%d", port)}, users...)
	pf := mailstack.StartPostfixWithOptions(t, dc, mailstack.PostfixOptions{SMTPPort: port}, "example.test", "example.org")
	s := &stack{t: t, dc: dc, pf: pf, dir: t.TempDir(), bin: ticketdBinary(t)}
	dbDir := o.dbDir
	if dbDir == "" {
		dbDir = s.dir
	}
	s.dbPath = filepath.Join(dbDir, "ticketd.db")
	s.pgDSN = o.pgDSN
	storeCfg := fmt.Sprintf("path = %q", s.dbPath)
	if o.pgDSN != "" {
		storeCfg = fmt.Sprintf("driver = \"postgres\"\ndsn = %q", o.pgDSN)
	}
	limit := o.autoRepliesPerHour
	if limit == 0 {
		limit = 1000
	}
	processed := `processed = "leave"`
	if o.processed != "" {
		processed = fmt.Sprintf("processed = %q", o.processed)
		if o.moveTo != "" {
			processed += fmt.Sprintf("\nmove_to = %q", o.moveTo)
		}
	}
	levels := `"P0", "P1", "P2", "P3", "P4"`
	if o.routeLevels != nil {
		levels = `"` + strings.Join(o.routeLevels, `", "`) + `"`
	}
	cfg := fmt.Sprintf(`[store]
%s

[imap]
address = %q
security = "none"
username = %q
password = %q
mailbox = "INBOX"
poll_interval = "2s"
%s

[smtp]
address = %q
security = "none"

[support]
address = %q
name = "Example Support"

[staff]
addresses = [%q]
zone = "UTC"

[[routing]]
levels = [%s]
to = [%q]

[verify]
admin = %q

[limits]
auto_replies_per_sender_per_hour = %d

[log]
level = "debug"
`, storeCfg, dc.IMAPAddr, support, password, processed, pf.SMTPAddr, support, eng, levels, eng, admin, limit) + o.extraConfig
	s.cfg = filepath.Join(s.dir, "ticketd.toml")
	if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cli("check-config")
	s.cli("customers", "add", "--name", "Acme", "--plan", "premium", "--region", "CH", "--language", "en")
	for i, c := range contacts {
		args := []string{"contacts", "add", "--customer", "Acme", "--email", c, "--name", strings.TrimSuffix(c, "@example.org"), "--tz", "Europe/Zurich"}
		if i == 0 {
			args = append(args, "--primary")
		}
		s.cli(args...)
	}
	t.Cleanup(func() {
		s.stopDaemon()
		if t.Failed() {
			t.Logf("--- ticketd stderr (last 6000 bytes) ---\n%s", tail(s.allLogs(), 6000))
			t.Logf("--- postfix maillog (last 4000 bytes) ---\n%s", tail(s.pf.Log(), 4000))
			t.Logf("--- dovecot log (last 3000 bytes) ---\n%s", tail(s.dc.Log(), 3000))
		}
	})
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// cli runs a ticketd admin command with the stack's config and returns
// its stdout; a non-zero exit fails the test.
func (s *stack) cli(args ...string) string {
	s.t.Helper()
	out, err := s.cliErr(args...)
	if err != nil {
		s.t.Fatalf("ticketd %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (s *stack) cliErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append(args, "--config", s.cfg)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v: %s%s", err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// daemonProc is one `ticketd run` subprocess.
type daemonProc struct {
	cmd    *exec.Cmd
	log    string // stderr+stdout file
	exited chan struct{}
	err    error // Wait's result, valid after exited
}

// startDaemon starts `ticketd run --config F`, logging into a file.
func (s *stack) startDaemon() {
	s.t.Helper()
	if s.d != nil {
		s.t.Fatal("daemon already running")
	}
	s.d = s.startProc(s.cfg)
}

// startProc starts `ticketd run --config cfg`, logging into a file of
// allLogs.
func (s *stack) startProc(cfg string) *daemonProc {
	s.t.Helper()
	s.starts++
	logPath := filepath.Join(s.dir, fmt.Sprintf("ticketd-%d.log", s.starts))
	f, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(s.bin, "run", "--config", cfg, "--grace", "3s")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	d := &daemonProc{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.exited) }()
	s.logs = append(s.logs, logPath)
	return d
}

// killDaemon kills the daemon with SIGKILL (a crash) and reaps it.
func (s *stack) killDaemon() {
	s.t.Helper()
	if s.d == nil {
		return
	}
	s.d.cmd.Process.Signal(syscall.SIGKILL)
	<-s.d.exited
	s.d = nil
}

// stopDaemon stops the daemon with SIGTERM (SIGKILL after 15 s) and
// reports a non-zero exit.
func (s *stack) stopDaemon() {
	if s.d == nil {
		return
	}
	d := s.d
	s.d = nil
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.err != nil {
			s.t.Errorf("ticketd run exited with %v after SIGTERM", d.err)
		}
	case <-time.After(15 * time.Second):
		s.t.Errorf("ticketd run did not stop within 15 s of SIGTERM; killing it")
		d.cmd.Process.Kill()
		<-d.exited
	}
}

// daemonAlive reports whether the daemon process is still running.
func (s *stack) daemonAlive() bool {
	if s.d == nil {
		return false
	}
	select {
	case <-s.d.exited:
		return false
	default:
		return true
	}
}

// allLogs is the stderr of every daemon run so far.
func (s *stack) allLogs() string {
	var b strings.Builder
	for i, p := range s.logs {
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "=== run %d ===\n%s", i+1, data)
	}
	return b.String()
}

// panics counts Go panics and fatal runtime errors in the daemon's logs.
func (s *stack) panics() int {
	l := s.allLogs()
	return strings.Count(l, "panic:") + strings.Count(l, "fatal error:")
}

// --- mail in ---

// submitPaced submits mails through Postfix in the background, mail i at
// start+i×spacing (a load shape, not an assertion); wait waits for the
// last and fails the test on a refused submission.
func (s *stack) submitPaced(mails []msg, spacing time.Duration) (start time.Time, wait func()) {
	var wg sync.WaitGroup
	errs := make(chan error, len(mails))
	start = time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, m := range mails {
			if d := time.Until(start.Add(time.Duration(i) * spacing)); d > 0 {
				time.Sleep(d)
			}
			if err := s.sendErr(m.From, []string{m.To}, m.bytes()); err != nil {
				errs <- fmt.Errorf("mail %d: %w", i, err)
			}
		}
	}()
	return start, func() {
		s.t.Helper()
		wg.Wait()
		close(errs)
		for err := range errs {
			s.t.Fatalf("submit: %v", err)
		}
	}
}

// msg is a mail a customer or engineer writes.
type msg struct {
	From, To, Subject, MessageID string
	Headers                      []string // extra "Name: value" lines
	Body                         string
}

func (m msg) bytes() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", m.From, m.To, m.Subject,
		time.Now().Format(time.RFC1123Z), m.MessageID)
	hasCT := false
	for _, h := range m.Headers {
		if strings.HasPrefix(strings.ToLower(h), "content-type:") {
			hasCT = true
		}
		b.WriteString(h + "\r\n")
	}
	if !hasCT {
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))
	if !strings.HasSuffix(m.Body, "\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// send submits raw through Postfix's SMTP as envelope sender from (empty
// for the null return path) to support.
func (s *stack) send(from string, raw []byte) {
	s.t.Helper()
	if err := s.sendErr(from, []string{support}, raw); err != nil {
		s.t.Fatalf("submit via postfix: %v", err)
	}
}

func (s *stack) sendErr(from string, to []string, raw []byte) error {
	// net/smtp.SendMail cannot send MAIL FROM:<>; drive the client.
	c, err := smtp.Dial(s.pf.SMTPAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example.org"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// --- mail out: what arrived in a mailbox ---

// gotMail is a mail found in a user's INBOX.
type gotMail struct {
	UID                  imap.UID
	Header               mail.Header
	Subject              string // decoded
	MessageID, InReplyTo string // without <>
	From                 string
	AutoSubmitted, XLoop string
	Raw                  []byte
}

var wordDecoder = &mime.WordDecoder{}

// mailbox returns every mail in user's INBOX.
func (s *stack) mailbox(user string) []gotMail {
	s.t.Helper()
	got, err := s.mailboxErr(user)
	if err != nil {
		s.t.Fatalf("read %s's mailbox: %v", user, err)
	}
	return got
}

func (s *stack) mailboxErr(user string) ([]gotMail, error) {
	c, err := imapclient.DialInsecure(s.dc.IMAPAddr, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return nil, err
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	var out []gotMail
	if sel.NumMessages == 0 {
		return out, nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		return nil, err
	}
	for _, b := range bufs {
		raw := b.BodySection[0].Bytes
		g := gotMail{UID: b.UID, Raw: raw}
		if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
			g.Header = m.Header
			g.Subject, _ = wordDecoder.DecodeHeader(m.Header.Get("Subject"))
			g.MessageID = trimID(m.Header.Get("Message-Id"))
			g.InReplyTo = trimID(m.Header.Get("In-Reply-To"))
			g.From = m.Header.Get("From")
			g.AutoSubmitted = m.Header.Get("Auto-Submitted")
			g.XLoop = m.Header.Get("X-Ticketd-Loop")
		}
		out = append(out, g)
	}
	return out, nil
}

func trimID(s string) string { return strings.Trim(strings.TrimSpace(s), "<>") }

// fromSupport keeps the mails whose From is the support address.
func fromSupport(ms []gotMail) []gotMail {
	var out []gotMail
	for _, m := range ms {
		if strings.Contains(strings.ToLower(m.From), support) {
			out = append(out, m)
		}
	}
	return out
}

// --- ticketd state through its CLI ---

type ticketJSON struct {
	Number          int64      `json:"number"`
	Subject         string     `json:"subject"`
	Status          string     `json:"status"`
	Requester       string     `json:"requester"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	Messages        any        `json:"messages"`
}

type showJSON struct {
	ticketJSON
	Messages []struct {
		Direction string `json:"direction"`
		Kind      string `json:"kind"`
		MessageID string `json:"message_id"`
		From      string `json:"from"`
		Subject   string `json:"subject"`
		Text      string `json:"text"`
		Automated string `json:"automated"`
		Malformed bool   `json:"malformed"`
	} `json:"messages"`
	Outbound []outboundJSON `json:"outbound"`
}

type outboundJSON struct {
	Kind       string   `json:"kind"`
	MessageID  string   `json:"message_id"`
	Recipients []string `json:"recipients"`
	Status     string   `json:"status"`
	Attempts   int      `json:"attempts"`
	LastError  string   `json:"last_error"`
}

type quarantineJSON struct {
	ID      int64  `json:"id"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	From    string `json:"from"`
	Subject string `json:"subject"`
}

func (s *stack) tickets() []ticketJSON {
	s.t.Helper()
	var ts []ticketJSON
	// Every ticket, not the first page of 50.
	if err := json.Unmarshal([]byte(s.cli("tickets", "list", "--limit", "0", "--json")), &ts); err != nil {
		s.t.Fatalf("tickets list --json: %v", err)
	}
	return ts
}

func (s *stack) show(n int64) showJSON {
	s.t.Helper()
	var t showJSON
	if err := json.Unmarshal([]byte(s.cli("tickets", "show", fmt.Sprint(n), "--json")), &t); err != nil {
		s.t.Fatalf("tickets show %d --json: %v", n, err)
	}
	return t
}

func (s *stack) quarantine() []quarantineJSON {
	s.t.Helper()
	var q []quarantineJSON
	if err := json.Unmarshal([]byte(s.cli("quarantine", "list", "--json")), &q); err != nil {
		s.t.Fatalf("quarantine list --json: %v", err)
	}
	return q
}

// ticketFor returns the ticket holding the inbound message with this
// Message-ID, or nil.
func (s *stack) ticketFor(messageID string) *showJSON {
	s.t.Helper()
	for _, tk := range s.tickets() {
		sh := s.show(tk.Number)
		for _, m := range sh.Messages {
			if trimID(m.MessageID) == messageID {
				return &sh
			}
		}
	}
	return nil
}

// --- ticketd state straight from its database (read-only), for waiting ---

// dbStats counts stored raw mails, unprocessed ones and outbox rows that
// are still pending.
type dbStats struct{ raw, unprocessed, pending int }

// openDB opens ticketd's database for reading behind its back.
func (s *stack) openDB() (*sql.DB, error) {
	if s.pgDSN != "" {
		return sql.Open("pgx", s.pgDSN)
	}
	return sql.Open("sqlite", "file:"+s.dbPath+"?mode=ro&_pragma=busy_timeout(2000)")
}

func (s *stack) stats() (dbStats, error) {
	db, err := s.openDB()
	if err != nil {
		return dbStats{}, err
	}
	defer db.Close()
	var st dbStats
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE processed_at IS NULL) FROM raw_messages`).Scan(&st.raw, &st.unprocessed); err != nil {
		return st, err
	}
	err = db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE status = 'pending'`).Scan(&st.pending)
	return st, err
}

// processed reports whether a stored mail with this Message-ID has been
// processed.
func (s *stack) processed(messageID string) bool {
	db, err := s.openDB()
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT COUNT(*) FROM raw_messages WHERE processed_at IS NOT NULL AND (message_id = $1 OR message_id = $2)`,
		messageID, "<"+messageID+">").Scan(&n)
	return err == nil && n > 0
}

// waitQuiet waits until at least n mails are stored, all are processed,
// no outbound mail is pending and Postfix's queue is empty, at every check
// for half a second.
func (s *stack) waitQuiet(n int, timeout time.Duration) dbStats {
	s.t.Helper()
	var st dbStats
	var err error
	var quietSince time.Time
	mailtest.Eventually(s.t, fmt.Sprintf("ticketd quiet with %d mails stored", n), timeout, func() bool {
		st, err = s.stats()
		if err != nil || st.raw < n || st.unprocessed != 0 || st.pending != 0 || !s.pf.QueueEmpty() {
			quietSince = time.Time{}
			return false
		}
		if quietSince.IsZero() {
			quietSince = time.Now()
		}
		return time.Since(quietSince) >= 500*time.Millisecond
	}, func() string {
		return fmt.Sprintf("last stats %+v err %v, postfix queue empty %v", st, err, s.pf.QueueEmpty())
	})
	return st
}

// --- the report ---

// figures is one scenario's line in the final table.
type figures struct {
	Scenario                  string
	Sent, Tickets, Quarantine int
	Acks, Duplicates, Loops   int
	Panics                    int
	Note                      string
}

var (
	reportMu sync.Mutex
	report   []figures
)

func record(f figures) {
	reportMu.Lock()
	defer reportMu.Unlock()
	report = append(report, f)
}

func printReport() {
	reportMu.Lock()
	defer reportMu.Unlock()
	if len(report) == 0 {
		return
	}
	sort.SliceStable(report, func(i, j int) bool { return report[i].Scenario < report[j].Scenario })
	var b strings.Builder
	fmt.Fprintf(&b, "\nticketd integration figures (%s/%s, real Postfix + Dovecot)\n", runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "%-22s %5s %7s %5s %5s %5s %5s %6s  %s\n", "scenario", "sent", "tickets", "quar", "acks", "dups", "loops", "panics", "note")
	for _, f := range report {
		fmt.Fprintf(&b, "%-22s %5d %7d %5d %5d %5d %5d %6d  %s\n", f.Scenario, f.Sent, f.Tickets, f.Quarantine, f.Acks, f.Duplicates, f.Loops, f.Panics, f.Note)
	}
	io.WriteString(os.Stdout, b.String())
	// go test hides a passing package's output unless -v: CI names a file
	// to get the figures in its log either way.
	if f := os.Getenv("TICKETD_FIGURES_FILE"); f != "" {
		os.WriteFile(f, []byte(b.String()), 0o644)
	}
}

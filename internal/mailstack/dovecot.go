// Package mailstack starts real mail servers (Dovecot, Postfix) on loopback
// for interop tests, from configs written into temporary directories. Tests
// skip when the servers are not installed, unless TICKETD_REQUIRE_MAILSTACK=1
// makes that a failure (for CI images that are supposed to have them).
//
// Everything runs as the current user and listens on 127.0.0.1 only; nothing
// outside the temporary directories is touched.
package mailstack

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// RequireEnv names the environment variable that turns a missing server into
// a test failure instead of a skip.
const RequireEnv = "TICKETD_REQUIRE_MAILSTACK"

const (
	startTimeout = 15 * time.Second
	stopTimeout  = 10 * time.Second
)

// User is a mail account on the test server.
type User struct{ Name, Password string }

// Dovecot is a running Dovecot with IMAP and LMTP on loopback. Its methods
// report harness failures on the test given to StartDovecot, so call them
// from that test, not from its subtests.
type Dovecot struct {
	IMAPAddr string // 127.0.0.1:port, plaintext IMAP with LOGIN and AUTH=PLAIN
	LMTPAddr string // 127.0.0.1:port

	t       testing.TB
	dir     string
	conf    string
	dovecot string // binary paths
	doveadm string
	users   map[string]string
	acc     dovecotAccounts
	mu      sync.Mutex
	seq     int             // for unique maildir file names
	cmd     *exec.Cmd       // master process, nil when stopped
	exited  <-chan struct{} // closed when cmd has been reaped
}

// findBinary looks name up on PATH and then in the sbin directories, which are
// often not on a normal user's PATH.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/sbin", name)
}

// skipOrFail skips the test because a server is missing, or fails it when
// RequireEnv is set.
func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1 requires the mail stack)", msg, RequireEnv)
	}
	t.Skip(msg)
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are found
// by listening on :0 and closing, so another process could in theory take
// one before the server binds it; StartDovecot then fails with the bind
// error in the log.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("mailstack: find a free port: %v", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// tempDir makes a short temporary directory: Dovecot's unix sockets live in
// base_dir and socket paths are limited to about 100 bytes, which t.TempDir
// with a long test name can exceed.
func tempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatalf("mailstack: temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// StartDovecot writes a config for users into a temporary directory, starts
// Dovecot with it and waits until IMAP and LMTP accept connections. The test
// is skipped when Dovecot is not installed (see RequireEnv). Dovecot is
// stopped by t.Cleanup.
func StartDovecot(t testing.TB, users ...User) *Dovecot {
	t.Helper()
	return StartDovecotWithOptions(t, DovecotOptions{}, users...)
}

// DovecotOptions adjust StartDovecotWithOptions; the zero value is
// StartDovecot's setup.
type DovecotOptions struct {
	// Sieve maps a user to a Sieve script (RFC 5228) run when LMTP
	// delivers to that user, e.g. a vacation responder. It needs the
	// dovecot-sieve package (Pigeonhole); the test is skipped without it
	// (see RequireEnv). The vacation-seconds extension is enabled and the
	// minimum vacation period is 0, so a script may answer every mail
	// (`vacation :seconds 0 …`) to make loop tests sensitive.
	Sieve map[string]string
	// SubmissionHost is host:port of the SMTP server that mail generated
	// by Sieve (vacation answers, redirects) is sent through, typically
	// the Postfix of StartPostfixWithOptions with a port from FreePort.
	// Empty means Dovecot's default, the local sendmail binary.
	SubmissionHost string
	// NamespacePrefix and NamespaceSeparator configure the personal
	// namespace (RFC 2342) like other servers lay it out: prefix "INBOX."
	// with separator "." is Courier-IMAP's (folders are INBOX.Name),
	// "INBOX/" with "/" is Cyrus with unixhierarchysep. Empty means
	// Dovecot's default: no prefix, separator ".".
	NamespacePrefix, NamespaceSeparator string
}

// StartDovecotWithOptions is StartDovecot with options.
func StartDovecotWithOptions(t testing.TB, opts DovecotOptions, users ...User) *Dovecot {
	t.Helper()
	dovecot, err := findBinary("dovecot")
	if err != nil {
		skipOrFail(t, "dovecot not installed: apt-get install dovecot-core dovecot-imapd dovecot-lmtpd")
	}
	doveadm, err := findBinary("doveadm")
	if err != nil {
		skipOrFail(t, "doveadm not installed: apt-get install dovecot-core")
	}
	if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
		skipOrFail(t, "dovecot LMTP not installed: apt-get install dovecot-lmtpd")
	}

	d := &Dovecot{t: t, dir: tempDir(t, "dovecot"), dovecot: dovecot, doveadm: doveadm, users: map[string]string{}}
	d.conf = filepath.Join(d.dir, "dovecot.conf")
	ports := freePorts(t, 2)
	d.IMAPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	d.LMTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))

	var passwd strings.Builder
	for _, u := range users {
		if strings.ContainsAny(u.Name+u.Password, ":\n") {
			t.Fatalf("mailstack: user %q: name and password must not contain ':' or newlines", u.Name)
		}
		d.users[u.Name] = u.Password
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", u.Name, u.Password)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "users"), []byte(passwd.String()), 0o644); err != nil {
		t.Fatalf("mailstack: write users: %v", err)
	}
	acc, err := currentAccounts()
	if err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	d.acc = acc
	cfg := dovecotConfig(d.dir, acc, ports[0], ports[1])
	if len(opts.Sieve) > 0 {
		if _, err := os.Stat("/usr/lib/dovecot/modules/lib90_sieve_plugin.so"); err != nil {
			skipOrFail(t, "dovecot sieve plugin not installed: apt-get install dovecot-sieve")
		}
		cfg += sieveConfig
	}
	if opts.SubmissionHost != "" {
		cfg += "submission_host = " + opts.SubmissionHost + "\n"
	}
	if opts.NamespacePrefix != "" || opts.NamespaceSeparator != "" {
		if strings.ContainsAny(opts.NamespacePrefix+opts.NamespaceSeparator, "\n{}\"") || len(opts.NamespaceSeparator) > 1 {
			t.Fatalf("mailstack: bad namespace prefix %q or separator %q", opts.NamespacePrefix, opts.NamespaceSeparator)
		}
		cfg += "namespace inbox {\n  inbox = yes\n"
		if opts.NamespacePrefix != "" {
			cfg += "  prefix = " + opts.NamespacePrefix + "\n"
		}
		if opts.NamespaceSeparator != "" {
			cfg += "  separator = " + opts.NamespaceSeparator + "\n"
		}
		cfg += "}\n"
	}
	if err := os.WriteFile(d.conf, []byte(cfg), 0o644); err != nil {
		t.Fatalf("mailstack: write dovecot.conf: %v", err)
	}
	// The temp dir must be traversable, and the mail dir writable, by the
	// accounts Dovecot switches to.
	if err := os.Chmod(d.dir, 0o755); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	for _, sub := range []string{"run", "mail"} {
		if err := os.MkdirAll(filepath.Join(d.dir, sub), 0o755); err != nil {
			t.Fatalf("mailstack: %v", err)
		}
	}
	if err := os.Chown(filepath.Join(d.dir, "mail"), acc.mailUID, acc.mailGID); err != nil {
		t.Fatalf("mailstack: %v", err)
	}

	for name, script := range opts.Sieve {
		if _, ok := d.users[name]; !ok || strings.ContainsAny(name, "/\x00") {
			t.Fatalf("mailstack: sieve script for %q, which is not a user", name)
		}
		if err := d.writeUserFile(name, ".dovecot.sieve", []byte(script)); err != nil {
			t.Fatalf("mailstack: %v", err)
		}
	}

	t.Cleanup(d.Stop)
	if err := d.start(); err != nil {
		t.Fatalf("mailstack: start dovecot: %v\n--- dovecot.log ---\n%s", err, d.Log())
	}
	return d
}

// dovecotAccounts picks the system accounts Dovecot runs as. As a normal
// user everything runs as that user. As root, Dovecot refuses to run its login
// processes or mail access as root, so the packaged accounts are used:
// dovenull for logins, dovecot internally, and nobody owns the mail.
type dovecotAccounts struct {
	internalUser, internalGroup, loginUser string
	mailUID, mailGID                       int
}

func currentAccounts() (dovecotAccounts, error) {
	u, err := user.Current()
	if err != nil {
		return dovecotAccounts{}, fmt.Errorf("current user: %w", err)
	}
	if u.Uid != "0" {
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return dovecotAccounts{}, fmt.Errorf("group of current user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return dovecotAccounts{u.Username, g.Name, u.Username, uid, gid}, nil
	}
	acc := dovecotAccounts{internalUser: "dovecot", internalGroup: "dovecot", loginUser: "dovenull"}
	for _, name := range []string{"dovecot", "dovenull"} {
		if _, err := user.Lookup(name); err != nil {
			return acc, fmt.Errorf("running as root needs the %s account from the dovecot package: %w", name, err)
		}
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		return acc, fmt.Errorf("running as root needs the nobody account to own mail: %w", err)
	}
	acc.mailUID, _ = strconv.Atoi(nobody.Uid)
	acc.mailGID, _ = strconv.Atoi(nobody.Gid)
	return acc, nil
}

// dovecotConfig renders the minimal config from shared/notes/mailstack.md.
func dovecotConfig(dir string, acc dovecotAccounts, imapPort, lmtpPort int) string {
	return fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/run/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[1]s/mail/%%u/Maildir
first_valid_uid = 1
default_internal_user = %[2]s
default_internal_group = %[3]s
default_login_user = %[4]s
lmtp_save_to_detail_mailbox = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=%[5]d gid=%[6]d home=%[1]s/mail/%%u allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[8]d
  }
}
`, dir, acc.internalUser, acc.internalGroup, acc.loginUser, acc.mailUID, acc.mailGID, imapPort, lmtpPort)
}

// sieveConfig enables Sieve at LMTP delivery with the per-user script
// ~/.dovecot.sieve (written by StartDovecotWithOptions).
const sieveConfig = `protocol lmtp {
  mail_plugins = $mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_extensions = +vacation-seconds
  sieve_vacation_min_period = 0
  sieve_vacation_default_period = 1s
}
`

// writeUserFile writes name into user's home, owned by the mail account.
func (d *Dovecot) writeUserFile(user, name string, data []byte) error {
	home := filepath.Join(d.dir, "mail", user)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	if err := os.Chown(home, d.acc.mailUID, d.acc.mailGID); err != nil {
		return err
	}
	p := filepath.Join(home, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return err
	}
	return os.Chown(p, d.acc.mailUID, d.acc.mailGID)
}

// Start starts a Dovecot that Stop stopped, on the same ports and with the
// same mail (Restart without the stop, for "mail arrived while IMAP was
// down" tests: Stop, DeliverToMaildir, Start). It does nothing when
// Dovecot is running.
func (d *Dovecot) Start() {
	d.t.Helper()
	d.mu.Lock()
	running := d.cmd != nil
	d.mu.Unlock()
	if running {
		return
	}
	if err := d.start(); err != nil {
		d.t.Fatalf("mailstack: start dovecot: %v\n--- dovecot.log ---\n%s", err, d.Log())
	}
}

// Maildir returns the path of user's INBOX maildir, for tests that count
// or read delivered files directly (cur/ and new/ hold the messages).
func (d *Dovecot) Maildir(user string) string {
	return filepath.Join(d.dir, "mail", user, "Maildir")
}

// start launches the master process in the foreground as our child (so we
// own and reap it) and waits for both listeners.
func (d *Dovecot) start() error {
	cmd := exec.Command(d.dovecot, "-F", "-c", d.conf)
	stderr := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	exited, err := startChild(cmd)
	if err != nil {
		return fmt.Errorf("%s -F -c %s: %w", d.dovecot, d.conf, err)
	}
	d.mu.Lock()
	d.cmd, d.exited = cmd, exited
	d.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for _, addr := range []string{d.IMAPAddr, d.LMTPAddr} {
		if err := waitListening("dovecot", addr, deadline, exited); err != nil {
			return fmt.Errorf("%w; dovecot output: %s", err, stderr.String())
		}
	}
	return nil
}

// waitListening waits until addr accepts a connection, the deadline passes,
// or the server process exits.
func waitListening(name, addr string, deadline time.Time, exited <-chan struct{}) error {
	for {
		select {
		case <-exited:
			return fmt.Errorf("%s exited before %s accepted connections", name, addr)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting connections: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops Dovecot: doveadm stop, then SIGTERM and SIGKILL to the master
// pid if it is still there. It is safe to call twice and is registered as
// cleanup.
func (d *Dovecot) Stop() {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.cmd, d.exited = nil, nil
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	if out, err := exec.Command(d.doveadm, "-c", d.conf, "stop").CombinedOutput(); err != nil {
		d.t.Logf("mailstack: doveadm stop: %v: %s", err, bytes.TrimSpace(out))
	}
	// doveadm stop was the first request; then SIGTERM, then SIGKILL.
	stopMaster(d.t, "dovecot", cmd, exited, []syscall.Signal{0, syscall.SIGTERM, syscall.SIGKILL}, d.IMAPAddr)
}

// Restart stops Dovecot and starts it again on the same ports and with the
// same mail, for outage tests.
func (d *Dovecot) Restart() {
	d.t.Helper()
	d.Stop()
	if err := d.start(); err != nil {
		d.t.Fatalf("mailstack: restart dovecot: %v\n--- dovecot.log ---\n%s", err, d.Log())
	}
}

// Log returns Dovecot's log so far.
func (d *Dovecot) Log() string {
	b, err := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// Deliver delivers raw to user's INBOX over LMTP (RFC 2033), as an MTA would.
func (d *Dovecot) Deliver(user string, raw []byte) error {
	return deliverLMTP(d.LMTPAddr, "sender@example.org", user, raw)
}

// DeliverMany delivers every mail in raws to user's INBOX over LMTP, as an
// MTA with a queue would: parallel connections, each carrying many
// transactions. Mails on one connection arrive in order; across
// connections the order is not defined. It is for filling a mailbox with
// thousands of mails quickly.
func (d *Dovecot) DeliverMany(user string, raws [][]byte, parallel int) error {
	parallel = max(1, min(parallel, len(raws)))
	errs := make(chan error, parallel)
	for w := range parallel {
		go func() {
			errs <- func() error {
				lc, err := dialLMTP(d.LMTPAddr)
				if err != nil {
					return err
				}
				defer lc.close()
				for i := w; i < len(raws); i += parallel {
					if err := lc.deliver("sender@example.org", user, raws[i]); err != nil {
						return fmt.Errorf("mail %d of %d: %w", i+1, len(raws), err)
					}
				}
				return nil
			}()
		}()
	}
	var all []error
	for range parallel {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// deliverLMTP runs one LMTP transaction for a single recipient.
func deliverLMTP(addr, from, rcpt string, raw []byte) error {
	lc, err := dialLMTP(addr)
	if err != nil {
		return err
	}
	defer lc.close()
	return lc.deliver(from, rcpt, raw)
}

// lmtpConn is an LMTP session (RFC 2033) after LHLO.
type lmtpConn struct {
	conn net.Conn
	tc   *textproto.Conn
}

func dialLMTP(addr string) (*lmtpConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("lmtp dial %s: %w", addr, err)
	}
	lc := &lmtpConn{conn: conn, tc: textproto.NewConn(conn)}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := lc.step(220, ""); err != nil {
		conn.Close()
		return nil, err
	}
	if err := lc.step(250, "LHLO localhost"); err != nil {
		conn.Close()
		return nil, err
	}
	return lc, nil
}

func (lc *lmtpConn) step(expect int, format string, args ...any) error {
	if format != "" {
		if err := lc.tc.PrintfLine(format, args...); err != nil {
			return err
		}
	}
	if _, msg, err := lc.tc.ReadResponse(expect); err != nil {
		return fmt.Errorf("lmtp %q: %w (%s)", format, err, msg)
	}
	return nil
}

// deliver runs one transaction for a single recipient.
func (lc *lmtpConn) deliver(from, rcpt string, raw []byte) error {
	lc.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := lc.step(250, "MAIL FROM:<%s>", from); err != nil {
		return err
	}
	if err := lc.step(250, "RCPT TO:<%s>", rcpt); err != nil {
		return err
	}
	if err := lc.step(354, "DATA"); err != nil {
		return err
	}
	w := lc.tc.DotWriter()
	// DotWriter wants \n line endings and adds \r itself.
	if _, err := w.Write(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))); err != nil {
		return fmt.Errorf("lmtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("lmtp data: %w", err)
	}
	// LMTP answers once per accepted recipient.
	return lc.step(250, "")
}

func (lc *lmtpConn) close() {
	lc.tc.PrintfLine("QUIT")
	lc.conn.Close()
}

// DeliverToMaildir drops raw into user's INBOX maildir (new/) directly, as a
// local MTA would. It works while Dovecot is stopped, for "mail arrived
// during the IMAP outage" tests; Dovecot assigns the UID when it next looks.
func (d *Dovecot) DeliverToMaildir(user string, raw []byte) error {
	if strings.ContainsAny(user, "/\x00") || user == "" || user == "." || user == ".." {
		return fmt.Errorf("maildir delivery: bad user name %q", user)
	}
	d.mu.Lock()
	d.seq++
	name := fmt.Sprintf("%d.M%dP%dQ%d.mailstack", time.Now().Unix(), time.Now().Nanosecond()/1000, os.Getpid(), d.seq)
	d.mu.Unlock()
	maildir := filepath.Join(d.dir, "mail", user, "Maildir")
	for _, sub := range []string{"", "tmp", "new", "cur"} {
		p := filepath.Join(maildir, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return fmt.Errorf("maildir delivery: %w", err)
		}
		if err := os.Chown(p, d.acc.mailUID, d.acc.mailGID); err != nil {
			return fmt.Errorf("maildir delivery: %w", err)
		}
	}
	// maildir(5): write into tmp/, then rename into new/ atomically.
	tmp := filepath.Join(maildir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("maildir delivery: %w", err)
	}
	if err := os.Chown(tmp, d.acc.mailUID, d.acc.mailGID); err != nil {
		return fmt.Errorf("maildir delivery: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(maildir, "new", name)); err != nil {
		return fmt.Errorf("maildir delivery: %w", err)
	}
	return nil
}

// Append stores raw in user's mailbox with IMAP APPEND, creating the mailbox
// when it does not exist.
func (d *Dovecot) Append(user, mailbox string, raw []byte) error {
	c, err := d.login(user)
	if err != nil {
		return err
	}
	defer c.Close()
	appendOnce := func() error {
		cmd := c.Append(mailbox, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	}
	err = appendOnce()
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		if err := c.Create(mailbox, nil).Wait(); err != nil {
			return fmt.Errorf("create %q for %s: %w", mailbox, user, err)
		}
		err = appendOnce()
	}
	if err != nil {
		return fmt.Errorf("append to %q for %s: %w", mailbox, user, err)
	}
	return c.Logout().Wait()
}

// login opens an IMAP connection as user.
func (d *Dovecot) login(user string) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(d.IMAPAddr, nil)
	if err != nil {
		return nil, fmt.Errorf("imap dial %s: %w", d.IMAPAddr, err)
	}
	if err := c.Login(user, d.users[user]).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imap login %s: %w", user, err)
	}
	return c, nil
}

// Doveadm runs doveadm with this server's config and returns its output.
func (d *Dovecot) Doveadm(args ...string) (string, error) {
	out, err := exec.Command(d.doveadm, append([]string{"-c", d.conf}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("doveadm %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// RecreateMailbox empties mailbox and gives it a new UIDVALIDITY, as deleting
// and recreating it (or restoring it from a backup) would. Other mailboxes
// are deleted and created with doveadm; INBOX cannot be deleted, so its
// messages are expunged and its UIDVALIDITY raised with doveadm mailbox
// update. Either way UIDs in the new incarnation are not comparable to old
// ones.
func (d *Dovecot) RecreateMailbox(user, mailbox string) {
	d.t.Helper()
	if strings.EqualFold(mailbox, "INBOX") {
		status, err := d.Doveadm("-f", "flow", "mailbox", "status", "-u", user, "uidvalidity", mailbox)
		if err != nil {
			d.t.Fatalf("mailstack: %v", err)
		}
		// Flow output: "INBOX uidvalidity=1795351097".
		_, value, _ := strings.Cut(status, "uidvalidity=")
		old, err := strconv.ParseUint(strings.TrimSpace(value), 10, 32)
		if err != nil {
			d.t.Fatalf("mailstack: parse %q: %v", status, err)
		}
		if _, err := d.Doveadm("expunge", "-u", user, "mailbox", mailbox, "all"); err != nil {
			d.t.Fatalf("mailstack: %v", err)
		}
		next := max(old+1, uint64(time.Now().Unix()))
		if _, err := d.Doveadm("mailbox", "update", "-u", user, "--uid-validity", strconv.FormatUint(next, 10), mailbox); err != nil {
			d.t.Fatalf("mailstack: %v", err)
		}
		return
	}
	if _, err := d.Doveadm("mailbox", "delete", "-u", user, mailbox); err != nil {
		d.t.Fatalf("mailstack: %v", err)
	}
	if _, err := d.Doveadm("mailbox", "create", "-u", user, mailbox); err != nil {
		d.t.Fatalf("mailstack: %v", err)
	}
}

// syncBuffer collects a child's output; it may be read while the child
// still writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}

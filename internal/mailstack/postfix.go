package mailstack

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Postfix is a running Postfix on loopback in front of a Dovecot: SMTP on
// SMTPAddr is accepted for the Dovecot users of the given domains and
// delivered over LMTP (SMTP → LMTP → IMAP). Recipients in those domains that
// are not Dovecot users are rejected at RCPT with 550; other domains are
// refused (no relaying off the machine). Its methods report harness failures
// on the test given to StartPostfix.
type Postfix struct {
	SMTPAddr string // 127.0.0.1:port, plaintext SMTP, no AUTH, open to 127.0.0.0/8

	t      testing.TB
	dir    string // config_directory; queue, data and log live below it
	mu     sync.Mutex
	cmd    *exec.Cmd       // master in the foreground, nil when stopped
	exited <-chan struct{} // closed when cmd has been reaped
	master string          // the master daemon binary
}

// PostfixOptions adjust StartPostfixWithOptions.
type PostfixOptions struct {
	// SMTPPort is the port smtpd listens on; 0 picks a free one. Set it
	// (from FreePort) when another server must know the address before
	// Postfix starts, e.g. DovecotOptions.SubmissionHost.
	SMTPPort int
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// StartPostfix starts Postfix on a free loopback port, delivering mail for
// the Dovecot users in domains to d over LMTP. The test is skipped when
// Postfix is not installed (see RequireEnv). Postfix is stopped by t.Cleanup.
func StartPostfix(t testing.TB, d *Dovecot, domains ...string) *Postfix {
	t.Helper()
	return StartPostfixWithOptions(t, d, PostfixOptions{}, domains...)
}

// StartPostfixWithOptions is StartPostfix with options.
func StartPostfixWithOptions(t testing.TB, d *Dovecot, opts PostfixOptions, domains ...string) *Postfix {
	t.Helper()
	if _, err := findBinary("postfix"); err != nil {
		skipOrFail(t, "postfix not installed: apt-get install postfix")
	}
	postconf, err := findBinary("postconf")
	if err != nil {
		skipOrFail(t, "postconf not installed: apt-get install postfix")
	}
	if len(domains) == 0 {
		t.Fatalf("mailstack: StartPostfix needs at least one domain")
	}
	if _, err := user.Lookup("postfix"); err != nil {
		t.Fatalf("mailstack: postfix needs the postfix account from the package: %v", err)
	}
	defaults, err := exec.Command(postconf, "-d", "-h", "daemon_directory", "command_directory", "shlib_directory", "meta_directory").Output()
	if err != nil {
		t.Fatalf("mailstack: postconf -d: %v", err)
	}
	dirs := strings.Fields(string(defaults))
	if len(dirs) != 4 {
		t.Fatalf("mailstack: postconf -d printed %q", defaults)
	}

	p := &Postfix{t: t, dir: tempDir(t, "postfix"), master: filepath.Join(dirs[0], "master")}
	port := opts.SMTPPort
	if port == 0 {
		port = FreePort(t)
	}
	p.SMTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	_, lmtpPort, err := net.SplitHostPort(d.LMTPAddr)
	if err != nil {
		t.Fatalf("mailstack: dovecot LMTP address %q: %v", d.LMTPAddr, err)
	}

	// Only Dovecot's users in our domains are deliverable; everybody else
	// in those domains is unknown (550 at RCPT).
	var known []string
	for name := range d.users {
		at := strings.LastIndexByte(name, '@')
		if at < 0 {
			continue
		}
		for _, dom := range domains {
			if strings.EqualFold(name[at+1:], dom) {
				known = append(known, strings.ToLower(name)+" OK\n")
			}
		}
	}
	sort.Strings(known)
	if err := os.WriteFile(filepath.Join(p.dir, "vmailbox"), []byte(strings.Join(known, "")), 0o644); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "main.cf"), []byte(postfixMainCF(p.dir, dirs, lmtpPort, domains)), 0o644); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "master.cf"), []byte(postfixMasterCF(port)), 0o644); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	// Postfix's unprivileged processes must reach the queue and log below
	// the temp dir.
	if err := os.Chmod(p.dir, 0o755); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	if err := makePostfixDirs(p.dir); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	t.Cleanup(p.Stop)
	if err := p.start(); err != nil {
		t.Fatalf("mailstack: start postfix: %v\n--- maillog ---\n%s", err, p.Log())
	}
	return p
}

// makePostfixDirs creates the queue and data directories with the owners
// and modes of Postfix's postfix-files (what `postfix check` would create,
// without its slow scan).
func makePostfixDirs(dir string) error {
	pf, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("postfix needs the postfix account from the package: %w", err)
	}
	pd, err := user.LookupGroup("postdrop")
	if err != nil {
		return fmt.Errorf("postfix needs the postdrop group from the package: %w", err)
	}
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	postdrop, _ := strconv.Atoi(pd.Gid)
	type entry struct {
		path     string
		uid, gid int
		mode     os.FileMode
	}
	entries := []entry{
		{"queue", 0, 0, 0o755},
		{"queue/pid", 0, 0, 0o755},
		{"queue/maildrop", uid, postdrop, 0o730},
		{"queue/public", uid, postdrop, 0o710},
		{"data", uid, gid, 0o700},
	}
	for _, q := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		entries = append(entries, entry{"queue/" + q, uid, gid, 0o700})
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.path)
		if err := os.Mkdir(p, e.mode); err != nil {
			return err
		}
		if err := os.Chown(p, e.uid, e.gid); err != nil {
			return err
		}
		if err := os.Chmod(p, e.mode); err != nil { // Mkdir applies the umask
			return err
		}
	}
	return nil
}

// postfixMainCF renders main.cf: loopback only, no local delivery, virtual
// mailboxes delivered to Dovecot over LMTP, everything else refused, fast
// retries so outage tests do not wait for the default 5 minutes.
func postfixMainCF(dir string, dirs []string, lmtpPort string, domains []string) string {
	return fmt.Sprintf(`compatibility_level = 3.6
daemon_directory = %[2]s
command_directory = %[3]s
shlib_directory = %[4]s
meta_directory = %[5]s
queue_directory = %[1]s/queue
data_directory = %[1]s/data
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
mail_owner = postfix
setgid_group = postdrop
multi_instance_directories =
myhostname = mx.example.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks reject
smtpd_banner = $myhostname ESMTP mailstack
recipient_delimiter = +
virtual_mailbox_domains = %[6]s
virtual_mailbox_maps = texthash:%[1]s/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:%[7]s
default_transport = error:5.7.1 mailstack delivers only to its virtual domains
relay_transport = error:5.7.1 mailstack does not relay
unknown_virtual_mailbox_reject_code = 550
message_size_limit = 52428800
biff = no
append_dot_mydomain = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
lmtp_connect_timeout = 5s
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 2000
`, dir, dirs[0], dirs[1], dirs[2], dirs[3], strings.Join(domains, " "), lmtpPort)
}

// postfixMasterCF is master.cf with only what this setup uses, nothing
// chrooted, and smtpd moved to a loopback high port.
func postfixMasterCF(port int) string {
	return fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`, port)
}

// start runs Postfix's master daemon directly as our child (what
// `postfix start` does after its checks, which StartPostfix ran once), and
// waits for the SMTP listener.
func (p *Postfix) start() error {
	outFile, err := os.OpenFile(filepath.Join(p.dir, "master.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer outFile.Close()
	cmd := exec.Command(p.master, "-c", p.dir)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+p.dir)
	// A file, not a pipe: Wait must not wait for the master's children.
	cmd.Stdout, cmd.Stderr = outFile, outFile
	exited, err := startChild(cmd)
	if err != nil {
		return fmt.Errorf("%s -c %s: %w", p.master, p.dir, err)
	}
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	if err := waitListening("postfix master", p.SMTPAddr, time.Now().Add(startTimeout), exited); err != nil {
		return fmt.Errorf("postfix: %w", err)
	}
	return nil
}

// Start starts a stopped Postfix again on the same port with the same
// queue: mail accepted before Stop is delivered.
func (p *Postfix) Start() {
	p.t.Helper()
	p.mu.Lock()
	running := p.cmd != nil
	p.mu.Unlock()
	if running {
		return
	}
	if err := p.start(); err != nil {
		p.t.Fatalf("mailstack: start postfix: %v\n--- maillog ---\n%s", err, p.Log())
	}
}

// Stop stops Postfix (SIGTERM to the master, as `postfix stop` does, then
// SIGKILL if needed) and waits until the SMTP port refuses connections. Mail
// in the queue stays there. Safe to call twice; registered as cleanup.
func (p *Postfix) Stop() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd, p.exited = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	// SIGTERM is `postfix stop`: the master stops its children and exits.
	stopMaster(p.t, "postfix", cmd, exited, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}, p.SMTPAddr)
}

// Log returns Postfix's maillog so far.
func (p *Postfix) Log() string {
	b, err := os.ReadFile(filepath.Join(p.dir, "maillog"))
	var s string
	if err != nil {
		s = fmt.Sprintf("(no maillog: %v)", err)
	} else {
		s = string(b)
	}
	if o, _ := os.ReadFile(filepath.Join(p.dir, "master.out")); len(bytes.TrimSpace(o)) > 0 {
		s += "\n--- master output ---\n" + string(o)
	}
	return s
}

// QueueEmpty reports whether Postfix holds no mail (nothing deferred or
// in flight), by looking at its queue directories.
func (p *Postfix) QueueEmpty() bool {
	for _, q := range []string{"incoming", "active", "deferred", "maildrop", "hold"} {
		empty := true
		filepath.WalkDir(filepath.Join(p.dir, "queue", q), func(path string, de os.DirEntry, err error) error {
			if err == nil && !de.IsDir() {
				empty = false
				return filepath.SkipAll
			}
			return nil
		})
		if !empty {
			return false
		}
	}
	return true
}

package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ticketd/internal/mailtest"
)

func newMail(from, id, subject string) msg {
	return msg{From: from, To: support, Subject: subject, MessageID: id, Body: "Hello,\n\n" + subject + ".\n\nRegards\n"}
}

// ackFor waits for the acknowledgement of mail id in user's mailbox.
func (s *stack) waitAck(user, id string, timeout time.Duration) gotMail {
	s.t.Helper()
	var got gotMail
	mailtest.Eventually(s.t, "the acknowledgement of "+id+" in "+user+"'s mailbox", timeout, func() bool {
		for _, m := range fromSupport(s.mailbox(user)) {
			if m.InReplyTo == id {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// TestOutages: SMTP down, permanent rejection, IMAP down, mailbox
// recreated, database locked — ticketd keeps every mail and every answer.
func TestOutages(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.startDaemon()
	sent, acks := 0, 0

	// Warm up: one mail end to end.
	warm := newMail("alice@example.org", "out-0@example.org", "Warm-up: report page is slow")
	s.send("alice@example.org", warm.bytes())
	sent++
	s.waitAck("alice@example.org", warm.MessageID, 20*time.Second)
	acks++

	t.Run("postfix_down_ack_waits_in_outbox", func(t *testing.T) {
		s.pf.Stop()
		m := newMail("bob@example.org", "out-1@example.org", "Database replication lag")
		if err := s.dc.Deliver(support, m.bytes()); err != nil { // arrives by another MX
			t.Fatal(err)
		}
		sent++
		var tk *showJSON
		mailtest.Eventually(t, "a ticket for the mail and a failed delivery attempt", 30*time.Second, func() bool {
			tk = s.ticketFor(m.MessageID)
			if tk == nil {
				return false
			}
			for _, o := range tk.Outbound {
				if o.Kind == "ack" && o.Attempts >= 1 {
					return true
				}
			}
			return false
		})
		for _, o := range tk.Outbound {
			if o.Kind == "ack" && o.Status != "pending" {
				t.Errorf("ack while Postfix is down: status %q (%s), want pending", o.Status, o.LastError)
			}
			t.Logf("while Postfix is down: %s %s attempts %d: %s", o.Kind, o.Status, o.Attempts, o.LastError)
		}
		downFor := 3 * time.Second
		time.Sleep(downFor) // the outage lasts a while longer (not an assertion)
		s.pf.Start()
		up := time.Now()
		s.waitAck("bob@example.org", m.MessageID, 90*time.Second)
		acks++
		t.Logf("acknowledgement delivered %v after Postfix came back (outbox retry backoff)", time.Since(up).Round(time.Second))
		s.waitQuiet(sent, 60*time.Second)
		for _, o := range s.show(tk.Number).Outbound {
			if o.Status != "sent" {
				t.Errorf("after the outage: %s to %v is %s (%s)", o.Kind, o.Recipients, o.Status, o.LastError)
			}
		}
	})

	t.Run("permanent_5xx_is_failed_and_admin_alerted", func(t *testing.T) {
		const ghost = "ghost@example.org" // a contact without a mailbox: 550 at RCPT
		s.cli("contacts", "add", "--customer", "Acme", "--email", ghost, "--name", "Ghost", "--tz", "Europe/Zurich")
		adminBefore := len(s.mailbox(admin))
		m := newMail(ghost, "out-2@example.org", "Login page shows an error")
		s.send(ghost, m.bytes())
		sent++
		var ack *outboundJSON
		mailtest.Eventually(t, "the acknowledgement to the unknown recipient to fail", 30*time.Second, func() bool {
			tk := s.ticketFor(m.MessageID)
			if tk == nil {
				return false
			}
			for _, o := range tk.Outbound {
				if o.Kind == "ack" {
					o := o
					ack = &o
					return o.Status == "failed"
				}
			}
			return false
		}, func() string { return fmt.Sprintf("ack row %+v", ack) })
		if !strings.Contains(ack.LastError, "550") {
			t.Errorf("failed ack's last_error %q does not name the 550", ack.LastError)
		}
		mailtest.Eventually(t, "an admin notice about the failed delivery", 30*time.Second, func() bool {
			return len(fromSupport(s.mailbox(admin))) > adminBefore
		})
		n := fromSupport(s.mailbox(admin))
		t.Logf("admin notice: %q", n[len(n)-1].Subject)
		s.waitQuiet(sent, 30*time.Second)
	})

	t.Run("dovecot_restart_mail_during_outage_is_processed", func(t *testing.T) {
		s.dc.Stop()
		m := newMail("carol@example.org", "out-3@example.org", "Backups did not run tonight")
		if err := s.dc.DeliverToMaildir(support, m.bytes()); err != nil {
			t.Fatal(err)
		}
		sent++
		time.Sleep(2 * time.Second) // the outage lasts a while (not an assertion)
		s.dc.Start()
		up := time.Now()
		s.waitAck("carol@example.org", m.MessageID, 90*time.Second)
		acks++
		t.Logf("mail delivered during the IMAP outage acknowledged %v after Dovecot came back", time.Since(up).Round(100*time.Millisecond))
		s.waitQuiet(sent, 30*time.Second)
	})

	t.Run("uidvalidity_change_duplicates_nothing", func(t *testing.T) {
		s.waitQuiet(sent, 30*time.Second)
		before := len(s.tickets())
		acksBefore := map[string]int{}
		for _, c := range contacts {
			acksBefore[c] = len(fromSupport(s.mailbox(c)))
		}
		// The mailbox is restored from a backup: same mails, new UIDVALIDITY.
		old := s.mailbox(support)
		s.dc.RecreateMailbox(support, "INBOX")
		for _, m := range old {
			if err := s.dc.Deliver(support, m.Raw); err != nil {
				t.Fatal(err)
			}
		}
		fresh := newMail("dave@example.org", "out-4@example.org", "New mail after the restore")
		s.send("dave@example.org", fresh.bytes())
		sent++
		s.waitAck("dave@example.org", fresh.MessageID, 60*time.Second)
		acks++
		s.waitQuiet(sent, 30*time.Second)
		if got := len(s.tickets()); got != before+1 {
			t.Errorf("after the UIDVALIDITY change: %d tickets, want %d (only the new mail)", got, before+1)
		}
		for _, c := range contacts {
			want := acksBefore[c]
			if c == "dave@example.org" {
				want++
			}
			if got := len(fromSupport(s.mailbox(c))); got != want {
				t.Errorf("after the UIDVALIDITY change %s has %d mails from support, want %d", c, got, want)
			}
		}
	})

	t.Run("database_locked_nothing_lost", func(t *testing.T) {
		const hold = 12 * time.Second // longer than the store's 10 s busy_timeout
		db, err := sql.Open("sqlite", "file:"+s.dbPath+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
			t.Fatalf("BEGIN EXCLUSIVE: %v", err)
		}
		logBefore := len(s.allLogs())
		locked := time.Now()
		var ids []string
		for i, c := range []string{"alice@example.org", "bob@example.org", "carol@example.org"} {
			m := newMail(c, fmt.Sprintf("out-lock-%d@example.org", i), "Mail while the database is locked")
			s.send(c, m.bytes())
			ids = append(ids, m.MessageID)
			sent++
		}
		time.Sleep(time.Until(locked.Add(hold))) // hold the lock (not an assertion)
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			t.Fatalf("COMMIT: %v", err)
		}
		conn.Close()
		released := time.Now()
		for i, c := range []string{"alice@example.org", "bob@example.org", "carol@example.org"} {
			s.waitAck(c, ids[i], 90*time.Second)
			acks++
		}
		t.Logf("all mail processed %v after the lock was released", time.Since(released).Round(100*time.Millisecond))
		s.waitQuiet(sent, 30*time.Second)
		stalled := s.allLogs()[logBefore:]
		var why []string
		for _, l := range strings.Split(stalled, "\n") {
			ll := strings.ToLower(l)
			if strings.Contains(ll, "locked") || strings.Contains(ll, "busy") {
				why = append(why, l)
			}
		}
		if len(why) == 0 {
			t.Errorf("the daemon stalled %v on a locked database without saying why (no 'locked'/'busy' in its log)", hold)
		} else {
			t.Logf("daemon said: %s", why[0])
		}
	})

	if !s.daemonAlive() {
		t.Errorf("daemon not running at the end")
	}
	record(figures{Scenario: "outages", Sent: sent, Tickets: len(s.tickets()), Quarantine: len(s.quarantine()), Acks: acks, Panics: s.panics(),
		Note: "smtp down, 550, imap down, uidvalidity, db lock"})
	if s.panics() > 0 {
		t.Errorf("daemon log shows a panic")
	}
}

// TestOutage_diskFull puts the database on a small tmpfs, fills it, and
// expects the daemon to stop taking mail, say why, and catch up once space
// is freed. It needs root and permission to mount.
func TestOutage_diskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("disk full: needs root to mount a small tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("disk full: cannot mount a tmpfs here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	s := newStack(t, stackOptions{dbDir: mnt})
	// Cleanups run last-in first-out: this one, registered after newStack's,
	// stops the daemon before the tmpfs holding its database is unmounted.
	t.Cleanup(func() {
		s.stopDaemon()
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	s.startDaemon()
	warm := newMail("alice@example.org", "disk-0@example.org", "Before the disk filled up")
	s.send("alice@example.org", warm.bytes())
	s.waitAck("alice@example.org", warm.MessageID, 20*time.Second)
	s.waitQuiet(1, 20*time.Second)

	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	logBefore := len(s.allLogs())
	m := newMail("bob@example.org", "disk-1@example.org", "While the disk is full: exports fail")
	s.send("bob@example.org", m.bytes())
	// The daemon must not acknowledge (it cannot store) and must say why.
	var why string
	mailtest.Eventually(t, "the daemon to log that the disk is full", 45*time.Second, func() bool {
		for _, l := range strings.Split(s.allLogs()[logBefore:], "\n") {
			ll := strings.ToLower(l)
			if strings.Contains(ll, "full") || strings.Contains(ll, "no space") || strings.Contains(ll, "disk") {
				why = l
				return true
			}
		}
		return false
	}, func() string { return "log since the disk filled:\n" + tail(s.allLogs()[logBefore:], 3000) })
	t.Logf("daemon said: %s", why)
	if !s.daemonAlive() {
		t.Fatalf("daemon exited on a full disk")
	}
	os.Remove(filler)
	freed := time.Now()
	s.waitAck("bob@example.org", m.MessageID, 90*time.Second)
	t.Logf("mail processed %v after space was freed", time.Since(freed).Round(100*time.Millisecond))
	s.waitQuiet(2, 30*time.Second)
	if n := len(s.tickets()); n != 2 {
		t.Errorf("%d tickets after the disk-full episode, want 2", n)
	}
	record(figures{Scenario: "disk full", Sent: 2, Tickets: len(s.tickets()), Quarantine: len(s.quarantine()), Acks: 2, Panics: s.panics(), Note: "16 MB tmpfs"})
}

// fillDisk writes file until the file system is full.
func fillDisk(t *testing.T, file string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for size := len(buf); size > 0; size /= 2 {
		for {
			if _, err := f.Write(buf[:size]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill: %v", err)
				}
				break
			}
		}
	}
}

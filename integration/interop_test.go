package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"ticketd/internal/mailtest"
)

// idleWatcher holds an IMAP IDLE on user's INBOX and reports new mail.
type idleWatcher struct {
	c      *imapclient.Client
	idle   *imapclient.IdleCommand
	exists chan uint32
}

func watchIdle(t *testing.T, s *stack, user string) *idleWatcher {
	t.Helper()
	w := &idleWatcher{exists: make(chan uint32, 16)}
	c, err := imapclient.DialInsecure(s.dc.IMAPAddr, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case w.exists <- *d.NumMessages:
				default:
				}
			}
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.c = c
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	if w.idle, err = c.Idle(); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *idleWatcher) close() {
	if w.idle != nil {
		w.idle.Close()
		w.idle.Wait()
	}
	w.c.Close()
}

// TestInterop_ackByIDLEThreadingAndEngineerRelay: a customer writes through
// Postfix and sees the acknowledgement arrive by IDLE; her follow-up joins
// the ticket; the engineer answers the alert from a real mail client
// (mutt) and the answer reaches her from the support address, recording
// the first response; an engineer's #note stays internal.
func TestInterop_ackByIDLEThreadingAndEngineerRelay(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.startDaemon()
	const alice = "alice@example.org"
	w := watchIdle(t, s, alice)

	// 1. New mail → acknowledgement, measured through IDLE.
	first := msg{From: "Alice <" + alice + ">", To: support, Subject: "Nightly export fails with a timeout",
		MessageID: "interop-1@example.org", Body: "Hello,\n\nour nightly export has failed since yesterday with a timeout.\n\nAlice\n"}
	s.send(alice, first.bytes())
	sent := time.Now()
	var latency time.Duration
	select {
	case <-w.exists:
		latency = time.Since(sent)
	case <-time.After(20 * time.Second):
		t.Fatalf("no mail reached %s within 20 s of submission (IDLE)", alice)
	}
	w.close()
	t.Logf("acknowledgement latency (submit via Postfix → ticketd → Postfix → IDLE EXISTS): %v", latency.Round(time.Millisecond))
	if latency > 5*time.Second {
		t.Errorf("acknowledgement took %v to arrive; want a couple of seconds (≤ 5 s)", latency)
	}
	acks := fromSupport(s.mailbox(alice))
	if len(acks) != 1 {
		t.Fatalf("%s has %d mails from support, want the acknowledgement", alice, len(acks))
	}
	ack := acks[0]
	if ack.InReplyTo != first.MessageID || !strings.HasPrefix(ack.Subject, "[Ticket#1]") ||
		ack.AutoSubmitted != "auto-replied" || ack.XLoop == "" {
		t.Fatalf("acknowledgement: In-Reply-To %q Subject %q Auto-Submitted %q X-Ticketd-Loop %q", ack.InReplyTo, ack.Subject, ack.AutoSubmitted, ack.XLoop)
	}

	// 2. Her follow-up, replying to the acknowledgement, joins ticket 1.
	followUp := msg{From: "Alice <" + alice + ">", To: support, Subject: "Re: " + ack.Subject, MessageID: "interop-2@example.org",
		Headers: []string{"In-Reply-To: <" + ack.MessageID + ">", "References: <" + first.MessageID + "> <" + ack.MessageID + ">"},
		Body:    "Here is the log excerpt: export timed out after 3600 s.\n"}
	s.send(alice, followUp.bytes())
	mailtest.Eventually(t, "the follow-up to be processed", 20*time.Second, func() bool { return s.processed(followUp.MessageID) })
	ts := s.tickets()
	if len(ts) != 1 {
		t.Fatalf("follow-up: %d tickets, want 1 (threaded)", len(ts))
	}
	tk := s.show(1)
	if !hasMessage(tk, followUp.MessageID) {
		t.Fatalf("follow-up %s not on ticket 1: %+v", followUp.MessageID, tk.Messages)
	}

	// 3. The engineer answers the alert from mutt.
	var alert *gotMail
	mailtest.Eventually(t, "the engineer alert", 20*time.Second, func() bool {
		for _, m := range fromSupport(s.mailbox(eng)) {
			if alert == nil && strings.HasPrefix(m.Subject, "[Ticket#1]") {
				m := m
				alert = &m
			}
		}
		return alert != nil
	})
	replyTo := alert.Header.Get("Reply-To")
	if !strings.Contains(replyTo, "support+s1.") {
		t.Fatalf("alert Reply-To %q lacks the ticket's staff token", replyTo)
	}
	before := len(fromSupport(s.mailbox(alice)))
	via := s.engineerReply(t, replyTo, alert, "Hello Alice,\n\nwe raised the export timeout to two hours; tonight's run should pass.\n\nErin")
	t.Logf("engineer reply sent with %s", via)
	var relay *gotMail
	mailtest.Eventually(t, "the relayed engineer answer in alice's mailbox", 30*time.Second, func() bool {
		ms := fromSupport(s.mailbox(alice))
		if len(ms) > before {
			relay = &ms[len(ms)-1]
			return true
		}
		return false
	})
	body := string(relay.Raw)
	if !strings.Contains(body, "export timeout to two hours") {
		t.Errorf("relay lost the engineer's words:\n%s", body)
	}
	if strings.Contains(strings.ToLower(body), eng) {
		t.Errorf("the engineer's address reached the customer:\n%s", body)
	}
	if relay.AutoSubmitted != "" {
		t.Errorf("relayed human answer marked Auto-Submitted: %s", relay.AutoSubmitted)
	}
	if !strings.HasPrefix(relay.Subject, "[Ticket#1]") {
		t.Errorf("relay subject %q", relay.Subject)
	}
	tk = s.show(1)
	if tk.FirstResponseAt == nil {
		t.Errorf("first_response_at not set after the engineer's answer")
	}

	// 4. A #note stays internal.
	s.waitQuiet(3, 30*time.Second)
	nMsgs := len(s.show(1).Messages)
	s.engineerReply(t, replyTo, alert, "#note\nCalled Alice, she will send the full log.")
	mailtest.Eventually(t, "the note to be recorded on ticket 1", 20*time.Second, func() bool { return len(s.show(1).Messages) > nMsgs })
	s.waitQuiet(4, 30*time.Second)
	after := fromSupport(s.mailbox(alice))
	if len(after) != before+1 {
		t.Errorf("after the #note alice has %d mails from support, want %d (the note must not reach her)", len(after), before+1)
	}
	for _, m := range after {
		if strings.Contains(string(m.Raw), "will send the full log") {
			t.Errorf("the internal note reached the customer: %s", m.Subject)
		}
	}
	record(figures{Scenario: "interop", Sent: 4, Tickets: len(s.tickets()), Quarantine: len(s.quarantine()), Acks: 1,
		Panics: s.panics(), Note: fmt.Sprintf("ack latency %v, reply via %s", latency.Round(time.Millisecond), via)})
	if s.panics() > 0 {
		t.Errorf("daemon log shows a panic")
	}
}

func hasMessage(t showJSON, messageID string) bool {
	for _, m := range t.Messages {
		if trimID(m.MessageID) == messageID {
			return true
		}
	}
	return false
}

// engineerReply answers alert as the engineer would from a mail client:
// to the alert's Reply-To, In-Reply-To and References kept, the alert
// quoted below. It uses mutt (`mutt -F muttrc -H draft`) when installed,
// net/smtp otherwise, and returns which.
func (s *stack) engineerReply(t *testing.T, replyTo string, alert *gotMail, text string) string {
	t.Helper()
	refs := strings.TrimSpace(alert.Header.Get("References") + " <" + alert.MessageID + ">")
	var quoted strings.Builder
	for _, l := range strings.Split(string(alert.Raw[strings.Index(string(alert.Raw), "\r\n\r\n")+4:]), "\n") {
		if len(quoted.String()) > 800 {
			break
		}
		quoted.WriteString("> " + strings.TrimRight(l, "\r") + "\n")
	}
	id := fmt.Sprintf("eng-%d@example.test", time.Now().UnixNano())
	headers := fmt.Sprintf("From: Erin Engineer <%s>\nTo: %s\nSubject: Re: %s\nIn-Reply-To: <%s>\nReferences: %s\n",
		eng, replyTo, alert.Subject, alert.MessageID, refs)
	body := text + "\n\nOn " + time.Now().Format(time.RFC1123Z) + ", Example Support wrote:\n" + quoted.String()

	if mutt, err := exec.LookPath("mutt"); err == nil {
		home := t.TempDir()
		muttrc := filepath.Join(home, "muttrc")
		rc := fmt.Sprintf(`set smtp_url="smtp://%s/"
set from="%s"
set realname="Erin Engineer"
set use_from=yes
set ssl_starttls=no
set ssl_force_tls=no
set record=""
set postponed="%s/postponed"
set folder="%s"
set spoolfile="%s/spool"
set hostname="example.test"
set charset="utf-8"
set send_charset="utf-8"
set edit_headers=yes
`, s.pf.SMTPAddr, eng, home, home, home)
		draft := filepath.Join(home, "draft.eml")
		if err := os.WriteFile(muttrc, []byte(rc), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(draft, []byte(headers+"\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(mutt, "-n", "-F", muttrc, "-H", draft)
		cmd.Env = append(os.Environ(), "HOME="+home, "TERM=dumb", "EDITOR=true", "VISUAL=true")
		devnull, _ := os.Open(os.DevNull)
		defer devnull.Close()
		cmd.Stdin = devnull
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mutt -H draft: %v\n%s", err, out)
		}
		return "mutt"
	}
	raw := []byte(strings.ReplaceAll(headers+"Message-ID: <"+id+">\nDate: "+time.Now().Format(time.RFC1123Z)+
		"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"+body, "\n", "\r\n"))
	if err := s.sendErr(eng, []string{trimAddr(replyTo)}, raw); err != nil {
		t.Fatalf("engineer reply via net/smtp: %v", err)
	}
	return "net/smtp"
}

// trimAddr extracts the address from "Name <addr>" or "<addr>".
func trimAddr(s string) string {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(strings.TrimRight(s, "> "))
}

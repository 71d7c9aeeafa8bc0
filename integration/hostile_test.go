package integration

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailtest"
)

// TestHostileInput submits broken and hostile mails through Postfix. Each
// must end as a ticket or a quarantine entry, the daemon must keep running
// without a panic, and nothing may go out with an injected header.
func TestHostileInput(t *testing.T) {
	const carol = "carol@example.org"
	s := newStack(t, stackOptions{})
	s.startDaemon()

	injected := base64.StdEncoding.EncodeToString([]byte("Help\r\nBcc: victim@example.org\r\nX-Injected: yes"))
	var rcpts []string
	for i := range 1000 {
		rcpts = append(rcpts, fmt.Sprintf("user%04d@example.net", i))
	}
	rcpts = append(rcpts, support)
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 5<<20*3/4) // 5 MB once base64-encoded
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	var bigB64 bytes.Buffer
	enc := base64.StdEncoding.EncodeToString(big)
	for len(enc) > 76 {
		bigB64.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	bigB64.WriteString(enc + "\n")

	mails := []struct {
		name string
		m    msg
	}{
		{"encoded CR/LF header injection in Subject", msg{Subject: "=?UTF-8?B?" + injected + "?="}},
		{"attachment named ../../etc/passwd", msg{Subject: "Config file attached",
			Headers: []string{"MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="b1"`},
			Body: "--b1\nContent-Type: text/plain\n\nSee the attached file.\n--b1\nContent-Type: application/octet-stream\n" +
				"Content-Disposition: attachment; filename=\"../../etc/passwd\"\nContent-Transfer-Encoding: base64\n\n" +
				base64.StdEncoding.EncodeToString([]byte("root:x:0:0:root:/root:/bin/bash\n")) + "\n--b1--\n"}},
		{"1000 recipients in To", msg{To: strings.Join(rcpts, ",\n "), Subject: "Mail to a thousand people"}},
		{"5 MB mail", msg{Subject: "Full heap dump attached",
			Headers: []string{"MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="b2"`},
			Body: "--b2\nContent-Type: text/plain\n\nHeap dump attached.\n--b2\nContent-Type: application/octet-stream\n" +
				"Content-Disposition: attachment; filename=\"heap.bin\"\nContent-Transfer-Encoding: base64\n\n" + bigB64.String() + "--b2--\n"}},
		{"invalid charset", msg{Subject: "=?x-no-such-charset?Q?caf=E9_cr=E8me?=",
			Headers: []string{"MIME-Version: 1.0", `Content-Type: text/plain; charset="x-no-such-charset"`, "Content-Transfer-Encoding: 8bit"},
			Body:    "Caf\xe9 cr\xe8me br\xfbl\xe9e \xff\xfe\x00 broken bytes\n"}},
		{"unterminated multipart", msg{Subject: "Broken MIME",
			Headers: []string{"MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="never-closed"`},
			Body:    "--never-closed\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n%%% not base64 %%%\n"}},
	}
	for i := range mails {
		m := &mails[i].m
		m.From = "Carol <" + carol + ">"
		if m.To == "" {
			m.To = support
		}
		m.MessageID = fmt.Sprintf("hostile-%d@example.org", i)
		if m.Body == "" {
			m.Body = "Hello, this is " + mails[i].name + ".\n"
		}
		if err := s.sendErr(carol, []string{support}, m.bytes()); err != nil {
			t.Fatalf("submit %s: %v", mails[i].name, err)
		}
	}
	for _, x := range mails {
		mailtest.Eventually(t, "the "+x.name+" mail to be processed", 60*time.Second, func() bool { return s.processed(x.m.MessageID) },
			func() string { st, err := s.stats(); return fmt.Sprintf("stats %+v %v", st, err) })
	}
	s.waitQuiet(len(mails), 60*time.Second)

	ts, q := s.tickets(), s.quarantine()
	if len(ts)+len(q) != len(mails) {
		t.Errorf("%d tickets + %d quarantine entries for %d hostile mails", len(ts), len(q), len(mails))
	}
	for _, x := range mails {
		if tk := s.ticketFor(x.m.MessageID); tk != nil {
			t.Logf("%-42s → ticket #%d %q", x.name, tk.Number, tk.Subject)
		} else {
			t.Logf("%-42s → not on a ticket (quarantine has %d entries)", x.name, len(q))
		}
	}
	if !s.daemonAlive() {
		t.Errorf("daemon exited")
	}
	if p := s.panics(); p > 0 {
		t.Errorf("daemon log shows %d panics", p)
	}
	// Nothing went out with an injected header, nobody got a Bcc.
	if got := s.mailbox("victim@example.org"); len(got) != 0 {
		t.Errorf("header injection: victim@example.org received %d mails", len(got))
	}
	for _, u := range append([]string{carol, eng, admin}, others...) {
		for _, m := range s.mailbox(u) {
			if m.Header.Get("X-Injected") != "" || m.Header.Get("Bcc") != "" {
				t.Errorf("mail to %s carries an injected header: Subject %q", u, m.Subject)
			}
		}
	}
	acks := fromSupport(s.mailbox(carol))
	for _, a := range acks {
		if strings.ContainsAny(a.Subject, "\r\n") {
			t.Errorf("acknowledgement subject contains a line break: %q", a.Subject)
		}
	}
	record(figures{Scenario: "hostile input", Sent: len(mails), Tickets: len(ts), Quarantine: len(q), Acks: len(acks), Panics: s.panics()})
}

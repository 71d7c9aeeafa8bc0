package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ticketd/internal/mailtest"
	"ticketd/internal/pgtest"
)

// haNode is one `ticketd run` of a two-instance setup: its own config
// (its [ha] instance name) on the shared PostgreSQL database.
type haNode struct {
	name, cfg string
	proc      *daemonProc
}

// haStatus is `ticketd status --json`, as far as the test reads it.
type haStatus struct {
	Instances []struct {
		ID    string `json:"id"`
		Alive bool   `json:"alive"`
	} `json:"instances"`
	Leases []struct {
		Name    string `json:"name"`
		Holder  string `json:"holder"`
		Expired bool   `json:"expired"`
	} `json:"leases"`
}

func (s *stack) haStatus() haStatus {
	s.t.Helper()
	var st haStatus
	out, err := s.cliErr("status", "--json")
	if err != nil {
		return st // the database is busy: no answer this time
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		s.t.Fatalf("status --json: %v\n%s", err, out)
	}
	return st
}

// leader is the instance holding every lease live, "" when none does.
func (st haStatus) leader() string {
	holder := ""
	for _, l := range st.Leases {
		if l.Expired || (holder != "" && l.Holder != holder) {
			return ""
		}
		holder = l.Holder
	}
	if len(st.Leases) < 2 { // "process" and "intake:default"
		return ""
	}
	return holder
}

func (st haStatus) alive(id string) bool {
	for _, in := range st.Instances {
		if in.ID == id && in.Alive {
			return true
		}
	}
	return false
}

// TestHA_twoInstancesOnPostgreSQLSurviveTwoLeaderKills runs two ticketd
// processes on one PostgreSQL database against Dovecot and Postfix. Mail
// arrives continuously; the leader is killed with SIGKILL twice (each time
// restarted as the standby). Every mail must be one ticket, no Message-ID
// stored twice, every ticket acknowledged; the takeover times are printed.
func TestHA_twoInstancesOnPostgreSQLSurviveTwoLeaderKills(t *testing.T) {
	const total = 60
	const takeover = 3 * time.Second
	pg := pgtest.Start(t)
	s := newStack(t, stackOptions{pgDSN: pg.NewDatabase(t), extraConfig: fmt.Sprintf("\n[ha]\ntakeover = %q\n", takeover.String())})
	base, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*haNode{}
	for _, name := range []string{"node-a", "node-b"} {
		n := &haNode{name: name, cfg: filepath.Join(s.dir, name+".toml")}
		// [ha] is the config's last table: the name joins it.
		if err := os.WriteFile(n.cfg, append(base, fmt.Sprintf("instance = %q\n", name)...), 0o600); err != nil {
			t.Fatal(err)
		}
		nodes[name] = n
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			if n.proc != nil {
				n.proc.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-n.proc.exited:
				case <-time.After(15 * time.Second):
					n.proc.cmd.Process.Kill()
					<-n.proc.exited
				}
			}
		}
	})
	var st haStatus
	nodes["node-a"].proc = s.startProc(nodes["node-a"].cfg)
	mailtest.Eventually(t, "node-a to lead", 30*time.Second, func() bool { st = s.haStatus(); return st.leader() == "node-a" },
		func() string { return fmt.Sprintf("status %+v", st) })
	nodes["node-b"].proc = s.startProc(nodes["node-b"].cfg)
	mailtest.Eventually(t, "node-b to stand by", 30*time.Second, func() bool { st = s.haStatus(); return st.alive("node-b") && st.leader() == "node-a" },
		func() string { return fmt.Sprintf("status %+v", st) })

	type sentMail struct{ from, id string }
	var sent []sentMail
	for i := range total {
		sent = append(sent, sentMail{contacts[i%len(contacts)], fmt.Sprintf("ha-%02d@example.org", i)})
	}
	const spacing = 200 * time.Millisecond
	var mails []msg
	for i, m := range sent {
		mails = append(mails, msg{From: m.from, To: support, Subject: fmt.Sprintf("HA test mail %d: the nightly export failed", i), MessageID: m.id,
			Body: fmt.Sprintf("Mail %d of the failover test.\n", i)})
	}
	start, waitSent := s.submitPaced(mails, spacing)

	// Two kills of whoever leads, a third and two thirds into the
	// submissions; the killed node comes back as the standby.
	var takeovers []time.Duration
	for _, at := range []time.Duration{total * spacing / 3, 2 * total * spacing / 3} {
		if d := time.Until(start.Add(at)); d > 0 {
			time.Sleep(d)
		}
		leader := s.haStatus().leader()
		if leader == "" {
			t.Fatalf("no leader at %v: %+v", at, s.haStatus())
		}
		other := "node-a"
		if leader == "node-a" {
			other = "node-b"
		}
		victim := nodes[leader]
		victim.proc.cmd.Process.Signal(syscall.SIGKILL)
		<-victim.proc.exited
		killed := time.Now()
		mailtest.Eventually(t, other+" to take over from "+leader, 30*time.Second, func() bool { st = s.haStatus(); return st.leader() == other },
			func() string { return fmt.Sprintf("status %+v", st) })
		took := time.Since(killed)
		takeovers = append(takeovers, took)
		t.Logf("SIGKILL of leader %s at %v: %s led after %v", leader, at, other, took.Round(10*time.Millisecond))
		victim.proc = s.startProc(victim.cfg)
		mailtest.Eventually(t, leader+" back as the standby", 30*time.Second, func() bool { st = s.haStatus(); return st.alive(leader) && st.leader() == other },
			func() string { return fmt.Sprintf("status %+v", st) })
	}
	waitSent()
	s.waitQuiet(total, 120*time.Second)

	ts := s.tickets()
	if len(ts) != total {
		t.Errorf("%d tickets for %d mails", len(ts), total)
	}
	seen := map[string]int64{}
	for _, tk := range ts {
		for _, m := range s.show(tk.Number).Messages {
			if m.Direction != "in" {
				continue
			}
			id := trimID(m.MessageID)
			if prev, dup := seen[id]; dup {
				t.Errorf("Message-ID %s stored twice (tickets #%d and #%d)", id, prev, tk.Number)
			}
			seen[id] = tk.Number
		}
	}
	for _, m := range sent {
		if _, ok := seen[m.id]; !ok {
			t.Errorf("mail %s is on no ticket (lost)", m.id)
		}
	}
	acksFor := map[string][]gotMail{}
	ackCount := 0
	mailtest.Eventually(t, "an acknowledgement for every ticket in the customers' mailboxes", 60*time.Second, func() bool {
		acksFor, ackCount = map[string][]gotMail{}, 0
		for _, c := range contacts {
			for _, m := range fromSupport(s.mailbox(c)) {
				acksFor[m.InReplyTo] = append(acksFor[m.InReplyTo], m)
				ackCount++
			}
		}
		for _, m := range sent {
			if len(acksFor[m.id]) == 0 {
				return false
			}
		}
		return true
	})
	// A duplicate acknowledgement is possible when a kill lands between
	// the relay's 250 and the outbox update (delivery is at least once);
	// it must carry the first one's Message-ID, so mail clients show one.
	dups := 0
	for id, acks := range acksFor {
		for _, a := range acks[1:] {
			dups++
			if a.MessageID != acks[0].MessageID {
				t.Errorf("mail %s acknowledged twice with different Message-IDs %s and %s", id, acks[0].MessageID, a.MessageID)
			}
		}
	}
	var times []string
	for _, d := range takeovers {
		times = append(times, d.Round(10*time.Millisecond).String())
	}
	t.Logf("tickets %d, acknowledgements %d, duplicate acknowledgements %d; takeovers after SIGKILL: %s ([ha] takeover %v)",
		len(ts), ackCount, dups, strings.Join(times, ", "), takeover)
	p := s.panics()
	if p > 0 {
		t.Errorf("daemon logs show %d panics", p)
	}
	record(figures{Scenario: "HA (2 nodes, 2×SIGKILL)", Sent: total, Tickets: len(ts), Acks: ackCount, Duplicates: dups, Panics: p,
		Note: "PostgreSQL; takeovers " + strings.Join(times, ", ")})
}

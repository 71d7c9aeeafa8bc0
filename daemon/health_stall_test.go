package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/mailtest"
	"ticketd/ticket"
)

// stallingProxy sits between ticketd and the IMAP server. Once stalled,
// it holds back the client's UID FETCH of message bodies, so the session
// stays connected and knows mail is waiting but never gets it: a hang like
// the backlog deadlock of issue 11.
type stallingProxy struct {
	addr    string
	stall   atomic.Bool
	held    atomic.Int32
	release chan struct{}
	once    sync.Once
}

func startStallingProxy(t *testing.T, target string) *stallingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{addr: ln.Addr().String(), release: make(chan struct{})}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		p.unstall()
		conns.Wait()
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			conns.Add(2)
			go func() {
				defer conns.Done()
				io.Copy(client, server)
				client.Close()
			}()
			go func() {
				defer conns.Done()
				defer server.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if p.stall.Load() && bytes.Contains(buf[:n], []byte("BODY.PEEK[]")) {
							p.held.Add(1)
							<-p.release
						}
						if _, err := server.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *stallingProxy) unstall() {
	p.stall.Store(false)
	p.once.Do(func() { close(p.release) })
}

// An intake that is connected but stores nothing while mail waits is down
// for customers: /healthz must fail and the admin get one notice, through
// the same incident as a mailbox that is not read at all. During the
// backlog deadlock /healthz said 200 "connected" and nobody was told.
func TestHealth_intakeStalledWithMailWaitingAlertsAdminOnceAndFailsHealthz(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	var proxy *stallingProxy
	h := newHarness(t, withClock(clock), withConfig(withHTTP), func(h *harness) {
		proxy = startStallingProxy(t, h.sys.IMAPAddr)
		h.cfg.IMAP.Address = proxy.addr
		h.cfg.Health.MaxSilence = config.Duration{Duration: 10 * time.Minute}
	})
	h.start()
	mailtest.Eventually(t, "the IMAP session", waitTimeout, func() bool { return h.d.intake.Status().Connected })

	proxy.stall.Store(true)
	h.appendMail(readTestdata(t, "new-acme.eml"))
	h.appendMail(readTestdata(t, "new-globex.eml"))
	// Intake learns of the second mail only if it arrives before intake
	// asks the server what is new; a stuck fetch then hides the rest (no
	// command completes to carry an EXISTS). Either count is the truth as
	// intake knows it, so the detail is checked against it.
	mailtest.Eventually(t, "intake to know of waiting mail and be stuck fetching it", waitTimeout, func() bool {
		return h.d.intake.Status().Waiting >= 1 && proxy.held.Load() > 0
	})
	waiting := h.d.intake.Status().Waiting
	mustf(t, waiting <= 2, "intake counts %d waiting mails, only 2 were appended", waiting)
	ctx := context.Background()
	h.d.checkIncidents(ctx)
	mustf(t, h.d.Health(ctx).Checks["imap"].OK, "unhealthy before max_silence passed: %+v", h.d.Health(ctx))

	clock.Advance(11 * time.Minute)
	for range 3 {
		h.d.checkIncidents(ctx)
	}
	notices := 0
	for _, it := range h.outbox() {
		if bytes.Contains(it.Data, []byte("Support mailbox not read")) {
			notices++
		}
	}
	mustf(t, notices == 1, "want one admin notice for the stall, got %d", notices)
	code, hh := getHealth(t, h)
	imapCheck := hh.Checks["imap"]
	mustf(t, code == 503 && !imapCheck.OK && h.d.intake.Status().Connected, "/healthz while stalled and connected: %d %+v", code, hh)
	mustf(t, strings.Contains(imapCheck.Detail, fmt.Sprintf("%d mails waiting", waiting)) && strings.Contains(imapCheck.Detail, "none stored for 11m0s"),
		"imap detail %q", imapCheck.Detail)
	mailtest.Eventually(t, "the notice to reach the admin", waitTimeout, func() bool { return len(h.sentTo("admin@example.com")) == 1 })

	proxy.unstall()
	mailtest.Eventually(t, "both mails to be stored", waitTimeout, func() bool {
		st := h.d.intake.Status()
		return st.Waiting == 0 && st.LastStoredUID == 2
	})
	h.d.checkIncidents(ctx)
	code, hh = getHealth(t, h)
	mustf(t, hh.Checks["imap"].OK, "imap still unhealthy after the stall ended: %d %+v", code, hh)
}

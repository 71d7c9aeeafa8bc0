package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/mailtest"
	"ticketd/notify"
	"ticketd/store"
	"ticketd/ticket"
)

func getHealth(t *testing.T, h *harness) (int, Health) {
	t.Helper()
	resp, err := http.Get("http://" + h.d.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var hh Health
	if err := json.NewDecoder(resp.Body).Decode(&hh); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, hh
}

func getMetrics(t *testing.T, h *harness) string {
	t.Helper()
	resp, err := http.Get("http://" + h.d.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func withHTTP(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" }

func TestHealth_tellsTheTruthAsPartsBreak(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(withHTTP), withConfig(func(c *config.Config) { c.Health.MaxSilence = config.Duration{Duration: time.Second} }))
	h.d.worker.Retry = notify.Retry{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}
	h.start()
	mailtest.Eventually(t, "the IMAP session", waitTimeout, func() bool { return h.d.intake.Status().Connected })

	code, hh := getHealth(t, h)
	mustf(t, code == 200 && hh.OK, "healthy daemon: %d %+v", code, hh)
	h.appendMail(readTestdata(t, "new-acme.eml"))
	h.waitProcessed(1)
	m := getMetrics(t, h)
	for _, want := range []string{`ticketd_imap_connected{inbox="default"} 1`, `ticketd_tickets_created_total{level=`, `ticketd_mails_fetched_total{inbox="default",result="new"} 1`,
		`ticketd_deliveries_total{result="sent"} 2`, "ticketd_outbox_depth 0", "ticketd_ack_latency_seconds_count 1"} {
		mustf(t, strings.Contains(m, want), "metrics lack %q:\n%s", want, m)
	}

	t.Run("smtp_down_outbox_not_draining", func(t *testing.T) {
		if err := srv.SetDown(true); err != nil {
			t.Fatal(err)
		}
		h.appendMail(readTestdata(t, "new-globex.eml"))
		mailtest.Eventually(t, "the outbox check to fail", waitTimeout, func() bool {
			code, hh := getHealth(t, h)
			return code == 503 && !hh.Checks["outbox"].OK && hh.Checks["imap"].OK
		})
		mustf(t, strings.Contains(getMetrics(t, h), "ticketd_outbox_depth 2"), "outbox depth metric")
		if err := srv.SetDown(false); err != nil {
			t.Fatal(err)
		}
		h.d.kickOutbox()
		mailtest.Eventually(t, "the outbox to drain after SMTP returns", waitTimeout, func() bool {
			code, _ := getHealth(t, h)
			return code == 200
		})
	})

	t.Run("database_locked", func(t *testing.T) {
		if h.driver == store.Postgres {
			release := holdWriteLock(t, h)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			hh := h.d.Health(ctx)
			cancel()
			mustf(t, !hh.OK && !hh.Checks["database"].OK, "locked database reported healthy: %+v", hh)
			release()
			mustf(t, h.d.Health(context.Background()).Checks["database"].OK, "database not healthy after the lock is gone")
			return
		}
		lock, err := sql.Open("sqlite", "file:"+h.cfg.Store.Path+"?_pragma=busy_timeout(100)")
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Close()
		conn, err := lock.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		hh := h.d.Health(ctx)
		cancel()
		mustf(t, !hh.OK && !hh.Checks["database"].OK, "locked database reported healthy: %+v", hh)
		conn.ExecContext(context.Background(), "ROLLBACK")
		mustf(t, h.d.Health(context.Background()).Checks["database"].OK, "database not healthy after the lock is gone")
	})
}

func TestHealth_imapAuthenticationFailureAlertsAdminOnce(t *testing.T) {
	h := newHarness(t, withConfig(withHTTP), withConfig(func(c *config.Config) { c.IMAP.Password = "wrong" }))
	h.start()
	mailtest.Eventually(t, "the authentication failure", waitTimeout, func() bool { return h.d.intake.Status().AuthFailed })
	code, hh := getHealth(t, h)
	mustf(t, code == 503 && strings.Contains(hh.Checks["imap"].Detail, "authentication failed"), "health: %d %+v", code, hh)
	for i := 0; i < 3; i++ {
		h.d.checkIncidents(context.Background())
	}
	// Every notice the checks queued is sent before the count: a second
	// one cannot still be on its way.
	mailtest.Eventually(t, "the admin notice and an empty outbox", waitTimeout, func() bool {
		for _, it := range h.outbox() {
			if it.Status == ticket.OutboxPending {
				return false
			}
		}
		return len(h.sentTo("admin@example.com")) >= 1
	})
	notices := h.sentTo("admin@example.com")
	mustf(t, len(notices) == 1, "want one notice per incident, got %d", len(notices))
	s, _ := new(mimeWordDecoder).DecodeHeader(notices[0].Header.Get("Subject"))
	mustf(t, strings.Contains(s, "IMAP authentication failing"), "notice subject %q", s)
}

func TestHealth_intakeSilenceAlertsAdminOncePerIncident(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) {
		c.IMAP.Address = "127.0.0.1:1" // nothing listens: the mailbox is never read
		c.Health.MaxSilence = config.Duration{Duration: 10 * time.Minute}
	}))
	ctx := context.Background()
	h.lead()
	h.d.checkIncidents(ctx)
	mustf(t, len(h.outbox()) == 0, "alerted before max_silence passed")
	clock.Advance(11 * time.Minute)
	for i := 0; i < 3; i++ {
		h.d.checkIncidents(ctx)
	}
	h.runOnce()
	notices := h.sentTo("admin@example.com")
	mustf(t, len(notices) == 1, "want one notice for the incident, got %d", len(notices))
	s, _ := new(mimeWordDecoder).DecodeHeader(notices[0].Header.Get("Subject"))
	mustf(t, strings.Contains(s, "Support mailbox not read"), "notice subject %q", s)
	hh := h.d.Health(ctx)
	mustf(t, !hh.OK && !hh.Checks["imap"].OK, "health while silent: %+v", hh)
}

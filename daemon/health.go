package daemon

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ticketd/config"
	"ticketd/intake"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Health is the /healthz answer: overall and per part.
type Health struct {
	OK     bool                  `json:"ok"`
	Checks map[string]PartHealth `json:"checks"`
}

// PartHealth is one part's state.
type PartHealth struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Health checks intake (up, or up within health.max_silence, and storing
// the mail the server says is waiting), the outbox (draining: nothing
// pending for longer than max_silence), processing, and that the database
// accepts a write.
func (d *Daemon) Health(ctx context.Context) Health {
	now := d.clock.Now()
	h := Health{OK: true, Checks: map[string]PartHealth{}}
	set := func(name string, ok bool, format string, args ...any) {
		h.Checks[name] = PartHealth{OK: ok, Detail: fmt.Sprintf(format, args...)}
		if !ok {
			h.OK = false
		}
	}
	silence := d.cfg.Health.MaxSilence.Duration
	h.Checks["ha"] = d.haHealth()
	for _, ic := range d.inboxes {
		name := ic.checkName()
		st := ic.client.Status()
		if !d.ha.isHeld(intakeLease(ic.Name)) {
			set(name, true, "standby: another instance reads this inbox")
			continue
		}
		switch {
		case st.AuthFailed:
			set(name, false, "authentication failed: %s", st.LastError)
		case st.StalledFor(now) > silence:
			// Connected or not: a session can hang with the connection up.
			set(name, false, "%s", stalledDetail(st, now, silence))
		case st.Connected && st.ProcessedProblem != "":
			set(name, true, "connected; last check %s ago; %s", since(now, st.LastFetch), st.ProcessedProblem)
		case st.Connected:
			set(name, true, "connected; last check %s ago", since(now, st.LastFetch))
		case !st.LastFetch.IsZero() && now.Sub(st.LastFetch) <= silence:
			set(name, true, "reconnecting (%s); last check %s ago", st.LastError, since(now, st.LastFetch))
		default:
			set(name, false, "not connected and no check for over %s: %s", silence, st.LastError)
		}
	}
	var pending int
	var oldest time.Duration
	err := d.db.View(ctx, func(tx *store.Tx) (err error) { pending, oldest, err = tx.OutboxStats(now); return err })
	switch {
	case err != nil:
		set("outbox", false, "cannot read outbox: %v", err)
	case pending > 0 && oldest > silence:
		set("outbox", false, "%d mails waiting, oldest for %s", pending, oldest.Round(time.Second))
	default:
		set("outbox", true, "%d mails waiting", pending)
	}
	if err := d.db.Writable(ctx); err != nil {
		set("database", false, "not writable: %v", err)
	} else {
		set("database", true, "writable")
	}
	d.mu.Lock()
	procErr := d.lastProcErr
	d.mu.Unlock()
	if procErr != "" {
		set("processing", false, "%s", procErr)
	} else {
		set("processing", true, "ok")
	}
	return h
}

// stalledDetail says that intake is stuck: mail waits on the server and
// nothing was stored for longer than max_silence.
func stalledDetail(st intake.Status, now time.Time, silence time.Duration) string {
	state := "connected"
	if !st.Connected {
		state = "not connected"
	}
	detail := fmt.Sprintf("%d mails waiting on the server (UIDNEXT %d, last stored UID %d) but none stored for %s (max_silence %s); %s",
		st.Waiting, st.ServerUIDNext, st.LastStoredUID, st.StalledFor(now).Round(time.Second), silence, state)
	if st.LastError != "" {
		detail += ": " + st.LastError
	}
	return detail
}

func since(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Second).String()
}

func (d *Daemon) startHTTP() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		h := d.Health(ctx)
		w.Header().Set("Content-Type", "application/json")
		if !h.OK {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(h)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	token, err := d.cfg.HTTP.Token()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", d.cfg.HTTP.Listen, err)
	}
	d.mu.Lock()
	d.httpAddr = ln.Addr().String()
	d.mu.Unlock()
	d.httpServer = &http.Server{Handler: requireBearer(token, mux), ReadHeaderTimeout: 5 * time.Second}
	go d.httpServer.Serve(ln)
	return nil
}

// requireBearer lets requests through only with "Authorization: Bearer
// token"; an empty token lets everything through.
func requireBearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ticketd"`)
			http.Error(w, "bearer token required (http.token_file)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// watchdog alerts the admin once per incident when intake falls silent or
// authentication fails, and notes when it recovers.
func (d *Daemon) watchdog(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.checkIncidents(ctx)
	}
}

func (d *Daemon) checkIncidents(ctx context.Context) {
	for _, ic := range d.inboxes {
		if d.ha.isHeld(intakeLease(ic.Name)) {
			d.checkInbox(ctx, ic)
		}
	}
}

// checkInbox alerts the admin once per incident of one inbox's session.
func (d *Daemon) checkInbox(ctx context.Context, ic inboxClient) {
	st := ic.client.Status()
	now := d.clock.Now()
	suffix, where := "", fmt.Sprintf("%s on %s", ic.IMAP.Mailbox, ic.IMAP.Address)
	if ic.Name != config.DefaultInbox {
		suffix = ":" + ic.Name
		where = fmt.Sprintf("%s (inbox %s, %s)", ic.IMAP.Mailbox, ic.Name, ic.IMAP.Address)
	}
	d.incident(ctx, "imap-auth"+suffix, st.AuthFailed, "IMAP authentication failing",
		fmt.Sprintf("The IMAP server %s rejects ticketd's credentials for %s: %s\nNo mail is being read until this is fixed (password, token helper, or account).",
			ic.IMAP.Address, ic.IMAP.Username, st.LastError))
	silence := d.cfg.Health.MaxSilence.Duration
	unchecked := !st.Connected && (st.LastFetch.IsZero() || now.Sub(st.LastFetch) > silence) &&
		now.Sub(d.startedAt()) > silence
	stalled := st.StalledFor(now) > silence
	body := fmt.Sprintf("ticketd has not checked %s for over %s. Last error: %s", where, silence, st.LastError)
	if stalled {
		body = fmt.Sprintf("ticketd has stored no mail from %s for over %s although the server says mail is waiting: %s.\n"+
			"Customers' mail is not being ticketed or acknowledged. Restarting ticketd may help; the log says more.",
			where, silence, stalledDetail(st, now, silence))
	}
	// One incident for both: a stall that turns into a disconnect (or
	// back) is the same outage and gets one notice.
	d.incident(ctx, "imap-silent"+suffix, unchecked || stalled, "Support mailbox not read", body)
	d.incident(ctx, "imap-processed"+suffix, st.ProcessedProblem != "", "Processed mail stays in the mailbox",
		fmt.Sprintf("On %s, %s", ic.IMAP.Address, st.ProcessedProblem))
}

func (d *Daemon) startedAt() time.Time { return d.metricsStart }

// incident sends an admin notice when a condition starts, once, and
// forgets it when the condition clears so the next occurrence alerts again.
func (d *Daemon) incident(ctx context.Context, key string, active bool, title, body string) {
	d.mu.Lock()
	was := d.incidents[key]
	d.incidents[key] = active
	d.mu.Unlock()
	if active && !was {
		d.log.Error(title, "detail", body)
		d.adminNotice(ctx, key, title, body)
	} else if !active && was {
		d.log.Info("recovered", "incident", key)
	}
}

// adminNotice queues a notice to the admin address, if one is configured.
func (d *Daemon) adminNotice(ctx context.Context, key, title, body string) {
	if err := d.desk.AdminNotice(ctx, key, title, body); err != nil {
		d.log.Error("could not queue admin notice", "title", title, "err", err)
	}
}

// deliveryFailed counts a permanent delivery failure; the desk records it
// on its ticket and tells the admin.
func (d *Daemon) deliveryFailed(item ticket.OutboxItem, err error) {
	d.metrics.delivery("failed")
	if e := d.desk.DeliveryFailed(context.Background(), item, err); e != nil {
		d.log.Error("could not record a failed delivery", "outbox_id", item.ID, "err", e)
	}
}

// delivered records latency for acknowledgements.
func (d *Daemon) delivered(item ticket.OutboxItem, at time.Time) {
	d.metrics.delivery("sent")
	if item.Kind == string(templates.Ack) && !item.CreatedAt.IsZero() {
		d.metrics.ackLatency.Observe(at.Sub(item.CreatedAt).Seconds())
	}
}

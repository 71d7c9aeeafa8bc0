package daemon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"ticketd/store"
	"ticketd/ticket"
)

// metrics are the Prometheus series of one daemon, on their own registry
// so several daemons (tests) do not collide.
type metrics struct {
	reg              *prometheus.Registry
	mailsFetched     *prometheus.CounterVec
	mailsProcessed   *prometheus.CounterVec
	ticketsCreated   *prometheus.CounterVec
	quarantined      *prometheus.CounterVec
	deliveries       *prometheus.CounterVec
	ackLatency       prometheus.Histogram
	breaches         *prometheus.CounterVec
	firstResponses   *prometheus.CounterVec
	outboxEnqueuedCt prometheus.Counter
	takeovers        *prometheus.CounterVec
}

func newMetrics(d *Daemon) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.mailsFetched = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_mails_fetched_total",
		Help: "Mails fetched from IMAP, by inbox and whether they were new or already stored."}, []string{"inbox", "result"})
	m.mailsProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_mails_processed_total",
		Help: "Mails processed, by outcome (ticket, followup, engineer-reply, quarantined, duplicate, error)."}, []string{"outcome"})
	m.ticketsCreated = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_tickets_created_total",
		Help: "Tickets created, by level."}, []string{"level"})
	m.quarantined = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_quarantined_total",
		Help: "Mails quarantined, by sender outcome."}, []string{"outcome"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_deliveries_total",
		Help: "Outbound deliveries, by result (sent, failed)."}, []string{"result"})
	m.ackLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ticketd_ack_latency_seconds",
		Help:    "Time from storing a mail to its acknowledgement being accepted by the SMTP relay.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300}})
	m.breaches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_first_response_breaches_total",
		Help: "First-response targets passed without a response, by plan and level."}, []string{"plan", "level"})
	m.firstResponses = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_first_responses_total",
		Help: "First responses sent, by plan, level and whether the target was met."}, []string{"plan", "level", "met"})
	m.outboxEnqueuedCt = prometheus.NewCounter(prometheus.CounterOpts{Name: "ticketd_outbox_enqueued_total",
		Help: "Outbound mails written to the outbox."})
	m.takeovers = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ticketd_lease_takeovers_total",
		Help: "Leases this instance took (at start, or from an instance that stopped renewing), by lease."}, []string{"lease"})
	m.reg.MustRegister(m.takeovers)
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ticketd_leader",
		Help: "1 while this instance holds a lease (intake of an inbox, or processing): it leads; 0: standby."}, func() float64 {
		if role, _ := d.Role(); role == "leader" {
			return 1
		}
		return 0
	}))
	m.reg.MustRegister(m.mailsFetched, m.mailsProcessed, m.ticketsCreated, m.quarantined, m.deliveries, m.ackLatency,
		m.breaches, m.firstResponses, m.outboxEnqueuedCt)
	m.reg.MustRegister(&inboxGauges{d: d,
		connected: prometheus.NewDesc("ticketd_imap_connected", "1 while the inbox's IMAP session is up.", []string{"inbox"}, nil),
		lastFetch: prometheus.NewDesc("ticketd_seconds_since_last_fetch",
			"Seconds since the inbox's mailbox was last checked completely (-1 before the first check).", []string{"inbox"}, nil),
	})
	outbox := func(pick func(pending int, oldest time.Duration) float64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var pending int
			var oldest time.Duration
			if err := d.db.View(ctx, func(tx *store.Tx) (err error) {
				pending, oldest, err = tx.OutboxStats(d.clock.Now())
				return err
			}); err != nil {
				return -1
			}
			return pick(pending, oldest)
		}
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ticketd_outbox_depth",
		Help: "Outbound mails waiting for delivery."}, outbox(func(p int, _ time.Duration) float64 { return float64(p) })))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ticketd_outbox_oldest_seconds",
		Help: "Age of the oldest outbound mail waiting for delivery."}, outbox(func(_ int, o time.Duration) float64 { return o.Seconds() })))
	return m
}

func (m *metrics) fetched(inbox string, duplicate bool) {
	if duplicate {
		m.mailsFetched.WithLabelValues(inbox, "duplicate").Inc()
	} else {
		m.mailsFetched.WithLabelValues(inbox, "new").Inc()
	}
}

// inboxGauges reports each inbox's session state, labelled by inbox.
type inboxGauges struct {
	d                    *Daemon
	connected, lastFetch *prometheus.Desc
}

func (g *inboxGauges) Describe(ch chan<- *prometheus.Desc) { ch <- g.connected; ch <- g.lastFetch }

func (g *inboxGauges) Collect(ch chan<- prometheus.Metric) {
	for _, ic := range g.d.inboxes {
		st := ic.client.Status()
		up := 0.0
		if st.Connected {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(g.connected, prometheus.GaugeValue, up, ic.Name)
		last := -1.0
		if !st.LastFetch.IsZero() {
			last = g.d.clock.Now().Sub(st.LastFetch).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(g.lastFetch, prometheus.GaugeValue, last, ic.Name)
	}
}

// The metrics are the desk's Observer.

func (m *metrics) Processed(outcome ticket.Outcome, sender ticket.SenderOutcome) {
	m.mailsProcessed.WithLabelValues(string(outcome)).Inc()
	if outcome == ticket.OutcomeQuarantined || outcome == ticket.OutcomeError {
		m.quarantined.WithLabelValues(string(sender)).Inc()
	}
}

func (m *metrics) TicketCreated(l ticket.Level) { m.ticketsCreated.WithLabelValues(string(l)).Inc() }

func (m *metrics) Enqueued(kind string) { m.outboxEnqueuedCt.Inc() }

func (m *metrics) delivery(result string) { m.deliveries.WithLabelValues(result).Inc() }

func (m *metrics) Breach(t *ticket.Ticket) {
	m.breaches.WithLabelValues(t.Plan, string(t.Level)).Inc()
}

func (m *metrics) FirstResponse(t *ticket.Ticket) {
	met := "true"
	if t.FirstResponseDue != nil && t.FirstResponseAt != nil && t.FirstResponseAt.After(*t.FirstResponseDue) {
		met = "false"
	}
	m.firstResponses.WithLabelValues(t.Plan, string(t.Level), met).Inc()
}

func (m *metrics) takeover(lease string) { m.takeovers.WithLabelValues(lease).Inc() }

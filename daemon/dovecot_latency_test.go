package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"ticketd/config"
	"ticketd/internal/mailstack"
	"ticketd/internal/mailtest"
)

// TestDovecot_ackLatencyBreakdown says where the time from a delivery into
// a real Dovecot to the acknowledgement goes, mail by mail: the LMTP
// delivery, Dovecot's IDLE notice (also measured with a bare IMAP client
// that does nothing but IDLE), fetching and storing, processing, and SMTP.
// It asserts only that ticketd's own part stays well under a second; the
// figures are for the README.
func TestDovecot_ackLatencyBreakdown(t *testing.T) {
	dc := mailstack.StartDovecot(t, mailstack.User{Name: testSupport, Password: testPassword})
	srv := mailtest.StartSMTP(t, nil)
	var mu sync.Mutex
	events := map[string]map[string]time.Time{} // message id → event → when
	var idling time.Time                        // when intake last entered IDLE
	record := func(r slog.Record) {
		var id, kind string
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "message_id":
				id = a.Value.String()
			case "kind":
				kind = a.Value.String()
			}
			return true
		})
		ev := ""
		switch r.Message {
		case "imap idling":
			mu.Lock()
			idling = r.Time
			mu.Unlock()
			return
		case "new mail":
			ev, id = "exists", "*"
		case "message stored":
			ev, id = "stored", "*"
		case "mail processed":
			ev = "processed"
		case "outbox item sent":
			if kind != "ack" {
				return
			}
			ev, id = "acked", "*" // one mail at a time: the ack of this round's mail
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if events[id] == nil {
			events[id] = map[string]time.Time{}
		}
		if _, ok := events[id][ev]; !ok {
			events[id][ev] = r.Time
		}
	}
	logger := slog.New(onRecord{Handler: slog.NewTextHandler(logOut(), &slog.HandlerOptions{Level: slog.LevelDebug}), fn: record})
	h := newHarness(t, withSMTP(srv.Addr()), withOptions(Options{Logger: logger}), withConfig(func(c *config.Config) {
		c.IMAP.Address = dc.IMAPAddr
		c.IMAP.PollInterval = config.Duration{Duration: 10 * time.Minute} // IDLE alone
	}))
	h.start()
	mailtest.Eventually(t, "the IMAP session to be up", waitTimeout, func() bool { return h.d.intake.Status().Connected })

	// A bare IMAP client idling on the same mailbox: Dovecot's own delay.
	var bareMu sync.Mutex
	var bareExists time.Time
	bare, err := imapclient.DialInsecure(dc.IMAPAddr, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				bareMu.Lock()
				if bareExists.IsZero() {
					bareExists = time.Now()
				}
				bareMu.Unlock()
			}
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if err := bare.Login(testSupport, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	type row struct{ lmtp, bare, exists, stored, processed, acked time.Duration }
	var rows []row
	for i := range 5 {
		idle, err := bare.Idle() // returns once the server accepted IDLE
		if err != nil {
			t.Fatal(err)
		}
		mailtest.Eventually(t, "ticketd to idle again", waitTimeout, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return !idling.IsZero() && (events["*"] == nil || idling.After(events["*"]["stored"]))
		})
		bareMu.Lock()
		bareExists = time.Time{}
		bareMu.Unlock()
		mu.Lock()
		delete(events, "*")
		mu.Unlock()
		id := fmt.Sprintf("latency%d@acme.example", i)
		start := time.Now()
		if err := dc.Deliver(testSupport, []byte(strings.ReplaceAll(customerMail(id, "Acme Ops <ops@acme.example>",
			fmt.Sprintf("Latency %d", i), "The export is slow."), "\n", "\r\n"))); err != nil {
			t.Fatal(err)
		}
		lmtp := time.Since(start)
		mailtest.Eventually(t, "the acknowledgement", waitTimeout, func() bool {
			mu.Lock()
			defer mu.Unlock()
			_, ok := events["*"]["acked"]
			return ok
		})
		mailtest.Eventually(t, "the bare client's EXISTS", waitTimeout, func() bool { bareMu.Lock(); defer bareMu.Unlock(); return !bareExists.IsZero() })
		idle.Close()
		idle.Wait()
		mu.Lock()
		ev, any := events[id], events["*"]
		mu.Unlock()
		bareMu.Lock()
		r := row{lmtp: lmtp, bare: bareExists.Sub(start), exists: any["exists"].Sub(start), stored: any["stored"].Sub(start),
			processed: ev["processed"].Sub(start), acked: any["acked"].Sub(start)}
		bareMu.Unlock()
		rows = append(rows, r)
		t.Logf("mail %d: LMTP done %4dms, bare IDLE EXISTS %4dms, ticketd: EXISTS %4dms, stored %4dms, processed %4dms, ack accepted %4dms",
			i, r.lmtp.Milliseconds(), r.bare.Milliseconds(), r.exists.Milliseconds(), r.stored.Milliseconds(), r.processed.Milliseconds(), r.acked.Milliseconds())
	}
	ours := make([]time.Duration, len(rows))
	for i, r := range rows {
		ours[i] = r.acked - r.exists
	}
	slices.Sort(ours)
	t.Logf("ticketd's part (EXISTS → ack accepted): median %s, max %s", ours[len(ours)/2], ours[len(ours)-1])
	mustf(t, ours[len(ours)/2] < time.Second, "ticketd takes %s from Dovecot's EXISTS to the acknowledgement", ours[len(ours)/2])
}

func logOut() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

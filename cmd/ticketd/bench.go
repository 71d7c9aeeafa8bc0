package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ticketd/internal/bench"
	"ticketd/store"
)

func (m *Main) cmdBench(ctx context.Context, args []string) error {
	f := m.newFlags("bench")
	messages := f.Int("messages", 1000, "`N` mails in the backlog phase")
	rate := f.Float64("rate", 20, "mails a second offered in the latency phase (0 skips it)")
	duration := f.Duration("duration", 10*time.Second, "length of the latency phase")
	attachMB := f.Float64("attachment-mb", 25, "size in MB (2^20 bytes) of the attachment of the memory phase (0 skips it)")
	seed := f.Int64("seed", 1, "seed of the mail generator; equal seeds give equal mail")
	imapAddr := f.String("imap", "", "external IMAP server `host:port` (default: in-process servers)")
	imapSec := f.String("imap-security", "none", "none | tls | starttls")
	imapUser := f.String("imap-user", "", "IMAP user; also the support address the mail is sent to")
	imapPass := f.String("imap-password", "", "IMAP password (or $TICKETD_BENCH_IMAP_PASSWORD)")
	mailbox := f.String("imap-mailbox", "INBOX", "mailbox to append to and read; best empty")
	smtpAddr := f.String("smtp", "", "external SMTP relay `host:port` (with --imap)")
	smtpSec := f.String("smtp-security", "none", "none | tls | starttls")
	insecure := f.Bool("insecure-skip-verify", false, "accept any TLS certificate (test servers)")
	asJSON := f.Bool("json", false, "print the figures as JSON")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the backlog phase to `file`")
	verbose := f.Bool("v", false, "show the daemon's log")
	inProcess := f.Bool("large-in-process", false, "run the daemon in this process in every phase (RSS figures then include the bench's servers and generator)")
	storeArg := f.String("store", "sqlite", "the database: sqlite (a temp file), or postgres:`DSN` of a server the bench creates a scratch database on (the role needs CREATEDB) and drops after")
	prefillList := f.String("prefill", "0", "write `N` tickets into the database before the backlog (through the store, spread over a year); a list like 0,10000,100000 runs the bench once per size, side by side")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *messages < 1 {
		return usagef("--messages must be at least 1")
	}
	if *rate < 0 || *duration < 0 || *attachMB < 0 {
		return usagef("--rate, --duration and --attachment-mb cannot be negative")
	}
	if (*imapAddr == "") != (*smtpAddr == "") {
		return usagef("--imap and --smtp go together: both external or both in-process")
	}
	if *imapAddr != "" && *imapUser == "" {
		return usagef("--imap needs --imap-user")
	}
	if *imapPass == "" {
		*imapPass = m.Getenv("TICKETD_BENCH_IMAP_PASSWORD")
	}
	if *storeArg != "sqlite" {
		if driver, _, err := store.ParseStore(*storeArg); err != nil || driver != store.Postgres {
			return usagef("--store: want sqlite or postgres:DSN")
		}
	}
	var sizes []int
	for _, v := range strings.Split(*prefillList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return usagef("--prefill: %q is not a number of tickets (N, or N,N,… for a growth table)", v)
		}
		sizes = append(sizes, n)
	}
	cfg := bench.Config{
		Messages: *messages, Rate: *rate, Duration: *duration, LargeAttachment: int(*attachMB * (1 << 20)), Seed: *seed,
		IMAP: *imapAddr, IMAPSecurity: *imapSec, IMAPUser: *imapUser, IMAPPassword: *imapPass, Mailbox: *mailbox,
		SMTP: *smtpAddr, SMTPSecurity: *smtpSec, InsecureSkipVerify: *insecure, Store: *storeArg,
	}
	if *verbose {
		cfg.Logger = newLogger(m.Stderr, "info", "text")
	}
	if !*inProcess {
		// The daemon runs as this binary's `run` in a process of its own,
		// so RSS figures are the daemon's alone.
		if exe, err := os.Executable(); err == nil {
			cfg.DaemonBinary = exe
		}
	}
	// Admin commands are timed as people run them: the whole command,
	// config to output (discarded).
	cfg.Admin = func(ctx context.Context, args []string) error {
		sub := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: m.Getenv, Clock: m.Clock}
		if code := sub.Run(ctx, args); code != 0 {
			return fmt.Errorf("exit code %d", code)
		}
		return nil
	}
	if !*asJSON {
		cfg.Progress = m.Stderr
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		cfg.CPUProfile = pf
	}
	var results []*bench.Result
	for i, n := range sizes {
		c := cfg
		c.Prefill = n
		if i > 0 {
			// The memory phase does not depend on the database: once.
			c.LargeAttachment = 0
		}
		if len(sizes) > 1 {
			fmt.Fprintf(cfg.Progress, "== prefill %d\n", n)
		}
		res, err := bench.Run(ctx, c)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	if *asJSON {
		out := make([]map[string]float64, len(results))
		for i, res := range results {
			out[i] = benchJSON(res)
		}
		if len(out) == 1 {
			return json.NewEncoder(m.Stdout).Encode(out[0])
		}
		return json.NewEncoder(m.Stdout).Encode(out)
	}
	printBench(m.Stdout, results[0])
	if len(results) > 1 {
		fmt.Fprintln(m.Stdout)
		printGrowth(m.Stdout, results)
	}
	return nil
}

// benchJSON is the script-facing form of one run.
func benchJSON(res *bench.Result) map[string]float64 {
	return map[string]float64{
		"messages_per_second": round(res.MessagesPerSecond, 1),
		"ack_latency_p50_ms":  round(ms(res.AckLatencyP50), 1),
		"ack_latency_p99_ms":  round(ms(res.AckLatencyP99), 1),
		"peak_rss_mb":         round(res.PeakRSSMB, 1),
		"prefill_tickets":     float64(res.PrefillTickets),
		"tickets_list_ms":     round(res.TicketsListMS, 1),
		"report_sla_ms":       round(res.ReportSLAMS, 1),
		"bytes_per_ticket":    round(res.BytesPerTicket, 0),
	}
}

// printGrowth prints the runs side by side, one column per database size.
func printGrowth(w io.Writer, rs []*bench.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, f func(r *bench.Result) string) {
		fmt.Fprint(tw, name+"\t")
		for _, r := range rs {
			fmt.Fprint(tw, f(r)+"\t")
		}
		fmt.Fprintln(tw)
	}
	row("tickets in the database", func(r *bench.Result) string { return fmt.Sprint(r.PrefillTickets) })
	row("  prefilled in", func(r *bench.Result) string { return r.PrefillElapsed.Round(100 * time.Millisecond).String() })
	row("backlog mails/s", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.MessagesPerSecond) })
	row("  vs empty", func(r *bench.Result) string { return fmt.Sprintf("%.2f", r.MessagesPerSecond/rs[0].MessagesPerSecond) })
	row("ack p50 / p99 ms", func(r *bench.Result) string {
		return fmt.Sprintf("%.0f / %.0f", ms(r.AckLatencyP50), ms(r.AckLatencyP99))
	})
	row("tickets list ms", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.TicketsListMS) })
	row("tickets show ms", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.TicketsShowMS) })
	row("tickets list --overdue ms", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.TicketsOverdueMS) })
	row("report sla ms (30d)", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.ReportSLAMS) })
	row("report sla --since 365d ms", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.ReportSLAYearMS) })
	row("bytes/ticket beyond raw mail", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.BytesPerTicket) })
	row("raw mail bytes/ticket (stored)", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.RawBytesPerTicket) })
	row("database file MB", func(r *bench.Result) string { return fmt.Sprintf("%.0f", r.DBFileMB) })
	row("daemon peak RSS MB", func(r *bench.Result) string { return rssText(r) })
	tw.Flush()
}

func rssText(r *bench.Result) string {
	if r.DaemonPeakRSSMB > 0 {
		return fmt.Sprintf("%.0f", r.DaemonPeakRSSMB)
	}
	return "-"
}

func printBench(w io.Writer, r *bench.Result) {
	servers := "in-process (internal/mailtest)"
	if r.External {
		servers = "external"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "machine\t%d CPUs, %s/%s\n", r.NumCPU, r.GOOS, r.GOARCH)
	fmt.Fprintf(tw, "servers\t%s\n", servers)
	fmt.Fprintf(tw, "store\t%s\n", r.Store)
	if r.MailboxPreexisting > 0 {
		fmt.Fprintf(tw, "  mailbox NOT EMPTY\t%d mails were there before the run; the daemon processed them too\n", r.MailboxPreexisting)
	}
	if r.PrefillTickets > 0 {
		fmt.Fprintf(tw, "database\t%d tickets prefilled through the store in %s\n", r.PrefillTickets, r.PrefillElapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(tw, "backlog\t%d mails, acknowledged in %s\n", r.Messages, r.BacklogElapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "  throughput\t%.1f mails/s\t(target ≥ 400)\n", r.MessagesPerSecond)
	if r.ClassifyP50 > 0 {
		fmt.Fprintf(tw, "  classification\tp50 %.2f ms, mean %.2f ms a mail, measured apart\t(target p50 ≤ 0.5)\n", ms(r.ClassifyP50), ms(r.ClassifyMean))
	}
	if r.Offered > 0 {
		fmt.Fprintf(tw, "steady\t%d mails at %g/s over %s, through IDLE\n", r.Offered, r.Rate, r.Duration)
		fmt.Fprintf(tw, "  ack latency p50\t%.1f ms\n", ms(r.AckLatencyP50))
		fmt.Fprintf(tw, "  ack latency p99\t%.1f ms\t(target ≤ 1000)\n", ms(r.AckLatencyP99))
		fmt.Fprintf(tw, "  ack latency max\t%.1f ms\n", ms(r.AckLatencyMax))
	}
	if r.TicketsListMS > 0 {
		fmt.Fprintf(tw, "admin commands\tmedian of 5 whole commands, daemon running\t(target ≤ 100 ms)\n")
		fmt.Fprintf(tw, "  tickets list\t%.0f ms\n", r.TicketsListMS)
		fmt.Fprintf(tw, "  tickets show\t%.0f ms\n", r.TicketsShowMS)
		fmt.Fprintf(tw, "  tickets list --overdue\t%.0f ms\n", r.TicketsOverdueMS)
		fmt.Fprintf(tw, "  report sla\t%.0f ms (30 days), %.0f ms (--since 365d)\n", r.ReportSLAMS, r.ReportSLAYearMS)
	}
	if r.TicketsMeasured > 0 {
		fmt.Fprintf(tw, "growth\t%.0f bytes a ticket beyond the raw mail, raw mail %.0f bytes stored\t(over %d tickets, sent bodies pruned as after keep_sent)\n",
			r.BytesPerTicket, r.RawBytesPerTicket, r.TicketsMeasured)
		fmt.Fprintf(tw, "  database file\t%.1f MB\n", r.DBFileMB)
	}
	if r.DaemonPeakRSSMB > 0 {
		fmt.Fprintf(tw, "daemon peak RSS\t%.1f MB\t(a `ticketd run` process, backlog and steady phases)\n", r.DaemonPeakRSSMB)
	}
	if r.LargeAttachmentBytes > 0 {
		fmt.Fprintf(tw, "large mail\t%.1f MB attachment, %.1f MB raw, acknowledged in %s\n",
			float64(r.LargeAttachmentBytes)/(1<<20), float64(r.LargeMailBytes)/(1<<20), r.LargeElapsed.Round(time.Millisecond))
		if r.DaemonProcess {
			fmt.Fprintf(tw, "  measured\tpeak RSS (VmHWM) of a separate `ticketd run` process\n")
		} else {
			fmt.Fprintf(tw, "  RSS before\t%.1f MB\t(this process, with its in-process servers)\n", r.RSSBeforeLargeMB)
		}
		note := ""
		if !r.PeakRSSReset {
			note = " (peak of the whole run: the kernel refused to reset VmHWM)"
		}
		fmt.Fprintf(tw, "  peak RSS\t%.1f MB\t(target ≤ 150)%s\n", r.PeakRSSMB, note)
	}
	fmt.Fprintf(tw, "peak RSS of the bench process, before the large mail\t%.1f MB\n", r.PeakRSSWholeRunMB)
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

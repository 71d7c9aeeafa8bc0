package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"ticketd/internal/bench"
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
	inProcess := f.Bool("large-in-process", false, "run the large-mail phase in this process too (its peak RSS then includes the in-process IMAP server)")
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
	cfg := bench.Config{
		Messages: *messages, Rate: *rate, Duration: *duration, LargeAttachment: int(*attachMB * (1 << 20)), Seed: *seed,
		IMAP: *imapAddr, IMAPSecurity: *imapSec, IMAPUser: *imapUser, IMAPPassword: *imapPass, Mailbox: *mailbox,
		SMTP: *smtpAddr, SMTPSecurity: *smtpSec, InsecureSkipVerify: *insecure,
	}
	if *verbose {
		cfg.Logger = newLogger(m.Stderr, "info", "text")
	}
	if !*inProcess {
		// The memory phase runs this binary as a separate daemon process,
		// so its peak RSS is the daemon's alone.
		if exe, err := os.Executable(); err == nil {
			cfg.DaemonBinary = exe
		}
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
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(m.Stdout).Encode(map[string]float64{
			"messages_per_second": round(res.MessagesPerSecond, 1),
			"ack_latency_p50_ms":  round(ms(res.AckLatencyP50), 1),
			"ack_latency_p99_ms":  round(ms(res.AckLatencyP99), 1),
			"peak_rss_mb":         round(res.PeakRSSMB, 1),
		})
	}
	printBench(m.Stdout, res)
	return nil
}

func printBench(w io.Writer, r *bench.Result) {
	servers := "in-process (internal/mailsim)"
	if r.External {
		servers = "external"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "machine\t%d CPUs, %s/%s\n", r.NumCPU, r.GOOS, r.GOARCH)
	fmt.Fprintf(tw, "servers\t%s\n", servers)
	fmt.Fprintf(tw, "backlog\t%d mails, acknowledged in %s\n", r.Messages, r.BacklogElapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "  throughput\t%.1f mails/s\t(target ≥ 300)\n", r.MessagesPerSecond)
	if r.Offered > 0 {
		fmt.Fprintf(tw, "steady\t%d mails at %g/s over %s, through IDLE\n", r.Offered, r.Rate, r.Duration)
		fmt.Fprintf(tw, "  ack latency p50\t%.1f ms\n", ms(r.AckLatencyP50))
		fmt.Fprintf(tw, "  ack latency p99\t%.1f ms\t(target ≤ 1000)\n", ms(r.AckLatencyP99))
		fmt.Fprintf(tw, "  ack latency max\t%.1f ms\n", ms(r.AckLatencyMax))
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
	fmt.Fprintf(tw, "peak RSS, whole run before the large mail\t%.1f MB\n", r.PeakRSSWholeRunMB)
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

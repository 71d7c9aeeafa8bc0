package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/store"
)

func (m *Main) loadConfig(f *flags) (*config.Config, error) {
	return config.Load(*f.config)
}

func (m *Main) cmdRun(ctx context.Context, args []string) error {
	f := m.newFlags("run")
	grace := f.Duration("grace", 10*time.Second, "how long work in flight may finish after a shutdown signal")
	if _, err := f.parse(args); err != nil {
		return err
	}
	cfg, err := m.loadConfig(f)
	if err != nil {
		return err
	}
	log := newLogger(m.Stderr, cfg.Log.Level, cfg.Log.Format)
	for _, w := range cfg.Warnings {
		log.Warn("config", "warning", w)
	}
	log.Debug("memory", "soft_limit_mb", daemon.ApplyMemoryLimit(cfg))
	d, err := daemon.New(ctx, cfg, daemon.Options{Clock: m.Clock, Logger: log, ShutdownGrace: *grace, Version: version})
	if err != nil {
		return err
	}
	defer d.Close()
	sigs := m.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	// First SIGINT/SIGTERM: graceful shutdown (new work stops, work in
	// flight gets --grace). Second: exit now. SIGHUP: reload templates.
	go func() {
		shutdowns := 0
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGHUP {
					d.ReloadTemplates()
					if err := d.ReloadClassifier(ctx); err != nil {
						log.Error("severity table not reloaded; the previous one stays", "err", err)
					}
					continue
				}
				shutdowns++
				if shutdowns == 1 {
					log.Info("signal received: shutting down (send again to force)", "signal", s)
					cancel()
					continue
				}
				log.Warn("second signal: exiting now")
				os.Exit(1)
			case <-finished:
				return
			}
		}
	}()
	return d.Run(runCtx)
}

func (m *Main) cmdCheckConfig(ctx context.Context, args []string) error {
	f := m.newFlags("check-config")
	if _, err := f.parse(args); err != nil {
		return err
	}
	cfg, err := m.loadConfig(f)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			for _, e := range ce {
				fmt.Fprintln(m.Stderr, e)
			}
			return exitCode(1)
		}
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(m.Stdout, "warning: %s\n", w)
	}
	fmt.Fprintf(m.Stdout, "%s: OK\n", cfg.File)
	return nil
}

// version is set at build time with -ldflags "-X main.version=…"; the
// module and VCS information come from the binary's build info.
var version = "dev"

func (m *Main) cmdVersion(ctx context.Context, args []string) error {
	f := m.newFlags("version")
	if _, err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "ticketd %s\n", version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(m.Stdout, "go: %s\n", bi.GoVersion)
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH", "CGO_ENABLED":
				fmt.Fprintf(m.Stdout, "%s: %s\n", s.Key, s.Value)
			}
		}
		for _, dep := range bi.Deps {
			switch dep.Path {
			case "github.com/emersion/go-imap/v2", "github.com/emersion/go-smtp", "github.com/jhillyerd/enmime/v2", "modernc.org/sqlite", "github.com/jackc/pgx/v5":
				fmt.Fprintf(m.Stdout, "dep: %s %s\n", dep.Path, dep.Version)
			}
		}
	}
	return nil
}

func (m *Main) cmdBackup(ctx context.Context, args []string) error {
	f := m.newFlags("backup")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one FILE to write the backup to")
	}
	if _, err := os.Stat(pos[0]); err == nil {
		return fmt.Errorf("%s exists; refusing to overwrite", pos[0])
	}
	cfg, err := m.loadConfig(f)
	if err != nil {
		return err
	}
	if cfg.Store.Driver == store.Postgres {
		return store.ErrBackupUnsupported
	}
	db, cfg, err := m.openStore(ctx, f, store.Options{Manual: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, pos[0]); err != nil {
		return err
	}
	st, _ := os.Stat(pos[0])
	fmt.Fprintf(m.Stdout, "backup of %s written to %s (%d bytes)\n", cfg.Store.Path, pos[0], st.Size())
	return nil
}

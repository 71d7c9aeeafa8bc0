package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"ticketd/store"
)

// cmdMigrate upgrades the configured database's schema, or with --from
// copies a desk into a new database (`--from sqlite:PATH --to
// postgres:DSN`), verified table by table.
func (m *Main) cmdMigrate(ctx context.Context, args []string) error {
	f := m.newFlags("migrate")
	from := f.String("from", "", "copy the desk in `DB` (sqlite:PATH or postgres:DSN) into --to instead of upgrading")
	to := f.String("to", "", "the empty database to copy into, `DB` (postgres:DSN; default: the configured [store])")
	asJSON := f.Bool("json", false, "print the copy's table as JSON")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *from == "" {
		if *to != "" || *asJSON {
			return usagef("--to and --json go with --from")
		}
		db, _, err := m.openStore(ctx, f, store.Options{Manual: true})
		if err != nil {
			return err
		}
		defer db.Close()
		from, to, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if from == to {
			fmt.Fprintf(m.Stdout, "%s: schema version %d: up to date\n", db.Name(), to)
		} else {
			fmt.Fprintf(m.Stdout, "%s: migrated from schema version %d to %d\n", db.Name(), from, to)
		}
		return nil
	}
	srcDriver, srcDSN, err := store.ParseStore(*from)
	if err != nil {
		return usagef("--from %v", err)
	}
	var dstDriver, dstDSN string
	if *to != "" {
		if dstDriver, dstDSN, err = store.ParseStore(*to); err != nil {
			return usagef("--to %v", err)
		}
	} else {
		// The configured database, so its password stays in dsn_file.
		cfg, err := m.loadConfig(f)
		if err != nil {
			return fmt.Errorf("no --to, and the configuration names none: %w", err)
		}
		if dstDriver, dstDSN, err = cfg.Store.Source(); err != nil {
			return err
		}
	}
	if srcDriver == dstDriver && srcDSN == dstDSN {
		return usagef("--from and --to name the same database")
	}
	// The source is never changed: an older schema is refused, not
	// upgraded. The target gets this binary's schema if it has none.
	src, err := store.OpenDSN(ctx, srcDriver, srcDSN, nil, store.Options{NoMigrate: true})
	if err != nil {
		if errors.Is(err, store.ErrOlderSchema) {
			return fmt.Errorf("source: %w", err)
		}
		return err
	}
	defer src.Close()
	dst, err := store.OpenDSN(ctx, dstDriver, dstDSN, nil, store.Options{})
	if err != nil {
		return err
	}
	defer dst.Close()
	var progress func(store.CopiedTable)
	if !*asJSON {
		fmt.Fprintf(m.Stderr, "copying %s:%s into %s:%s\n", src.Driver(), src.Name(), dst.Driver(), dst.Name())
		progress = func(t store.CopiedTable) { fmt.Fprintf(m.Stderr, "  %s: %d rows\n", t.Table, t.SourceRows) }
	}
	report, err := store.Copy(ctx, src, dst, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		writeJSON(m.Stdout, copyJSON(src, dst, report))
	} else {
		printCopy(m.Stdout, src, dst, report)
	}
	if !report.Verified() {
		return errors.New("the copy differs from the source (see the table): do not use it; drop the target's tables and copy again")
	}
	return nil
}

func copyJSON(src, dst *store.DB, r *store.CopyReport) any {
	type table struct {
		Table          string `json:"table"`
		SourceRows     int64  `json:"source_rows"`
		TargetRows     int64  `json:"target_rows"`
		SourceChecksum string `json:"source_checksum"`
		TargetChecksum string `json:"target_checksum"`
		Repaired       int64  `json:"repaired_text_values"`
		Verified       bool   `json:"verified"`
	}
	out := struct {
		From          string  `json:"from"`
		To            string  `json:"to"`
		SchemaVersion int     `json:"schema_version"`
		Tables        []table `json:"tables"`
		Rows          int64   `json:"rows"`
		Seconds       float64 `json:"seconds"`
		Verified      bool    `json:"verified"`
	}{From: src.Driver() + ":" + src.Name(), To: dst.Driver() + ":" + dst.Name(), SchemaVersion: r.SchemaVersion,
		Seconds: r.Elapsed.Seconds(), Verified: r.Verified(), Tables: []table{}}
	for _, t := range r.Tables {
		out.Tables = append(out.Tables, table{t.Table, t.SourceRows, t.TargetRows, t.SourceChecksum, t.TargetChecksum, t.Repaired, t.Verified()})
		out.Rows += t.TargetRows
	}
	return out
}

func printCopy(w io.Writer, src, dst *store.DB, r *store.CopyReport) {
	fmt.Fprintf(w, "from %s:%s\nto   %s:%s\nschema version %d\n\n", src.Driver(), src.Name(), dst.Driver(), dst.Name(), r.SchemaVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "table\trows (%s)\trows (%s)\tchecksum (%s)\tchecksum (%s)\tstate\n", src.Driver(), dst.Driver(), src.Driver(), dst.Driver())
	var rows int64
	repaired := false
	for _, t := range r.Tables {
		state := "ok"
		switch {
		case !t.Verified():
			state = "DIFFERS"
		case t.Repaired > 0:
			state, repaired = fmt.Sprintf("ok, %d text values repaired*", t.Repaired), true
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", t.Table, t.SourceRows, t.TargetRows, t.SourceChecksum[:16], t.TargetChecksum[:16], state)
		rows += t.TargetRows
	}
	tw.Flush()
	fmt.Fprintln(w)
	if repaired {
		fmt.Fprintln(w, "* text PostgreSQL cannot hold (NUL bytes, invalid UTF-8) was copied with U+FFFD in their place, as ticketd stores it there;")
		fmt.Fprintln(w, "  those tables are verified against the values as written.")
	}
	verdict := "verified: every table has the same rows and checksums on both sides"
	if !r.Verified() {
		verdict = "NOT VERIFIED: the copy differs from the source"
	}
	fmt.Fprintf(w, "%d tables, %d rows copied in %s; %s\n", len(r.Tables), rows, r.Elapsed.Round(time.Millisecond), verdict)
	if r.Verified() && dst.Driver() == store.Postgres {
		fmt.Fprintln(w, "next: set [store] driver = \"postgres\" and dsn (or dsn_file, dsn_env) in ticketd.toml, and start ticketd on it")
	}
}

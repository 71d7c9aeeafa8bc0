package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"ticketd/config"
	"ticketd/daemon"
	"ticketd/templates"
)

func (m *Main) cmdTemplates(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want list, preview, check or export")
	}
	sub, args := args[0], args[1:]
	f := m.newFlags("templates " + sub)
	lang, dirFlag, number, html, overwrite := new(string), new(string), new(int64), new(bool), new(bool)
	switch sub {
	case "preview":
		f.StringVar(lang, "lang", "", "`language` en, de or fr (default: the ticket's, else templates.default_language)")
		f.Int64Var(number, "ticket", 0, "render with the data of ticket `N` instead of sample data")
		f.BoolVar(html, "html", false, "print the HTML part instead of the text part")
		f.StringVar(dirFlag, "dir", "", "templates `directory` (default: templates.dir from the config)")
	case "list", "check":
		f.StringVar(dirFlag, "dir", "", "templates `directory` (default: templates.dir from the config)")
	case "export":
		f.BoolVar(overwrite, "overwrite", false, "overwrite existing files")
	default:
		return usagef("unknown subcommand %q (want list, preview, check or export)", sub)
	}
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	// The config is optional here: without one, the built-ins are shown.
	cfgDir, defLang := "", "en"
	var cfg *config.Config
	if _, statErr := os.Stat(*f.config); statErr == nil {
		if cfg, err = m.loadConfig(f); err != nil {
			return err
		}
		cfgDir, defLang = cfg.Templates.Dir, cfg.Templates.DefaultLanguage
	}
	dir := *dirFlag
	if dir == "" {
		dir = cfgDir
	}
	switch sub {
	case "check":
		if len(pos) > 0 {
			dir = pos[0]
		}
		problems := templates.Check(dir)
		for _, p := range problems {
			fmt.Fprintln(m.Stdout, p)
		}
		if len(problems) > 0 {
			fmt.Fprintf(m.Stdout, "%d problems: these templates would be rejected\n", len(problems))
			return exitCode(1)
		}
		where := "built-in templates"
		if dir != "" {
			where = dir + " (with the built-ins it does not override)"
		}
		fmt.Fprintf(m.Stdout, "%s: OK\n", where)
		return nil
	case "export":
		if len(pos) != 1 {
			return usagef("want the DIR to write the built-in templates to")
		}
		var opts []templates.ExportOption
		if *overwrite {
			opts = append(opts, templates.Overwrite())
		}
		if err := templates.Export(pos[0], opts...); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "built-in templates written to %s; set templates.dir = %q and edit what you need (delete the rest)\n", pos[0], pos[0])
		return nil
	case "list":
		set, err := m.loadTemplates(dir)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tLANG\tPART\tSOURCE")
		for _, e := range set.List() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Kind, e.Lang, e.Part, e.Source)
		}
		tw.Flush()
		return nil
	case "preview":
		if len(pos) != 1 {
			return usagef("want one KIND (%v)", templates.Kinds)
		}
		kind := templates.Kind(pos[0])
		if !kind.Valid() {
			return usagef("unknown kind %q (known: %v)", pos[0], templates.Kinds)
		}
		set, err := m.loadTemplates(dir)
		if err != nil {
			return err
		}
		l := *lang
		var data templates.Data
		if *number != 0 {
			if cfg == nil {
				return usagef("--ticket needs a config (--config F) to find the database")
			}
			k, err := daemon.OpenDesk(ctx, cfg, m.Clock, newLogger(m.Stderr, "error", "text"))
			if err != nil {
				return err
			}
			defer k.DB().Close()
			var tlang string
			if data, tlang, err = k.TemplateData(ctx, kind, *number); err != nil {
				return err
			}
			if l == "" {
				l = tlang
			}
		} else {
			if l == "" {
				l = defLang
			}
			data = templates.Sample(kind, l)
		}
		r, err := set.Render(kind, l, data)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Subject: %s\n\n", r.Subject)
		if *html {
			fmt.Fprint(m.Stdout, r.HTML)
		} else {
			fmt.Fprint(m.Stdout, r.Text)
		}
		return nil
	}
	return usagef("unknown subcommand %q (want list, preview, check or export)", sub)
}

// loadTemplates loads dir over the built-ins, printing any problems.
func (m *Main) loadTemplates(dir string) (*templates.Set, error) {
	set, problems, err := templates.Load(dir)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(m.Stderr, p)
		}
		return nil, fmt.Errorf("templates in %s have %d problems; fix them first (ticketd templates check)", dir, len(problems))
	}
	return set, nil
}

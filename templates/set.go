package templates

import (
	"bytes"
	"embed"
	"fmt"
	htemplate "html/template"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	ttemplate "text/template"
	"ticketd/ticket"
)

//go:embed builtin/*.tmpl
var builtinFS embed.FS

// SourceBuiltin is Entry.Source for a template compiled into ticketd.
const SourceBuiltin = "built-in"

// Rendered is one mail, ready for the outbox.
type Rendered struct {
	Subject string // one line: no control characters, white space collapsed
	Text    string // plain-text body, ending in one newline
	HTML    string // HTML body
}

// Entry describes where one part of one kind in one language comes from.
type Entry struct {
	Kind   Kind
	Lang   string
	Part   string // "subject", "txt" or "html"
	Source string // SourceBuiltin or the override file's path
}

// Set is a complete, validated collection of templates: every kind in every
// language with all three parts. It is immutable and safe for concurrent use.
type Set struct {
	parts    map[partKey]*compiled
	fallback *Set // the built-in set, for overrides that fail at execution; nil in Builtin()
	logger   *slog.Logger
}

type partKey struct {
	kind Kind
	lang string
	part string
}

// compiled is one parsed template file.
type compiled struct {
	name   string // file name, e.g. "ack.de.txt.tmpl"
	source string // SourceBuiltin or path
	text   *ttemplate.Template
	html   *htemplate.Template
}

func (c *compiled) execute(w io.Writer, d Data) error {
	if c.html != nil {
		return c.html.Execute(w, d)
	}
	return c.text.Execute(w, d)
}

var builtin = sync.OnceValue(func() *Set { return mustCompileBuiltin(builtinFS) })

// mustCompileBuiltin compiles the builtin/ directory of fsys and panics
// when anything in it is wrong or missing: that is a broken build.
func mustCompileBuiltin(fsys fs.FS) *Set {
	entries, err := fs.ReadDir(fsys, "builtin")
	if err != nil {
		panic(fmt.Sprintf("templates: reading embedded built-ins: %v", err))
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, "builtin/"+e.Name())
		if err != nil {
			panic(fmt.Sprintf("templates: reading embedded %s: %v", e.Name(), err))
		}
		files[e.Name()] = string(b)
	}
	parts, problems := compileFiles(files, func(string) string { return SourceBuiltin })
	problems = append(problems, missingParts(parts)...)
	if len(problems) > 0 {
		panic(fmt.Sprintf("templates: the built-in templates are broken:\n%s", formatProblems(problems)))
	}
	return &Set{parts: parts}
}

// Builtin returns the templates compiled into ticketd, parsed and checked
// once. It panics only when the build itself ships a broken template, which
// the package's tests catch.
func Builtin() *Set { return builtin() }

// Load reads override templates from dir on top of the built-ins. A "" dir
// gives Builtin(). Every file present replaces its built-in twin; the rest
// stay built-in. When there are problems the whole set is rejected: the
// returned set is nil and problems says why, one entry per file and line.
// The error is for a directory that cannot be read at all.
// Hidden files (editor swap files such as .ack.en.txt.tmpl.swp) and
// subdirectories are ignored; any other unexpected file is a problem.
func Load(dir string) (*Set, []Problem, error) {
	if dir == "" {
		return Builtin(), nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("templates: reading override directory: %w", err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("templates: reading override: %w", err)
		}
		files[e.Name()] = string(b)
	}
	overrides, problems := compileFiles(files, func(name string) string { return filepath.Join(dir, name) })
	if len(problems) > 0 {
		return nil, problems, nil
	}
	base := Builtin()
	s := &Set{parts: make(map[partKey]*compiled, len(base.parts)), fallback: base}
	for k, c := range base.parts {
		s.parts[k] = c
	}
	for k, c := range overrides {
		s.parts[k] = c
	}
	return s, nil, nil
}

// WithLogger returns a copy of s that logs through logger (nil: slog.Default)
// when an override fails and its built-in twin is used instead.
func (s *Set) WithLogger(logger *slog.Logger) *Set {
	c := *s
	c.logger = logger
	return &c
}

func (s *Set) log() *slog.Logger {
	if s.logger != nil {
		return s.logger
	}
	return slog.Default()
}

// List says where every part of every kind in every language comes from,
// ordered by kind, language and part.
func (s *Set) List() []Entry {
	list := make([]Entry, 0, len(Kinds)*len(Languages)*len(Parts))
	for _, k := range Kinds {
		for _, lang := range Languages {
			for _, part := range Parts {
				list = append(list, Entry{Kind: k, Lang: lang, Part: part, Source: s.parts[partKey{k, lang, part}].source})
			}
		}
	}
	return list
}

// Render writes one mail of kind in lang from d. A lang without templates
// ("it", "") renders in DefaultLanguage; "de-CH" renders in "de". Render
// sets d.Lang and fills d.Ticket.Tag, d.Due.Text and d.Message.Received when
// they are empty. When an override fails at execution, its built-in twin
// is rendered instead and the reason is logged at warning level, so a
// customer still gets a mail.
func (s *Set) Render(kind Kind, lang string, d Data) (Rendered, error) {
	if !kind.Valid() {
		return Rendered{}, fmt.Errorf("templates: unknown kind %q", kind)
	}
	if lang = normalizeLang(lang); !slices.Contains(Languages, lang) {
		lang = DefaultLanguage
	}
	loc := zoneLocation(d.Zone)
	if loc == nil && d.Zone != "" {
		s.log().Warn("templates: unknown time zone, showing times in UTC", "zone", d.Zone, "kind", string(kind))
	}
	d = d.prepare(lang, loc)
	var out [3]string
	for i, part := range Parts {
		text, err := s.renderPart(partKey{kind, lang, part}, d)
		if err != nil {
			return Rendered{}, err
		}
		out[i] = text
	}
	return Rendered{Subject: ticket.HeaderText(out[0]), Text: cleanText(out[1]), HTML: out[2]}, nil
}

func (s *Set) renderPart(k partKey, d Data) (string, error) {
	c := s.parts[k]
	var buf bytes.Buffer
	err := c.execute(&buf, d)
	if err == nil {
		return buf.String(), nil
	}
	if s.fallback == nil || c.source == SourceBuiltin {
		return "", fmt.Errorf("templates: rendering %s: %w", c.name, err)
	}
	s.log().Warn("templates: override failed, using the built-in template instead",
		"file", c.source, "kind", string(k.kind), "lang", k.lang, "part", k.part, "err", err)
	buf.Reset()
	twin := s.fallback.parts[k]
	if err := twin.execute(&buf, d); err != nil {
		return "", fmt.Errorf("templates: rendering built-in %s after override failed: %w", twin.name, err)
	}
	return buf.String(), nil
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

// cleanText trims blank lines at both ends and folds runs of blank lines
// (left behind by {{if}} blocks) into one.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.Trim(s, "\n") + "\n"
}

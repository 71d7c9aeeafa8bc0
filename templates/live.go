package templates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Live serves the current template set of an override directory and
// replaces it when the directory changes. A changed directory is checked
// as a whole: if anything in it is wrong, the previous set stays in use.
// It is safe for concurrent use.
type Live struct {
	dir    string
	logger *slog.Logger
	cur    atomic.Pointer[Set]

	mu   sync.Mutex // serialises reloads
	seen string     // fingerprint of the directory as last loaded or rejected
}

// NewLive loads dir ("" for the built-ins only) and returns a Live serving
// it. The initial load must succeed: problems are returned as a
// *ProblemsError listing them. A nil logger means slog.Default().
func NewLive(dir string, logger *slog.Logger) (*Live, error) {
	if logger == nil {
		logger = slog.Default()
	}
	l := &Live{dir: dir, logger: logger}
	if err := l.Reload(); err != nil {
		return nil, err
	}
	return l, nil
}

// Current returns the set in use. Callers render from one Current() for a
// whole mail, so a reload in between cannot mix two versions.
func (l *Live) Current() *Set { return l.cur.Load() }

// Reload reads and checks the directory and, when it is sound, makes it
// current. Otherwise the previous set stays and the error lists the
// problems (a *ProblemsError) or says why the directory could not be read.
func (l *Live) Reload() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Fingerprint before loading, so an edit made during the load is
	// seen as a change by the next poll.
	l.seen = fingerprint(l.dir)
	set, problems, err := Load(l.dir)
	if err == nil && len(problems) > 0 {
		err = &ProblemsError{Dir: l.dir, Problems: problems}
	}
	if err != nil {
		if l.cur.Load() != nil {
			l.logger.Error("templates: reload rejected, keeping the previous templates", "dir", l.dir, "err", err)
		}
		return fmt.Errorf("templates: reload: %w", err)
	}
	l.cur.Store(set.WithLogger(l.logger))
	l.logger.Info("templates: loaded", "dir", l.dir, "overrides", countOverrides(set))
	return nil
}

// Watch polls the directory's file names, modification times and sizes
// every interval and reloads when they have changed and then stayed the
// same for one more interval, until ctx is done. A
// rejected reload is passed to onReject (when not nil), once per change,
// e.g. to send an admin notice. Watch returns at once for the built-ins
// only ("" dir).
func (l *Live) Watch(ctx context.Context, interval time.Duration, onReject func(err error)) {
	if l.dir == "" {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	pending := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		fp := fingerprint(l.dir)
		l.mu.Lock()
		changed := fp != l.seen
		l.mu.Unlock()
		// Reload only once a change has held still for one interval, so a
		// file caught half-written by an editor is not loaded (or rejected).
		if !changed || fp != pending {
			pending = fp
			continue
		}
		if err := l.Reload(); err != nil && onReject != nil {
			onReject(err)
		}
	}
}

// fingerprint summarises what Load reads: the names, sizes and
// modification times of the directory's entries.
func fingerprint(dir string) string {
	if dir == "" {
		return ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // ignored by Load too: editor swap and lock files
		}
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // removed while we looked; the next poll sees the new state
		}
		if err != nil {
			fmt.Fprintf(&b, "%s error %v\n", e.Name(), err)
			continue
		}
		fmt.Fprintf(&b, "%s %d %d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return b.String()
}

func countOverrides(s *Set) int {
	return len(slices.DeleteFunc(s.List(), func(e Entry) bool { return e.Source == SourceBuiltin }))
}

package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ExportOption changes what Export does.
type ExportOption func(*exportConfig)

type exportConfig struct{ overwrite bool }

// Overwrite lets Export replace files that already exist.
func Overwrite() ExportOption { return func(c *exportConfig) { c.overwrite = true } }

// Export writes every built-in template into dir (created if needed) as a
// starting point for overrides. Unless Overwrite is given it refuses, before
// writing anything, when any of the files already exists. Tip: delete the
// files you do not change, so they keep following the built-ins.
func Export(dir string, opts ...ExportOption) error {
	var cfg exportConfig
	for _, o := range opts {
		o(&cfg)
	}
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return fmt.Errorf("templates: export: %w", err)
	}
	if !cfg.overwrite {
		var existing []string
		for _, e := range entries {
			_, err := os.Lstat(filepath.Join(dir, e.Name()))
			if err == nil {
				existing = append(existing, e.Name())
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("templates: export: %w", err)
			}
		}
		if len(existing) > 0 {
			return fmt.Errorf("templates: export to %s: %d file(s) already exist, not overwriting: %s", dir, len(existing), strings.Join(existing, ", "))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("templates: export: %w", err)
	}
	for _, e := range entries {
		b, err := builtinFS.ReadFile("builtin/" + e.Name())
		if err != nil {
			return fmt.Errorf("templates: export: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return fmt.Errorf("templates: export: %w", err)
		}
	}
	return nil
}

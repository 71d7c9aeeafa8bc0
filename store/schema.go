package store

import (
	"context"
	"fmt"
	"sort"
)

// Tables lists the database's tables (schema_migrations included), by
// name, as its catalogue has them.
func (d *DB) Tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if d.postgres() {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	out, err := d.strings(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	sort.Strings(out)
	return out, nil
}

// Columns lists table's columns in their order.
func (d *DB) Columns(ctx context.Context, table string) ([]string, error) {
	q := `SELECT name FROM pragma_table_info(?) ORDER BY cid`
	if d.postgres() {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	out, err := d.strings(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("list columns of %s: %w", table, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("table %s: %w", table, ErrNotFound)
	}
	return out, nil
}

func (d *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

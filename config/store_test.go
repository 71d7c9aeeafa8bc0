package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStore_driverAndWhereItsDatabaseIs(t *testing.T) {
	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "dsn")
	os.WriteFile(dsnFile, []byte("postgres://ticketd:s3cret@db.example.com/ticketd?sslmode=verify-full\n"), 0o600)
	t.Setenv("TICKETD_TEST_DSN", "host=127.0.0.1 user=ticketd dbname=ticketd")
	for _, c := range []struct {
		name, store         string
		driver, dsn, errKey string
	}{
		{"default_sqlite", "", "sqlite", "ticketd.db", ""},
		{"sqlite_path", "path = \"/var/lib/ticketd/t.db\"", "sqlite", "/var/lib/ticketd/t.db", ""},
		{"postgres_inline", "driver = \"postgres\"\ndsn = \"postgres://ticketd@127.0.0.1/ticketd\"", "postgres", "postgres://ticketd@127.0.0.1/ticketd", ""},
		{"postgres_file", "driver = \"postgres\"\ndsn_file = \"" + dsnFile + "\"", "postgres", "postgres://ticketd:s3cret@db.example.com/ticketd?sslmode=verify-full", ""},
		{"postgres_env", "driver = \"postgres\"\ndsn_env = \"TICKETD_TEST_DSN\"", "postgres", "host=127.0.0.1 user=ticketd dbname=ticketd", ""},
		{"unknown_driver", "driver = \"mysql\"", "", "", `store.driver: "mysql" is not one of sqlite, postgres`},
		{"postgres_without_dsn", "driver = \"postgres\"", "", "", "store.dsn: required with store.driver"},
		{"two_dsns", "driver = \"postgres\"\ndsn = \"host=x\"\ndsn_env = \"TICKETD_TEST_DSN\"", "", "", "store.dsn: set only one"},
		{"dsn_with_sqlite", "dsn = \"host=x\"", "", "", "store.dsn: only used with store.driver = \"postgres\""},
		{"empty_env", "driver = \"postgres\"\ndsn_env = \"TICKETD_NO_SUCH_VARIABLE\"", "", "", "store.dsn_env: environment variable TICKETD_NO_SUCH_VARIABLE is empty"},
		{"missing_file", "driver = \"postgres\"\ndsn_file = \"/nonexistent/dsn\"", "", "", "store.dsn_file: stat /nonexistent/dsn"},
		{"bad_dsn", "driver = \"postgres\"\ndsn = \"postgres://x:y@[::1/db\"", "", "", "store.dsn: not a PostgreSQL connection string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("t.toml", []byte(minimalConfig+"[store]\n"+c.store+"\n"))
			if c.errKey != "" {
				if err == nil || !strings.Contains(err.Error(), "t.toml: "+c.errKey) {
					t.Fatalf("got %v, want an error containing %q", err, c.errKey)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			driver, dsn, err := cfg.Store.Source()
			if err != nil || driver != c.driver || dsn != c.dsn {
				t.Fatalf("Source() = %q, %q, %v; want %q, %q", driver, dsn, err, c.driver, c.dsn)
			}
			if strings.Contains(cfg.Store.Name(), "s3cret") {
				t.Errorf("Name() shows the password: %s", cfg.Store.Name())
			}
		})
	}
}

func TestStore_warnsOfPasswordsOthersCanReadAndUnverifiedConnections(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ticketd.toml")
	write := func(store string, mode os.FileMode) *Config {
		t.Helper()
		os.WriteFile(file, []byte(minimalConfig+"[store]\n"+store+"\n"), mode)
		os.Chmod(file, mode)
		cfg, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	warned := func(cfg *Config, s string) bool { return strings.Contains(strings.Join(cfg.Warnings, "\n"), s) }
	inline := "driver = \"postgres\"\ndsn = \"postgres://ticketd:s3cret@127.0.0.1/ticketd\""
	if cfg := write(inline, 0o644); !warned(cfg, "store.dsn has a password inline in "+file+", which is world-readable") {
		t.Errorf("no warning for an inline password in a world-readable file: %q", cfg.Warnings)
	}
	if cfg := write(inline, 0o600); warned(cfg, "password inline") {
		t.Errorf("warned of a password in a private file: %q", cfg.Warnings)
	}
	remote := "driver = \"postgres\"\ndsn = \"postgres://ticketd@db.example.com/ticketd\""
	if cfg := write(remote, 0o600); !warned(cfg, "store.dsn: the connection to db.example.com is not verified (sslmode=prefer)") {
		t.Errorf("no warning for an unverified connection: %q", cfg.Warnings)
	}
	verified := "driver = \"postgres\"\ndsn = \"host=db.example.com user=ticketd sslmode=verify-full\""
	if cfg := write(verified, 0o600); warned(cfg, "not verified") {
		t.Errorf("warned of a verified connection: %q", cfg.Warnings)
	}
	dsnFile := filepath.Join(dir, "dsn")
	os.WriteFile(dsnFile, []byte("host=127.0.0.1 password=s3cret"), 0o644)
	os.Chmod(dsnFile, 0o644)
	if cfg := write("driver = \"postgres\"\ndsn_file = \""+dsnFile+"\"", 0o600); !warned(cfg, "store.dsn_file "+dsnFile+" is world-readable") {
		t.Errorf("no warning for a world-readable dsn_file: %q", cfg.Warnings)
	}
	if cfg := write("driver = \"postgres\"\npath = \"x.db\"\ndsn = \"host=127.0.0.1\"", 0o600); !warned(cfg, "store.path x.db is not used") {
		t.Errorf("no warning for an unused path: %q", cfg.Warnings)
	}
}

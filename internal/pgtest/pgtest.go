// Package pgtest starts a throwaway PostgreSQL server from Debian's
// postgresql package in a temporary directory, listening on a loopback
// port, for tests of the PostgreSQL store and of several daemons sharing
// one database. Tests skip when the server is not installed, unless
// TICKETD_REQUIRE_POSTGRES=1 makes that a failure (CI installs it).
//
// Running as root, the server runs as the postgres system user (initdb and
// postgres refuse root); its directory is handed to that user.
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// RequireEnv names the environment variable that turns a missing server
// into a test failure instead of a skip.
const RequireEnv = "TICKETD_REQUIRE_POSTGRES"

// Server is a running PostgreSQL on 127.0.0.1.
type Server struct {
	Addr string // 127.0.0.1:port
	dir  string
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
	seq  atomic.Int64

	stopOnce sync.Once
}

// binDir finds the newest installed PostgreSQL's binary directory.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			dir := string(bytes.TrimSpace(out))
			if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server found (install Debian's postgresql package)")
}

// Start initialises a cluster in a temporary directory and starts the
// server; it is stopped when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		fail(tb, err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// errMissing is start's error when no server is installed.
type errMissing struct{ error }

func fail(tb testing.TB, err error) {
	tb.Helper()
	if _, ok := err.(errMissing); ok {
		if os.Getenv(RequireEnv) != "" {
			tb.Fatalf("pgtest: %v (%s is set)", err, RequireEnv)
		}
		tb.Skipf("pgtest: %v; skipping (set %s=1 to fail instead)", err, RequireEnv)
	}
	tb.Fatalf("pgtest: %v", err)
}

var shared struct {
	sync.Mutex
	main   bool // Main runs the package's tests
	server *Server
	err    error
}

// Main runs a test package's tests (call it from TestMain) and stops the
// server Shared started, if any: one server per package run, a fresh
// database per test (Shared(t).NewDatabase(t)).
func Main(m *testing.M) int {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.server != nil {
		shared.server.Stop()
	}
	return code
}

// Shared returns the package's server, starting it at the first call. The
// package's TestMain must run its tests through Main, which stops it.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.main {
		tb.Fatal("pgtest.Shared needs the package's TestMain to call pgtest.Main")
	}
	if shared.server == nil && shared.err == nil {
		shared.server, shared.err = start()
	}
	if shared.err != nil {
		fail(tb, shared.err)
	}
	return shared.server
}

func start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, errMissing{err}
	}
	s := &Server{bin: bin, done: make(chan struct{})}
	s.dir, err = os.MkdirTemp("", "ticketd-pg-")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(s.dir)
		}
	}()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres system user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.command("initdb", "-D", data, "-U", "ticketd", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.cmd = s.command("postgres", "-D", data, "-p", strconv.Itoa(port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "log_min_messages=warning")
	logFile, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start postgres: %v", err)
	}
	go func() { s.cmd.Wait(); logFile.Close(); close(s.done) }()
	if err := s.waitReady(15 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
		s.Stop()
		return nil, fmt.Errorf("%v\n%s", err, log)
	}
	ok = true
	return s, nil
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		db, err := sql.Open("pgx", s.dsn("postgres"))
		if err == nil {
			err = db.Ping()
			db.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("postgres exited during start-up")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) dsn(db string) string {
	return fmt.Sprintf("postgres://ticketd@%s/%s?sslmode=disable", s.Addr, db)
}

// NewDatabase creates an empty database and returns its DSN.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d", s.seq.Add(1))
	db, err := sql.Open("pgx", s.dsn("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	return s.dsn(name)
}

// Stop shuts the server down fast (SIGINT: abort transactions, exit) and
// removes its directory. Start's server stops by itself when its test
// ends; Main stops Shared's.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			s.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				s.cmd.Process.Kill()
				<-s.done
			}
		}
		os.RemoveAll(s.dir)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxCachedStatements bounds the statement cache: the store's statements
// are a fixed set, but a few are composed (ticket filters), and a cache
// must not grow with whatever text reaches it.
const maxCachedStatements = 256

// stmtCache keeps every statement the store runs prepared, so SQLite
// compiles each text once per connection instead of on every call (the
// compiler was a tenth of the pipeline's CPU). A text seen for the first
// time runs unprepared while it is prepared in the background: preparing
// on the database needs a free connection, and the caller holds one in
// its transaction, so waiting for another here could deadlock a full
// pool.
//
// On PostgreSQL it keeps each statement's text with "$n" placeholders
// instead (rebind), and pgx prepares and caches statements per connection
// by that text itself.
type stmtCache struct {
	db       *sql.DB
	postgres bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	stmts   map[string]*sql.Stmt // nil value: could not be prepared (e.g. an older schema); run as text
	pending map[string]bool
	texts   map[string]string // PostgreSQL: the statement as it runs there
}

func (c *stmtCache) init(db *sql.DB, postgres bool) {
	c.db, c.postgres = db, postgres
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.stmts = map[string]*sql.Stmt{}
	c.pending = map[string]bool{}
	c.texts = map[string]string{}
}

// get returns the prepared statement for query, or nil, scheduling its
// preparation, and the text of query to run in this dialect.
func (c *stmtCache) get(query string) (*sql.Stmt, string) {
	if f := observer.Load(); f != nil {
		(*f)(query)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.postgres {
		if text, ok := c.texts[query]; ok {
			return nil, text
		}
		text := rebind(query)
		if len(c.texts) < maxCachedStatements {
			c.texts[query] = text
		}
		return nil, text
	}
	if s, ok := c.stmts[query]; ok {
		return s, query
	}
	if c.closed || c.pending[query] || len(c.stmts)+len(c.pending) >= maxCachedStatements {
		return nil, query
	}
	c.pending[query] = true
	c.wg.Add(1)
	go c.prepare(query)
	return nil, query
}

func (c *stmtCache) prepare(query string) {
	defer c.wg.Done()
	s, err := c.db.PrepareContext(c.ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if c.closed {
		if s != nil {
			s.Close()
		}
		return
	}
	if err != nil {
		if c.ctx.Err() == nil {
			c.stmts[query] = nil
		}
		return
	}
	c.stmts[query] = s
}

func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		if s != nil {
			s.Close()
		}
		delete(c.stmts, q)
	}
}

var observer atomic.Pointer[func(query string)]

// ObserveStatements calls fn with the text of every statement a
// transaction runs, until stop is called; one observer at a time. Tests
// use it to check the query plans of what the pipeline and the admin
// commands really run (see QueryPlan).
func ObserveStatements(fn func(query string)) (stop func()) {
	observer.Store(&fn)
	return func() { observer.Store(nil) }
}

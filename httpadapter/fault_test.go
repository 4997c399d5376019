package httpadapter_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/internal/pgtest"
)

// tcpProxy forwards TCP connections from 127.0.0.1 to the PostgreSQL
// server, so that a test can cut the store off and restore it on the same
// address.
type tcpProxy struct {
	t       *testing.T
	network string
	backend string
	addr    string

	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]struct{}
	// cutOn, when set, makes the proxy cut everything, without
	// forwarding, as soon as a client sends these bytes.
	cutOn []byte
	wg    sync.WaitGroup
}

// newTCPProxy listens on a free port of 127.0.0.1 and forwards to the
// server at network and backend. t's cleanup stops it.
func newTCPProxy(t *testing.T, network, backend string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, network: network, backend: backend, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.listener = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(client)
			}()
		}
	}()
}

// forward copies one client connection to a new server connection and
// back, until either side closes or the proxy is cut.
func (p *tcpProxy) forward(client net.Conn) {
	server, err := net.DialTimeout(p.network, p.backend, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	done := make(chan struct{}, 2)
	go func() {
		p.copyFromClient(server, client)
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, server)
		done <- struct{}{}
	}()
	<-done
	p.untrack(client, server)
	<-done
}

// track registers both ends of a forwarded connection, or closes them
// when the proxy was cut meanwhile.
func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener == nil {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *tcpProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

// copyFromClient forwards the client's bytes, and cuts the proxy instead
// when a read contains cutOn.
func (p *tcpProxy) copyFromClient(server, client net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			p.mu.Lock()
			cutOn := p.cutOn
			p.mu.Unlock()
			if cutOn != nil && bytes.Contains(buf[:n], cutOn) {
				p.cut()
				return
			}
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes the listener and every forwarded connection, as a network
// partition or a crashed server would.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.cutOn = nil
}

// cutWhenSent makes the proxy cut everything when a client sends
// message, before the server receives it.
func (p *tcpProxy) cutWhenSent(message []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutOn = message
}

// restore listens again on the proxy's address.
func (p *tcpProxy) restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err, "listen again on %s", p.addr)
	p.serve(ln)
}

// serverAddress returns the network and address of the PostgreSQL server
// that dsn names, and its host:port as a client sees it in messages.
func serverAddress(t *testing.T, dsn string) (network, address, hostPort string) {
	t.Helper()
	config, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	hostPort = net.JoinHostPort(config.Host, strconv.Itoa(int(config.Port)))
	if strings.HasPrefix(config.Host, "/") {
		return "unix", filepath.Join(config.Host, fmt.Sprintf(".s.PGSQL.%d", config.Port)), hostPort
	}
	return "tcp", hostPort, hostPort
}

// simpleQuery returns the bytes of a simple-protocol Query message for
// statement, which is how pgx sends "commit" at the end of a transaction.
func simpleQuery(statement string) []byte {
	msg := []byte{'Q', 0, 0, 0, 0}
	msg = append(msg, statement...)
	msg = append(msg, 0)
	n := len(msg) - 1
	msg[1], msg[2], msg[3], msg[4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return msg
}

// logRecord is one captured log record with its attributes as text.
type logRecord struct {
	message string
	attrs   map[string]string
}

// captureHandler is a slog.Handler that keeps every record.
type captureHandler struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

func newCaptureHandler() *captureHandler {
	return &captureHandler{mu: &sync.Mutex{}, records: &[]logRecord{}}
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{message: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, rec)
	return nil
}

func (h *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// find returns the records whose method and path attributes match.
func (h *captureHandler) find(method, path string) []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logRecord
	for _, r := range *h.records {
		if r.attrs["method"] == method && r.attrs["path"] == path {
			out = append(out, r)
		}
	}
	return out
}

// faultFixture is the adapter fixture on a PostgreSQL store that reaches
// the server through a proxy, with a direct connection for SQL checks.
type faultFixture struct {
	*fixture
	proxy    *tcpProxy
	logs     *captureHandler
	direct   *sql.DB
	secrets  []string
	proxyDSN string
}

// statementTimeout is the statement_timeout of the store's connections.
const statementTimeout = 400 * time.Millisecond

func newFaultFixture(t *testing.T) *faultFixture {
	t.Helper()
	_, schemaDSN := pgtest.NewSchema(t)
	network, backend, serverHostPort := serverAddress(t, schemaDSN)
	proxy := newTCPProxy(t, network, backend)
	host, port, err := net.SplitHostPort(proxy.addr)
	require.NoError(t, err)
	proxyDSN := pgtest.WithParams(schemaDSN, "", map[string]string{
		"host":              host,
		"port":              port,
		"connect_timeout":   "2",
		"statement_timeout": strconv.Itoa(int(statementTimeout.Milliseconds())),
	})
	store := pgtest.OpenStore(t, proxyDSN)
	direct, err := pgtest.OpenSQL(schemaDSN)
	require.NoError(t, err)
	t.Cleanup(func() { direct.Close() })

	logs := newCaptureHandler()
	f := &faultFixture{
		fixture:  newFixtureOn(t, store, &httpadapter.Options{Logger: slog.New(logs)}),
		proxy:    proxy,
		logs:     logs,
		direct:   direct,
		proxyDSN: proxyDSN,
	}
	f.secrets = []string{proxy.addr, serverHostPort, backend, schemaDSN, proxyDSN, pgtest.DSN(),
		"SELECT", "INSERT", "UPDATE", "roster_", "postgres", "pgx", "pgconn", "sql:", "dial", "refused", "EOF", "timeout", "canceling", "SQLSTATE"}
	return f
}

// requireUnavailable checks that rec is a 503 unavailable problem with a
// Retry-After header that shows nothing of the store.
func (f *faultFixture) requireUnavailable(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	requireProblem(t, rec, http.StatusServiceUnavailable, "unavailable", "")
	assert.Equal(t, strconv.Itoa(httpadapter.RetryAfterSeconds), rec.Header().Get("Retry-After"))
	body := strings.ToLower(rec.Body.String())
	for _, secret := range f.secrets {
		assert.NotContains(t, body, strings.ToLower(secret), "the 503 body shows the store's error")
	}
}

// requireLoggedCause checks that the log has a 503 record of method and
// path with the store's real error and the actor's ids.
func (f *faultFixture) requireLoggedCause(t *testing.T, method, path, causePart string) {
	t.Helper()
	records := f.logs.find(method, path)
	require.NotEmpty(t, records, "no log record of %s %s", method, path)
	last := records[len(records)-1]
	assert.Equal(t, "503", last.attrs["status"])
	assert.Contains(t, last.attrs["cause"], "postgres: ")
	assert.Contains(t, last.attrs["cause"], causePart)
	assert.Equal(t, f.acme.ID.String(), last.attrs["company_id"])
	assert.Equal(t, f.admin.ID.String(), last.attrs["user_id"])
}

// requireConsistent checks with SQL that every company's seats in use
// equal its active users, and that the log has one entry per change that
// the stored users show.
func (f *faultFixture) requireConsistent(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rows, err := f.direct.QueryContext(ctx, `
		SELECT c.company_id::text, c.seats_used,
			(SELECT count(*) FROM roster_users u WHERE u.company_id = c.company_id AND u.status = 'active'),
			(SELECT count(*) FROM roster_users u WHERE u.company_id = c.company_id),
			(SELECT count(*) FROM roster_users u WHERE u.company_id = c.company_id AND u.status = 'archived'),
			(SELECT count(*) FROM roster_users u WHERE u.company_id = c.company_id AND u.verification = 'verified'),
			(SELECT count(*) FROM roster_activity_entries e WHERE e.company_id = c.company_id AND e.type IN ('company_created', 'user_invited')),
			(SELECT count(*) FROM roster_activity_entries e WHERE e.company_id = c.company_id AND e.type = 'user_archived'),
			(SELECT count(*) FROM roster_activity_entries e WHERE e.company_id = c.company_id AND e.type IN ('company_created', 'user_verified'))
		FROM roster_companies c ORDER BY c.company_id`)
	require.NoError(t, err)
	defer rows.Close()
	companies := 0
	for rows.Next() {
		var id string
		var seatsUsed, active, all, archived, verified, creations, archives, verifications int
		require.NoError(t, rows.Scan(&id, &seatsUsed, &active, &all, &archived, &verified, &creations, &archives, &verifications))
		assert.Equal(t, active, seatsUsed, "seats used of company %s", id)
		assert.Equal(t, all, creations, "users and their creation entries in company %s", id)
		assert.Equal(t, archived, archives, "archived users and archive entries in company %s", id)
		assert.Equal(t, verified, verifications, "verified users and verification entries in company %s", id)
		companies++
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, 2, companies)
}

// countByEmail returns the users with email and the entries whose details
// name it.
func (f *faultFixture) countByEmail(t *testing.T, email string) (usersCount, entries int) {
	t.Helper()
	err := f.direct.QueryRowContext(context.Background(), `
		SELECT (SELECT count(*) FROM roster_users WHERE email = $1),
			(SELECT count(*) FROM roster_activity_entries WHERE details->>'email' = $1)`, email).
		Scan(&usersCount, &entries)
	require.NoError(t, err)
	return usersCount, entries
}

// lockCompany holds the row lock of Acme's company row on a direct
// connection until the returned function releases it.
func (f *faultFixture) lockCompany(t *testing.T) (release func()) {
	t.Helper()
	ctx := context.Background()
	blocker, err := f.direct.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = blocker.ExecContext(ctx, "SELECT 1 FROM roster_companies WHERE company_id = $1 FOR UPDATE", f.acme.ID)
	require.NoError(t, err)
	return func() { require.NoError(t, blocker.Rollback()) }
}

func inviteBodyFor(email string) string {
	return `{"email":"` + email + `","name":"Outage Test"}`
}

func TestStoreOutageIsUnavailable(t *testing.T) {
	started := time.Now()
	f := newFaultFixture(t)
	requireStatus(t, f.call(http.MethodGet, "/users", f.admin, ""), http.StatusOK)

	f.proxy.cut()

	rec := f.call(http.MethodGet, "/users", f.admin, "")
	f.requireUnavailable(t, rec)
	rec = f.call(http.MethodPost, "/users", f.admin, inviteBodyFor("cut@acme.test"))
	f.requireUnavailable(t, rec)
	f.requireLoggedCause(t, http.MethodGet, "/users", "")
	f.requireLoggedCause(t, http.MethodPost, "/users", "")

	f.proxy.restore()

	requireStatus(t, f.call(http.MethodGet, "/users", f.admin, ""), http.StatusOK)
	usersCount, entries := f.countByEmail(t, "cut@acme.test")
	assert.Zero(t, usersCount, "users invited during the outage")
	assert.Zero(t, entries, "entries written during the outage")
	requireStatus(t, f.call(http.MethodPost, "/users", f.admin, inviteBodyFor("cut@acme.test")), http.StatusCreated)
	f.requireConsistent(t)
	t.Logf("outage test took %s", time.Since(started))
}

func TestConnectionLostBeforeCommitWritesNothing(t *testing.T) {
	f := newFaultFixture(t)
	requireStatus(t, f.call(http.MethodGet, "/users", f.admin, ""), http.StatusOK)
	before := f.snapshot()

	// The invite's statements reach the server, and the connection drops
	// just before its commit does.
	f.proxy.cutWhenSent(simpleQuery("commit"))
	rec := f.call(http.MethodPost, "/users", f.admin, inviteBodyFor("commit@acme.test"))
	f.requireUnavailable(t, rec)
	f.requireLoggedCause(t, http.MethodPost, "/users", "commit")
	f.proxy.restore()

	usersCount, entries := f.countByEmail(t, "commit@acme.test")
	assert.Zero(t, usersCount, "users of the lost commit")
	assert.Zero(t, entries, "entries of the lost commit")
	assert.Equal(t, before, f.snapshot())
	f.requireConsistent(t)
	requireStatus(t, f.call(http.MethodPost, "/users", f.admin, inviteBodyFor("commit@acme.test")), http.StatusCreated)
	f.requireConsistent(t)
}

func TestStatementTimeoutIsUnavailable(t *testing.T) {
	f := newFaultFixture(t)
	before := f.snapshot()
	release := f.lockCompany(t)
	agent := "/users/" + f.agent.ID.String()

	started := time.Now()
	rec := f.call(http.MethodPost, "/users", f.admin, inviteBodyFor("slow@acme.test"))
	f.requireUnavailable(t, rec)
	assert.GreaterOrEqual(t, time.Since(started), statementTimeout)
	f.requireLoggedCause(t, http.MethodPost, "/users", "57014")
	rec = f.call(http.MethodPatch, agent, f.admin, `{"conversation_limit":3}`)
	f.requireUnavailable(t, rec)
	rec = f.call(http.MethodPost, agent+"/archive", f.admin, `{"confirmation":"Bob Agent"}`)
	f.requireUnavailable(t, rec)
	// Reads take no row lock, so they still succeed.
	requireStatus(t, f.call(http.MethodGet, "/users", f.admin, ""), http.StatusOK)
	release()

	assert.Equal(t, before, f.snapshot())
	f.requireConsistent(t)
	requireStatus(t, f.call(http.MethodPost, "/users", f.admin, inviteBodyFor("slow@acme.test")), http.StatusCreated)
	requireStatus(t, f.call(http.MethodPatch, agent, f.admin, `{"conversation_limit":3}`), http.StatusOK)
	f.requireConsistent(t)
}

func TestSimpleQueryBytes(t *testing.T) {
	assert.Equal(t, []byte("Q\x00\x00\x00\x0bcommit\x00"), simpleQuery("commit"))
}

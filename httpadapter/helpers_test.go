package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

// seedTime is when the fixture creates its companies and users.
var seedTime = time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)

// clock is a settable clock for the services.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// faultyStore is the memory store with reads that fail on demand, so that
// tests reach the adapter's 5xx responses.
type faultyStore struct {
	*memory.Store
	fault atomic.Pointer[error]
}

func (s *faultyStore) failWith(err error) { s.fault.Store(&err) }

func (s *faultyStore) err() error {
	if p := s.fault.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *faultyStore) ListUsers(ctx context.Context, f users.ListFilter) ([]users.User, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.Store.ListUsers(ctx, f)
}

func (s *faultyStore) SeatUsage(ctx context.Context, companyID uuid.UUID) (seats.Usage, error) {
	if err := s.err(); err != nil {
		return seats.Usage{}, err
	}
	return s.Store.SeatUsage(ctx, companyID)
}

func (s *faultyStore) QueryEntries(ctx context.Context, f activity.Filter) ([]activity.Entry, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.Store.QueryEntries(ctx, f)
}

// syncBuffer is a bytes.Buffer that log handlers may write concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is two companies on one memory store behind a Handler.
//
// Acme has 4 seats: admin (verified admin), agent (verified user) and
// invitee (not verified). Globex has 5 seats: globexAdmin and globexAgent
// (verified user).
type fixture struct {
	t        *testing.T
	ctx      context.Context
	clock    *clock
	store    *faultyStore
	users    *users.Service
	seats    *seats.Service
	activity *activity.Service
	handler  *httpadapter.Handler
	logs     *syncBuffer

	tokensMu sync.Mutex
	tokens   map[string]string // verification token by email

	acme        users.Company
	admin       users.User
	agent       users.User
	invitee     users.User
	globex      users.Company
	globexAdmin users.User
	globexAgent users.User
}

func newFixture(t *testing.T) *fixture {
	return newFixtureWith(t, nil)
}

// newFixtureWith builds the fixture with the adapter options opts; the
// fixture sets opts.Logger.
func newFixtureWith(t *testing.T, opts *httpadapter.Options) *fixture {
	t.Helper()
	f := &fixture{
		t:      t,
		ctx:    context.Background(),
		clock:  &clock{now: seedTime},
		store:  &faultyStore{Store: memory.New()},
		logs:   &syncBuffer{},
		tokens: map[string]string{},
	}
	f.users = users.NewService(f.store, &users.Options{
		Now:      f.clock.Now,
		Notifier: users.NotifierFunc(f.notify),
	})
	f.seats = seats.NewService(f.store, &seats.Options{Now: f.clock.Now})
	f.activity = activity.NewService(f.store, nil)
	if opts == nil {
		opts = &httpadapter.Options{}
	}
	opts.Logger = f.handlerLogger()
	f.handler = httpadapter.New(httpadapter.Services{Users: f.users, Seats: f.seats, Activity: f.activity}, bearerAuth, opts)
	f.seed()
	return f
}

func (f *fixture) notify(_ context.Context, inv users.Invitation) error {
	f.tokensMu.Lock()
	defer f.tokensMu.Unlock()
	f.tokens[inv.User.Email] = inv.Token
	return nil
}

func (f *fixture) seed() {
	t := f.t
	var err error
	f.acme, f.admin, err = f.users.CreateCompany(f.ctx, users.NewCompany{
		Name: "Acme Support", SeatLimit: 4, AdminEmail: "admin@acme.test", AdminName: "Ada Admin",
	}, activity.Actor{})
	require.NoError(t, err)
	f.agent = f.inviteAndVerify(f.admin, "agent@acme.test", "Bob Agent")
	f.invitee, err = f.users.Invite(f.ctx, f.actorOf(f.admin), users.Invite{
		Email: "invitee@acme.test", Name: "Cleo Invitee", Role: users.RoleUser, ConversationLimit: 8,
	})
	require.NoError(t, err)

	f.globex, f.globexAdmin, err = f.users.CreateCompany(f.ctx, users.NewCompany{
		Name: "Globex Help", SeatLimit: 5, AdminEmail: "admin@globex.test", AdminName: "Gina Globex",
	}, activity.Actor{})
	require.NoError(t, err)
	f.globexAgent = f.inviteAndVerify(f.globexAdmin, "agent@globex.test", "Hank Globex")
}

func (f *fixture) inviteAndVerify(admin users.User, email, name string) users.User {
	t := f.t
	_, err := f.users.Invite(f.ctx, f.actorOf(admin), users.Invite{
		Email: email, Name: name, Role: users.RoleUser, ConversationLimit: users.DefaultConversationLimit,
	})
	require.NoError(t, err)
	f.tokensMu.Lock()
	token := f.tokens[email]
	f.tokensMu.Unlock()
	u, err := f.users.Verify(f.ctx, token, activity.Actor{})
	require.NoError(t, err)
	return u
}

func (f *fixture) actorOf(u users.User) activity.Actor {
	return activity.Actor{CompanyID: u.CompanyID, UserID: u.ID}
}

// bearerAuth reads "Authorization: Bearer <company id>/<user id>".
func bearerAuth(r *http.Request) (httpadapter.Identity, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return httpadapter.Identity{}, errors.New("no bearer token")
	}
	company, user, ok := strings.Cut(token, "/")
	if !ok {
		return httpadapter.Identity{}, errors.New("token is not <company>/<user>")
	}
	companyID, err := uuid.Parse(company)
	if err != nil {
		return httpadapter.Identity{}, err
	}
	userID, err := uuid.Parse(user)
	if err != nil {
		return httpadapter.Identity{}, err
	}
	return httpadapter.Identity{CompanyID: companyID, UserID: userID}, nil
}

func bearer(u users.User) string {
	return "Bearer " + u.CompanyID.String() + "/" + u.ID.String()
}

// newRequest builds a request as u; a nil u sends no credential. A
// non-empty body is sent as application/json.
func newRequest(method, target string, u *users.User, body string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	}
	// A JSON client labels every write, even one without a body.
	if body != "" || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		r.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		r.Header.Set("Authorization", bearer(*u))
	}
	r.Header.Set("User-Agent", "roster-test/1.0")
	return r
}

// do serves r and returns the recorded response.
func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, r)
	return rec
}

// call sends method target as u with body.
func (f *fixture) call(method, target string, u users.User, body string) *httptest.ResponseRecorder {
	return f.do(newRequest(method, target, &u, body))
}

// snapshot returns every user, seat usage, column choice and activity
// entry of both companies, to show that a rejected request changed nothing.
func (f *fixture) snapshot() string {
	t := f.t
	t.Helper()
	state := map[string]any{}
	for _, c := range []users.Company{f.acme, f.globex} {
		page, err := f.users.List(f.ctx, c.ID, users.ListQuery{Limit: users.MaxPageSize})
		require.NoError(t, err)
		log, err := f.activity.Query(f.ctx, c.ID, activity.Query{Limit: activity.MaxPageSize})
		require.NoError(t, err)
		columns := map[string]users.ColumnVisibility{}
		for _, u := range page.Users {
			v, err := f.users.Columns(f.ctx, c.ID, u.ID)
			require.NoError(t, err)
			columns[u.ID.String()] = v
		}
		state[c.ID.String()] = map[string]any{
			"users":   page.Users,
			"seats":   page.Seats,
			"log":     log.Entries,
			"columns": columns,
		}
	}
	b, err := json.Marshal(state)
	require.NoError(t, err)
	return string(b)
}

// decodeJSON decodes the response body into a generic map.
func decodeJSON(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m), "body: %s", rec.Body.String())
	return m
}

// requireStatus checks the status and shows the body when it differs.
func requireStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	require.Equal(t, status, rec.Code, "body: %s", rec.Body.String())
}

// problemOf decodes a problem response and checks its envelope.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) httpadapter.Problem {
	t.Helper()
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	var p httpadapter.Problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p), "body: %s", rec.Body.String())
	assert.Equal(t, rec.Code, p.Status)
	assert.Equal(t, httpadapter.ProblemTypeBase+p.Code, p.Type)
	assert.NotEmpty(t, p.Title)
	assert.NotEmpty(t, p.Detail)
	return p
}

// requireProblem checks a problem's status and code and, when field is
// not empty, that its fields name field.
func requireProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, code, field string) httpadapter.Problem {
	t.Helper()
	requireStatus(t, rec, status)
	p := problemOf(t, rec)
	assert.Equal(t, code, p.Code)
	if field != "" {
		assert.Contains(t, fieldNames(p), field, "problem: %+v", p)
	}
	return p
}

func fieldNames(p httpadapter.Problem) []string {
	names := make([]string, 0, len(p.Fields))
	for _, f := range p.Fields {
		names = append(names, f.Field)
	}
	return names
}

// fieldMessage returns the message of the problem's field, or "".
func fieldMessage(p httpadapter.Problem, field string) string {
	for _, f := range p.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// mustRead reads a whole body.
func mustRead(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

// addr parses an address for test tables.
func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// handlerLogger returns a logger that writes to the fixture's log buffer.
func (f *fixture) handlerLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(f.logs, nil))
}

// mustReadFile reads a file of the repository.
func mustReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// newLoopbackServer serves f's handler on 127.0.0.1 until the test ends.
func newLoopbackServer(t *testing.T, f *fixture) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(f.handler)
	t.Cleanup(server.Close)
	return server
}

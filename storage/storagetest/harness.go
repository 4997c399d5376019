package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// Fixed inputs of the suite. The start time has nanoseconds so that the
// services' truncation to microseconds is exercised.
var (
	startTime    = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	clientIP     = netip.MustParseAddr("203.0.113.7")
	clientIPv6   = netip.MustParseAddr("2001:db8::42")
	clientAgent  = "Mozilla/5.0 (storagetest)"
	testTokenTTL = 24 * time.Hour
)

// fakeClock is a clock that moves only when a test moves it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's current time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Stamp returns the current time in UTC, truncated to microseconds, as the
// services record it.
func (c *fakeClock) Stamp() time.Time {
	return c.Now().UTC().Truncate(time.Microsecond)
}

// inbox is a users.Notifier that records every invitation it receives.
type inbox struct {
	mu          sync.Mutex
	invitations []users.Invitation
}

func (b *inbox) notify(_ context.Context, inv users.Invitation) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.invitations = append(b.invitations, inv)
	return nil
}

// All returns a copy of the invitations received so far, oldest first.
func (b *inbox) All() []users.Invitation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.invitations)
}

// Count returns the number of invitations received so far.
func (b *inbox) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.invitations)
}

// Latest returns the newest invitation for userID, or false when there is
// none.
func (b *inbox) Latest(userID uuid.UUID) (users.Invitation, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.invitations) - 1; i >= 0; i-- {
		if b.invitations[i].User.ID == userID {
			return b.invitations[i], true
		}
	}
	return users.Invitation{}, false
}

// countingStore counts the write transactions that the services open, so
// that a test can check that input validation rejected a call before it
// reached the store.
type countingStore struct {
	Store
	writes atomic.Int64
}

func (c *countingStore) InTx(ctx context.Context, companyID uuid.UUID, fn func(ctx context.Context, tx users.Tx) error) error {
	c.writes.Add(1)
	return c.Store.InTx(ctx, companyID, fn)
}

func (c *countingStore) ChangeSeatLimit(ctx context.Context, companyID uuid.UUID,
	decide func(seats.Usage) (int, activity.Entry, error)) (seats.Usage, error) {
	c.writes.Add(1)
	return c.Store.ChangeSeatLimit(ctx, companyID, decide)
}

// env is one subtest's store with the services on it.
type env struct {
	t        *testing.T
	ctx      context.Context
	store    *countingStore
	clock    *fakeClock
	inbox    *inbox
	users    *users.Service
	seats    *seats.Service
	activity *activity.Service
}

func (s suite) newEnv(t *testing.T) *env {
	t.Helper()
	store := s.newStore(t)
	require.NotNil(t, store, "newStore returned nil")
	e := &env{
		t:     t,
		ctx:   t.Context(),
		store: &countingStore{Store: store},
		clock: &fakeClock{now: startTime},
		inbox: &inbox{},
	}
	e.users = users.NewService(e.store, &users.Options{
		Notifier: users.NotifierFunc(e.inbox.notify),
		Now:      e.clock.Now,
		TokenTTL: testTokenTTL,
	})
	e.seats = seats.NewService(e.store, &seats.Options{Now: e.clock.Now})
	e.activity = activity.NewService(e.store, nil)
	return e
}

// hostActor is the host acting in companyID, as its billing or sign-up
// code does.
func hostActor(companyID uuid.UUID) activity.Actor {
	return activity.Actor{CompanyID: companyID, IP: clientIP, UserAgent: clientAgent}
}

// actorOf is u acting from the suite's client address.
func actorOf(u users.User) activity.Actor {
	return activity.Actor{CompanyID: u.CompanyID, UserID: u.ID, IP: clientIP, UserAgent: clientAgent}
}

// createCompany creates the company "Acme Support" with seatLimit seats
// and its first admin, Ada Admin <ada@acme.test>.
func (e *env) createCompany(seatLimit int) (users.Company, users.User) {
	e.t.Helper()
	return e.createCompanyWith(users.NewCompany{
		Name:       "Acme Support",
		SeatLimit:  seatLimit,
		AdminEmail: "ada@acme.test",
		AdminName:  "Ada Admin",
	})
}

func (e *env) createCompanyWith(nc users.NewCompany) (users.Company, users.User) {
	e.t.Helper()
	company, admin, err := e.users.CreateCompany(e.ctx, nc, activity.Actor{IP: clientIP, UserAgent: clientAgent})
	require.NoError(e.t, err, "create company %q", nc.Name)
	return company, admin
}

// invite invites a user with the default conversation limit and no
// permissions, and returns the user with the token the notifier received.
func (e *env) invite(actor activity.Actor, email, name string, role users.Role) (users.User, string) {
	e.t.Helper()
	return e.inviteWith(actor, users.Invite{
		Email:             email,
		Name:              name,
		Role:              role,
		ConversationLimit: users.DefaultConversationLimit,
	})
}

func (e *env) inviteWith(actor activity.Actor, in users.Invite) (users.User, string) {
	e.t.Helper()
	u, err := e.users.Invite(e.ctx, actor, in)
	require.NoError(e.t, err, "invite %q", in.Email)
	inv, ok := e.inbox.Latest(u.ID)
	require.True(e.t, ok, "the notifier received no token for %q", in.Email)
	return u, inv.Token
}

// inviteVerified invites a user and verifies the address.
func (e *env) inviteVerified(actor activity.Actor, email, name string, role users.Role) users.User {
	e.t.Helper()
	_, token := e.invite(actor, email, name, role)
	return e.verify(token)
}

func (e *env) verify(token string) users.User {
	e.t.Helper()
	u, err := e.users.Verify(e.ctx, token, activity.Actor{IP: clientIP, UserAgent: clientAgent})
	require.NoError(e.t, err, "verify")
	return u
}

// archive archives u as the host, confirming with u's email address.
func (e *env) archive(u users.User) users.User {
	e.t.Helper()
	archived, err := e.users.Archive(e.ctx, hostActor(u.CompanyID), u.ID, u.Email, 0)
	require.NoError(e.t, err, "archive %q", u.Email)
	return archived
}

// user reads a user back from the store.
func (e *env) user(companyID, userID uuid.UUID) users.User {
	e.t.Helper()
	u, err := e.users.User(e.ctx, companyID, userID)
	require.NoError(e.t, err, "read user %s", userID)
	return u
}

func (e *env) usage(companyID uuid.UUID) seats.Usage {
	e.t.Helper()
	u, err := e.seats.Usage(e.ctx, companyID)
	require.NoError(e.t, err, "read seat usage")
	return u
}

// maxPages bounds every pagination loop of the suite, so that a store
// whose cursors do not advance fails the test instead of hanging it. No
// subtest writes more than a few pages of users or entries.
const maxPages = 20

// listAll returns every user that q selects, following the cursors.
func (e *env) listAll(companyID uuid.UUID, q users.ListQuery) []users.User {
	e.t.Helper()
	q.Limit = users.MaxPageSize
	var all []users.User
	for pages := 0; ; pages++ {
		require.Less(e.t, pages, maxPages, "team list pagination does not end")
		page, err := e.users.List(e.ctx, companyID, q)
		require.NoError(e.t, err, "list users")
		all = append(all, page.Users...)
		if page.NextCursor == "" {
			return all
		}
		q.Cursor = page.NextCursor
	}
}

// entries returns every entry that q selects, newest first, following the
// cursors.
func (e *env) entries(companyID uuid.UUID, q activity.Query) []activity.Entry {
	e.t.Helper()
	q.Limit = activity.MaxPageSize
	var all []activity.Entry
	for pages := 0; ; pages++ {
		require.Less(e.t, pages, maxPages, "activity pagination does not end")
		page, err := e.activity.Query(e.ctx, companyID, q)
		require.NoError(e.t, err, "query activity")
		all = append(all, page.Entries...)
		if page.NextCursor == "" {
			return all
		}
		q.Cursor = page.NextCursor
	}
}

// entriesOfType returns every entry of type typ, newest first.
func (e *env) entriesOfType(companyID uuid.UUID, typ activity.Type) []activity.Entry {
	e.t.Helper()
	return e.entries(companyID, activity.Query{Types: []activity.Type{typ}})
}

// onlyEntry returns the one entry of type typ about target, failing the
// test unless there is exactly one.
func (e *env) onlyEntry(companyID uuid.UUID, typ activity.Type, target uuid.UUID) activity.Entry {
	e.t.Helper()
	list := e.entries(companyID, activity.Query{Types: []activity.Type{typ}, TargetUserID: target})
	require.Len(e.t, list, 1, "entries of type %s about %s", typ, target)
	return list[0]
}

// countByType counts the company's entries of each type.
func (e *env) countByType(companyID uuid.UUID) map[activity.Type]int {
	e.t.Helper()
	counts := make(map[activity.Type]int)
	for _, entry := range e.entries(companyID, activity.Query{}) {
		counts[entry.Type]++
	}
	return counts
}

// logout writes a logout entry for u at the clock's current time.
func (e *env) logout(u users.User) {
	e.t.Helper()
	require.NoError(e.t, e.users.Logout(e.ctx, actorOf(u)), "log out %q", u.Email)
}

// assertSameTime checks that got is the instant want, whatever its
// location.
func assertSameTime(t *testing.T, want, got time.Time, field string) bool {
	t.Helper()
	return assert.Truef(t, want.Equal(got), "%s: expected %s, got %s",
		field, want.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
}

// assertFields checks that err is a KindInvalid error that names exactly
// the given fields.
func assertFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	if !assert.ErrorIs(t, err, roster.ErrInvalid) {
		return
	}
	assert.ElementsMatch(t, fields, fieldNames(err), "invalid fields of %v", err)
}

// fieldNames returns the field names of the first *roster.Error in err's
// chain.
func fieldNames(err error) []string {
	var re *roster.Error
	if !errors.As(err, &re) {
		return nil
	}
	names := make([]string, len(re.Fields))
	for i, f := range re.Fields {
		names[i] = f.Field
	}
	return names
}

// tally counts results by outcome: "ok" for nil and the kind's name for a
// roster error. Other errors count under their message, so that an
// unexpected failure shows up in the comparison.
func tally(errs []error) map[string]int {
	counts := make(map[string]int)
	for _, err := range errs {
		var re *roster.Error
		switch {
		case err == nil:
			counts["ok"]++
		case errors.As(err, &re):
			counts[re.Kind.String()]++
		default:
			counts[fmt.Sprintf("unexpected: %v", err)]++
		}
	}
	return counts
}

func hashOf(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func userIDs(list []users.User) []uuid.UUID {
	ids := make([]uuid.UUID, len(list))
	for i, u := range list {
		ids[i] = u.ID
	}
	return ids
}

func userNames(list []users.User) []string {
	names := make([]string, len(list))
	for i, u := range list {
		names[i] = u.Name
	}
	return names
}

func entryIDs(list []activity.Entry) []uuid.UUID {
	ids := make([]uuid.UUID, len(list))
	for i, entry := range list {
		ids[i] = entry.ID
	}
	return ids
}

// compareListOrder orders users as the team list does: by NameKey, then
// by ID, both byte-wise.
func compareListOrder(a, b users.User) int {
	if c := bytes.Compare([]byte(a.NameKey), []byte(b.NameKey)); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// compareNewestFirst orders entries as the activity log does: newest
// first by OccurredAt, then by ID.
func compareNewestFirst(a, b activity.Entry) int {
	if c := b.OccurredAt.Compare(a.OccurredAt); c != 0 {
		return c
	}
	return bytes.Compare(b.ID[:], a.ID[:])
}

// changesByField maps an entry's changes by field name.
func changesByField(entry activity.Entry) map[string]activity.Change {
	m := make(map[string]activity.Change, len(entry.Details.Changes))
	for _, c := range entry.Details.Changes {
		m[c.Field] = c
	}
	return m
}

// assertChange checks that changes contains field with the given old and
// new JSON values.
func assertChange(t *testing.T, changes map[string]activity.Change, field, oldJSON, newJSON string) {
	t.Helper()
	c, ok := changes[field]
	if !assert.Truef(t, ok, "no change of %q in %v", field, changes) {
		return
	}
	assert.JSONEq(t, oldJSON, string(c.Old), "old value of %q", field)
	assert.JSONEq(t, newJSON, string(c.New), "new value of %q", field)
}

func ptr[T any](v T) *T { return &v }

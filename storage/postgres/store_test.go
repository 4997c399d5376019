package postgres_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/rosterkit/roster/internal/pgtest"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/postgres"
	"github.com/rosterkit/roster/users"
)

// team is a company on a store with the services that drive it.
type team struct {
	store   *postgres.Store
	users   *users.Service
	seats   *seats.Service
	log     *activity.Service
	company users.Company
	admin   users.User
}

// host returns the host's actor in the company.
func (tm *team) host() activity.Actor {
	return activity.Actor{CompanyID: tm.company.ID}
}

// adminActor returns the first admin as the actor.
func (tm *team) adminActor() activity.Actor {
	return activity.Actor{CompanyID: tm.company.ID, UserID: tm.admin.ID, IP: netip.MustParseAddr("192.0.2.10")}
}

// newTeam creates a company with seatLimit seats on store.
func newTeam(t testing.TB, store *postgres.Store, seatLimit int) *team {
	t.Helper()
	tm := &team{
		store: store,
		users: users.NewService(store, nil),
		seats: seats.NewService(store, nil),
		log:   activity.NewService(store, nil),
	}
	company, admin, err := tm.users.CreateCompany(context.Background(), users.NewCompany{
		Name:       "Acme Support",
		SeatLimit:  seatLimit,
		AdminEmail: "admin@acme.test",
		AdminName:  "Ada Admin",
	}, activity.Actor{})
	require.NoError(t, err)
	tm.company, tm.admin = company, admin
	return tm
}

// invite invites a user with the given name and a conversation limit.
func (tm *team) invite(t testing.TB, name string, limit int) users.User {
	t.Helper()
	u, err := tm.users.Invite(context.Background(), tm.adminActor(), users.Invite{
		Email:             fmt.Sprintf("%s@acme.test", name),
		Name:              name,
		Role:              users.RoleUser,
		ConversationLimit: limit,
	})
	require.NoError(t, err)
	return u
}

func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)

	invited := tm.invite(t, "bea", 2)
	got, err := tm.users.User(ctx, tm.company.ID, invited.ID)
	require.NoError(t, err)
	assert.Equal(t, invited, got)

	company, err := tm.users.Company(ctx, tm.company.ID)
	require.NoError(t, err)
	assert.Equal(t, seats.Usage{Limit: 3, Used: 2}, company.Seats)
	assert.Equal(t, tm.company.CreatedAt, company.CreatedAt)

	byEmail, err := tm.users.UserByEmail(ctx, tm.company.ID, " BEA@acme.TEST ")
	require.NoError(t, err)
	assert.Equal(t, invited.ID, byEmail.ID)

	page, err := tm.log.Query(ctx, tm.company.ID, activity.Query{})
	require.NoError(t, err)
	require.Len(t, page.Entries, 2)
	assert.Equal(t, activity.TypeUserInvited, page.Entries[0].Type)
	assert.Equal(t, netip.MustParseAddr("192.0.2.10"), page.Entries[0].IP)
	assert.Equal(t, invited.ID, page.Entries[0].TargetUserID)
	assert.Equal(t, tm.admin.ID, page.Entries[0].UserID)
	assert.Equal(t, activity.TypeCompanyCreated, page.Entries[1].Type)
	assert.Equal(t, uuid.Nil, page.Entries[1].UserID)
	assert.False(t, page.Entries[1].IP.IsValid())
}

func TestStoreUnknownIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := pgtest.NewStore(t)
	tm := newTeam(t, store, 3)
	other := newTeam(t, store, 3)

	_, err := store.Company(ctx, uuid.New())
	assert.Equal(t, roster.KindNotFound, roster.KindOf(err))
	_, err = store.User(ctx, tm.company.ID, uuid.New())
	assert.Equal(t, roster.KindNotFound, roster.KindOf(err))
	_, err = store.User(ctx, other.company.ID, tm.admin.ID)
	assert.Equal(t, roster.KindNotFound, roster.KindOf(err), "a user of another company")
	_, err = store.ClaimConversation(ctx, other.company.ID, tm.admin.ID)
	assert.Equal(t, roster.KindNotFound, roster.KindOf(err), "a claim on a user of another company")
	_, err = store.HiddenColumns(ctx, other.company.ID, tm.admin.ID)
	assert.Equal(t, roster.KindNotFound, roster.KindOf(err), "columns of a user of another company")
	_, err = store.QueryEntries(ctx, activity.Filter{CompanyID: uuid.New(), Limit: 10})
	assert.Equal(t, roster.KindNotFound, roster.KindOf(err))
}

func TestListOrderIsByteWise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 20)
	// In the "C" collation, and in Go, upper case sorts before lower case
	// and "é" after "z"; most natural-language collations disagree.
	for _, name := range []string{"zoe", "émile", "Zed", "a_b", "a%b", "ab"} {
		tm.invite(t, name, 1)
	}

	page, err := tm.users.List(ctx, tm.company.ID, users.ListQuery{Limit: 3})
	require.NoError(t, err)
	var keys []string
	for {
		for _, u := range page.Users {
			keys = append(keys, u.NameKey)
		}
		if page.NextCursor == "" {
			break
		}
		page, err = tm.users.List(ctx, tm.company.ID, users.ListQuery{Limit: 3, Cursor: page.NextCursor})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"a%b", "a_b", "ab", "ada admin", "zed", "zoe", "émile"}, keys)
}

func TestListSearchIsLiteral(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 20)
	for _, name := range []string{"a_b", "a%b", "axb"} {
		tm.invite(t, name, 1)
	}

	for search, want := range map[string][]string{
		"a_b":  {"a_b"},
		"a%b":  {"a%b"},
		"x":    {"axb"},
		"ACME": {"a%b", "a_b", "ada admin", "axb"},
	} {
		page, err := tm.users.List(ctx, tm.company.ID, users.ListQuery{Search: search})
		require.NoError(t, err)
		var names []string
		for _, u := range page.Users {
			names = append(names, u.NameKey)
		}
		assert.Equal(t, want, names, "search %q", search)
	}
}

func TestUpdateKeepsOpenConversations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)
	u := tm.invite(t, "bea", 5)

	// The update runs on a copy of u read before the claims.
	phone := true
	err := tm.store.InTx(ctx, tm.company.ID, func(ctx context.Context, tx users.Tx) error {
		stale, err := tx.User(ctx, u.ID)
		if err != nil {
			return err
		}
		for range 2 {
			if _, err := tm.store.ClaimConversation(ctx, tm.company.ID, u.ID); err != nil {
				return err
			}
		}
		stale.CanAccessPhoneCalls = phone
		stale.Version++
		return tx.UpdateUser(ctx, stale)
	})
	require.NoError(t, err)

	got, err := tm.users.User(ctx, tm.company.ID, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, got.OpenConversations)
	assert.True(t, got.CanAccessPhoneCalls)
	assert.Equal(t, u.Version+1, got.Version)
}

func TestClaimConversationErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)
	u := tm.invite(t, "bea", 1)

	_, err := tm.users.ReleaseConversation(ctx, tm.company.ID, u.ID)
	assert.Equal(t, roster.KindNoOpenConversation, roster.KindOf(err))
	claimed, err := tm.users.ClaimConversation(ctx, tm.company.ID, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, claimed.OpenConversations)
	_, err = tm.users.ClaimConversation(ctx, tm.company.ID, u.ID)
	assert.Equal(t, roster.KindConversationLimitReached, roster.KindOf(err))

	_, err = tm.users.Archive(ctx, tm.adminActor(), u.ID, u.Email, 0)
	require.NoError(t, err)
	_, err = tm.users.ClaimConversation(ctx, tm.company.ID, u.ID)
	assert.Equal(t, roster.KindArchived, roster.KindOf(err))
	released, err := tm.users.ReleaseConversation(ctx, tm.company.ID, u.ID)
	require.NoError(t, err, "an archived user may release")
	assert.Equal(t, 0, released.OpenConversations)
}

func TestInsertUserEmailTakenKeepsTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)

	dup := tm.admin
	dup.ID = uuid.Must(uuid.NewV7())
	entry := activity.NewEntry(activity.TypeLogin, tm.adminActor(), tm.admin.ID, time.Now().UTC().Truncate(time.Microsecond), activity.Details{})
	err := tm.store.InTx(ctx, tm.company.ID, func(ctx context.Context, tx users.Tx) error {
		err := tx.InsertUser(ctx, dup)
		assert.Equal(t, roster.KindEmailTaken, roster.KindOf(err))
		// The transaction is still usable after the rejected insert.
		return tx.AppendEntry(ctx, entry)
	})
	require.NoError(t, err)

	page, err := tm.log.Query(ctx, tm.company.ID, activity.Query{Types: []activity.Type{activity.TypeLogin}})
	require.NoError(t, err)
	assert.Len(t, page.Entries, 1)
}

func TestAppendEntryRejectsNUL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)

	// The services remove control characters, so the entry is built by
	// hand, as a host that calls the store directly could.
	entry := activity.NewEntry(activity.TypeLoginRejected, tm.adminActor(), tm.admin.ID,
		time.Now().UTC().Truncate(time.Microsecond), activity.Details{Email: "a\x00@acme.test"})
	entry.UserAgent = "agent\x00"
	err := tm.store.InTx(ctx, tm.company.ID, func(ctx context.Context, tx users.Tx) error {
		return tx.AppendEntry(ctx, entry)
	})
	require.Error(t, err)
	assert.Equal(t, roster.KindInvalid, roster.KindOf(err))
	var rosterErr *roster.Error
	require.ErrorAs(t, err, &rosterErr)
	assert.Equal(t, []roster.FieldError{
		{Field: "user_agent", Message: "must not contain the NUL character U+0000"},
		{Field: "email", Message: "must not contain the NUL character U+0000"},
	}, rosterErr.Fields)
}

func TestEntryIPAddresses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)

	for _, ip := range []string{"203.0.113.7", "2001:db8::42", "::ffff:192.0.2.1", "::1"} {
		actor := tm.adminActor()
		actor.IP = netip.MustParseAddr(ip)
		require.NoError(t, tm.users.Logout(ctx, actor))
		page, err := tm.log.Query(ctx, tm.company.ID, activity.Query{Limit: 1})
		require.NoError(t, err)
		require.Len(t, page.Entries, 1)
		assert.Equal(t, actor.IP, page.Entries[0].IP, "address %s", ip)
	}
}

func TestActivityEntriesAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 3)

	for _, statement := range []string{
		"UPDATE roster_activity_entries SET type = 'login'",
		"DELETE FROM roster_activity_entries",
		"TRUNCATE roster_activity_entries",
	} {
		_, err := tm.store.DB().ExecContext(ctx, statement)
		assert.ErrorContains(t, err, "append-only", statement)
	}
}

func TestSeatConstraints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := newTeam(t, pgtest.NewStore(t), 2)
	tm.invite(t, "bea", 1)

	_, err := tm.users.Invite(ctx, tm.adminActor(), users.Invite{Email: "cy@acme.test", Name: "Cy", Role: users.RoleUser})
	assert.Equal(t, roster.KindNoSeatAvailable, roster.KindOf(err))
	_, err = tm.seats.SetLimit(ctx, tm.host(), 1)
	assert.Equal(t, roster.KindSeatLimitBelowUsage, roster.KindOf(err))

	// The CHECK constraints hold even for a caller that skips the checks.
	err = tm.store.InTx(ctx, tm.company.ID, func(ctx context.Context, tx users.Tx) error {
		return tx.SetSeatsUsed(ctx, 3)
	})
	assert.Equal(t, roster.KindNoSeatAvailable, roster.KindOf(err))
	_, err = tm.store.ChangeSeatLimit(ctx, tm.company.ID, func(u seats.Usage) (int, activity.Entry, error) {
		entry := activity.NewEntry(activity.TypeSeatLimitChanged, tm.host(), uuid.Nil, time.Now().UTC(), activity.Details{})
		return 1, entry, nil
	})
	assert.Equal(t, roster.KindSeatLimitBelowUsage, roster.KindOf(err))

	usage, err := tm.seats.Usage(ctx, tm.company.ID)
	require.NoError(t, err)
	assert.Equal(t, seats.Usage{Limit: 2, Used: 2}, usage)
}

func TestLogoutDoesNotWaitForCompanyLock(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, pgtest.NewStore(t), 3)

	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- tm.store.InTx(context.Background(), tm.company.ID, func(ctx context.Context, tx users.Tx) error {
			if _, err := tx.LockCompany(ctx); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked

	// Appending the logout entry checks its foreign key to the company
	// row with FOR KEY SHARE, which FOR NO KEY UPDATE does not block.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := tm.users.Logout(ctx, tm.adminActor())
	close(release)
	require.NoError(t, err, "a logout while the company row is locked")
	require.NoError(t, <-done)
}

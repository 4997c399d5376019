package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterkit/roster/internal/pgtest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/storage/postgres"
	"github.com/rosterkit/roster/users"
)

// unreachableDSN returns the test DSN with port 1 on 127.0.0.1, where no
// server listens.
func unreachableDSN(t *testing.T) string {
	t.Helper()
	dsn := pgtest.DSN()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		u.Host = "127.0.0.1:1"
		return u.String()
	}
	return dsn + " host=127.0.0.1 port=1"
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	pgtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dsn := unreachableDSN(t)

	_, err := postgres.Open(ctx, dsn, nil)
	require.Error(t, err)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Open: %v", err)

	config, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	sqldb := stdlib.OpenDB(*config)
	defer sqldb.Close()
	store := postgres.NewFromSQL(sqldb, nil)
	_, err = store.Company(ctx, [16]byte{1})
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Company: %v", err)
	err = store.InTx(ctx, [16]byte{1}, func(context.Context, users.Tx) error { return nil })
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "InTx: %v", err)
	_, err = store.ClaimConversation(ctx, [16]byte{1}, [16]byte{2})
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "ClaimConversation: %v", err)
}

func TestClosedPoolIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := pgtest.NewStore(t)
	tm := newTeam(t, store, 3)
	require.NoError(t, store.Close())

	_, err := store.Company(ctx, tm.company.ID)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Company: %v", err)
	_, err = tm.users.Invite(ctx, tm.adminActor(), users.Invite{Email: "bea@acme.test", Name: "Bea", Role: users.RoleUser})
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Invite: %v", err)
}

// lockCompanyRow holds the company's row lock on a connection of its own
// until the returned function releases it.
func lockCompanyRow(t *testing.T, store *postgres.Store, tm *team) (release func()) {
	t.Helper()
	ctx := context.Background()
	blocker, err := store.DB().BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = blocker.ExecContext(ctx, "SELECT 1 FROM roster_companies WHERE company_id = ? FOR UPDATE", tm.company.ID)
	require.NoError(t, err)
	return func() { require.NoError(t, blocker.Rollback()) }
}

// rowCounts returns the number of users and of activity entries.
func rowCounts(t *testing.T, store *postgres.Store) (usersCount, entries int) {
	t.Helper()
	err := store.DB().NewRaw("SELECT (SELECT count(*) FROM roster_users), (SELECT count(*) FROM roster_activity_entries)").
		Scan(context.Background(), &usersCount, &entries)
	require.NoError(t, err)
	return usersCount, entries
}

func TestStatementTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, dsn := pgtest.NewSchema(t)
	// statement_timeout is a run-time parameter of the DSN, in
	// milliseconds, so every connection of this store has it.
	store := pgtest.OpenStore(t, pgtest.WithParams(dsn, "", map[string]string{"statement_timeout": "300"}))
	tm := newTeam(t, store, 3)
	usersBefore, entriesBefore := rowCounts(t, store)

	release := lockCompanyRow(t, store, tm)
	invite := users.Invite{Email: "bea@acme.test", Name: "Bea", Role: users.RoleUser}
	_, err := tm.users.Invite(ctx, tm.adminActor(), invite)
	require.Error(t, err)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Invite: %v", err)
	release()

	usersAfter, entriesAfter := rowCounts(t, store)
	assert.Equal(t, usersBefore, usersAfter, "users after the timeout")
	assert.Equal(t, entriesBefore, entriesAfter, "entries after the timeout")

	_, err = tm.users.Invite(ctx, tm.adminActor(), invite)
	require.NoError(t, err, "the store works again after the timeout")
	assertSeatsUsed(t, tm, 2)
}

func TestContextDeadlineIsUnavailable(t *testing.T) {
	t.Parallel()
	store := pgtest.NewStore(t)
	tm := newTeam(t, store, 3)
	usersBefore, entriesBefore := rowCounts(t, store)

	release := lockCompanyRow(t, store, tm)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	invite := users.Invite{Email: "bea@acme.test", Name: "Bea", Role: users.RoleUser}
	_, err := tm.users.Invite(ctx, tm.adminActor(), invite)
	require.Error(t, err)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Invite: %v", err)
	release()

	usersAfter, entriesAfter := rowCounts(t, store)
	assert.Equal(t, usersBefore, usersAfter, "users after the deadline")
	assert.Equal(t, entriesBefore, entriesAfter, "entries after the deadline")

	_, err = tm.users.Invite(context.Background(), tm.adminActor(), invite)
	require.NoError(t, err, "the store works again after the deadline")
	assertSeatsUsed(t, tm, 2)
}

func TestTerminatedConnectionIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, dsn := pgtest.NewSchema(t)
	appName := "roster_fault_" + pgtest.RandomHex(4)
	store := pgtest.OpenStore(t, pgtest.WithParams(dsn, "", map[string]string{"application_name": appName}))
	tm := newTeam(t, store, 3)
	admin, err := pgtest.OpenSQL(pgtest.DSN())
	require.NoError(t, err)
	defer admin.Close()
	usersBefore, entriesBefore := rowCounts(t, store)

	entry := activity.NewEntry(activity.TypeLogout, tm.adminActor(), tm.admin.ID, time.Now().UTC().Truncate(time.Microsecond), activity.Details{})
	err = store.InTx(ctx, tm.company.ID, func(ctx context.Context, tx users.Tx) error {
		if err := tx.AppendEntry(ctx, entry); err != nil {
			return err
		}
		// An administrator ends the transaction's session, as a server
		// shutdown or a failover would.
		terminateSessions(t, admin, appName)
		_, err := tx.User(ctx, tm.admin.ID)
		return err
	})
	require.Error(t, err)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "InTx: %v", err)

	usersAfter, entriesAfter := rowCounts(t, store)
	assert.Equal(t, usersBefore, usersAfter, "users after the termination")
	assert.Equal(t, entriesBefore, entriesAfter, "entries after the termination")
	require.NoError(t, tm.users.Logout(ctx, tm.adminActor()), "the store works again after the termination")
}

// terminateSessions ends every session with the application name.
func terminateSessions(t *testing.T, admin *sql.DB, appName string) {
	t.Helper()
	var n int
	err := admin.QueryRow(
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'",
		appName).Scan(&n)
	require.NoError(t, err)
	require.Positive(t, n, fmt.Sprintf("no session of %s was idle in a transaction", appName))
}

func TestCancelledContextIsUnavailable(t *testing.T) {
	t.Parallel()
	store := pgtest.NewStore(t)
	tm := newTeam(t, store, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := store.ClaimConversation(ctx, tm.company.ID, tm.admin.ID)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "ClaimConversation: %v", err)
	err = tm.users.Logout(ctx, tm.adminActor())
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "Logout: %v", err)
}

func TestCancelBeforeCommitRollsBack(t *testing.T) {
	t.Parallel()
	store := pgtest.NewStore(t)
	tm := newTeam(t, store, 3)
	_, entriesBefore := rowCounts(t, store)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entry := activity.NewEntry(activity.TypeLogout, tm.adminActor(), tm.admin.ID, time.Now().UTC().Truncate(time.Microsecond), activity.Details{})
	err := store.InTx(ctx, tm.company.ID, func(ctx context.Context, tx users.Tx) error {
		if err := tx.AppendEntry(ctx, entry); err != nil {
			return err
		}
		cancel()
		return nil
	})
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "InTx: %v", err)

	_, entriesAfter := rowCounts(t, store)
	assert.Equal(t, entriesBefore, entriesAfter, "entries after the cancellation")
	require.NoError(t, tm.users.Logout(context.Background(), tm.adminActor()), "the store works again after the cancellation")
}

func assertSeatsUsed(t *testing.T, tm *team, want int) {
	t.Helper()
	usage, err := tm.seats.Usage(context.Background(), tm.company.ID)
	require.NoError(t, err)
	assert.Equal(t, want, usage.Used)
}

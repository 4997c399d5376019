package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

func (s suite) testSync(t *testing.T) {
	s.run(t, "AllOnce", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		for i := range 7 {
			e.clock.Advance(1)
			_, err := e.users.Login(e.ctx, actorOf(admin))
			require.NoError(t, err, "login %d", i)
		}
		want := e.entries(company.ID, activity.Query{})

		got, cursor := e.syncAll(company.ID, "", 3, len(want))
		assert.ElementsMatch(t, entryIDs(want), entryIDs(got))

		more, again := e.syncAll(company.ID, cursor, 3, 0)
		assert.Empty(t, more, "nothing is new after the last cursor")
		assert.NotEmpty(t, again, "an empty page still returns a cursor")
	})

	s.run(t, "ResumesAfterCursor", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		first, cursor := e.syncAll(company.ID, "", 10, 1)
		assert.Equal(t, activity.TypeCompanyCreated, first[0].Type)

		_, err := e.users.Login(e.ctx, actorOf(admin))
		require.NoError(t, err)
		next, _ := e.syncAll(company.ID, cursor, 10, 1)
		assert.Equal(t, activity.TypeLogin, next[0].Type)
		assert.Equal(t, admin.ID, next[0].UserID)
		assert.Equal(t, clientIP, next[0].IP)
	})

	s.run(t, "EntryFields", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		_, cursor := e.syncAll(company.ID, "", 10, 1)
		limit := 3
		invited, _ := e.invite(actorOf(admin), "bo@acme.test", "Bo Agent", users.RoleUser)
		_, err := e.users.Update(e.ctx, actorOf(admin), invited.ID, users.Changes{ConversationLimit: &limit})
		require.NoError(t, err)

		got, _ := e.syncAll(company.ID, cursor, 10, 2)
		assert.Equal(t, activity.TypeUserInvited, got[0].Type)
		assert.Equal(t, activity.TypeUserUpdated, got[1].Type, "commit order")
		assert.Equal(t, invited.ID, got[1].TargetUserID)
		require.Len(t, got[1].Details.Changes, 1)
		assert.JSONEq(t, "3", string(got[1].Details.Changes[0].New))
	})

	s.run(t, "ConcurrentWriters", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		const writers, perWriter = 4, 15
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					_, err := e.users.Login(e.ctx, actorOf(admin))
					assert.NoError(t, err, "writer %d login %d", w, i)
				}
			}()
		}
		seen := map[uuid.UUID]int{}
		cursor := ""
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for polling := true; polling; {
			select {
			case <-done:
				polling = false
			default:
			}
			page, err := e.activity.Sync(e.ctx, company.ID, cursor, 4)
			require.NoError(t, err)
			cursor = page.Cursor
			for _, entry := range page.Entries {
				seen[entry.ID]++
			}
		}
		total := 1 + writers*perWriter
		delivered := 0
		for _, n := range seen {
			delivered += n
		}
		rest, _ := e.syncAll(company.ID, cursor, 4, total-delivered)
		for _, entry := range rest {
			seen[entry.ID]++
		}

		assert.Len(t, seen, total, "company_created and every login")
		for id, n := range seen {
			assert.Equal(t, 1, n, "entry %s delivered once", id)
		}
	})

	s.run(t, "CursorRules", func(t *testing.T, e *env) {
		company, _ := e.createCompany(10)
		other, _ := e.createCompanyWith(users.NewCompany{
			Name: "Globex Help", SeatLimit: 5, AdminEmail: "admin@globex.test", AdminName: "Gil Admin",
		})
		page, err := e.activity.Sync(e.ctx, company.ID, "", 10)
		require.NoError(t, err)

		_, err = e.activity.Sync(e.ctx, other.ID, page.Cursor, 10)
		assert.ErrorIs(t, err, roster.ErrMalformed, "another company's cursor")
		_, err = e.activity.Sync(e.ctx, company.ID, page.Cursor+"x", 10)
		assert.ErrorIs(t, err, roster.ErrMalformed, "an altered cursor")
		_, err = e.activity.Sync(e.ctx, company.ID, "", activity.MaxSyncPageSize+1)
		assert.ErrorIs(t, err, roster.ErrInvalid, "a page over the maximum")
		_, err = e.activity.Sync(e.ctx, uuid.New(), "", 10)
		assert.ErrorIs(t, err, roster.ErrNotFound, "an unknown company")
	})
}

// syncWait is how long syncAll waits for entries that a store withholds
// while older transactions are still running, such as those of parallel
// subtests on one PostgreSQL server.
const syncWait = 10 * time.Second

// syncAll follows sync pages of the given size from cursor until it has
// want entries and a page is empty, and returns the entries and the last
// cursor. It fails the test if more than want entries arrive.
func (e *env) syncAll(companyID uuid.UUID, cursor string, size, want int) ([]activity.Entry, string) {
	e.t.Helper()
	var all []activity.Entry
	deadline := time.Now().Add(syncWait)
	for {
		page, err := e.activity.Sync(e.ctx, companyID, cursor, size)
		require.NoError(e.t, err, "sync")
		require.NotEmpty(e.t, page.Cursor, "sync returned no cursor")
		require.LessOrEqual(e.t, len(page.Entries), size, "sync page size")
		cursor = page.Cursor
		all = append(all, page.Entries...)
		require.LessOrEqual(e.t, len(all), want, "sync returned more entries than were written")
		if len(page.Entries) > 0 {
			continue
		}
		if len(all) == want {
			return all, cursor
		}
		require.True(e.t, time.Now().Before(deadline), "sync returned %d of %d entries within %v", len(all), want, syncWait)
		time.Sleep(10 * time.Millisecond)
	}
}

func (s suite) testExport(t *testing.T) {
	s.run(t, "AllBatches", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		total := activity.ExportBatchSize + 37
		for i := range total - 1 {
			e.clock.Advance(1)
			_, err := e.users.Login(e.ctx, actorOf(admin))
			require.NoError(t, err, "login %d", i)
		}
		want := e.entries(company.ID, activity.Query{})
		require.Len(t, want, total)

		var got []activity.Entry
		err := e.activity.Export(e.ctx, company.ID, activity.Query{}, func(entry activity.Entry) error {
			got = append(got, entry)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, entryIDs(want), entryIDs(got), "every entry once, newest first")
	})

	s.run(t, "Filtered", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		for range 3 {
			e.clock.Advance(1)
			_, err := e.users.Login(e.ctx, actorOf(admin))
			require.NoError(t, err)
			e.logout(admin)
		}
		q := activity.Query{Types: []activity.Type{activity.TypeLogout}, UserID: admin.ID}
		var got []activity.Entry
		err := e.activity.Export(e.ctx, company.ID, q, func(entry activity.Entry) error {
			got = append(got, entry)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, entryIDs(e.entries(company.ID, q)), entryIDs(got))
		assert.Len(t, got, 3)
	})

	s.run(t, "StopsOnError", func(t *testing.T, e *env) {
		company, _ := e.createCompany(10)
		stop := assert.AnError
		err := e.activity.Export(e.ctx, company.ID, activity.Query{}, func(activity.Entry) error { return stop })
		assert.ErrorIs(t, err, stop)
	})
}

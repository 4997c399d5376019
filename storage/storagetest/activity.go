package storagetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// logoutsAt writes one logout entry of u at each of the given times and
// returns the entry ids by time.
func (e *env) logoutsAt(u users.User, times ...time.Time) map[time.Time]uuid.UUID {
	e.t.Helper()
	ids := make(map[time.Time]uuid.UUID, len(times))
	for _, at := range times {
		e.clock.Set(at)
		e.logout(u)
		list := e.entries(u.CompanyID, activity.Query{Types: []activity.Type{activity.TypeLogout}, Limit: 1})
		require.NotEmpty(e.t, list)
		require.Truef(e.t, at.Equal(list[0].OccurredAt), "newest logout at %s, expected %s", list[0].OccurredAt, at)
		ids[at] = list[0].ID
	}
	return ids
}

func (s suite) testActivityQuery(t *testing.T) {
	s.run(t, "NewestFirst", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		e.clock.Advance(time.Second)
		_, token := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		e.clock.Advance(time.Second)
		agent := e.verify(token)
		e.clock.Advance(time.Second)
		_, err := e.users.Login(e.ctx, actorOf(agent))
		require.NoError(t, err)
		e.clock.Advance(time.Second)
		e.logout(agent)

		entries := e.entries(company.ID, activity.Query{})
		types := make([]activity.Type, len(entries))
		for i, entry := range entries {
			types[i] = entry.Type
		}
		assert.Equal(t, []activity.Type{
			activity.TypeLogout,
			activity.TypeLogin,
			activity.TypeUserVerified,
			activity.TypeUserInvited,
			activity.TypeCompanyCreated,
		}, types)
		assert.True(t, slices.IsSortedFunc(entries, compareNewestFirst), "entries out of order")
		for _, entry := range entries {
			assert.Equal(t, company.ID, entry.CompanyID)
		}
	})

	s.run(t, "Filters", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		other, _ := e.invite(actorOf(admin), "carla@acme.test", "Carla", users.RoleUser)
		for _, u := range []users.User{admin, agent} {
			e.clock.Advance(time.Second)
			_, err := e.users.Login(e.ctx, actorOf(u))
			require.NoError(t, err)
			e.clock.Advance(time.Second)
			e.logout(u)
		}
		_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(2)})
		require.NoError(t, err)
		all := e.entries(company.ID, activity.Query{})

		cases := []struct {
			name  string
			query activity.Query
			keep  func(activity.Entry) bool
		}{
			{"ByUser", activity.Query{UserID: agent.ID}, func(x activity.Entry) bool {
				return x.UserID == agent.ID
			}},
			{"ByTargetUser", activity.Query{TargetUserID: agent.ID}, func(x activity.Entry) bool {
				return x.TargetUserID == agent.ID
			}},
			{"ByOtherTarget", activity.Query{TargetUserID: other.ID}, func(x activity.Entry) bool {
				return x.TargetUserID == other.ID
			}},
			{"OneType", activity.Query{Types: []activity.Type{activity.TypeUserInvited}}, func(x activity.Entry) bool {
				return x.Type == activity.TypeUserInvited
			}},
			{"SeveralTypes", activity.Query{Types: []activity.Type{activity.TypeLogin, activity.TypeLogout, activity.TypeLogin}},
				func(x activity.Entry) bool {
					return x.Type == activity.TypeLogin || x.Type == activity.TypeLogout
				}},
			{"UserAndType", activity.Query{UserID: admin.ID, Types: []activity.Type{activity.TypeUserUpdated}},
				func(x activity.Entry) bool {
					return x.UserID == admin.ID && x.Type == activity.TypeUserUpdated
				}},
			{"UserAndTarget", activity.Query{UserID: admin.ID, TargetUserID: agent.ID}, func(x activity.Entry) bool {
				return x.UserID == admin.ID && x.TargetUserID == agent.ID
			}},
			{"NoMatch", activity.Query{Types: []activity.Type{activity.TypeSeatLimitChanged}}, func(activity.Entry) bool {
				return false
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				want := slices.DeleteFunc(slices.Clone(all), func(x activity.Entry) bool { return !tc.keep(x) })
				got := e.entries(company.ID, tc.query)
				assert.Equal(t, entryIDs(want), entryIDs(got))
			})
		}

		// Spot checks that the filters above select something.
		assert.Len(t, e.entries(company.ID, activity.Query{UserID: agent.ID}), 3, "verify, login and logout by the agent")
		assert.Len(t, e.entries(company.ID, activity.Query{TargetUserID: agent.ID}), 5, "invite, verify, login, logout and update of the agent")
		assert.Len(t, e.entries(company.ID, activity.Query{Types: []activity.Type{activity.TypeLogin, activity.TypeLogout}}), 4)
	})

	s.run(t, "Range", func(t *testing.T, e *env) {
		e.clock.Set(time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC))
		company, admin := e.createCompany(5)

		// New York is at UTC-5 in early March 2026, before daylight saving
		// time starts on March 8.
		at := func(s string) time.Time {
			ts, err := time.Parse(time.RFC3339Nano, s)
			require.NoError(t, err)
			return ts
		}
		feb28Late := at("2026-02-28T23:59:59.999999Z")
		mar1Start := at("2026-03-01T00:00:00Z")
		mar1NYBefore := at("2026-03-01T04:59:59.999999Z")
		mar1NYStart := at("2026-03-01T05:00:00Z")
		mar1End := at("2026-03-01T23:59:59.999999Z")
		mar2Start := at("2026-03-02T00:00:00Z")
		mar2NYBefore := at("2026-03-02T04:59:59.999999Z")
		mar2NYStart := at("2026-03-02T05:00:00Z")
		ids := e.logoutsAt(admin, feb28Late, mar1Start, mar1NYBefore, mar1NYStart, mar1End, mar2Start, mar2NYBefore, mar2NYStart)

		cases := []struct {
			name         string
			from, to, tz string
			want         []time.Time
		}{
			{"DateUTC", "2026-03-01", "2026-03-01", "", []time.Time{mar1End, mar1NYStart, mar1NYBefore, mar1Start}},
			{"DateNewYork", "2026-03-01", "2026-03-01", "America/New_York", []time.Time{mar2NYBefore, mar2Start, mar1End, mar1NYStart}},
			{"TimestampTo", "2026-03-01T00:00:00Z", "2026-03-01T05:00:00Z", "", []time.Time{mar1NYStart, mar1NYBefore, mar1Start}},
			{"TimestampOffset", "2026-03-01T00:00:00-05:00", "2026-03-01T18:59:59.999999-05:00", "", []time.Time{mar1End, mar1NYStart}},
			{"FromOnly", "2026-03-02", "", "", []time.Time{mar2NYStart, mar2NYBefore, mar2Start}},
			{"ToOnly", "", "2026-02-28", "", []time.Time{feb28Late}},
			{"Empty", "2026-03-05", "2026-03-06", "", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r, err := activity.ParseRange(tc.from, tc.to, tc.tz)
				require.NoError(t, err)
				got := e.entries(company.ID, activity.Query{Types: []activity.Type{activity.TypeLogout}, Range: r})
				want := make([]uuid.UUID, len(tc.want))
				for i, ts := range tc.want {
					want[i] = ids[ts]
				}
				assert.Equal(t, want, entryIDs(got))
			})
		}

		r, err := activity.ParseRange("", "2026-02-28", "")
		require.NoError(t, err)
		got := e.entries(company.ID, activity.Query{Range: r})
		assert.Len(t, got, 2, "logout on February 28 and the company's creation")
		_, err = e.activity.Query(e.ctx, company.ID, activity.Query{Range: activity.Range{From: mar2Start, Until: mar1Start}})
		assert.ErrorIs(t, err, roster.ErrInvalid, "a range that ends before it starts")
	})

	s.run(t, "Pages", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		for range 10 {
			e.clock.Advance(time.Second)
			e.logout(admin)
		}
		snapshot := e.entries(company.ID, activity.Query{})
		require.Len(t, snapshot, 11)

		const pageSize = 3
		var collected []activity.Entry
		q := activity.Query{Limit: pageSize}
		for pages := 0; ; pages++ {
			require.Less(t, pages, maxPages, "pagination does not end")
			page, err := e.activity.Query(e.ctx, company.ID, q)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page.Entries), pageSize)
			if page.NextCursor != "" {
				assert.Len(t, page.Entries, pageSize, "page %d is short but not the last", pages)
			}
			collected = append(collected, page.Entries...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor

			// New entries arrive while the client pages.
			e.clock.Advance(time.Second)
			e.logout(admin)
			e.clock.Advance(time.Second)
			_, err = e.users.Login(e.ctx, actorOf(admin))
			require.NoError(t, err)
		}

		assert.Equal(t, entryIDs(snapshot), entryIDs(collected), "pages repeat or skip entries")
		final := e.entries(company.ID, activity.Query{})
		assert.Len(t, final, len(snapshot)+2*3, "entries written between the four pages")
		assert.Equal(t, entryIDs(snapshot), entryIDs(final[len(final)-len(snapshot):]))
	})

	s.run(t, "EqualTimestamps", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		e.clock.Advance(time.Second)
		now := e.clock.Stamp()
		for range 7 {
			e.logout(admin)
		}

		all := e.entries(company.ID, activity.Query{Types: []activity.Type{activity.TypeLogout}})
		require.Len(t, all, 7)
		for i, entry := range all {
			assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
			if i > 0 {
				assert.Positive(t, bytes.Compare(all[i-1].ID[:], entry.ID[:]), "entry %d does not follow entry %d by id", i, i-1)
			}
		}

		var paged []activity.Entry
		q := activity.Query{Types: []activity.Type{activity.TypeLogout}, Limit: 2}
		for pages := 0; ; pages++ {
			require.Less(t, pages, maxPages, "pagination does not end")
			page, err := e.activity.Query(e.ctx, company.ID, q)
			require.NoError(t, err)
			paged = append(paged, page.Entries...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		assert.Equal(t, entryIDs(all), entryIDs(paged))
	})

	s.run(t, "InvalidQuery", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		for range 3 {
			e.logout(admin)
		}
		page, err := e.activity.Query(e.ctx, company.ID, activity.Query{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, page.NextCursor)

		for _, limit := range []int{-1, activity.MaxPageSize + 1} {
			_, err := e.activity.Query(e.ctx, company.ID, activity.Query{Limit: limit})
			assertFields(t, err, "limit")
		}
		for _, bad := range []string{alterCursor(page.NextCursor), "garbage", page.NextCursor[:len(page.NextCursor)-3]} {
			_, err := e.activity.Query(e.ctx, company.ID, activity.Query{Limit: 1, Cursor: bad})
			assert.ErrorIs(t, err, roster.ErrMalformed, "cursor %.40q", bad)
		}
		for _, q := range []activity.Query{
			{Types: []activity.Type{activity.TypeLogout}},
			{UserID: admin.ID},
			{TargetUserID: admin.ID},
			{Range: activity.Range{From: startTime.Add(-time.Hour)}},
		} {
			q.Cursor = page.NextCursor
			_, err := e.activity.Query(e.ctx, company.ID, q)
			assert.ErrorIs(t, err, roster.ErrMalformed, "cursor with filter %+v", q)
		}

		e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		list, err := e.users.List(e.ctx, company.ID, users.ListQuery{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, list.NextCursor)
		_, err = e.activity.Query(e.ctx, company.ID, activity.Query{Cursor: list.NextCursor})
		assert.ErrorIs(t, err, roster.ErrMalformed, "team list cursor on the activity log")
	})
}

func (s suite) testOneEntryPerChange(t *testing.T) {
	s.run(t, "EveryCall", testEntryOfEveryCall)
	s.run(t, "Sequence", func(t *testing.T, e *env) {
		company, ada := e.createCompany(3)
		admin := actorOf(ada)
		host := hostActor(company.ID)
		step := func() { e.clock.Advance(time.Second) }

		invite := func(email, name string, role users.Role) (users.User, error) {
			step()
			return e.users.Invite(e.ctx, admin, users.Invite{Email: email, Name: name, Role: role, ConversationLimit: 8})
		}
		bob, err := invite("bob@acme.test", "Bob", users.RoleUser)
		require.NoError(t, err)
		bobToken, _ := e.inbox.Latest(bob.ID)
		_, err = invite("BOB@acme.test", "Bob Again", users.RoleUser)
		require.ErrorIs(t, err, roster.ErrEmailTaken)
		carla, err := invite("carla@acme.test", "Carla", users.RoleAdmin)
		require.NoError(t, err)
		_, err = invite("dan@acme.test", "Dan", users.RoleUser)
		require.ErrorIs(t, err, roster.ErrNoSeatAvailable)
		_, err = invite("not an email", "Dan", users.RoleUser)
		require.ErrorIs(t, err, roster.ErrInvalid)

		step()
		_, err = e.users.Verify(e.ctx, bobToken.Token, activity.Actor{IP: clientIP})
		require.NoError(t, err)
		_, err = e.users.Verify(e.ctx, bobToken.Token, activity.Actor{IP: clientIP})
		require.ErrorIs(t, err, roster.ErrNotFound)
		step()
		_, err = e.users.ResendVerification(e.ctx, admin, carla.ID)
		require.NoError(t, err)
		_, err = e.users.ResendVerification(e.ctx, admin, bob.ID)
		require.ErrorIs(t, err, roster.ErrAlreadyVerified)

		step()
		_, err = e.users.Update(e.ctx, admin, bob.ID, users.Changes{ConversationLimit: ptr(3), CanAccessPhoneCalls: ptr(true)})
		require.NoError(t, err)
		_, err = e.users.Update(e.ctx, admin, bob.ID, users.Changes{ConversationLimit: ptr(3)})
		require.NoError(t, err, "an update that changes nothing")
		_, err = e.users.Update(e.ctx, admin, bob.ID, users.Changes{ConversationLimit: ptr(101)})
		require.ErrorIs(t, err, roster.ErrInvalid)
		_, err = e.users.Update(e.ctx, actorOf(bob), ada.ID, users.Changes{ConversationLimit: ptr(1)})
		require.ErrorIs(t, err, roster.ErrForbidden)
		_, err = e.users.Update(e.ctx, admin, ada.ID, users.Changes{Role: ptr(users.RoleUser)})
		require.ErrorIs(t, err, roster.ErrLastAdmin)
		_, err = e.users.Update(e.ctx, admin, bob.ID, users.Changes{ConversationLimit: ptr(4), IfVersion: 1})
		require.ErrorIs(t, err, roster.ErrPreconditionFailed)

		step()
		_, err = e.users.Login(e.ctx, actorOf(bob))
		require.NoError(t, err)
		step()
		require.NoError(t, e.users.Logout(e.ctx, actorOf(bob)))
		step()
		_, err = e.users.Login(e.ctx, actorOf(carla))
		require.ErrorIs(t, err, roster.ErrNotVerified, "a rejected login is logged")
		_, err = e.users.Login(e.ctx, activity.Actor{CompanyID: company.ID, UserID: uuid.New()})
		require.ErrorIs(t, err, roster.ErrNotFound, "a login of an unknown user is not logged")

		step()
		_, err = e.users.Archive(e.ctx, admin, bob.ID, "bob", 0)
		require.ErrorIs(t, err, roster.ErrConfirmationMismatch)
		_, err = e.users.Archive(e.ctx, admin, bob.ID, "Bob", 0)
		require.NoError(t, err)
		_, err = e.users.Archive(e.ctx, admin, bob.ID, "Bob", 0)
		require.ErrorIs(t, err, roster.ErrArchived)
		_, err = e.users.Archive(e.ctx, admin, ada.ID, ada.Email, 0)
		require.ErrorIs(t, err, roster.ErrLastAdmin)
		step()
		_, err = e.users.Login(e.ctx, actorOf(bob))
		require.ErrorIs(t, err, roster.ErrArchived, "a rejected login is logged")
		_, err = e.users.Update(e.ctx, admin, bob.ID, users.Changes{ConversationLimit: ptr(5)})
		require.ErrorIs(t, err, roster.ErrArchived)
		step()
		require.NoError(t, e.users.RecordRejectedLogin(e.ctx, host, "ghost@acme.test", activity.ReasonInvalidCredentials))
		require.ErrorIs(t, e.users.RecordRejectedLogin(e.ctx, host, "ghost@acme.test", ""), roster.ErrInvalid)

		step()
		_, err = e.seats.SetLimit(e.ctx, host, 5)
		require.NoError(t, err)
		_, err = e.seats.SetLimit(e.ctx, host, 5)
		require.NoError(t, err, "the same limit again")
		_, err = e.seats.SetLimit(e.ctx, host, 1)
		require.ErrorIs(t, err, roster.ErrSeatLimitBelowUsage)
		_, err = e.seats.SetLimit(e.ctx, host, 0)
		require.ErrorIs(t, err, roster.ErrInvalid)

		_, err = e.users.ClaimConversation(e.ctx, company.ID, ada.ID)
		require.NoError(t, err)
		_, err = e.users.ReleaseConversation(e.ctx, company.ID, ada.ID)
		require.NoError(t, err)
		_, err = e.users.ReleaseConversation(e.ctx, company.ID, ada.ID)
		require.ErrorIs(t, err, roster.ErrNoOpenConversation)
		_, err = e.users.SetColumns(e.ctx, admin, users.ColumnVisibility{users.ColumnRole: false})
		require.NoError(t, err)

		want := map[activity.Type]int{
			activity.TypeCompanyCreated:     1,
			activity.TypeUserInvited:        2,
			activity.TypeUserVerified:       1,
			activity.TypeVerificationResent: 1,
			activity.TypeUserUpdated:        1,
			activity.TypeLogin:              1,
			activity.TypeLogout:             1,
			activity.TypeLoginRejected:      3,
			activity.TypeUserArchived:       1,
			activity.TypeSeatLimitChanged:   1,
		}
		counts := e.countByType(company.ID)
		for _, typ := range activity.Types() {
			assert.Equal(t, want[typ], counts[typ], "entries of type %s", typ)
		}
		assert.Len(t, e.entries(company.ID, activity.Query{}), 13)

		reasons := make([]string, 0, 3)
		for _, entry := range e.entriesOfType(company.ID, activity.TypeLoginRejected) {
			reasons = append(reasons, entry.Details.Reason)
		}
		assert.Equal(t, []string{activity.ReasonInvalidCredentials, activity.ReasonArchived, activity.ReasonNotVerified}, reasons)
	})
}

package storagetest

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// teamFixture is a company whose users differ in status, role and
// verification, so that each list filter selects a different subset.
type teamFixture struct {
	company users.Company
	// ada is the first admin, who is verified.
	ada users.User
	// bob is a user who has not verified, with a lowercase name and an
	// email domain of his own.
	bob users.User
	// carla is a verified admin with an accented name.
	carla users.User
	// dave is a verified user.
	dave users.User
	// eve is an archived user who never verified.
	eve users.User
}

func (e *env) seedTeam() teamFixture {
	e.t.Helper()
	var team teamFixture
	team.company, team.ada = e.createCompany(10)
	team.bob, _ = e.invite(actorOf(team.ada), "bob@ops.example", "bob", users.RoleUser)
	team.carla = e.inviteVerified(actorOf(team.ada), "carla@acme.test", "Carla Díaz", users.RoleAdmin)
	team.dave = e.inviteVerified(actorOf(team.ada), "dave@acme.test", "Dave", users.RoleUser)
	eve, _ := e.invite(actorOf(team.ada), "eve@acme.test", "Eve", users.RoleUser)
	team.eve = e.archive(eve)
	return team
}

// alterCursor changes one character in the middle of a cursor, where
// every bit of the base64 text is significant.
func alterCursor(c string) string {
	b := []byte(c)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func (s suite) testList(t *testing.T) {
	s.run(t, "Filters", func(t *testing.T, e *env) {
		team := e.seedTeam()
		cases := []struct {
			name  string
			query users.ListQuery
			want  []users.User
		}{
			{"All", users.ListQuery{}, []users.User{team.ada, team.bob, team.carla, team.dave, team.eve}},
			{"Active", users.ListQuery{Status: users.StatusActive}, []users.User{team.ada, team.bob, team.carla, team.dave}},
			{"Archived", users.ListQuery{Status: users.StatusArchived}, []users.User{team.eve}},
			{"Admins", users.ListQuery{Role: users.RoleAdmin}, []users.User{team.ada, team.carla}},
			{"Users", users.ListQuery{Role: users.RoleUser}, []users.User{team.bob, team.dave, team.eve}},
			{"Verified", users.ListQuery{Verification: users.Verified}, []users.User{team.ada, team.carla, team.dave}},
			{"NotVerified", users.ListQuery{Verification: users.NotVerified}, []users.User{team.bob, team.eve}},
			{"Combined", users.ListQuery{
				Status: users.StatusActive, Role: users.RoleUser, Verification: users.NotVerified,
			}, []users.User{team.bob}},
			{"NoMatch", users.ListQuery{Status: users.StatusArchived, Role: users.RoleAdmin}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				page, err := e.users.List(e.ctx, team.company.ID, tc.query)
				require.NoError(t, err)
				assert.Equal(t, userNames(tc.want), userNames(page.Users))
				assert.Equal(t, userIDs(tc.want), userIDs(page.Users))
				assert.Empty(t, page.NextCursor)
			})
		}
	})

	s.run(t, "Search", func(t *testing.T, e *env) {
		team := e.seedTeam()
		cases := []struct {
			name   string
			search string
			want   []users.User
		}{
			{"NamePart", "la dí", []users.User{team.carla}},
			{"EmailLocalPart", "CARLA@", []users.User{team.carla}},
			{"NameAccent", "DÍAZ", []users.User{team.carla}},
			{"NameTrimmed", "  díaz ", []users.User{team.carla}},
			{"EmailPart", "OPS.EXAMPLE", []users.User{team.bob}},
			{"EmailDomain", "@acme.test", []users.User{team.ada, team.carla, team.dave, team.eve}},
			{"NameOrEmail", "bob", []users.User{team.bob}},
			{"NoMatch", "nobody", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				page, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Search: tc.search})
				require.NoError(t, err)
				assert.Equal(t, userNames(tc.want), userNames(page.Users))
			})
		}

		page, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Search: "acme", Status: users.StatusActive})
		require.NoError(t, err)
		assert.Equal(t, userNames([]users.User{team.ada, team.carla, team.dave}), userNames(page.Users), "search with a filter")

		var paged []users.User
		q := users.ListQuery{Search: "acme", Limit: 1}
		for pages := 0; ; pages++ {
			require.Less(t, pages, maxPages, "pagination does not end")
			p, err := e.users.List(e.ctx, team.company.ID, q)
			require.NoError(t, err)
			paged = append(paged, p.Users...)
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		assert.Equal(t, userNames([]users.User{team.ada, team.carla, team.dave, team.eve}), userNames(paged), "search in pages of one")
	})

	s.run(t, "SearchLiteral", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		underscore, _ := e.invite(actorOf(admin), "first_last@acme.test", "Under Score", users.RoleUser)
		e.invite(actorOf(admin), "firstxlast@acme.test", "Ex Letter", users.RoleUser)
		percent, _ := e.invite(actorOf(admin), "pct@acme.test", "100% Sure", users.RoleUser)
		backslash, _ := e.invite(actorOf(admin), "back@acme.test", `Back\Slash`, users.RoleUser)
		quote, _ := e.invite(actorOf(admin), "quote@acme.test", `O'Neil "Q"`, users.RoleUser)

		// Wildcards of SQL LIKE and regular expressions must match only
		// themselves.
		cases := []struct {
			search string
			want   []users.User
		}{
			{"t_l", []users.User{underscore}},
			{"_", []users.User{underscore}},
			{"%", []users.User{percent}},
			{"0% s", []users.User{percent}},
			{`\`, []users.User{backslash}},
			{`k\s`, []users.User{backslash}},
			{"'", []users.User{quote}},
			{`"q"`, []users.User{quote}},
			{".*", nil},
			{"[a-z]", nil},
		}
		for _, tc := range cases {
			page, err := e.users.List(e.ctx, company.ID, users.ListQuery{Search: tc.search})
			require.NoError(t, err, "search %q", tc.search)
			assert.Equal(t, userNames(tc.want), userNames(page.Users), "search %q", tc.search)
		}
	})

	s.run(t, "InvalidFilter", func(t *testing.T, e *env) {
		team := e.seedTeam()
		cases := []struct {
			name   string
			query  users.ListQuery
			fields []string
		}{
			{"Status", users.ListQuery{Status: "deleted"}, []string{"status"}},
			{"Role", users.ListQuery{Role: "owner"}, []string{"role"}},
			{"Verification", users.ListQuery{Verification: "pending"}, []string{"verification_status"}},
			{"SearchControl", users.ListQuery{Search: "a\x07"}, []string{"search"}},
			{"LimitNegative", users.ListQuery{Limit: -1}, []string{"limit"}},
			{"LimitTooHigh", users.ListQuery{Limit: users.MaxPageSize + 1}, []string{"limit"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.users.List(e.ctx, team.company.ID, tc.query)
				assertFields(t, err, tc.fields...)
			})
		}

		for _, limit := range []int{1, users.MaxPageSize} {
			page, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Limit: limit})
			require.NoError(t, err, "limit %d", limit)
			assert.Len(t, page.Users, min(limit, 5), "limit %d", limit)
		}
	})

	s.run(t, "Order", func(t *testing.T, e *env) {
		company, admin := e.createCompany(20)
		carol, _ := e.invite(actorOf(admin), "carol@acme.test", "carol", users.RoleUser)
		bob1, _ := e.invite(actorOf(admin), "bob1@acme.test", "Bob", users.RoleUser)
		alice, _ := e.invite(actorOf(admin), "alice@acme.test", "alice", users.RoleUser)
		bob2, _ := e.invite(actorOf(admin), "bob2@acme.test", "Bob", users.RoleUser)
		// Byte-wise order differs from a locale's collation, which skips
		// spaces at the first level and sorts "é" next to "e".
		emile, _ := e.invite(actorOf(admin), "emile@acme.test", "Émile", users.RoleUser)
		zoe, _ := e.invite(actorOf(admin), "zoe@acme.test", "Zoe", users.RoleUser)
		abb, _ := e.invite(actorOf(admin), "abb@acme.test", "Abb", users.RoleUser)
		abc, _ := e.invite(actorOf(admin), "abc@acme.test", "Ab C", users.RoleUser)

		bobs := []users.User{bob1, bob2}
		slices.SortFunc(bobs, compareListOrder)
		want := []uuid.UUID{abc.ID, abb.ID, admin.ID, alice.ID, bobs[0].ID, bobs[1].ID, carol.ID, zoe.ID, emile.ID}

		page, err := e.users.List(e.ctx, company.ID, users.ListQuery{})
		require.NoError(t, err)
		assert.Equal(t, []string{"Ab C", "Abb", "Ada Admin", "alice", "Bob", "Bob", "carol", "Zoe", "Émile"}, userNames(page.Users))
		assert.Equal(t, want, userIDs(page.Users))

		// The order must not depend on the page size.
		var paged []users.User
		q := users.ListQuery{Limit: 1}
		for pages := 0; ; pages++ {
			require.Less(t, pages, maxPages, "pagination does not end")
			p, err := e.users.List(e.ctx, company.ID, q)
			require.NoError(t, err)
			paged = append(paged, p.Users...)
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		assert.Equal(t, want, userIDs(paged))
	})

	s.run(t, "Seats", func(t *testing.T, e *env) {
		team := e.seedTeam()
		page, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Role: users.RoleAdmin})
		require.NoError(t, err)
		assert.Equal(t, seats.Usage{Limit: 10, Used: 4}, page.Seats)
	})

	s.run(t, "Pages", func(t *testing.T, e *env) {
		company, admin := e.createCompany(30)
		initial := []uuid.UUID{admin.ID}
		for _, name := range []string{"User 01", "User 02", "User 03", "User 04", "User 05", "User 06",
			"User 07", "User 08", "User 09", "User 10", "User 11", "User 12"} {
			u, _ := e.invite(actorOf(admin), name[5:]+"@acme.test", name, users.RoleUser)
			initial = append(initial, u.ID)
		}

		const pageSize = 4
		var collected []users.User
		var pages int
		var beforeCursor, afterCursor []uuid.UUID
		q := users.ListQuery{Limit: pageSize}
		for {
			page, err := e.users.List(e.ctx, company.ID, q)
			require.NoError(t, err)
			require.Less(t, pages, maxPages, "pagination does not end")
			assert.LessOrEqual(t, len(page.Users), pageSize)
			if page.NextCursor != "" {
				assert.Len(t, page.Users, pageSize, "page %d is short but not the last", pages)
			}
			collected = append(collected, page.Users...)
			pages++
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor

			// Invite one user who sorts before the cursor and one who sorts
			// after it, as another admin may while this one pages.
			switch pages {
			case 1:
				early, _ := e.invite(actorOf(admin), "aaron@acme.test", "Aaron", users.RoleUser)
				late, _ := e.invite(actorOf(admin), "zed@acme.test", "Zed", users.RoleUser)
				beforeCursor = append(beforeCursor, early.ID)
				afterCursor = append(afterCursor, late.ID)
			case 2:
				early, _ := e.invite(actorOf(admin), "05b@acme.test", "User 05b", users.RoleUser)
				late, _ := e.invite(actorOf(admin), "10b@acme.test", "User 10b", users.RoleUser)
				beforeCursor = append(beforeCursor, early.ID)
				afterCursor = append(afterCursor, late.ID)
			}
		}

		ids := userIDs(collected)
		seen := make(map[uuid.UUID]int)
		for _, id := range ids {
			seen[id]++
		}
		for _, id := range initial {
			assert.Equal(t, 1, seen[id], "user %s seen %d times", id, seen[id])
		}
		for _, id := range afterCursor {
			assert.Equal(t, 1, seen[id], "user %s invited after the cursor seen %d times", id, seen[id])
		}
		for _, id := range beforeCursor {
			assert.Zero(t, seen[id], "user %s invited before the cursor seen %d times", id, seen[id])
		}
		assert.Len(t, ids, len(initial)+len(afterCursor))
		assert.True(t, slices.IsSortedFunc(collected, compareListOrder), "pages out of order: %v", userNames(collected))
	})

	s.run(t, "PageSizeChange", func(t *testing.T, e *env) {
		team := e.seedTeam()
		first, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Limit: 2})
		require.NoError(t, err)
		require.NotEmpty(t, first.NextCursor)

		rest, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Limit: 3, Cursor: first.NextCursor})
		require.NoError(t, err)
		all := append(first.Users, rest.Users...)
		assert.Equal(t, userIDs([]users.User{team.ada, team.bob, team.carla, team.dave, team.eve}), userIDs(all))
		assert.Empty(t, rest.NextCursor)
	})

	s.run(t, "CursorOtherFilter", func(t *testing.T, e *env) {
		team := e.seedTeam()
		page, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Role: users.RoleUser, Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, page.NextCursor)

		others := []users.ListQuery{
			{Role: users.RoleAdmin},
			{},
			{Role: users.RoleUser, Status: users.StatusActive},
			{Role: users.RoleUser, Search: "a"},
		}
		for _, q := range others {
			q.Cursor = page.NextCursor
			_, err := e.users.List(e.ctx, team.company.ID, q)
			assert.ErrorIs(t, err, roster.ErrMalformed, "cursor with filter %+v", q)
			assert.Equal(t, []string{"cursor"}, fieldNames(err))
		}

		entries, err := e.activity.Query(e.ctx, team.company.ID, activity.Query{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, entries.NextCursor)
		_, err = e.users.List(e.ctx, team.company.ID, users.ListQuery{Cursor: entries.NextCursor})
		assert.ErrorIs(t, err, roster.ErrMalformed, "activity cursor on the team list")
	})

	s.run(t, "CursorAltered", func(t *testing.T, e *env) {
		team := e.seedTeam()
		page, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Limit: 2})
		require.NoError(t, err)
		require.NotEmpty(t, page.NextCursor)

		for _, bad := range []string{
			alterCursor(page.NextCursor),
			page.NextCursor[:len(page.NextCursor)-4],
			page.NextCursor + "AAAA",
			"not a cursor",
			string(make([]byte, 600)),
		} {
			_, err := e.users.List(e.ctx, team.company.ID, users.ListQuery{Limit: 2, Cursor: bad})
			assert.ErrorIs(t, err, roster.ErrMalformed, "cursor %.40q", bad)
		}
	})
}

func allVisible() users.ColumnVisibility {
	v := make(users.ColumnVisibility)
	for _, c := range users.Columns() {
		v[c] = true
	}
	return v
}

func (s suite) testColumns(t *testing.T) {
	s.run(t, "Default", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		got, err := e.users.Columns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, allVisible(), got)
	})

	s.run(t, "HideOne", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		other := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		want := allVisible()
		want[users.ColumnRole] = false

		set, err := e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{users.ColumnRole: false})
		require.NoError(t, err)
		assert.Equal(t, want, set)

		got, err := e.users.Columns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got)

		otherView, err := e.users.Columns(e.ctx, company.ID, other.ID)
		require.NoError(t, err)
		assert.Equal(t, allVisible(), otherView, "another viewer's columns")
	})

	s.run(t, "Replace", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		_, err := e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{
			users.ColumnRole:              false,
			users.ColumnConversationLimit: false,
		})
		require.NoError(t, err)

		_, err = e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{
			users.ColumnRole:                false,
			users.ColumnCanAccessPhoneCalls: false,
			users.ColumnConversationLimit:   true,
		})
		require.NoError(t, err)
		want := allVisible()
		want[users.ColumnRole] = false
		want[users.ColumnCanAccessPhoneCalls] = false
		got, err := e.users.Columns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got)

		_, err = e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{})
		require.NoError(t, err)
		got, err = e.users.Columns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, allVisible(), got, "an empty choice shows every column")
	})

	s.run(t, "UnknownColumn", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		_, err := e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{users.ColumnRole: false})
		require.NoError(t, err)

		_, err = e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{
			"nickname":                     false,
			users.ColumnVerificationStatus: false,
		})
		assertFields(t, err, "columns.nickname")

		want := allVisible()
		want[users.ColumnRole] = false
		got, err := e.users.Columns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got, "the rejected choice must change nothing")
	})

	s.run(t, "UnknownViewer", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		_, err := e.users.SetColumns(e.ctx, activity.Actor{CompanyID: company.ID, UserID: uuid.New()},
			users.ColumnVisibility{users.ColumnRole: false})
		assert.ErrorIs(t, err, roster.ErrNotFound)
	})

	s.run(t, "NoEntry", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		before := e.countByType(company.ID)
		_, err := e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{users.ColumnRole: false})
		require.NoError(t, err)
		assert.Equal(t, before, e.countByType(company.ID))
	})
}

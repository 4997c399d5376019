package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The end-to-end tests build the server, run it as a separate process on
// a free loopback port and drive an admin's day over real HTTP. The admin
// reads the seeded team, changes it, archives a user and invites a new one
// into the freed seat. The invitee verifies with the token from the
// server's log, and the admin reads the activity log. On PostgreSQL, the
// server then restarts on the same database, and the state of the first
// run must survive.

const (
	demoPassword = "roster-demo"
	// noraPassword is the password that the invitee sets in POST /verify.
	noraPassword = "nora-password-1"
	startTimeout = 2 * time.Minute
	stopTimeout  = 20 * time.Second
)

// Wire types of the HTTP contract, declared here so that the test checks
// the JSON the server sends rather than the adapter's own types.
type (
	userJSON struct {
		ID                   string  `json:"id"`
		Email                string  `json:"email"`
		Name                 string  `json:"name"`
		Role                 string  `json:"role"`
		VerificationStatus   string  `json:"verification_status"`
		CanAccessPhoneCalls  bool    `json:"can_access_phone_calls"`
		CanAccessAIAssistant bool    `json:"can_access_ai_assistant"`
		ConversationLimit    int     `json:"conversation_limit"`
		OpenConversations    int     `json:"open_conversations"`
		Status               string  `json:"status"`
		InvitedAt            *string `json:"invited_at"`
		VerifiedAt           *string `json:"verified_at"`
		ArchivedAt           *string `json:"archived_at"`
		Version              int64   `json:"version"`
	}
	seatsJSON struct {
		Limit     int `json:"limit"`
		Used      int `json:"used"`
		Available int `json:"available"`
	}
	userListJSON struct {
		Users      []userJSON `json:"users"`
		Seats      seatsJSON  `json:"seats"`
		NextCursor *string    `json:"next_cursor"`
	}
	columnsJSON struct {
		Columns map[string]bool `json:"columns"`
	}
	changeJSON struct {
		Field string          `json:"field"`
		Old   json.RawMessage `json:"old"`
		New   json.RawMessage `json:"new"`
	}
	entryJSON struct {
		ID           string  `json:"id"`
		Type         string  `json:"type"`
		UserID       *string `json:"user_id"`
		TargetUserID *string `json:"target_user_id"`
		IPAddress    *string `json:"ip_address"`
		OccurredAt   string  `json:"occurred_at"`
		Details      struct {
			Email   string       `json:"email"`
			Reason  string       `json:"reason"`
			Changes []changeJSON `json:"changes"`
		} `json:"details"`
	}
	activityJSON struct {
		Entries    []entryJSON `json:"entries"`
		NextCursor *string     `json:"next_cursor"`
	}
	sessionJSON struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	problemJSON struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	}
)

func TestServerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs it as a process; skipped with -short")
	}
	t.Parallel()
	srv := startServer(t)
	srv.logs.waitFor(t, regexp.MustCompile(`msg="server started" .*store=memory`), time.Second)
	runAdminStory(t, srv)

	step(t, "SIGTERM stops the server", func(t *testing.T) {
		srv.stop(t)
		srv.logs.waitFor(t, regexp.MustCompile(`msg="server stopped"`), time.Second)
	})
}

func TestServerPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs it as a process; skipped with -short")
	}
	t.Parallel()
	dsn := newTestDatabase(t)

	first := startServer(t, "-dsn", dsn)
	step(t, "first start seeds", func(t *testing.T) {
		first.logs.waitFor(t, regexp.MustCompile(`msg="server started" .*store=postgres`), time.Second)
		assert.Equal(t, 1, first.logs.count(regexp.MustCompile(`msg="demo company seeded" company="Acme Support"`)))
		assert.Equal(t, 1, first.logs.count(regexp.MustCompile(`msg="demo company seeded" company="Globex Help"`)))
	})
	story := runAdminStory(t, first)

	var before teamState
	step(t, "read state before restart", func(t *testing.T) {
		c := first.client(t)
		before = readTeamState(c, c.login("admin@acme.test", demoPassword))
	})
	step(t, "SIGTERM stops the first server", first.stop)

	second := startServer(t, "-dsn", dsn)

	step(t, "restart seeds nothing", func(t *testing.T) {
		for _, company := range []string{"Acme Support", "Globex Help"} {
			re := regexp.MustCompile(`msg="demo company exists; not seeding it" company="` + company + `"`)
			assert.Equal(t, 1, second.logs.count(re), "log lines that skip %s", company)
		}
		assert.Zero(t, second.logs.count(regexp.MustCompile(`msg="demo company seeded"`)), "log lines of seeded companies")
	})

	step(t, "sessions survive", func(t *testing.T) {
		c := second.client(t)
		c.status("GET", "/api/users/columns", before.token, nil, http.StatusOK)
		var list userListJSON
		c.json("GET", "/api/users", story.noraVerifyToken, nil, http.StatusOK, &list)
		assert.Len(t, list.Users, 12, "team list read with the session from POST /verify")
		c.expectSeats(story.globexToken, seatsJSON{Limit: 5, Used: 2, Available: 3})

		for name, token := range map[string]string{"admin": story.adminToken, "nora": story.noraToken} {
			p := c.problem("GET", "/api/users", token, nil, http.StatusUnauthorized)
			assert.Equal(t, "unauthenticated", p.Code, "%s's token that was logged out", name)
		}
	})

	var after teamState
	step(t, "team state survives", func(t *testing.T) {
		c := second.client(t)
		after = readTeamState(c, before.token)

		assert.Equal(t, userIDs(before.users), userIDs(after.users), "user ids")
		assert.Equal(t, before.users, after.users, "users")
		assert.Equal(t, before.seats, after.seats, "seat usage")
		assert.Equal(t, seatsJSON{Limit: 10, Used: 10, Available: 0}, after.seats, "seat usage")
		assert.Equal(t, before.columns, after.columns, "admin's columns")
		assert.False(t, after.columns["role"], "admin's role column")
		assert.True(t, after.columns["conversation_limit"], "admin's conversation_limit column")

		diego := findUser(t, after.users, story.team["diego@acme.test"].ID)
		assert.Equal(t, "archived", diego.Status, "diego status")
		assert.NotNil(t, diego.ArchivedAt, "diego archived_at")
		nora := findUser(t, after.users, story.nora.ID)
		assert.Equal(t, "nora@acme.test", nora.Email, "nora email")
		assert.Equal(t, "active", nora.Status, "nora status")
		assert.Equal(t, "verified", nora.VerificationStatus, "nora verification_status")
		ben := findUser(t, after.users, story.team["ben@acme.test"].ID)
		assert.Equal(t, "admin", ben.Role, "ben role")
		assert.Equal(t, 12, ben.ConversationLimit, "ben conversation_limit")
	})

	step(t, "activity survives", func(t *testing.T) {
		require.NotEmpty(t, before.entries)
		assert.Len(t, after.entries, len(before.entries), "entries")
		assert.Equal(t, entryIDs(before.entries), entryIDs(after.entries), "entry ids")
		assert.Equal(t, before.entries, after.entries, "entries")
	})

	step(t, "logins after restart", func(t *testing.T) {
		c := second.client(t)
		admin := c.login("admin@acme.test", demoPassword)
		var list userListJSON
		c.json("GET", "/api/users?limit=100", admin, nil, http.StatusOK, &list)
		assert.Equal(t, userIDs(before.users), userIDs(list.Users), "user ids seen by a new admin session")

		entries := c.allActivity(admin)
		require.Len(t, entries, len(before.entries)+1, "entries after one more login")
		assert.Equal(t, "login", entries[0].Type, "newest entry")
		if assert.NotNil(t, entries[0].UserID, "newest entry's user_id") {
			assert.Equal(t, story.team["admin@acme.test"].ID, *entries[0].UserID, "newest entry's user_id")
		}
		assert.Equal(t, entryIDs(before.entries), entryIDs(entries[1:]), "ids of the entries of the first run")

		c.login("nora@acme.test", noraPassword)
		p := c.problem("POST", "/login", "", map[string]string{"email": "diego@acme.test", "password": demoPassword}, http.StatusForbidden)
		assert.Equal(t, "archived", p.Code, "archived user's login")
		p = c.problem("POST", "/login", "", map[string]string{"email": "farah@acme.test", "password": demoPassword}, http.StatusForbidden)
		assert.Equal(t, "not_verified", p.Code, "unverified user's login")

		globex := c.login("admin@globex.test", demoPassword)
		var mine, old userListJSON
		c.json("GET", "/api/users", globex, nil, http.StatusOK, &mine)
		c.json("GET", "/api/users", story.globexToken, nil, http.StatusOK, &old)
		assert.Equal(t, userIDs(old.Users), userIDs(mine.Users), "Globex user ids of the old and the new session")
	})

	step(t, "SIGTERM stops the second server", second.stop)
}

// storyResult is what runAdminStory leaves for later checks.
type storyResult struct {
	// team is the seeded team as the admin first listed it, by email.
	team map[string]userJSON
	// nora is the user whom the admin invited.
	nora userJSON
	// adminToken and noraToken were logged out at the end of the story.
	adminToken string
	noraToken  string
	// noraVerifyToken is the session that POST /verify opened, and
	// globexToken the session of the Globex admin. Both are still open.
	noraVerifyToken string
	globexToken     string
}

// runAdminStory drives the admin's day on a freshly seeded server as
// subtests, and stops t at the first step that fails.
func runAdminStory(t *testing.T, srv *serverProcess) storyResult {
	t.Helper()
	today := time.Now().UTC().Truncate(24 * time.Hour)

	var res storyResult
	team := map[string]userJSON{}
	res.team = team

	step(t, "login rejections", func(t *testing.T) {
		c := srv.client(t)
		cases := []struct {
			email, password string
			status          int
			code            string
		}{
			{"admin@acme.test", "wrong-password", http.StatusUnauthorized, "invalid_credentials"},
			{"nobody@acme.test", demoPassword, http.StatusUnauthorized, "invalid_credentials"},
			{"admin\x00@acme.test", demoPassword, http.StatusUnauthorized, "invalid_credentials"},
			{"farah@acme.test", demoPassword, http.StatusForbidden, "not_verified"},
			{"emma@acme.test", demoPassword, http.StatusForbidden, "archived"},
		}
		for _, tc := range cases {
			p := c.problem("POST", "/login", "", map[string]string{"email": tc.email, "password": tc.password}, tc.status)
			assert.Equal(t, tc.code, p.Code, "login %s: code", tc.email)
		}
	})

	step(t, "admin logs in", func(t *testing.T) {
		c := srv.client(t)
		res.adminToken = c.login("admin@acme.test", demoPassword)
	})
	adminToken := res.adminToken

	step(t, "team list with load and seats", func(t *testing.T) {
		c := srv.client(t)
		var list userListJSON
		c.json("GET", "/api/users", adminToken, nil, http.StatusOK, &list)
		assert.Equal(t, seatsJSON{Limit: 10, Used: 10, Available: 0}, list.Seats, "seats")
		require.Len(t, list.Users, 11, "the seeded users")
		var names []string
		for _, u := range list.Users {
			team[u.Email] = u
			names = append(names, strings.ToLower(u.Name))
		}
		assert.IsNonDecreasing(t, names, "users sorted by name")
		checkUser(t, team["admin@acme.test"], "admin", "verified", 2, 8)
		checkUser(t, team["ben@acme.test"], "user", "verified", 7, 10)
		checkUser(t, team["chloe@acme.test"], "user", "verified", 6, 6)
		checkUser(t, team["farah@acme.test"], "user", "not_verified", 0, 4)
		assert.Equal(t, "archived", team["emma@acme.test"].Status, "emma status")
		assert.Nil(t, team["farah@acme.test"].VerifiedAt, "farah verified_at")

		var seats seatsJSON
		c.json("GET", "/api/seats", adminToken, nil, http.StatusOK, &seats)
		assert.Equal(t, list.Seats, seats, "GET /api/seats and the list's seats")
	})

	step(t, "hide a column", func(t *testing.T) {
		c := srv.client(t)
		var cols columnsJSON
		c.json("GET", "/api/users/columns", adminToken, nil, http.StatusOK, &cols)
		for _, name := range []string{"role", "verification_status", "can_access_phone_calls", "can_access_ai_assistant", "conversation_limit"} {
			assert.Contains(t, cols.Columns, name, "columns")
			assert.True(t, cols.Columns[name], "column %s shown by default", name)
		}
		body := map[string]any{"columns": map[string]bool{"role": false}}
		c.json("PUT", "/api/users/columns", adminToken, body, http.StatusOK, &cols)
		assert.False(t, cols.Columns["role"], "PUT response: role column")
		c.json("GET", "/api/users/columns", adminToken, nil, http.StatusOK, &cols)
		assert.False(t, cols.Columns["role"], "read back: role column")
		assert.True(t, cols.Columns["conversation_limit"], "read back: conversation_limit column")
	})

	invite := map[string]any{
		"email":                   "nora@acme.test",
		"name":                    "Nora Quinn",
		"role":                    "user",
		"conversation_limit":      6,
		"can_access_phone_calls":  true,
		"can_access_ai_assistant": false,
	}

	step(t, "invite into full company", func(t *testing.T) {
		c := srv.client(t)
		p := c.problem("POST", "/api/users", adminToken, invite, http.StatusConflict)
		assert.Equal(t, "no_seat_available", p.Code)
	})

	step(t, "edit role and limit", func(t *testing.T) {
		c := srv.client(t)
		ben := team["ben@acme.test"]
		var before userJSON
		resp := c.json("GET", "/api/users/"+ben.ID, adminToken, nil, http.StatusOK, &before)
		etag := resp.header.Get("ETag")
		require.Equal(t, fmt.Sprintf(`W/"%d"`, before.Version), etag, "ETag")
		change := map[string]any{"role": "admin", "conversation_limit": 12}

		stale := c.request("PATCH", "/api/users/"+ben.ID, adminToken, change, map[string]string{"If-Match": `W/"1"`})
		assert.Equal(t, http.StatusPreconditionFailed, stale.status, "PATCH with a stale If-Match: status; body %s", stale.body)

		var after userJSON
		resp = c.doJSON("PATCH", "/api/users/"+ben.ID, adminToken, change, map[string]string{"If-Match": etag}, http.StatusOK, &after)
		assert.Equal(t, "admin", after.Role, "role")
		assert.Equal(t, 12, after.ConversationLimit, "conversation_limit")
		assert.Equal(t, 7, after.OpenConversations, "open_conversations unchanged")
		assert.Equal(t, before.Version+1, after.Version, "version")
		assert.Equal(t, fmt.Sprintf(`W/"%d"`, after.Version), resp.header.Get("ETag"), "ETag after PATCH")

		var reread userJSON
		c.json("GET", "/api/users/"+ben.ID, adminToken, nil, http.StatusOK, &reread)
		assert.Equal(t, "admin", reread.Role, "read back: role")
		assert.Equal(t, 12, reread.ConversationLimit, "read back: conversation_limit")
	})

	step(t, "archive with wrong confirmation", func(t *testing.T) {
		c := srv.client(t)
		diego := team["diego@acme.test"]
		p := c.problem("POST", "/api/users/"+diego.ID+"/archive", adminToken, map[string]string{"confirmation": "Diego"}, http.StatusUnprocessableEntity)
		assert.Equal(t, "confirmation_mismatch", p.Code)
		var now userJSON
		c.json("GET", "/api/users/"+diego.ID, adminToken, nil, http.StatusOK, &now)
		assert.Equal(t, "active", now.Status, "status")
		assert.Equal(t, diego.Version, now.Version, "version unchanged")
		c.expectSeats(adminToken, seatsJSON{Limit: 10, Used: 10, Available: 0})
	})

	step(t, "archive frees the seat", func(t *testing.T) {
		c := srv.client(t)
		diego := team["diego@acme.test"]
		diegoToken := c.login("diego@acme.test", demoPassword)
		var archived userJSON
		c.json("POST", "/api/users/"+diego.ID+"/archive", adminToken, map[string]string{"confirmation": "diego@acme.test"}, http.StatusOK, &archived)
		assert.Equal(t, "archived", archived.Status, "status")
		assert.NotNil(t, archived.ArchivedAt, "archived_at")
		c.expectSeats(adminToken, seatsJSON{Limit: 10, Used: 9, Available: 1})

		p := c.problem("POST", "/login", "", map[string]string{"email": "diego@acme.test", "password": demoPassword}, http.StatusForbidden)
		assert.Equal(t, "archived", p.Code, "archived user's login: code")

		// The Archived hook ended Diego's session, so his old token fails on
		// the host's own routes as well as on the API.
		c.status("POST", "/logout", diegoToken, nil, http.StatusUnauthorized)
		c.status("GET", "/api/users", diegoToken, nil, http.StatusUnauthorized)
	})

	step(t, "invite into the freed seat", func(t *testing.T) {
		c := srv.client(t)
		resp := c.json("POST", "/api/users", adminToken, invite, http.StatusCreated, &res.nora)
		nora := res.nora
		assert.Equal(t, "not_verified", nora.VerificationStatus, "verification_status")
		assert.Equal(t, 6, nora.ConversationLimit, "conversation_limit")
		assert.True(t, nora.CanAccessPhoneCalls, "can_access_phone_calls")
		assert.False(t, nora.CanAccessAIAssistant, "can_access_ai_assistant")
		assert.Equal(t, "/api/users/"+nora.ID, resp.header.Get("Location"), "Location")
		c.expectSeats(adminToken, seatsJSON{Limit: 10, Used: 10, Available: 0})
	})
	nora := res.nora

	step(t, "invitee verifies and logs in", func(t *testing.T) {
		c := srv.client(t)
		line := regexp.MustCompile(`msg="verification token issued" email=nora@acme\.test token=(\S+)`)
		m := srv.logs.waitFor(t, line, 10*time.Second)
		token := m[1]

		p := c.problem("POST", "/login", "", map[string]string{"email": "nora@acme.test", "password": noraPassword}, http.StatusUnauthorized)
		assert.Equal(t, "invalid_credentials", p.Code, "login before verifying: code")

		var session sessionJSON
		c.json("POST", "/verify", "", map[string]string{"token": token, "password": noraPassword}, http.StatusOK, &session)
		require.NotEmpty(t, session.Token, "POST /verify session token")
		res.noraVerifyToken = session.Token
		p = c.problem("POST", "/verify", "", map[string]string{"token": token, "password": noraPassword}, http.StatusNotFound)
		assert.Equal(t, "not_found", p.Code, "reused token: code")

		res.noraToken = c.login("nora@acme.test", noraPassword)
		noraToken := res.noraToken
		var verified userJSON
		c.json("GET", "/api/users/"+nora.ID, adminToken, nil, http.StatusOK, &verified)
		assert.Equal(t, "verified", verified.VerificationStatus, "after verify: verification_status")
		assert.NotNil(t, verified.VerifiedAt, "after verify: verified_at")

		var list userListJSON
		c.json("GET", "/api/users", noraToken, nil, http.StatusOK, &list)
		assert.Len(t, list.Users, 12, "member's team list")
		p = c.problem("GET", "/api/activity", noraToken, nil, http.StatusForbidden)
		assert.Equal(t, "forbidden", p.Code, "member reading the activity log: code")

		c.status("POST", "/logout", noraToken, nil, http.StatusNoContent)
		p = c.problem("GET", "/api/users", noraToken, nil, http.StatusUnauthorized)
		assert.Equal(t, "unauthenticated", p.Code, "token after logout: code")
	})

	step(t, "other company is invisible", func(t *testing.T) {
		c := srv.client(t)
		res.globexToken = c.login("admin@globex.test", demoPassword)
		p := c.problem("GET", "/api/users/"+team["ben@acme.test"].ID, res.globexToken, nil, http.StatusNotFound)
		assert.Equal(t, "not_found", p.Code)
		c.expectSeats(res.globexToken, seatsJSON{Limit: 5, Used: 2, Available: 3})
	})

	admin := team["admin@acme.test"]

	step(t, "activity by user", func(t *testing.T) {
		c := srv.client(t)
		entries := c.activity(adminToken, "user_id="+admin.ID+"&limit=200")
		require.NotEmpty(t, entries, "entries by the admin")
		for _, e := range entries {
			require.NotNil(t, e.UserID, "entry %s of type %s: user_id", e.ID, e.Type)
			require.Equal(t, admin.ID, *e.UserID, "entry %s of type %s: user_id", e.ID, e.Type)
		}
		checkNewestFirst(t, entries)

		update := findEntry(entries, "user_updated", team["ben@acme.test"].ID)
		require.NotNil(t, update, "user_updated entry for Ben")
		changes := map[string][2]string{}
		for _, ch := range update.Details.Changes {
			changes[ch.Field] = [2]string{string(ch.Old), string(ch.New)}
		}
		assert.Equal(t, [2]string{`"user"`, `"admin"`}, changes["role"], "role change")
		assert.Equal(t, [2]string{"10", "12"}, changes["conversation_limit"], "conversation_limit change")
		if assert.NotNil(t, update.IPAddress, "update ip_address") {
			assert.Equal(t, "127.0.0.1", *update.IPAddress, "update ip_address")
		}
		assert.NotNil(t, findEntry(entries, "user_archived", team["diego@acme.test"].ID), "user_archived entry for Diego")
		assert.NotNil(t, findEntry(entries, "user_invited", nora.ID), "user_invited entry for Nora")

		logout := c.activity(adminToken, "user_id="+nora.ID+"&type=logout")
		assert.Len(t, logout, 1, "logout entries by Nora")
	})

	step(t, "activity by type", func(t *testing.T) {
		c := srv.client(t)
		rejected := c.activity(adminToken, "type=login_rejected&limit=200")
		reasons := map[string]bool{}
		for _, e := range rejected {
			require.Equal(t, "login_rejected", e.Type, "entry %s: type", e.ID)
			reasons[e.Details.Email+" "+e.Details.Reason] = true
		}
		for _, want := range []string{
			"admin@acme.test invalid_credentials",
			"farah@acme.test not_verified",
			"emma@acme.test archived",
			"diego@acme.test archived",
		} {
			assert.Contains(t, reasons, want, "rejected logins")
		}

		two := c.activity(adminToken, "type=user_updated&type=user_archived&limit=200")
		var types []string
		for _, e := range two {
			require.Contains(t, []string{"user_updated", "user_archived"}, e.Type, "entry %s: type", e.ID)
			if !slices.Contains(types, e.Type) {
				types = append(types, e.Type)
			}
		}
		assert.ElementsMatch(t, []string{"user_updated", "user_archived"}, types, "types found")
	})

	step(t, "activity by date range", func(t *testing.T) {
		c := srv.client(t)
		from, to := today.AddDate(0, 0, -30), today.AddDate(0, 0, -20)
		query := "from=" + from.Format(time.DateOnly) + "&to=" + to.Format(time.DateOnly) + "&limit=200"
		entries := c.activity(adminToken, query)
		require.NotEmpty(t, entries, "entries between %s and %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
		// A date-only to includes that whole day.
		checkWithin(t, entries, from, to.AddDate(0, 0, 1))
		checkNewestFirst(t, entries)

		// One day read in New York time starts and ends at 05:00 or 04:00
		// UTC.
		zone, err := time.LoadLocation("America/New_York")
		require.NoError(t, err, "loading America/New_York")
		// The seed logs sessions on workdays only.
		day := today.AddDate(0, 0, -10)
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, -1)
		}
		zoned := c.activity(adminToken, "from="+day.Format(time.DateOnly)+"&to="+day.Format(time.DateOnly)+"&tz=America/New_York&limit=200")
		require.NotEmpty(t, zoned, "entries on %s in New York time", day.Format(time.DateOnly))
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, zone)
		checkWithin(t, zoned, start, start.AddDate(0, 0, 1))

		p := c.problem("GET", "/api/activity?from="+to.Format(time.DateOnly)+"&to="+from.Format(time.DateOnly), adminToken, nil, http.StatusUnprocessableEntity)
		assert.Equal(t, "invalid_request", p.Code, "reversed range: code")
	})

	step(t, "activity pages by cursor", func(t *testing.T) {
		c := srv.client(t)
		var first, second activityJSON
		c.json("GET", "/api/activity?limit=5", adminToken, nil, http.StatusOK, &first)
		require.Len(t, first.Entries, 5, "first page")
		require.NotNil(t, first.NextCursor, "first page: next_cursor")
		c.json("GET", "/api/activity?limit=5&cursor="+*first.NextCursor, adminToken, nil, http.StatusOK, &second)
		require.Len(t, second.Entries, 5, "second page")
		checkNewestFirst(t, append(first.Entries, second.Entries...))
	})

	step(t, "admin logs out", func(t *testing.T) {
		c := srv.client(t)
		c.status("POST", "/logout", adminToken, nil, http.StatusNoContent)
		p := c.problem("GET", "/api/users", adminToken, nil, http.StatusUnauthorized)
		assert.Equal(t, "unauthenticated", p.Code)
	})
	return res
}

// teamState is what an Acme admin's session reads of the company: the
// basis for comparing a run with the next one.
type teamState struct {
	// token is the session the state was read with.
	token   string
	users   []userJSON
	seats   seatsJSON
	columns map[string]bool
	// entries is the whole activity log, newest first.
	entries []entryJSON
}

// readTeamState reads the team, the seat usage, the viewer's columns and
// the whole activity log with token. None of these requests writes an
// activity entry.
func readTeamState(c *client, token string) teamState {
	c.t.Helper()
	s := teamState{token: token}
	var list userListJSON
	c.json("GET", "/api/users?limit=100", token, nil, http.StatusOK, &list)
	require.Nil(c.t, list.NextCursor, "one page holds the whole team")
	s.users = list.Users
	c.json("GET", "/api/seats", token, nil, http.StatusOK, &s.seats)
	var cols columnsJSON
	c.json("GET", "/api/users/columns", token, nil, http.StatusOK, &cols)
	s.columns = cols.Columns
	s.entries = c.allActivity(token)
	return s
}

// step runs one part of the story as a subtest and stops the test when it
// fails, because later parts build on its result.
func step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

func checkUser(t *testing.T, u userJSON, role, verification string, open, limit int) {
	t.Helper()
	assert.Equal(t, role, u.Role, "%s: role", u.Email)
	assert.Equal(t, verification, u.VerificationStatus, "%s: verification_status", u.Email)
	assert.Equal(t, open, u.OpenConversations, "%s: open_conversations", u.Email)
	assert.Equal(t, limit, u.ConversationLimit, "%s: conversation_limit", u.Email)
}

// findUser returns the user with the given id, and fails t when there is
// none.
func findUser(t *testing.T, list []userJSON, id string) userJSON {
	t.Helper()
	i := slices.IndexFunc(list, func(u userJSON) bool { return u.ID == id })
	require.GreaterOrEqual(t, i, 0, "user %s in the list", id)
	return list[i]
}

func userIDs(list []userJSON) []string {
	ids := make([]string, len(list))
	for i, u := range list {
		ids[i] = u.ID
	}
	return ids
}

func entryIDs(entries []entryJSON) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return ids
}

func findEntry(entries []entryJSON, typ, target string) *entryJSON {
	for i, e := range entries {
		if e.Type == typ && e.TargetUserID != nil && *e.TargetUserID == target {
			return &entries[i]
		}
	}
	return nil
}

func checkNewestFirst(t *testing.T, entries []entryJSON) {
	t.Helper()
	for i := 1; i < len(entries); i++ {
		require.LessOrEqual(t, entries[i].OccurredAt, entries[i-1].OccurredAt,
			"entry %d is newer than entry %d", i, i-1)
	}
}

// checkWithin checks that every entry occurred in [from, until).
func checkWithin(t *testing.T, entries []entryJSON, from, until time.Time) {
	t.Helper()
	for _, e := range entries {
		at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
		require.NoError(t, err, "entry %s: occurred_at %q is not RFC 3339", e.ID, e.OccurredAt)
		assert.False(t, at.Before(from), "entry %s occurred at %s, before %s", e.ID, e.OccurredAt, from.UTC().Format(time.RFC3339))
		assert.True(t, at.Before(until), "entry %s occurred at %s, not before %s", e.ID, e.OccurredAt, until.UTC().Format(time.RFC3339))
	}
}

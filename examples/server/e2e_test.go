package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end test builds the server, runs it as a separate process on
// a free loopback port and drives an admin's day over real HTTP. The admin
// reads the seeded team, changes it, archives a user and invites a new one
// into the freed seat. The invitee verifies with the token from the
// server's log, and the admin reads the activity log.

const (
	demoPassword = "roster-demo"
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
	srv := startServer(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)

	var adminToken string
	team := map[string]userJSON{}

	step(t, "login rejections", func(t *testing.T) {
		c := srv.client(t)
		cases := []struct {
			email, password string
			status          int
			code            string
		}{
			{"admin@acme.test", "wrong-password", http.StatusUnauthorized, "invalid_credentials"},
			{"nobody@acme.test", demoPassword, http.StatusUnauthorized, "invalid_credentials"},
			{"farah@acme.test", demoPassword, http.StatusForbidden, "not_verified"},
			{"emma@acme.test", demoPassword, http.StatusForbidden, "archived"},
		}
		for _, tc := range cases {
			p := c.problem("POST", "/login", "", map[string]string{"email": tc.email, "password": tc.password}, tc.status)
			if p.Code != tc.code {
				t.Errorf("login %s: code = %q, want %q", tc.email, p.Code, tc.code)
			}
		}
	})

	step(t, "admin logs in", func(t *testing.T) {
		c := srv.client(t)
		adminToken = c.login("admin@acme.test", demoPassword)
	})

	step(t, "team list with load and seats", func(t *testing.T) {
		c := srv.client(t)
		var list userListJSON
		c.json("GET", "/api/users", adminToken, nil, http.StatusOK, &list)
		if list.Seats != (seatsJSON{Limit: 10, Used: 10, Available: 0}) {
			t.Errorf("seats = %+v, want 10 of 10 used", list.Seats)
		}
		if len(list.Users) != 11 {
			t.Fatalf("got %d users, want the 11 seeded ones", len(list.Users))
		}
		var names []string
		for _, u := range list.Users {
			team[u.Email] = u
			names = append(names, strings.ToLower(u.Name))
		}
		if !slices.IsSorted(names) {
			t.Errorf("users are not sorted by name: %v", names)
		}
		checkUser(t, team["admin@acme.test"], "admin", "verified", 2, 8)
		checkUser(t, team["ben@acme.test"], "user", "verified", 7, 10)
		checkUser(t, team["chloe@acme.test"], "user", "verified", 6, 6)
		checkUser(t, team["farah@acme.test"], "user", "not_verified", 0, 4)
		if got := team["emma@acme.test"].Status; got != "archived" {
			t.Errorf("emma status = %q, want archived", got)
		}
		if got := team["farah@acme.test"].VerifiedAt; got != nil {
			t.Errorf("farah verified_at = %q, want null", *got)
		}

		var seats seatsJSON
		c.json("GET", "/api/seats", adminToken, nil, http.StatusOK, &seats)
		if seats != list.Seats {
			t.Errorf("GET /api/seats = %+v, want the list's %+v", seats, list.Seats)
		}
	})

	step(t, "hide a column", func(t *testing.T) {
		c := srv.client(t)
		var cols columnsJSON
		c.json("GET", "/api/users/columns", adminToken, nil, http.StatusOK, &cols)
		for _, name := range []string{"role", "verification_status", "can_access_phone_calls", "can_access_ai_assistant", "conversation_limit"} {
			if shown, ok := cols.Columns[name]; !ok || !shown {
				t.Errorf("column %s: shown = %v, present = %v; want shown by default", name, shown, ok)
			}
		}
		body := map[string]any{"columns": map[string]bool{"role": false}}
		c.json("PUT", "/api/users/columns", adminToken, body, http.StatusOK, &cols)
		if cols.Columns["role"] {
			t.Errorf("PUT response shows role, want it hidden")
		}
		c.json("GET", "/api/users/columns", adminToken, nil, http.StatusOK, &cols)
		if cols.Columns["role"] {
			t.Errorf("read back: role is shown, want hidden")
		}
		if !cols.Columns["conversation_limit"] {
			t.Errorf("read back: conversation_limit is hidden, want shown")
		}
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
		if p.Code != "no_seat_available" {
			t.Errorf("code = %q, want no_seat_available", p.Code)
		}
	})

	step(t, "edit role and limit", func(t *testing.T) {
		c := srv.client(t)
		ben := team["ben@acme.test"]
		var before userJSON
		resp := c.json("GET", "/api/users/"+ben.ID, adminToken, nil, http.StatusOK, &before)
		etag := resp.header.Get("ETag")
		if want := fmt.Sprintf(`W/"%d"`, before.Version); etag != want {
			t.Fatalf("ETag = %q, want %q", etag, want)
		}
		change := map[string]any{"role": "admin", "conversation_limit": 12}

		stale := c.request("PATCH", "/api/users/"+ben.ID, adminToken, change, map[string]string{"If-Match": `W/"1"`})
		if stale.status != http.StatusPreconditionFailed {
			t.Errorf("PATCH with a stale If-Match: status = %d, want 412; body %s", stale.status, stale.body)
		}

		var after userJSON
		resp = c.doJSON("PATCH", "/api/users/"+ben.ID, adminToken, change, map[string]string{"If-Match": etag}, http.StatusOK, &after)
		if after.Role != "admin" {
			t.Errorf("role = %q, want admin", after.Role)
		}
		if after.ConversationLimit != 12 {
			t.Errorf("conversation_limit = %d, want 12", after.ConversationLimit)
		}
		if after.OpenConversations != 7 {
			t.Errorf("open_conversations = %d, want 7 unchanged", after.OpenConversations)
		}
		if after.Version != before.Version+1 {
			t.Errorf("version = %d, want %d", after.Version, before.Version+1)
		}
		if got, want := resp.header.Get("ETag"), fmt.Sprintf(`W/"%d"`, after.Version); got != want {
			t.Errorf("ETag after PATCH = %q, want %q", got, want)
		}

		var reread userJSON
		c.json("GET", "/api/users/"+ben.ID, adminToken, nil, http.StatusOK, &reread)
		if reread.Role != "admin" || reread.ConversationLimit != 12 {
			t.Errorf("read back: role %q, limit %d; want admin, 12", reread.Role, reread.ConversationLimit)
		}
	})

	step(t, "archive with wrong confirmation", func(t *testing.T) {
		c := srv.client(t)
		diego := team["diego@acme.test"]
		p := c.problem("POST", "/api/users/"+diego.ID+"/archive", adminToken, map[string]string{"confirmation": "Diego"}, http.StatusUnprocessableEntity)
		if p.Code != "confirmation_mismatch" {
			t.Errorf("code = %q, want confirmation_mismatch", p.Code)
		}
		var now userJSON
		c.json("GET", "/api/users/"+diego.ID, adminToken, nil, http.StatusOK, &now)
		if now.Status != "active" {
			t.Errorf("status = %q, want active", now.Status)
		}
		if now.Version != diego.Version {
			t.Errorf("version = %d, want %d unchanged", now.Version, diego.Version)
		}
		c.expectSeats(adminToken, seatsJSON{Limit: 10, Used: 10, Available: 0})
	})

	step(t, "archive frees the seat", func(t *testing.T) {
		c := srv.client(t)
		diego := team["diego@acme.test"]
		var archived userJSON
		c.json("POST", "/api/users/"+diego.ID+"/archive", adminToken, map[string]string{"confirmation": "diego@acme.test"}, http.StatusOK, &archived)
		if archived.Status != "archived" {
			t.Errorf("status = %q, want archived", archived.Status)
		}
		if archived.ArchivedAt == nil {
			t.Errorf("archived_at is null, want the archive time")
		}
		c.expectSeats(adminToken, seatsJSON{Limit: 10, Used: 9, Available: 1})

		p := c.problem("POST", "/login", "", map[string]string{"email": "diego@acme.test", "password": demoPassword}, http.StatusForbidden)
		if p.Code != "archived" {
			t.Errorf("archived user's login: code = %q, want archived", p.Code)
		}
	})

	var nora userJSON
	var noraToken string

	step(t, "invite into the freed seat", func(t *testing.T) {
		c := srv.client(t)
		resp := c.json("POST", "/api/users", adminToken, invite, http.StatusCreated, &nora)
		if nora.VerificationStatus != "not_verified" {
			t.Errorf("verification_status = %q, want not_verified", nora.VerificationStatus)
		}
		if nora.ConversationLimit != 6 || !nora.CanAccessPhoneCalls || nora.CanAccessAIAssistant {
			t.Errorf("invitee = %+v, want limit 6, phone calls only", nora)
		}
		if got, want := resp.header.Get("Location"), "/api/users/"+nora.ID; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		c.expectSeats(adminToken, seatsJSON{Limit: 10, Used: 10, Available: 0})
	})

	step(t, "invitee verifies and logs in", func(t *testing.T) {
		c := srv.client(t)
		line := regexp.MustCompile(`msg="verification token issued" email=nora@acme\.test token=(\S+)`)
		m := srv.logs.waitFor(t, line, 10*time.Second)
		token := m[1]

		p := c.problem("POST", "/login", "", map[string]string{"email": "nora@acme.test", "password": "nora-password-1"}, http.StatusUnauthorized)
		if p.Code != "invalid_credentials" {
			t.Errorf("login before verifying: code = %q, want invalid_credentials", p.Code)
		}

		var session sessionJSON
		c.json("POST", "/verify", "", map[string]string{"token": token, "password": "nora-password-1"}, http.StatusOK, &session)
		if session.Token == "" {
			t.Fatalf("POST /verify returned no session token")
		}
		p = c.problem("POST", "/verify", "", map[string]string{"token": token, "password": "nora-password-1"}, http.StatusNotFound)
		if p.Code != "not_found" {
			t.Errorf("reused token: code = %q, want not_found", p.Code)
		}

		noraToken = c.login("nora@acme.test", "nora-password-1")
		var verified userJSON
		c.json("GET", "/api/users/"+nora.ID, adminToken, nil, http.StatusOK, &verified)
		if verified.VerificationStatus != "verified" || verified.VerifiedAt == nil {
			t.Errorf("after verify: status %q, verified_at %v; want verified with a time", verified.VerificationStatus, verified.VerifiedAt)
		}

		var list userListJSON
		c.json("GET", "/api/users", noraToken, nil, http.StatusOK, &list)
		if len(list.Users) != 12 {
			t.Errorf("member's team list has %d users, want 12", len(list.Users))
		}
		p = c.problem("GET", "/api/activity", noraToken, nil, http.StatusForbidden)
		if p.Code != "forbidden" {
			t.Errorf("member reading the activity log: code = %q, want forbidden", p.Code)
		}

		c.status("POST", "/logout", noraToken, nil, http.StatusNoContent)
		p = c.problem("GET", "/api/users", noraToken, nil, http.StatusUnauthorized)
		if p.Code != "unauthenticated" {
			t.Errorf("token after logout: code = %q, want unauthenticated", p.Code)
		}
	})

	step(t, "other company is invisible", func(t *testing.T) {
		c := srv.client(t)
		globex := c.login("admin@globex.test", demoPassword)
		p := c.problem("GET", "/api/users/"+team["ben@acme.test"].ID, globex, nil, http.StatusNotFound)
		if p.Code != "not_found" {
			t.Errorf("code = %q, want not_found", p.Code)
		}
		c.expectSeats(globex, seatsJSON{Limit: 5, Used: 2, Available: 3})
	})

	admin := team["admin@acme.test"]

	step(t, "activity by user", func(t *testing.T) {
		c := srv.client(t)
		entries := c.activity(adminToken, "user_id="+admin.ID+"&limit=200")
		if len(entries) == 0 {
			t.Fatal("no entries by the admin")
		}
		for _, e := range entries {
			if e.UserID == nil || *e.UserID != admin.ID {
				t.Fatalf("entry %s of type %s is by %v, want %s", e.ID, e.Type, e.UserID, admin.ID)
			}
		}
		checkNewestFirst(t, entries)

		update := findEntry(entries, "user_updated", team["ben@acme.test"].ID)
		if update == nil {
			t.Fatal("no user_updated entry for Ben")
		}
		changes := map[string][2]string{}
		for _, ch := range update.Details.Changes {
			changes[ch.Field] = [2]string{string(ch.Old), string(ch.New)}
		}
		if got, want := changes["role"], [2]string{`"user"`, `"admin"`}; got != want {
			t.Errorf("role change = %v, want %v", got, want)
		}
		if got, want := changes["conversation_limit"], [2]string{"10", "12"}; got != want {
			t.Errorf("conversation_limit change = %v, want %v", got, want)
		}
		if update.IPAddress == nil || *update.IPAddress != "127.0.0.1" {
			t.Errorf("update ip_address = %v, want 127.0.0.1", update.IPAddress)
		}
		if findEntry(entries, "user_archived", team["diego@acme.test"].ID) == nil {
			t.Error("no user_archived entry for Diego")
		}
		if findEntry(entries, "user_invited", nora.ID) == nil {
			t.Error("no user_invited entry for Nora")
		}

		logout := c.activity(adminToken, "user_id="+nora.ID+"&type=logout")
		if len(logout) != 1 {
			t.Errorf("got %d logout entries by Nora, want 1", len(logout))
		}
	})

	step(t, "activity by type", func(t *testing.T) {
		c := srv.client(t)
		rejected := c.activity(adminToken, "type=login_rejected&limit=200")
		reasons := map[string]bool{}
		for _, e := range rejected {
			if e.Type != "login_rejected" {
				t.Fatalf("entry %s has type %s, want login_rejected", e.ID, e.Type)
			}
			reasons[e.Details.Email+" "+e.Details.Reason] = true
		}
		for _, want := range []string{
			"admin@acme.test invalid_credentials",
			"farah@acme.test not_verified",
			"emma@acme.test archived",
			"diego@acme.test archived",
		} {
			if !reasons[want] {
				t.Errorf("no rejected login %q among %v", want, reasons)
			}
		}

		two := c.activity(adminToken, "type=user_updated&type=user_archived&limit=200")
		var types []string
		for _, e := range two {
			if e.Type != "user_updated" && e.Type != "user_archived" {
				t.Fatalf("entry %s has type %s, want user_updated or user_archived", e.ID, e.Type)
			}
			if !slices.Contains(types, e.Type) {
				types = append(types, e.Type)
			}
		}
		if len(types) != 2 {
			t.Errorf("types found = %v, want both user_updated and user_archived", types)
		}
	})

	step(t, "activity by date range", func(t *testing.T) {
		c := srv.client(t)
		from, to := today.AddDate(0, 0, -30), today.AddDate(0, 0, -20)
		query := "from=" + from.Format(time.DateOnly) + "&to=" + to.Format(time.DateOnly) + "&limit=200"
		entries := c.activity(adminToken, query)
		if len(entries) == 0 {
			t.Fatalf("no entries between %s and %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		// A date-only to includes that whole day.
		checkWithin(t, entries, from, to.AddDate(0, 0, 1))
		checkNewestFirst(t, entries)

		// One day read in New York time starts and ends at 05:00 or 04:00
		// UTC.
		zone, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatalf("loading America/New_York: %v", err)
		}
		// The seed logs sessions on workdays only.
		day := today.AddDate(0, 0, -10)
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, -1)
		}
		zoned := c.activity(adminToken, "from="+day.Format(time.DateOnly)+"&to="+day.Format(time.DateOnly)+"&tz=America/New_York&limit=200")
		if len(zoned) == 0 {
			t.Fatalf("no entries on %s in New York time", day.Format(time.DateOnly))
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, zone)
		checkWithin(t, zoned, start, start.AddDate(0, 0, 1))

		p := c.problem("GET", "/api/activity?from="+to.Format(time.DateOnly)+"&to="+from.Format(time.DateOnly), adminToken, nil, http.StatusUnprocessableEntity)
		if p.Code != "invalid_request" {
			t.Errorf("reversed range: code = %q, want invalid_request", p.Code)
		}
	})

	step(t, "activity pages by cursor", func(t *testing.T) {
		c := srv.client(t)
		var first, second activityJSON
		c.json("GET", "/api/activity?limit=5", adminToken, nil, http.StatusOK, &first)
		if len(first.Entries) != 5 || first.NextCursor == nil {
			t.Fatalf("first page: %d entries, cursor %v; want 5 and a cursor", len(first.Entries), first.NextCursor)
		}
		c.json("GET", "/api/activity?limit=5&cursor="+*first.NextCursor, adminToken, nil, http.StatusOK, &second)
		if len(second.Entries) != 5 {
			t.Fatalf("second page: %d entries, want 5", len(second.Entries))
		}
		checkNewestFirst(t, append(first.Entries, second.Entries...))
	})

	step(t, "admin logs out", func(t *testing.T) {
		c := srv.client(t)
		c.status("POST", "/logout", adminToken, nil, http.StatusNoContent)
		p := c.problem("GET", "/api/users", adminToken, nil, http.StatusUnauthorized)
		if p.Code != "unauthenticated" {
			t.Errorf("code = %q, want unauthenticated", p.Code)
		}
	})

	step(t, "SIGTERM stops the server", func(t *testing.T) {
		srv.stop(t)
		srv.logs.waitFor(t, regexp.MustCompile(`msg="server stopped"`), time.Second)
	})
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
	if u.Role != role {
		t.Errorf("%s: role = %q, want %q", u.Email, u.Role, role)
	}
	if u.VerificationStatus != verification {
		t.Errorf("%s: verification_status = %q, want %q", u.Email, u.VerificationStatus, verification)
	}
	if u.OpenConversations != open || u.ConversationLimit != limit {
		t.Errorf("%s: load = %d/%d, want %d/%d", u.Email, u.OpenConversations, u.ConversationLimit, open, limit)
	}
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
		if entries[i].OccurredAt > entries[i-1].OccurredAt {
			t.Fatalf("entry %d (%s) is newer than entry %d (%s)", i, entries[i].OccurredAt, i-1, entries[i-1].OccurredAt)
		}
	}
}

// checkWithin checks that every entry occurred in [from, until).
func checkWithin(t *testing.T, entries []entryJSON, from, until time.Time) {
	t.Helper()
	for _, e := range entries {
		at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
		if err != nil {
			t.Fatalf("entry %s: occurred_at %q is not RFC 3339: %v", e.ID, e.OccurredAt, err)
		}
		if at.Before(from) || !at.Before(until) {
			t.Errorf("entry %s occurred at %s, outside [%s, %s)", e.ID, e.OccurredAt, from.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
		}
	}
}

// client sends JSON requests to the server and checks their status.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *client) request(method, path, token string, body any, headers map[string]string) response {
	c.t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatalf("encoding the %s %s body: %v", method, path, err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		c.t.Fatalf("building %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// doJSON sends a request, checks the status and decodes the body into out.
func (c *client) doJSON(method, path, token string, body any, headers map[string]string, status int, out any) response {
	c.t.Helper()
	resp := c.request(method, path, token, body, headers)
	if resp.status != status {
		c.t.Fatalf("%s %s: status = %d, want %d; body %s", method, path, resp.status, status, resp.body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.body, out); err != nil {
			c.t.Fatalf("%s %s: decoding %s: %v", method, path, resp.body, err)
		}
	}
	return resp
}

func (c *client) json(method, path, token string, body any, status int, out any) response {
	c.t.Helper()
	return c.doJSON(method, path, token, body, nil, status, out)
}

func (c *client) status(method, path, token string, body any, status int) {
	c.t.Helper()
	c.doJSON(method, path, token, body, nil, status, nil)
}

// problem sends a request that must fail with status and returns its
// problem body.
func (c *client) problem(method, path, token string, body any, status int) problemJSON {
	c.t.Helper()
	var p problemJSON
	resp := c.doJSON(method, path, token, body, nil, status, &p)
	if ct := resp.header.Get("Content-Type"); ct != "application/problem+json" {
		c.t.Errorf("%s %s: Content-Type = %q, want application/problem+json", method, path, ct)
	}
	if p.Status != status {
		c.t.Errorf("%s %s: problem status = %d, want %d", method, path, p.Status, status)
	}
	return p
}

func (c *client) login(email, password string) string {
	c.t.Helper()
	var s sessionJSON
	c.json("POST", "/login", "", map[string]string{"email": email, "password": password}, http.StatusOK, &s)
	if s.Token == "" {
		c.t.Fatalf("login %s: empty token", email)
	}
	if !s.ExpiresAt.After(time.Now()) {
		c.t.Errorf("login %s: expires_at %s is not in the future", email, s.ExpiresAt)
	}
	return s.Token
}

func (c *client) expectSeats(token string, want seatsJSON) {
	c.t.Helper()
	var got seatsJSON
	c.json("GET", "/api/seats", token, nil, http.StatusOK, &got)
	if got != want {
		c.t.Errorf("seats = %+v, want %+v", got, want)
	}
}

// activity returns one page of the activity log for the query string.
func (c *client) activity(token, query string) []entryJSON {
	c.t.Helper()
	var page activityJSON
	c.json("GET", "/api/activity?"+query, token, nil, http.StatusOK, &page)
	return page.Entries
}

// serverProcess is the server running as a child process.
type serverProcess struct {
	cmd     *exec.Cmd
	baseURL string
	logs    *logLines
	exited  chan struct{}
	waitErr error
}

// startServer builds the server, starts it on a free loopback port and
// waits until it answers GET /healthz. The server is killed at the end of
// the test unless stop ended it.
func startServer(t *testing.T) *serverProcess {
	t.Helper()
	bin := buildServer(t)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	// A DATABASE_URL meant for other tests would select PostgreSQL.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DATABASE_URL=") })
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("piping the server's stderr: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	srv := &serverProcess{cmd: cmd, logs: &logLines{changed: make(chan struct{})}, exited: make(chan struct{})}
	go func() {
		srv.logs.read(stderr)
		srv.waitErr = cmd.Wait()
		close(srv.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-srv.exited:
		default:
			_ = cmd.Process.Kill()
			<-srv.exited
		}
		if t.Failed() {
			t.Logf("server log:\n%s", srv.logs.String())
		}
	})

	m := srv.logs.waitFor(t, regexp.MustCompile(`msg="server started" addr=(\S+)`), startTimeout)
	srv.baseURL = "http://" + m[1]
	if !strings.HasPrefix(m[1], "127.0.0.1:") {
		t.Fatalf("server listens on %s, want a loopback address", m[1])
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.baseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return srv
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s does not answer GET /healthz: %v", srv.baseURL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client returns a client of the server that reports failures to t.
func (s *serverProcess) client(t *testing.T) *client {
	return &client{t: t, base: s.baseURL, http: &http.Client{Timeout: 30 * time.Second}}
}

// stop sends SIGTERM and checks that the server exits with status 0.
func (s *serverProcess) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("sending SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("server still runs %s after SIGTERM", stopTimeout)
	}
	if s.waitErr != nil {
		t.Fatalf("server exited with %v, want status 0", s.waitErr)
	}
}

// buildServer compiles this package into a temporary directory, with the
// race detector when the test itself runs with it.
func buildServer(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "server")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// logLines collects the server's log lines and wakes waiters on each.
type logLines struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
	closed  bool
}

func (l *logLines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.closed = true
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// waitFor returns the submatches of the first line that matches re,
// waiting up to timeout for it.
func (l *logLines) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if m := re.FindStringSubmatch(line); m != nil {
				l.mu.Unlock()
				return m
			}
		}
		changed, closed := l.changed, l.closed
		l.mu.Unlock()
		if closed {
			t.Fatalf("the server exited without logging a line that matches %s", re)
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no server log line matches %s after %s", re, timeout)
		}
	}
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

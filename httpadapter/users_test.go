package httpadapter_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// userValues returns the JSON a route must send for u.
func userValues(u users.User) map[string]any {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return map[string]any{
		"id":                      u.ID.String(),
		"email":                   u.Email,
		"name":                    u.Name,
		"role":                    string(u.Role),
		"verification_status":     string(u.Verification),
		"can_access_phone_calls":  u.CanAccessPhoneCalls,
		"can_access_ai_assistant": u.CanAccessAIAssistant,
		"conversation_limit":      float64(u.ConversationLimit),
		"open_conversations":      float64(u.OpenConversations),
		"status":                  string(u.Status),
		"invited_at":              ts(u.InvitedAt),
		"verified_at":             ts(u.VerifiedAt),
		"archived_at":             ts(u.ArchivedAt),
		"version":                 float64(u.Version),
	}
}

func (f *fixture) reload(u users.User) users.User {
	f.t.Helper()
	got, err := f.users.User(f.ctx, u.CompanyID, u.ID)
	require.NoError(f.t, err)
	return got
}

func TestListUsersReturnsTeamAndSeats(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/users", f.agent, "")

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	body := decodeJSON(t, rec)
	assert.Equal(t, []any{userValues(f.admin), userValues(f.agent), userValues(f.invitee)}, body["users"])
	assert.Equal(t, map[string]any{"limit": 4.0, "used": 3.0, "available": 1.0}, body["seats"])
	assert.Nil(t, body["next_cursor"])
}

func TestListUsersTimestampsAreRFC3339Micro(t *testing.T) {
	f := newFixture(t)

	body := decodeJSON(t, f.call(http.MethodGet, "/users", f.admin, ""))

	first := body["users"].([]any)[0].(map[string]any)
	assert.Equal(t, "2026-03-01T09:30:00.123456Z", first["invited_at"])
	assert.Equal(t, "2026-03-01T09:30:00.123456Z", first["verified_at"])
	assert.Nil(t, first["archived_at"])
	invitee := body["users"].([]any)[2].(map[string]any)
	assert.Nil(t, invitee["verified_at"])
}

func TestListUsersPaginates(t *testing.T) {
	f := newFixture(t)

	first := decodeJSON(t, f.call(http.MethodGet, "/users?limit=2", f.admin, ""))
	require.Len(t, first["users"], 2)
	cursor, ok := first["next_cursor"].(string)
	require.True(t, ok, "next_cursor: %v", first["next_cursor"])
	require.NotEmpty(t, cursor)

	second := decodeJSON(t, f.call(http.MethodGet, "/users?limit=2&cursor="+cursor, f.admin, ""))

	assert.Equal(t, []any{userValues(f.invitee)}, second["users"])
	assert.Nil(t, second["next_cursor"])
}

func TestListUsersFilters(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Archive(f.ctx, f.actorOf(f.admin), f.agent.ID, "agent@acme.test", 0)
	require.NoError(t, err)
	agent := f.reload(f.agent)

	tests := []struct {
		query string
		want  []users.User
	}{
		{"status=archived", []users.User{agent}},
		{"status=active", []users.User{f.admin, f.invitee}},
		{"role=admin", []users.User{f.admin}},
		{"verification_status=not_verified", []users.User{f.invitee}},
		{"search=CLEO", []users.User{f.invitee}},
		{"search=acme.test&role=user", []users.User{agent, f.invitee}},
		{"status=&role=", []users.User{f.admin, agent, f.invitee}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := f.call(http.MethodGet, "/users?"+tt.query, f.admin, "")
			requireStatus(t, rec, http.StatusOK)
			want := make([]any, 0, len(tt.want))
			for _, u := range tt.want {
				want = append(want, userValues(u))
			}
			assert.Equal(t, want, decodeJSON(t, rec)["users"])
		})
	}
}

func TestListUsersRejectsBadQuery(t *testing.T) {
	tests := []struct {
		query  string
		status int
		field  string
	}{
		{"colour=red", http.StatusBadRequest, "colour"},
		{"status=active&status=archived", http.StatusBadRequest, "status"},
		{"limit=ten", http.StatusBadRequest, "limit"},
		{"limit=1.5", http.StatusBadRequest, "limit"},
		{"limit=99999999999999999999", http.StatusBadRequest, "limit"},
		{"limit=0", http.StatusUnprocessableEntity, "limit"},
		{"limit=-3", http.StatusUnprocessableEntity, "limit"},
		{"limit=101", http.StatusUnprocessableEntity, "limit"},
		{"status=deleted", http.StatusUnprocessableEntity, "status"},
		{"role=owner", http.StatusUnprocessableEntity, "role"},
		{"verification_status=maybe", http.StatusUnprocessableEntity, "verification_status"},
		{"cursor=not-a-cursor", http.StatusBadRequest, "cursor"},
		{"search=%7F", http.StatusUnprocessableEntity, "search"},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := f.call(http.MethodGet, "/users?"+tt.query, f.admin, "")
			requireProblem(t, rec, tt.status, "invalid_request", tt.field)
		})
	}
}

func TestListUsersRejectsMalformedQueryString(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/users?search=%zz", f.admin, "")

	requireProblem(t, rec, http.StatusBadRequest, "invalid_request", "")
}

func TestListUsersRejectsCursorOfOtherFilter(t *testing.T) {
	f := newFixture(t)
	first := decodeJSON(t, f.call(http.MethodGet, "/users?limit=1", f.admin, ""))
	cursor := first["next_cursor"].(string)

	rec := f.call(http.MethodGet, "/users?limit=1&role=user&cursor="+cursor, f.admin, "")

	requireProblem(t, rec, http.StatusBadRequest, "invalid_request", "cursor")
}

func TestGetUserReturnsUserWithETag(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/users/"+f.invitee.ID.String(), f.agent, "")

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, `W/"1"`, rec.Header().Get("ETag"))
	assert.Equal(t, userValues(f.invitee), decodeJSON(t, rec))
}

func TestGetUserUnknownIsNotFound(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/users/"+uuid.NewString(), f.admin, "")

	requireProblem(t, rec, http.StatusNotFound, "not_found", "")
}

func TestInviteCreatesUserWithDefaults(t *testing.T) {
	f := newFixture(t)
	req := newRequest(http.MethodPost, "/users", &f.admin, `{"email":" dana@acme.test ","name":"Dana New"}`)
	req.RemoteAddr = "198.51.100.7:4321"

	rec := f.do(req)

	requireStatus(t, rec, http.StatusCreated)
	body := decodeJSON(t, rec)
	id, err := uuid.Parse(body["id"].(string))
	require.NoError(t, err)
	assert.Equal(t, "/users/"+id.String(), rec.Header().Get("Location"))
	assert.Equal(t, `W/"1"`, rec.Header().Get("ETag"))
	stored := f.reload(users.User{CompanyID: f.acme.ID, ID: id})
	assert.Equal(t, userValues(stored), body)
	assert.Equal(t, "dana@acme.test", body["email"])
	assert.Equal(t, "user", body["role"])
	assert.Equal(t, float64(users.DefaultConversationLimit), body["conversation_limit"])
	assert.Equal(t, false, body["can_access_phone_calls"])
	assert.Equal(t, false, body["can_access_ai_assistant"])
	assert.Equal(t, "not_verified", body["verification_status"])
	assert.Equal(t, "active", body["status"])

	log, err := f.activity.Query(f.ctx, f.acme.ID, activity.Query{Types: []activity.Type{activity.TypeUserInvited}, Limit: 1})
	require.NoError(t, err)
	require.Len(t, log.Entries, 1)
	assert.Equal(t, id, log.Entries[0].TargetUserID)
	assert.Equal(t, f.admin.ID, log.Entries[0].UserID)
	assert.Equal(t, addr("198.51.100.7"), log.Entries[0].IP)
	assert.Equal(t, "roster-test/1.0", log.Entries[0].UserAgent)
	assert.NotEmpty(t, f.tokens["dana@acme.test"])
}

func TestInviteSetsEveryField(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodPost, "/users", f.admin, `{"email":"dana@acme.test","name":"Dana New","role":"admin",
		"conversation_limit":0,"can_access_phone_calls":true,"can_access_ai_assistant":true}`)

	requireStatus(t, rec, http.StatusCreated)
	body := decodeJSON(t, rec)
	assert.Equal(t, "admin", body["role"])
	assert.Equal(t, 0.0, body["conversation_limit"])
	assert.Equal(t, true, body["can_access_phone_calls"])
	assert.Equal(t, true, body["can_access_ai_assistant"])
}

func TestInviteAcceptsJSONWithCharset(t *testing.T) {
	f := newFixture(t)
	req := newRequest(http.MethodPost, "/users", &f.admin, `{"email":"dana@acme.test","name":"Dana"}`)
	req.Header.Set("Content-Type", "Application/JSON; charset=UTF-8")

	rec := f.do(req)

	requireStatus(t, rec, http.StatusCreated)
}

func TestInviteIntoFullCompanyIsRejected(t *testing.T) {
	f := newFixture(t)
	requireStatus(t, f.call(http.MethodPost, "/users", f.admin, `{"email":"dana@acme.test","name":"Dana"}`), http.StatusCreated)
	before := f.snapshot()

	rec := f.call(http.MethodPost, "/users", f.admin, `{"email":"eve@acme.test","name":"Eve"}`)

	requireProblem(t, rec, http.StatusConflict, "no_seat_available", "")
	assert.Equal(t, before, f.snapshot())
}

func TestInviteTakenEmailIsRejected(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPost, "/users", f.admin, `{"email":"AGENT@acme.test","name":"Bob Again"}`)

	requireProblem(t, rec, http.StatusConflict, "email_taken", "")
	assert.Equal(t, before, f.snapshot())
}

func TestInviteInvalidValuesNameFields(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"bad email", `{"email":"not an email","name":"Dana"}`, "email"},
		{"empty email", `{"email":"","name":"Dana"}`, "email"},
		{"mixed scripts", `{"email":"pаypal@acme.test","name":"Dana"}`, "email"},
		{"empty name", `{"email":"dana@acme.test","name":"   "}`, "name"},
		{"long name", `{"email":"dana@acme.test","name":"` + repeat("x", 101) + `"}`, "name"},
		{"unknown role", `{"email":"dana@acme.test","name":"Dana","role":"owner"}`, "role"},
		{"empty role", `{"email":"dana@acme.test","name":"Dana","role":""}`, "role"},
		{"negative limit", `{"email":"dana@acme.test","name":"Dana","conversation_limit":-1}`, "conversation_limit"},
		{"absurd limit", `{"email":"dana@acme.test","name":"Dana","conversation_limit":1000000}`, "conversation_limit"},
	}
	f := newFixture(t)
	before := f.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.call(http.MethodPost, "/users", f.admin, tt.body)
			requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid_request", tt.field)
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

func TestUpdateChangesFields(t *testing.T) {
	f := newFixture(t)
	target := "/users/" + f.agent.ID.String()

	rec := f.call(http.MethodPatch, target, f.admin,
		`{"role":"admin","conversation_limit":3,"can_access_phone_calls":true,"can_access_ai_assistant":false}`)

	requireStatus(t, rec, http.StatusOK)
	stored := f.reload(f.agent)
	assert.Equal(t, userValues(stored), decodeJSON(t, rec))
	assert.Equal(t, users.RoleAdmin, stored.Role)
	assert.Equal(t, 3, stored.ConversationLimit)
	assert.True(t, stored.CanAccessPhoneCalls)
	assert.Equal(t, `W/"3"`, rec.Header().Get("ETag"))
}

func TestUpdateHonoursIfMatch(t *testing.T) {
	f := newFixture(t)
	target := "/users/" + f.agent.ID.String()
	etag := f.call(http.MethodGet, target, f.admin, "").Header().Get("ETag")
	require.Equal(t, `W/"2"`, etag)

	req := newRequest(http.MethodPatch, target, &f.admin, `{"conversation_limit":5}`)
	req.Header.Set("If-Match", etag)
	requireStatus(t, f.do(req), http.StatusOK)

	before := f.snapshot()
	req = newRequest(http.MethodPatch, target, &f.admin, `{"conversation_limit":6}`)
	req.Header.Set("If-Match", etag)
	requireProblem(t, f.do(req), http.StatusPreconditionFailed, "precondition_failed", "")
	assert.Equal(t, before, f.snapshot())

	req = newRequest(http.MethodPatch, target, &f.admin, `{"conversation_limit":6}`)
	req.Header.Set("If-Match", `"3"`)
	requireStatus(t, f.do(req), http.StatusOK)

	req = newRequest(http.MethodPatch, target, &f.admin, `{"conversation_limit":7}`)
	req.Header.Set("If-Match", "*")
	requireStatus(t, f.do(req), http.StatusOK)
	assert.Equal(t, 7, f.reload(f.agent).ConversationLimit)
}

func TestUpdateRejectsMalformedIfMatch(t *testing.T) {
	f := newFixture(t)
	target := "/users/" + f.agent.ID.String()
	before := f.snapshot()
	for _, value := range []string{`2`, `W/2`, `W/"x"`, `"0"`, `"-1"`, `"+2"`, `W/""`, `"2", "3"`, `"99999999999999999999"`} {
		t.Run(value, func(t *testing.T) {
			req := newRequest(http.MethodPatch, target, &f.admin, `{"conversation_limit":5}`)
			req.Header.Set("If-Match", value)
			requireProblem(t, f.do(req), http.StatusBadRequest, "invalid_request", "If-Match")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestUpdateRejectsEmptyChange(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPatch, "/users/"+f.agent.ID.String(), f.admin, `{}`)

	p := requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid_request", "")
	assert.Contains(t, p.Detail, "conversation_limit")
	assert.Equal(t, before, f.snapshot())
}

func TestUpdateInvalidValuesNameFields(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	for body, field := range map[string]string{
		`{"role":"owner"}`:                   "role",
		`{"conversation_limit":101}`:         "conversation_limit",
		`{"conversation_limit":-1}`:          "conversation_limit",
		`{"role":"","conversation_limit":5}`: "role",
	} {
		t.Run(body, func(t *testing.T) {
			rec := f.call(http.MethodPatch, "/users/"+f.agent.ID.String(), f.admin, body)
			requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid_request", field)
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestUpdateLastAdminDemotionIsRejected(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPatch, "/users/"+f.admin.ID.String(), f.admin, `{"role":"user"}`)

	requireProblem(t, rec, http.StatusConflict, "last_admin", "")
	assert.Equal(t, before, f.snapshot())
}

func TestUpdateArchivedUserIsRejected(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Archive(f.ctx, f.actorOf(f.admin), f.agent.ID, "Bob Agent", 0)
	require.NoError(t, err)
	before := f.snapshot()

	rec := f.call(http.MethodPatch, "/users/"+f.agent.ID.String(), f.admin, `{"conversation_limit":2}`)

	requireProblem(t, rec, http.StatusConflict, "archived", "")
	assert.Equal(t, before, f.snapshot())
}

func TestArchiveByEmailFreesSeat(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(seedTime.Add(time.Hour))

	rec := f.call(http.MethodPost, "/users/"+f.agent.ID.String()+"/archive", f.admin, `{"confirmation":"  Agent@Acme.test "}`)

	requireStatus(t, rec, http.StatusOK)
	body := decodeJSON(t, rec)
	assert.Equal(t, userValues(f.reload(f.agent)), body)
	assert.Equal(t, "archived", body["status"])
	assert.Equal(t, "2026-03-01T10:30:00.123456Z", body["archived_at"])
	seatsBody := decodeJSON(t, f.call(http.MethodGet, "/seats", f.admin, ""))
	assert.Equal(t, 2.0, seatsBody["used"])
}

func TestArchiveByNameHonoursIfMatch(t *testing.T) {
	f := newFixture(t)
	target := "/users/" + f.agent.ID.String() + "/archive"
	before := f.snapshot()

	req := newRequest(http.MethodPost, target, &f.admin, `{"confirmation":"Bob Agent"}`)
	req.Header.Set("If-Match", `W/"1"`)
	requireProblem(t, f.do(req), http.StatusPreconditionFailed, "precondition_failed", "")
	assert.Equal(t, before, f.snapshot())

	req = newRequest(http.MethodPost, target, &f.admin, `{"confirmation":"Bob Agent"}`)
	req.Header.Set("If-Match", "W/nope")
	requireProblem(t, f.do(req), http.StatusBadRequest, "invalid_request", "If-Match")
	assert.Equal(t, before, f.snapshot())

	req = newRequest(http.MethodPost, target, &f.admin, `{"confirmation":"Bob Agent"}`)
	req.Header.Set("If-Match", `W/"2"`)
	requireStatus(t, f.do(req), http.StatusOK)
	assert.Equal(t, users.StatusArchived, f.reload(f.agent).Status)
}

func TestArchiveConfirmationMismatch(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	for _, confirmation := range []string{"", "bob agent", "Bob", "admin@acme.test", "agent@acme"} {
		t.Run(confirmation, func(t *testing.T) {
			rec := f.call(http.MethodPost, "/users/"+f.agent.ID.String()+"/archive", f.admin,
				`{"confirmation":"`+confirmation+`"}`)
			requireProblem(t, rec, http.StatusUnprocessableEntity, "confirmation_mismatch", "confirmation")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestArchiveTwiceIsRejected(t *testing.T) {
	f := newFixture(t)
	target := "/users/" + f.agent.ID.String() + "/archive"
	requireStatus(t, f.call(http.MethodPost, target, f.admin, `{"confirmation":"Bob Agent"}`), http.StatusOK)
	before := f.snapshot()

	rec := f.call(http.MethodPost, target, f.admin, `{"confirmation":"Bob Agent"}`)

	requireProblem(t, rec, http.StatusConflict, "archived", "")
	assert.Equal(t, before, f.snapshot())
}

func TestArchiveLastAdminIsRejected(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPost, "/users/"+f.admin.ID.String()+"/archive", f.admin, `{"confirmation":"admin@acme.test"}`)

	requireProblem(t, rec, http.StatusConflict, "last_admin", "")
	assert.Equal(t, before, f.snapshot())
}

func TestResendVerificationIssuesNewToken(t *testing.T) {
	f := newFixture(t)
	old := f.tokens["invitee@acme.test"]

	rec := f.call(http.MethodPost, "/users/"+f.invitee.ID.String()+"/verification", f.admin, "")

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, userValues(f.reload(f.invitee)), decodeJSON(t, rec))
	assert.NotEqual(t, old, f.tokens["invitee@acme.test"])
	_, err := f.users.Verify(f.ctx, old, activity.Actor{})
	assert.Error(t, err, "the old token must be invalid after a resend")
	log, err := f.activity.Query(f.ctx, f.acme.ID, activity.Query{Types: []activity.Type{activity.TypeVerificationResent}})
	require.NoError(t, err)
	assert.Len(t, log.Entries, 1)
}

func TestResendVerificationOfVerifiedUserIsRejected(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPost, "/users/"+f.agent.ID.String()+"/verification", f.admin, "")

	requireProblem(t, rec, http.StatusConflict, "already_verified", "")
	assert.Equal(t, before, f.snapshot())
}

func TestResendVerificationOfArchivedUserIsRejected(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Archive(f.ctx, f.actorOf(f.admin), f.invitee.ID, "Cleo Invitee", 0)
	require.NoError(t, err)
	before := f.snapshot()

	rec := f.call(http.MethodPost, "/users/"+f.invitee.ID.String()+"/verification", f.admin, "")

	requireProblem(t, rec, http.StatusConflict, "archived", "")
	assert.Equal(t, before, f.snapshot())
}

func TestColumnsDefaultToShown(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/users/columns", f.agent, "")

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, map[string]any{"columns": map[string]any{
		"role": true, "verification_status": true, "can_access_phone_calls": true,
		"can_access_ai_assistant": true, "conversation_limit": true,
	}}, decodeJSON(t, rec))
}

func TestColumnsAreStoredPerViewer(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodPut, "/users/columns", f.agent, `{"columns":{"role":false,"conversation_limit":true}}`)

	requireStatus(t, rec, http.StatusOK)
	want := map[string]any{"columns": map[string]any{
		"role": false, "verification_status": true, "can_access_phone_calls": true,
		"can_access_ai_assistant": true, "conversation_limit": true,
	}}
	assert.Equal(t, want, decodeJSON(t, rec))
	assert.Equal(t, want, decodeJSON(t, f.call(http.MethodGet, "/users/columns", f.agent, "")))
	adminColumns := decodeJSON(t, f.call(http.MethodGet, "/users/columns", f.admin, ""))
	assert.Equal(t, true, adminColumns["columns"].(map[string]any)["role"])
}

func TestColumnsUnknownColumnIsRejected(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPut, "/users/columns", f.agent, `{"columns":{"role":false,"salary":false}}`)

	requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid_request", "columns.salary")
	assert.Equal(t, before, f.snapshot())
}

func TestSeatsReturnsUsage(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/seats", f.agent, "")

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, map[string]any{"limit": 4.0, "used": 3.0, "available": 1.0}, decodeJSON(t, rec))
}

func TestResendVerificationNeedsJSONContentType(t *testing.T) {
	f := newFixture(t)
	target := "/users/" + f.invitee.ID.String() + "/verification"
	token := f.tokens["invitee@acme.test"]
	before := f.snapshot()
	tests := []struct {
		name, contentType, body string
		status                  int
	}{
		{"no content type", "", "", http.StatusUnsupportedMediaType},
		{"plain text", "text/plain", "hi", http.StatusUnsupportedMediaType},
		{"html form", "application/x-www-form-urlencoded", "a=b", http.StatusUnsupportedMediaType},
		{"unknown field", "application/json", `{"email":"x@acme.test"}`, http.StatusBadRequest},
		{"not an object", "application/json", `[]`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			req.Header.Set("Authorization", bearer(f.admin))

			requireProblem(t, f.do(req), tt.status, "invalid_request", "")
			assert.Equal(t, before, f.snapshot())
			assert.Equal(t, token, f.tokens["invitee@acme.test"], "no new token was sent")
		})
	}

	rec := f.call(http.MethodPost, target, f.admin, "{}")
	requireStatus(t, rec, http.StatusOK)
}

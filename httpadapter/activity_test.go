package httpadapter_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/activity"
)

// updateTime is when logFixture's update of the agent happens.
var updateTime = time.Date(2026, 3, 5, 0, 30, 0, 0, time.UTC)

// logFixture is the fixture after the admin lowered the agent's limit
// through the adapter at updateTime. Acme's log then has, newest first:
// user_updated (agent), user_invited (invitee), user_verified (agent),
// user_invited (agent) and company_created.
func logFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.clock.Set(updateTime)
	req := newRequest(http.MethodPatch, "/users/"+f.agent.ID.String(), &f.admin, `{"conversation_limit":3}`)
	req.RemoteAddr = "203.0.113.9:5555"
	req.Header.Set("User-Agent", "Mozilla/5.0 (test)")
	requireStatus(t, f.do(req), http.StatusOK)
	return f
}

func entryTypes(t *testing.T, body map[string]any) []string {
	t.Helper()
	entries, ok := body["entries"].([]any)
	require.True(t, ok, "entries: %v", body["entries"])
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.(map[string]any)["type"].(string))
	}
	return out
}

func TestActivityListsEntriesNewestFirst(t *testing.T) {
	f := logFixture(t)
	stored, err := f.activity.Query(f.ctx, f.acme.ID, activity.Query{})
	require.NoError(t, err)
	require.Len(t, stored.Entries, 5)

	rec := f.call(http.MethodGet, "/activity", f.admin, "")

	requireStatus(t, rec, http.StatusOK)
	body := decodeJSON(t, rec)
	assert.Equal(t, []string{"user_updated", "user_invited", "user_verified", "user_invited", "company_created"}, entryTypes(t, body))
	assert.Nil(t, body["next_cursor"])
	entries := body["entries"].([]any)
	assert.Equal(t, map[string]any{
		"id":             stored.Entries[0].ID.String(),
		"type":           "user_updated",
		"user_id":        f.admin.ID.String(),
		"target_user_id": f.agent.ID.String(),
		"ip_address":     "203.0.113.9",
		"user_agent":     "Mozilla/5.0 (test)",
		"occurred_at":    "2026-03-05T00:30:00.000000Z",
		"details": map[string]any{
			"email":   "agent@acme.test",
			"changes": []any{map[string]any{"field": "conversation_limit", "old": 8.0, "new": 3.0}},
		},
	}, entries[0])
	assert.Equal(t, map[string]any{
		"id":             stored.Entries[4].ID.String(),
		"type":           "company_created",
		"user_id":        nil,
		"target_user_id": f.admin.ID.String(),
		"ip_address":     nil,
		"user_agent":     "",
		"occurred_at":    "2026-03-01T09:30:00.123456Z",
		"details":        map[string]any{"email": "admin@acme.test", "name": "Acme Support"},
	}, entries[4])
}

func TestActivityFilters(t *testing.T) {
	f := logFixture(t)
	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"types repeat", url.Values{"type": {"user_invited", "user_verified"}},
			[]string{"user_invited", "user_verified", "user_invited"}},
		{"empty type ignored", url.Values{"type": {"", "user_updated"}}, []string{"user_updated"}},
		{"acting user", url.Values{"user_id": {f.agent.ID.String()}}, []string{"user_verified"}},
		{"target user", url.Values{"target_user_id": {f.agent.ID.String()}},
			[]string{"user_updated", "user_verified", "user_invited"}},
		{"from date", url.Values{"from": {"2026-03-05"}}, []string{"user_updated"}},
		{"to date covers the day", url.Values{"to": {"2026-03-01"}},
			[]string{"user_invited", "user_verified", "user_invited", "company_created"}},
		{"range between", url.Values{"from": {"2026-03-02"}, "to": {"2026-03-04"}}, []string{}},
		{"to time inclusive", url.Values{"from": {"2026-03-02T00:00:00Z"}, "to": {"2026-03-05T00:30:00Z"}},
			[]string{"user_updated"}},
		{"to date in tz", url.Values{"from": {"2026-03-04"}, "to": {"2026-03-04"}, "tz": {"America/New_York"}},
			[]string{"user_updated"}},
		{"from date in tz", url.Values{"from": {"2026-03-05"}, "tz": {"America/New_York"}}, []string{}},
		{"everything", url.Values{"user_id": {f.admin.ID.String()}, "target_user_id": {f.agent.ID.String()},
			"type": {"user_updated"}, "from": {"2026-03-01"}, "to": {"2026-03-05"}, "tz": {"UTC"}, "limit": {"10"}},
			[]string{"user_updated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.call(http.MethodGet, "/activity?"+tt.query.Encode(), f.admin, "")
			requireStatus(t, rec, http.StatusOK)
			assert.Equal(t, tt.want, entryTypes(t, decodeJSON(t, rec)))
		})
	}
}

func TestActivityPaginates(t *testing.T) {
	f := logFixture(t)
	seen := map[string]bool{}
	var types []string
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 5, "pagination did not end")
		query := url.Values{"limit": {"2"}, "type": {"user_invited", "user_verified", "user_updated", "company_created"}}
		if cursor != "" {
			query.Set("cursor", cursor)
		}
		body := decodeJSON(t, f.call(http.MethodGet, "/activity?"+query.Encode(), f.admin, ""))
		for _, e := range body["entries"].([]any) {
			id := e.(map[string]any)["id"].(string)
			assert.False(t, seen[id], "entry %s repeated", id)
			seen[id] = true
		}
		types = append(types, entryTypes(t, body)...)
		next, _ := body["next_cursor"].(string)
		if next == "" {
			assert.Nil(t, body["next_cursor"])
			break
		}
		cursor = next
	}
	assert.Equal(t, []string{"user_updated", "user_invited", "user_verified", "user_invited", "company_created"}, types)
}

func TestActivityRejectsBadQuery(t *testing.T) {
	f := logFixture(t)
	other := decodeJSON(t, f.call(http.MethodGet, "/activity?limit=1", f.admin, ""))["next_cursor"].(string)
	tests := []struct {
		name   string
		query  string
		status int
		field  string
	}{
		{"unknown parameter", "user=1", http.StatusBadRequest, "user"},
		{"malformed user_id", "user_id=42", http.StatusBadRequest, "user_id"},
		{"malformed target_user_id", "target_user_id=" + f.agent.ID.String() + "x", http.StatusBadRequest, "target_user_id"},
		{"nil user_id", "user_id=" + uuid.Nil.String(), http.StatusUnprocessableEntity, "user_id"},
		{"repeated user_id", "user_id=" + f.agent.ID.String() + "&user_id=" + f.admin.ID.String(), http.StatusBadRequest, "user_id"},
		{"repeated from", "from=2026-03-01&from=2026-03-02", http.StatusBadRequest, "from"},
		{"repeated limit", "limit=1&limit=2", http.StatusBadRequest, "limit"},
		{"unknown type", "type=login&type=teleport", http.StatusUnprocessableEntity, "type"},
		{"malformed from", "from=yesterday", http.StatusUnprocessableEntity, "from"},
		{"malformed to", "to=2026-02-30", http.StatusUnprocessableEntity, "to"},
		{"to before from", "from=2026-03-05&to=2026-03-01", http.StatusUnprocessableEntity, "to"},
		{"unknown tz", "from=2026-03-05&tz=Mars/Olympus", http.StatusUnprocessableEntity, "tz"},
		{"local tz", "tz=Local", http.StatusUnprocessableEntity, "tz"},
		{"non-integer limit", "limit=many", http.StatusBadRequest, "limit"},
		{"zero limit", "limit=0", http.StatusUnprocessableEntity, "limit"},
		{"huge limit", "limit=201", http.StatusUnprocessableEntity, "limit"},
		{"garbage cursor", "cursor=abc", http.StatusBadRequest, "cursor"},
		{"cursor of other filter", "type=login&cursor=" + other, http.StatusBadRequest, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.call(http.MethodGet, "/activity?"+tt.query, f.admin, "")
			p := requireProblem(t, rec, tt.status, "invalid_request", tt.field)
			assert.NotEmpty(t, fieldMessage(p, tt.field))
		})
	}
}

func TestActivityOfOtherCompanyUserIsEmpty(t *testing.T) {
	f := logFixture(t)

	rec := f.call(http.MethodGet, "/activity?target_user_id="+f.globexAgent.ID.String(), f.admin, "")

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, []string{}, entryTypes(t, decodeJSON(t, rec)))
}

func TestActivityTypesListsEveryType(t *testing.T) {
	f := newFixture(t)

	rec := f.call(http.MethodGet, "/activity/types", f.admin, "")

	requireStatus(t, rec, http.StatusOK)
	want := []any{}
	for _, ty := range activity.Types() {
		want = append(want, string(ty))
	}
	assert.Equal(t, map[string]any{"types": want}, decodeJSON(t, rec))
}

// The update at 2026-03-05T00:30Z is 01:30 in Berlin and 09:30 in Tokyo,
// both on 5 March, so a date range that ends on 5 March in those zones must
// include it. East of UTC, the UTC date of local midnight is the day
// before, so an end computed from it would miss the whole day.
func TestActivityDateRangeEastOfUTC(t *testing.T) {
	f := logFixture(t)
	for _, tz := range []string{"Europe/Berlin", "Asia/Tokyo"} {
		t.Run(tz, func(t *testing.T) {
			query := url.Values{"from": {"2026-03-05"}, "to": {"2026-03-05"}, "tz": {tz}}

			rec := f.call(http.MethodGet, "/activity?"+query.Encode(), f.admin, "")

			requireStatus(t, rec, http.StatusOK)
			assert.Equal(t, []string{"user_updated"}, entryTypes(t, decodeJSON(t, rec)))
		})
		t.Run(tz+" to only", func(t *testing.T) {
			query := url.Values{"to": {"2026-03-05"}, "tz": {tz}, "type": {"user_updated"}}

			rec := f.call(http.MethodGet, "/activity?"+query.Encode(), f.admin, "")

			requireStatus(t, rec, http.StatusOK)
			assert.Equal(t, []string{"user_updated"}, entryTypes(t, decodeJSON(t, rec)))
		})
	}
}

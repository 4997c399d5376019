package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz targets send one request through the real handler on a fresh
// memory fixture per input, as the Acme admin. Each checks the same
// property: no panic and no 5xx, a 4xx is an application/problem+json body
// with a code, and a response that is not 2xx leaves every user, seat,
// activity entry and column choice as it was. Seeds come from f.Add and
// from testdata/fuzz/<FuzzName>/, which plain go test replays.

// fuzzTargets are the user ids that the {id} targets pick from with their
// first argument: users of the admin's company in every state, another
// company's user, a missing id and malformed ids.
var fuzzTargets = []func(f *fixture) string{
	func(f *fixture) string { return f.agent.ID.String() },
	func(f *fixture) string { return f.invitee.ID.String() },
	func(f *fixture) string { return f.admin.ID.String() },
	func(f *fixture) string { return f.globexAgent.ID.String() },
	func(*fixture) string { return "0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8d" },
	func(*fixture) string { return uuid.Nil.String() },
	func(*fixture) string { return "not-a-uuid" },
	func(f *fixture) string { return strings.ToUpper(f.agent.ID.String()) },
	func(f *fixture) string { return strings.ReplaceAll(f.agent.ID.String(), "-", "") },
}

func fuzzTarget(f *fixture, pick uint8) string {
	return fuzzTargets[int(pick)%len(fuzzTargets)](f)
}

// fuzzBodyRequest builds a request as the Acme admin with the raw body and
// headers. An empty contentType or ifMatch leaves that header out.
func fuzzBodyRequest(f *fixture, method, target, contentType, ifMatch, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if ifMatch != "" {
		r.Header.Set("If-Match", ifMatch)
	}
	r.Header.Set("Authorization", bearer(f.admin))
	r.Header.Set("User-Agent", "roster-fuzz/1.0")
	return r
}

// fuzzQueryRequest builds a GET of path with rawQuery as its query string,
// byte for byte, as the Acme admin.
func fuzzQueryRequest(f *fixture, path, rawQuery string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.URL.RawQuery = rawQuery
	r.RequestURI = path + "?" + rawQuery
	r.Header.Set("Authorization", bearer(f.admin))
	r.Header.Set("User-Agent", "roster-fuzz/1.0")
	return r
}

// serveFuzz serves r on f and checks the fuzz property.
func serveFuzz(t *testing.T, f *fixture, r *http.Request) {
	t.Helper()
	before := f.snapshot()
	rec := f.do(r)

	require.Less(t, rec.Code, 500, "body: %s\nlog: %s", rec.Body.String(), f.logs.String())
	if rec.Code >= 200 && rec.Code < 300 {
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		assert.True(t, json.Valid(rec.Body.Bytes()), "body: %s", rec.Body.String())
		return
	}
	require.GreaterOrEqual(t, rec.Code, 400, "body: %s", rec.Body.String())
	p := problemOf(t, rec)
	assert.NotEmpty(t, p.Code)
	assert.Equal(t, before, f.snapshot(), "a %d response changed the stored state", rec.Code)
}

func FuzzInviteUser(f *testing.F) {
	const jsonType = "application/json"
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana"}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana","role":"admin","conversation_limit":12,"can_access_phone_calls":true,"can_access_ai_assistant":true}`)
	f.Add(jsonType, `{"email":"agent@acme.test","name":"Bob Again"}`)
	f.Add(jsonType, `{"email":" AGENT@ACME.TEST ","name":"Bob Again"}`)
	f.Add(jsonType, `{"email":"d\u200bana@acme.test","name":"Dana"}`)
	f.Add(jsonType, `{"email":"dаna@acme.test","name":"Dana"}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana","conversation_limit":-1}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana","conversation_limit":1e400}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana","role":"owner"}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana","EMAIL":"x"}`)
	f.Add(jsonType, `{"email":"dana@acme.test","email":"eve@acme.test","name":"Dana"}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":null}`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana"} {}`)
	f.Add(jsonType, `[{"email":"dana@acme.test","name":"Dana"}]`)
	f.Add(jsonType, `{"email":"dana@acme.test","name":"Dana","x":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`)
	f.Add("application/json; charset=latin1", `{"email":"dana@acme.test","name":"Dana"}`)
	f.Add("text/plain", `{"email":"dana@acme.test","name":"Dana"}`)
	f.Add("", `{"email":"dana@acme.test","name":"Dana"}`)
	f.Add(jsonType, "{\"email\":\"dana@acme.test\",\"name\":\"D\xffna\"}")
	f.Add(jsonType, "")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		fx := newFixture(t)
		serveFuzz(t, fx, fuzzBodyRequest(fx, http.MethodPost, "/users", contentType, "", body))
	})
}

func FuzzUpdateUser(f *testing.F) {
	f.Add(uint8(0), "", `{"conversation_limit":5}`)
	f.Add(uint8(0), `W/"3"`, `{"role":"admin","conversation_limit":12,"can_access_phone_calls":true,"can_access_ai_assistant":true}`)
	f.Add(uint8(0), `W/"1"`, `{"conversation_limit":5}`)
	f.Add(uint8(0), `"0"`, `{"conversation_limit":5}`)
	f.Add(uint8(0), `*`, `{"conversation_limit":101}`)
	f.Add(uint8(0), `W/"99999999999999999999"`, `{"role":"user"}`)
	f.Add(uint8(1), "", `{"role":"admin"}`)
	f.Add(uint8(2), "", `{"role":"user"}`)
	f.Add(uint8(3), "", `{"conversation_limit":5}`)
	f.Add(uint8(4), "", `{"conversation_limit":5}`)
	f.Add(uint8(5), "", `{"conversation_limit":5}`)
	f.Add(uint8(6), "", `{"conversation_limit":5}`)
	f.Add(uint8(0), "", `{}`)
	f.Add(uint8(0), "", `{"role":null}`)
	f.Add(uint8(0), "", `{"can_access_phone_calls":"yes"}`)
	f.Add(uint8(0), "", `{"conversation_limit":5,"id":"x"}`)
	f.Fuzz(func(t *testing.T, pick uint8, ifMatch, body string) {
		fx := newFixture(t)
		target := "/users/" + fuzzTarget(fx, pick)
		serveFuzz(t, fx, fuzzBodyRequest(fx, http.MethodPatch, target, "application/json", ifMatch, body))
	})
}

func FuzzArchiveUser(f *testing.F) {
	f.Add(uint8(0), "", `{"confirmation":"Bob Agent"}`)
	f.Add(uint8(0), `W/"2"`, `{"confirmation":" AGENT@acme.test "}`)
	f.Add(uint8(0), `W/"1"`, `{"confirmation":"agent@acme.test"}`)
	f.Add(uint8(0), "", `{"confirmation":"Bob"}`)
	f.Add(uint8(0), "", `{"confirmation":"bob agent"}`)
	f.Add(uint8(0), "", `{"confirmation":""}`)
	f.Add(uint8(0), "", `{"confirmation":"invitee@acme.test"}`)
	f.Add(uint8(1), "", `{"confirmation":"Cleo Invitee"}`)
	f.Add(uint8(2), "", `{"confirmation":"admin@acme.test"}`)
	f.Add(uint8(3), "", `{"confirmation":"agent@globex.test"}`)
	f.Add(uint8(6), "", `{"confirmation":"x"}`)
	f.Add(uint8(0), "", `{"confirmation":42}`)
	f.Add(uint8(0), "", `{}`)
	f.Add(uint8(0), "", `{"confirmation":"Bob Agent","extra":true}`)
	f.Fuzz(func(t *testing.T, pick uint8, ifMatch, body string) {
		fx := newFixture(t)
		target := "/users/" + fuzzTarget(fx, pick) + "/archive"
		serveFuzz(t, fx, fuzzBodyRequest(fx, http.MethodPost, target, "application/json", ifMatch, body))
	})
}

func FuzzPutColumns(f *testing.F) {
	f.Add(`{"columns":{"role":false}}`)
	f.Add(`{"columns":{"role":false,"verification_status":false,"can_access_phone_calls":false,"can_access_ai_assistant":false,"conversation_limit":false}}`)
	f.Add(`{"columns":{}}`)
	f.Add(`{"columns":{"name":false}}`)
	f.Add(`{"columns":{"role":0}}`)
	f.Add(`{"columns":{"role":"false"}}`)
	f.Add(`{"columns":{"role":null}}`)
	f.Add(`{"columns":{"role":false,"role":true}}`)
	f.Add(`{"columns":[]}`)
	f.Add(`{"columns":{"role":false},"other":1}`)
	f.Add(`{"columns":{"ROLE":false}}`)
	f.Add(`{"columns":{"role":{"a":false}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		fx := newFixture(t)
		serveFuzz(t, fx, fuzzBodyRequest(fx, http.MethodPut, "/users/columns", "application/json", "", body))
	})
}

func FuzzListUsersQuery(f *testing.F) {
	f.Add("")
	f.Add("status=active&role=admin&verification_status=verified&search=ada&limit=1")
	f.Add("status=archived")
	f.Add("status=gone")
	f.Add("role=owner&verification_status=maybe")
	f.Add("search=%E2%80%8B")
	f.Add("search=" + strings.Repeat("a", 300))
	f.Add("limit=0")
	f.Add("limit=-1")
	f.Add("limit=101")
	f.Add("limit=99999999999999999999")
	f.Add("limit=1&limit=2")
	f.Add("cursor=nope")
	f.Add("cursor=")
	f.Add("status=")
	f.Add("unknown=1")
	f.Add("search=%zz")
	f.Add("search=a;b")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		fx := newFixture(t)
		serveFuzz(t, fx, fuzzQueryRequest(fx, "/users", rawQuery))
	})
}

func FuzzActivityQuery(f *testing.F) {
	f.Add("")
	f.Add("type=user_invited&type=user_verified&limit=2")
	f.Add("type=nope")
	f.Add("type=&type=login")
	f.Add("user_id=0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8d&target_user_id=0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8d")
	f.Add("user_id=00000000-0000-0000-0000-000000000000")
	f.Add("user_id=nope")
	f.Add("from=2026-03-01&to=2026-03-01&tz=Europe/Berlin")
	f.Add("from=2026-03-01T09:30:00Z&to=2026-03-01T09:30:00.123456Z")
	f.Add("from=2026-03-02&to=2026-03-01")
	f.Add("from=0000-01-01&to=9999-12-31&tz=Pacific/Kiritimati")
	f.Add("tz=Local")
	f.Add("tz=../../etc/passwd")
	f.Add("tz=Mars/Olympus")
	f.Add("from=yesterday")
	f.Add("limit=0")
	f.Add("limit=1000")
	f.Add("cursor=AAAA")
	f.Add("limit=1&limit=1")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		fx := newFixture(t)
		serveFuzz(t, fx, fuzzQueryRequest(fx, "/activity", rawQuery))
	})
}

// hostileQueries are query strings that the memory store accepts but a
// database may not, sent on every store with the fuzz property.
var hostileQueries = []struct{ path, rawQuery string }{
	{"/activity", "from=0000-01-01"},
	{"/activity", "from=0000-01-01&to=9999-12-31"},
	{"/activity", "from=0001-01-01T00:00:00%2B23:59"},
	{"/activity", "from=0001-01-01&tz=Asia/Tokyo"},
	{"/activity", "to=0000-12-31"},
	{"/activity", "to=0000-12-31T23:59:59.999999Z"},
	{"/activity", "from=0001-01-01&to=0001-01-01"},
	{"/activity", "to=9999-12-31T23:59:59.999999999-23:59"},
	{"/activity", "from=9999-12-31&tz=Pacific/Kiritimati"},
	{"/activity", "tz=Etc/GMT%2B12&from=2026-03-01&to=2026-03-01"},
	{"/users", "search=%25"},
	{"/users", "search=_"},
	{"/users", "search=%5C"},
	{"/users", "search=a%00b"},
	{"/users", "search=%F0%9F%98%80"},
}

func TestHostileQueriesOnEveryStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for _, q := range hostileQueries {
			t.Run(q.path+"?"+q.rawQuery, func(t *testing.T) {
				serveFuzz(t, f, fuzzQueryRequest(f, q.path, q.rawQuery))
			})
		}
	})
}

func TestRangeBeforeYearOneIsInvalid(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for _, q := range []struct{ rawQuery, field string }{
			{"from=0000-01-01", "from"},
			{"from=0001-01-01T00:00:00%2B23:59", "from"},
			{"to=0000-12-31", "to"},
			{"to=0000-06-01T00:00:00Z", "to"},
		} {
			t.Run(q.rawQuery, func(t *testing.T) {
				rec := f.do(fuzzQueryRequest(f, "/activity", q.rawQuery))

				requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid_request", q.field)
			})
		}
	})
}

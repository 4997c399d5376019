package httpadapter_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rosterkit/roster/httpadapter"
)

// bodyRoute is a route that reads a JSON body, with a valid body for it.
type bodyRoute struct {
	name   string
	method string
	path   func(f *fixture) string
	valid  string
	// required is a field the route needs, or "" when none is required.
	required string
	// wrongTypes maps bodies with a value of the wrong JSON type, null
	// among them, to the field they must name.
	wrongTypes map[string]string
}

var bodyRoutes = []bodyRoute{
	{
		name: "invite", method: http.MethodPost,
		path:     func(*fixture) string { return "/users" },
		valid:    `{"email":"dana@acme.test","name":"Dana"}`,
		required: "email",
		wrongTypes: map[string]string{
			`{"email":"dana@acme.test","name":"Dana","conversation_limit":"8"}`:   "conversation_limit",
			`{"email":"dana@acme.test","name":"Dana","conversation_limit":8.5}`:   "conversation_limit",
			`{"email":"dana@acme.test","name":"Dana","conversation_limit":1e400}`: "conversation_limit",
			`{"email":"dana@acme.test","name":"Dana","can_access_phone_calls":1}`: "can_access_phone_calls",
			`{"email":42,"name":"Dana"}`:                                          "email",
			`{"email":"dana@acme.test","name":["Dana"]}`:                          "name",
			`{"email":"dana@acme.test","name":"Dana","role":{"name":"admin"}}`:    "role",
			`{"email":"dana@acme.test","name":null}`:                              "name",
			`{"email":"dana@acme.test","name":"Dana","role":null}`:                "role",
			`{"email":"dana@acme.test","name":"Dana","conversation_limit":null}`:  "conversation_limit",
		},
	},
	{
		name: "update", method: http.MethodPatch,
		path:  func(f *fixture) string { return "/users/" + f.agent.ID.String() },
		valid: `{"conversation_limit":5}`,
		wrongTypes: map[string]string{
			`{"can_access_phone_calls":"yes"}`:  "can_access_phone_calls",
			`{"can_access_ai_assistant":0}`:     "can_access_ai_assistant",
			`{"conversation_limit":"5"}`:        "conversation_limit",
			`{"role":true}`:                     "role",
			`{"role":null}`:                     "role",
			`{"conversation_limit":null}`:       "conversation_limit",
			`{"can_access_phone_calls":null}`:   "can_access_phone_calls",
			`{"role":"admin","role":"user"}`:    "role",
			`{"conversation_limit":5,"id":"x"}`: "id",
		},
	},
	{
		name: "archive", method: http.MethodPost,
		path:     func(f *fixture) string { return "/users/" + f.agent.ID.String() + "/archive" },
		valid:    `{"confirmation":"Bob Agent"}`,
		required: "confirmation",
		wrongTypes: map[string]string{
			`{"confirmation":42}`:      "confirmation",
			`{"confirmation":["x"]}`:   "confirmation",
			`{"confirmation":null}`:    "confirmation",
			`{"confirmation":false}`:   "confirmation",
			`{"confirmation":{"a":1}}`: "confirmation",
		},
	},
	{
		name: "columns", method: http.MethodPut,
		path:     func(*fixture) string { return "/users/columns" },
		valid:    `{"columns":{"role":false}}`,
		required: "columns",
		wrongTypes: map[string]string{
			`{"columns":[]}`:                         "columns",
			`{"columns":"role"}`:                     "columns",
			`{"columns":null}`:                       "columns",
			`{"columns":{"role":"no"}}`:              "columns.role",
			`{"columns":{"role":0}}`:                 "columns.role",
			`{"columns":{"role":null}}`:              "columns.role",
			`{"columns":{"role":false,"role":true}}`: "columns.role",
		},
	},
}

// badBody is a malformed body and the problem it must get.
type badBody struct {
	name   string
	body   string
	status int
	// field is the field the problem must name, or "" for a problem about
	// the whole body.
	field string
}

// badBodies returns the bad bodies for rt, built from its valid body.
func badBodies(rt bodyRoute) []badBody {
	inner := strings.TrimSuffix(strings.TrimPrefix(rt.valid, "{"), "}")
	firstKey := strings.Trim(strings.SplitN(inner, ":", 2)[0], `"`)
	bodies := []badBody{
		{"empty", "", http.StatusBadRequest, ""},
		{"whitespace", "  \n", http.StatusBadRequest, ""},
		{"syntax", `{"` + firstKey + `":`, http.StatusBadRequest, ""},
		{"broken", `{` + inner + `,}`, http.StatusBadRequest, ""},
		{"array", `[` + rt.valid + `]`, http.StatusBadRequest, ""},
		{"string", `"hello"`, http.StatusBadRequest, ""},
		{"trailing object", rt.valid + `{}`, http.StatusBadRequest, ""},
		{"trailing garbage", rt.valid + ` x`, http.StatusBadRequest, ""},
		{"two values", rt.valid + "\n" + rt.valid, http.StatusBadRequest, ""},
		{"duplicate key", `{` + inner + `,` + inner + `}`, http.StatusBadRequest, firstKey},
		{"escaped duplicate key", `{` + inner + `,"\u00` + hexOf(firstKey[0]) + firstKey[1:] + `"` + strings.SplitN(inner, `"`, 3)[2] + `}`, http.StatusBadRequest, firstKey},
		{"unknown field", `{` + inner + `,"nickname":"x"}`, http.StatusBadRequest, "nickname"},
		{"case variant field", `{` + inner + `,"` + strings.ToUpper(firstKey) + `":1}`, http.StatusBadRequest, strings.ToUpper(firstKey)},
		{"invalid utf-8", `{"` + firstKey + "\":\"\xff\"}", http.StatusBadRequest, ""},
		{"deep nesting", `{"x":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `}`, http.StatusBadRequest, ""},
	}
	for body, field := range rt.wrongTypes {
		bodies = append(bodies, badBody{body, body, http.StatusBadRequest, field})
	}
	if rt.required != "" {
		bodies = append(bodies, badBody{"missing required", `{}`, http.StatusUnprocessableEntity, rt.required})
	}
	return bodies
}

func hexOf(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func TestBodyRoutesRejectBadJSON(t *testing.T) {
	for _, rt := range bodyRoutes {
		t.Run(rt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.snapshot()
			for _, bb := range badBodies(rt) {
				t.Run(bb.name, func(t *testing.T) {
					req := newRequest(rt.method, rt.path(f), &f.admin, bb.body)
					req.Header.Set("Content-Type", "application/json")

					rec := f.do(req)

					p := requireProblem(t, rec, bb.status, "invalid_request", bb.field)
					if bb.field != "" {
						assert.NotEmpty(t, fieldMessage(p, bb.field))
					}
					assert.Equal(t, before, f.snapshot())
				})
			}
		})
	}
}

func TestBodyRoutesRejectWrongContentType(t *testing.T) {
	types := []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json-seq",
		"application/json; charset=latin1", "application/jsonx", ";;"}
	for _, rt := range bodyRoutes {
		t.Run(rt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.snapshot()
			for _, ct := range types {
				t.Run(ct, func(t *testing.T) {
					req := newRequest(rt.method, rt.path(f), &f.admin, rt.valid)
					if ct == "" {
						req.Header.Del("Content-Type")
					} else {
						req.Header.Set("Content-Type", ct)
					}

					rec := f.do(req)

					p := requireProblem(t, rec, http.StatusUnsupportedMediaType, "invalid_request", "")
					assert.Contains(t, p.Detail, "application/json")
					assert.Equal(t, before, f.snapshot())
				})
			}
			t.Run("two headers", func(t *testing.T) {
				req := newRequest(rt.method, rt.path(f), &f.admin, rt.valid)
				req.Header.Add("Content-Type", "application/json")

				requireProblem(t, f.do(req), http.StatusUnsupportedMediaType, "invalid_request", "")
				assert.Equal(t, before, f.snapshot())
			})
		})
	}
}

func TestBodyRoutesRejectOversizedBody(t *testing.T) {
	for _, rt := range bodyRoutes {
		t.Run(rt.name, func(t *testing.T) {
			f := newFixtureWith(t, &httpadapter.Options{MaxBodyBytes: 256})
			before := f.snapshot()
			// A valid body padded with whitespace past the limit.
			body := rt.valid + strings.Repeat(" ", 300)

			rec := f.do(newRequest(rt.method, rt.path(f), &f.admin, body))

			p := requireProblem(t, rec, http.StatusRequestEntityTooLarge, "invalid_request", "")
			assert.Contains(t, p.Detail, "256 bytes")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestDefaultBodyLimitIs64KiB(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	padding := strings.Repeat(" ", httpadapter.DefaultMaxBodyBytes)

	rec := f.call(http.MethodPost, "/users", f.admin, `{"email":"dana@acme.test","name":"Dana"}`+padding)

	requireProblem(t, rec, http.StatusRequestEntityTooLarge, "invalid_request", "")
	assert.Equal(t, before, f.snapshot())

	padding = strings.Repeat(" ", httpadapter.DefaultMaxBodyBytes-100)
	rec = f.call(http.MethodPost, "/users", f.admin, `{"email":"dana@acme.test","name":"Dana"}`+padding)
	requireStatus(t, rec, http.StatusCreated)
}

// queryRoute is a route and the query parameters it accepts.
type queryRoute struct {
	method string
	path   func(f *fixture) string
	body   string
}

var queryRoutes = []queryRoute{
	{http.MethodGet, func(*fixture) string { return "/users" }, ""},
	{http.MethodPost, func(*fixture) string { return "/users" }, `{"email":"dana@acme.test","name":"Dana"}`},
	{http.MethodGet, func(f *fixture) string { return "/users/" + f.agent.ID.String() }, ""},
	{http.MethodPatch, func(f *fixture) string { return "/users/" + f.agent.ID.String() }, `{"conversation_limit":5}`},
	{http.MethodPost, func(f *fixture) string { return "/users/" + f.agent.ID.String() + "/archive" }, `{"confirmation":"Bob Agent"}`},
	{http.MethodPost, func(f *fixture) string { return "/users/" + f.invitee.ID.String() + "/verification" }, ""},
	{http.MethodGet, func(*fixture) string { return "/users/columns" }, ""},
	{http.MethodPut, func(*fixture) string { return "/users/columns" }, `{"columns":{"role":false}}`},
	{http.MethodGet, func(*fixture) string { return "/seats" }, ""},
	{http.MethodGet, func(*fixture) string { return "/activity" }, ""},
	{http.MethodGet, func(*fixture) string { return "/activity/types" }, ""},
}

func TestEveryRouteRejectsUnknownQueryParameter(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	for _, rt := range queryRoutes {
		t.Run(rt.method+" "+rt.path(f), func(t *testing.T) {
			rec := f.call(rt.method, rt.path(f)+"?debug=1", f.admin, rt.body)

			p := requireProblem(t, rec, http.StatusBadRequest, "invalid_request", "debug")
			assert.Contains(t, fieldMessage(p, "debug"), "unknown query parameter")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestRoutesRejectMalformedPathID(t *testing.T) {
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/users/%s", ""},
		{http.MethodPatch, "/users/%s", `{"conversation_limit":5}`},
		{http.MethodPost, "/users/%s/archive", `{"confirmation":"Bob Agent"}`},
		{http.MethodPost, "/users/%s/verification", ""},
	}
	ids := []string{"42", "not-a-uuid", "0190b5f47c0a7d2e9b1c3f4e5a6b7c8d", "{0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8d}",
		"urn:uuid:0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8d", "0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8g"}
	f := newFixture(t)
	before := f.snapshot()
	for _, rt := range routes {
		for _, id := range ids {
			target := strings.Replace(rt.path, "%s", id, 1)
			t.Run(rt.method+" "+target, func(t *testing.T) {
				rec := f.call(rt.method, target, f.admin, rt.body)

				p := requireProblem(t, rec, http.StatusBadRequest, "invalid_request", "id")
				assert.Contains(t, fieldMessage(p, "id"), "must be a UUID")
				assert.Equal(t, before, f.snapshot())
			})
		}
	}
}

func TestNilBodyIsEmpty(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	req := newRequest(http.MethodPost, "/users", &f.admin, "")
	req.Header.Set("Content-Type", "application/json")
	req.Body = nil

	rec := f.do(req)

	p := requireProblem(t, rec, http.StatusBadRequest, "invalid_request", "")
	assert.Contains(t, p.Detail, "empty")
	assert.Equal(t, before, f.snapshot())
}

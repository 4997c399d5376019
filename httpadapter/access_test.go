package httpadapter_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/users"
)

// routeCase is one request on one route, valid for an admin of Acme.
type routeCase struct {
	method string
	path   func(f *fixture) string
	body   string
}

func (rc routeCase) name(f *fixture) string { return rc.method + " " + rc.path(f) }

var adminRoutes = []routeCase{
	{http.MethodPost, func(*fixture) string { return "/users" }, `{"email":"dana@acme.test","name":"Dana"}`},
	{http.MethodPatch, func(f *fixture) string { return "/users/" + f.agent.ID.String() }, `{"conversation_limit":5}`},
	{http.MethodPost, func(f *fixture) string { return "/users/" + f.agent.ID.String() + "/archive" }, `{"confirmation":"Bob Agent"}`},
	{http.MethodPost, func(f *fixture) string { return "/users/" + f.invitee.ID.String() + "/verification" }, ""},
	{http.MethodGet, func(*fixture) string { return "/activity" }, ""},
	{http.MethodGet, func(*fixture) string { return "/activity/types" }, ""},
}

var memberRoutes = []routeCase{
	{http.MethodGet, func(*fixture) string { return "/users" }, ""},
	{http.MethodGet, func(f *fixture) string { return "/users/" + f.admin.ID.String() }, ""},
	{http.MethodGet, func(*fixture) string { return "/users/columns" }, ""},
	{http.MethodPut, func(*fixture) string { return "/users/columns" }, `{"columns":{"role":false}}`},
	{http.MethodGet, func(*fixture) string { return "/seats" }, ""},
}

func allRoutes() []routeCase {
	return append(append([]routeCase(nil), adminRoutes...), memberRoutes...)
}

func TestPlainUserIsForbiddenAdminRoutes(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	for _, rc := range adminRoutes {
		t.Run(rc.name(f), func(t *testing.T) {
			rec := f.call(rc.method, rc.path(f), f.agent, rc.body)

			p := requireProblem(t, rec, http.StatusForbidden, "forbidden", "")
			assert.Contains(t, p.Detail, "admin")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestPlainUserIsForbiddenBeforeInputChecks(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()

	rec := f.call(http.MethodPost, "/users", f.agent, `{"email":`)

	requireProblem(t, rec, http.StatusForbidden, "forbidden", "")
	rec = f.call(http.MethodGet, "/activity?user_id=nope", f.agent, "")
	requireProblem(t, rec, http.StatusForbidden, "forbidden", "")
	assert.Equal(t, before, f.snapshot())
}

func TestPlainUserMayUseMemberRoutes(t *testing.T) {
	f := newFixture(t)
	for _, rc := range memberRoutes {
		t.Run(rc.name(f), func(t *testing.T) {
			requireStatus(t, f.call(rc.method, rc.path(f), f.agent, rc.body), http.StatusOK)
		})
	}
}

func TestUnverifiedUserIsForbiddenEveryRoute(t *testing.T) {
	f := newFixture(t)
	// An unverified admin shows that the check is about verification,
	// not the role.
	_, err := f.users.Update(f.ctx, f.actorOf(f.admin), f.invitee.ID, users.Changes{Role: ptr(users.RoleAdmin)})
	require.NoError(t, err)
	before := f.snapshot()
	for _, rc := range allRoutes() {
		t.Run(rc.name(f), func(t *testing.T) {
			rec := f.call(rc.method, rc.path(f), f.invitee, rc.body)

			p := requireProblem(t, rec, http.StatusForbidden, "forbidden", "")
			assert.Contains(t, p.Detail, "verified")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestArchivedUserIsUnauthenticatedEveryRoute(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Update(f.ctx, f.actorOf(f.admin), f.agent.ID, users.Changes{Role: ptr(users.RoleAdmin)})
	require.NoError(t, err)
	_, err = f.users.Archive(f.ctx, f.actorOf(f.admin), f.agent.ID, "Bob Agent", 0)
	require.NoError(t, err)
	before := f.snapshot()
	for _, rc := range allRoutes() {
		t.Run(rc.name(f), func(t *testing.T) {
			rec := f.call(rc.method, rc.path(f), f.agent, rc.body)

			requireProblem(t, rec, http.StatusUnauthorized, "unauthenticated", "")
			assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, before, f.snapshot())
		})
	}
}

func TestBadCredentialIsUnauthenticated(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	credentials := map[string]string{
		"none":                  "",
		"garbage":               "Bearer nonsense",
		"unknown user":          "Bearer " + f.acme.ID.String() + "/" + uuid.NewString(),
		"unknown company":       "Bearer " + uuid.NewString() + "/" + f.admin.ID.String(),
		"user of other company": "Bearer " + f.acme.ID.String() + "/" + f.globexAdmin.ID.String(),
		"nil user":              "Bearer " + f.acme.ID.String() + "/" + uuid.Nil.String(),
		"nil company":           "Bearer " + uuid.Nil.String() + "/" + f.admin.ID.String(),
	}
	for name, credential := range credentials {
		for _, rc := range allRoutes() {
			t.Run(name+"/"+rc.name(f), func(t *testing.T) {
				req := newRequest(rc.method, rc.path(f), nil, rc.body)
				if credential != "" {
					req.Header.Set("Authorization", credential)
				}

				rec := f.do(req)

				p := requireProblem(t, rec, http.StatusUnauthorized, "unauthenticated", "")
				assert.NotContains(t, p.Detail, "bearer", "the Authenticator's error must not reach the client")
				assert.Equal(t, before, f.snapshot())
			})
		}
	}
}

func TestDemotionAppliesToNextRequest(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Update(f.ctx, f.actorOf(f.admin), f.agent.ID, users.Changes{Role: ptr(users.RoleAdmin)})
	require.NoError(t, err)
	requireStatus(t, f.call(http.MethodGet, "/activity", f.agent, ""), http.StatusOK)

	requireStatus(t, f.call(http.MethodPatch, "/users/"+f.agent.ID.String(), f.admin, `{"role":"user"}`), http.StatusOK)

	requireProblem(t, f.call(http.MethodGet, "/activity", f.agent, ""), http.StatusForbidden, "forbidden", "")
}

func TestArchiveAppliesToNextRequest(t *testing.T) {
	f := newFixture(t)
	requireStatus(t, f.call(http.MethodGet, "/users", f.agent, ""), http.StatusOK)

	requireStatus(t, f.call(http.MethodPost, "/users/"+f.agent.ID.String()+"/archive", f.admin, `{"confirmation":"Bob Agent"}`), http.StatusOK)

	requireProblem(t, f.call(http.MethodGet, "/users", f.agent, ""), http.StatusUnauthorized, "unauthenticated", "")
}

// otherCompanyRoutes target Globex's agent with requests that would
// succeed inside Globex.
var otherCompanyRoutes = []struct {
	method, path, body string
}{
	{http.MethodGet, "/users/%s", ""},
	{http.MethodPatch, "/users/%s", `{"conversation_limit":5}`},
	{http.MethodPost, "/users/%s/archive", `{"confirmation":"agent@globex.test"}`},
	{http.MethodPost, "/users/%s/verification", ""},
}

func TestOtherCompanyUserIsNotFound(t *testing.T) {
	f := newFixture(t)
	// A pending Globex invitee, so that a resend inside Globex would work.
	invitee, err := f.users.Invite(f.ctx, f.actorOf(f.globexAdmin), users.Invite{
		Email: "new@globex.test", Name: "New Globex", Role: users.RoleUser,
	})
	require.NoError(t, err)
	before := f.snapshot()
	for _, rc := range otherCompanyRoutes {
		for _, target := range []uuid.UUID{f.globexAgent.ID, invitee.ID} {
			t.Run(rc.method+" "+rc.path+" "+target.String(), func(t *testing.T) {
				missing := uuid.New()
				missingRec := f.call(rc.method, strings.Replace(rc.path, "%s", missing.String(), 1), f.admin, rc.body)
				missingProblem := requireProblem(t, missingRec, http.StatusNotFound, "not_found", "")

				rec := f.call(rc.method, strings.Replace(rc.path, "%s", target.String(), 1), f.admin, rc.body)

				p := requireProblem(t, rec, http.StatusNotFound, "not_found", "")
				assert.Equal(t, strings.ReplaceAll(missingProblem.Detail, missing.String(), target.String()), p.Detail)
				assert.Equal(t, before, f.snapshot())
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

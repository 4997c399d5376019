package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// authzActor is a column of the authorization matrix: who sends the
// request.
type authzActor int

const (
	asAdmin authzActor = iota
	asUser
	asUnverified
	asArchivedAdmin
	asOtherAdmin
	asNoCredential
	asMalformed
	authzActors
)

// authzOrder is the order in which a row's cells run. The admin comes
// last, because its successful writes, such as an archive, would change
// the outcome for the other actors.
var authzOrder = []authzActor{asUser, asUnverified, asArchivedAdmin, asOtherAdmin, asNoCredential, asMalformed, asAdmin}

func (a authzActor) String() string {
	return [...]string{"admin", "user", "unverified", "archived admin", "other company admin", "no credential", "malformed credential"}[a]
}

// authzWant is a cell of the matrix: the status, and the problem code of
// an error response.
type authzWant struct {
	status int
	code   string
}

var (
	wantOK              = authzWant{http.StatusOK, ""}
	wantCreated         = authzWant{http.StatusCreated, ""}
	wantForbidden       = authzWant{http.StatusForbidden, "forbidden"}
	wantUnauthenticated = authzWant{http.StatusUnauthorized, "unauthenticated"}
	wantNotFound        = authzWant{http.StatusNotFound, "not_found"}
)

// authzFixture is the adapter fixture with two more actors: the invitee
// promoted to admin, so that its rejection is about verification and not
// the role, and a verified admin who was archived.
type authzFixture struct {
	*fixture
	formerAdmin users.User
}

func newAuthzFixture(t *testing.T, kind storeKind) *authzFixture {
	t.Helper()
	f := &authzFixture{fixture: newFixtureOn(t, kind.open(t), nil)}
	var err error
	f.invitee, err = f.users.Update(f.ctx, f.actorOf(f.admin), f.invitee.ID, users.Changes{Role: ptr(users.RoleAdmin)})
	require.NoError(t, err)
	former, err := f.users.Invite(f.ctx, f.actorOf(f.admin), users.Invite{
		Email: "former@acme.test", Name: "Fay Former", Role: users.RoleAdmin, ConversationLimit: 8,
	})
	require.NoError(t, err)
	f.tokensMu.Lock()
	token := f.tokens[former.Email]
	f.tokensMu.Unlock()
	_, err = f.users.Verify(f.ctx, token, activity.Actor{})
	require.NoError(t, err)
	f.formerAdmin, err = f.users.Archive(f.ctx, f.actorOf(f.admin), former.ID, former.Email, 0)
	require.NoError(t, err)
	return f
}

// authorization returns the Authorization header of actor, or "" for none.
func (f *authzFixture) authorization(actor authzActor) string {
	switch actor {
	case asAdmin:
		return bearer(f.admin)
	case asUser:
		return bearer(f.agent)
	case asUnverified:
		return bearer(f.invitee)
	case asArchivedAdmin:
		return bearer(f.formerAdmin)
	case asOtherAdmin:
		return bearer(f.globexAdmin)
	case asMalformed:
		return "Bearer not-a-company/not-a-user"
	}
	return ""
}

func (f *authzFixture) send(actor authzActor, method, path, body string) *httptest.ResponseRecorder {
	r := newRequest(method, path, nil, body)
	if auth := f.authorization(actor); auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return f.do(r)
}

// companyState returns the users, seats, column choices and activity
// entries of one company as JSON.
func (f *authzFixture) companyState(companyID uuid.UUID) string {
	t := f.t
	t.Helper()
	page, err := f.users.List(f.ctx, companyID, users.ListQuery{Limit: users.MaxPageSize})
	require.NoError(t, err)
	log, err := f.activity.Query(f.ctx, companyID, activity.Query{Limit: activity.MaxPageSize})
	require.NoError(t, err)
	columns := map[string]users.ColumnVisibility{}
	for _, u := range page.Users {
		v, err := f.users.Columns(f.ctx, companyID, u.ID)
		require.NoError(t, err)
		columns[u.ID.String()] = v
	}
	b, err := json.Marshal(map[string]any{"users": page.Users, "seats": page.Seats, "log": log.Entries, "columns": columns})
	require.NoError(t, err)
	return string(b)
}

// authzRow is one route of the matrix with a request that succeeds for an
// admin of Acme, and the expected outcome for each actor. Requests with an
// {id} name a user of Acme.
type authzRow struct {
	route string
	path  func(f *authzFixture) string
	body  string
	want  [authzActors]authzWant
}

// authzMatrix lists every route of the adapter. An admin of another
// company acts in that company: routes without an id succeed there, and
// an Acme id gets 404 exactly as a missing id does.
var authzMatrix = []authzRow{
	{
		route: "GET /users",
		path:  func(*authzFixture) string { return "/users" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantOK, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "POST /users",
		path:  func(*authzFixture) string { return "/users" },
		body:  `{"email":"dana@example.test","name":"Dana"}`,
		want: [authzActors]authzWant{asAdmin: wantCreated, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantCreated, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /users/{id}",
		path:  func(f *authzFixture) string { return "/users/" + f.agent.ID.String() },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantOK, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantNotFound, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "PATCH /users/{id}",
		path:  func(f *authzFixture) string { return "/users/" + f.agent.ID.String() },
		body:  `{"conversation_limit":5,"can_access_phone_calls":true}`,
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantNotFound, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "POST /users/{id}/archive",
		path:  func(f *authzFixture) string { return "/users/" + f.agent.ID.String() + "/archive" },
		body:  `{"confirmation":"agent@acme.test"}`,
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantNotFound, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "POST /users/{id}/verification",
		path:  func(f *authzFixture) string { return "/users/" + f.invitee.ID.String() + "/verification" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantNotFound, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /users/columns",
		path:  func(*authzFixture) string { return "/users/columns" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantOK, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "PUT /users/columns",
		path:  func(*authzFixture) string { return "/users/columns" },
		body:  `{"columns":{"role":false,"conversation_limit":false}}`,
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantOK, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /seats",
		path:  func(*authzFixture) string { return "/seats" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantOK, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /activity",
		path:  func(*authzFixture) string { return "/activity" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /activity/types",
		path:  func(*authzFixture) string { return "/activity/types" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /activity/export",
		path:  func(*authzFixture) string { return "/activity/export?format=csv" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		route: "GET /activity/sync",
		path:  func(*authzFixture) string { return "/activity/sync" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantForbidden, asUnverified: wantForbidden,
			asArchivedAdmin: wantUnauthenticated, asOtherAdmin: wantOK, asNoCredential: wantUnauthenticated, asMalformed: wantUnauthenticated},
	},
	{
		// The OpenAPI document holds no company data, so it needs no
		// credential.
		route: "GET /openapi.json",
		path:  func(*authzFixture) string { return "/openapi.json" },
		want: [authzActors]authzWant{asAdmin: wantOK, asUser: wantOK, asUnverified: wantOK,
			asArchivedAdmin: wantOK, asOtherAdmin: wantOK, asNoCredential: wantOK, asMalformed: wantOK},
	},
}

// authzProbeMethod is a method that no route serves, so every route
// responds to it with 405 and its Allow header.
const authzProbeMethod = "PROBE"

var pathVariable = regexp.MustCompile(`\{[^}]*\}`)

// registeredRoutes returns every method and path template that the
// adapter registers on a router, such as "PATCH /users/{id}".
func registeredRoutes(t *testing.T, f *fixture) []string {
	t.Helper()
	router := mux.NewRouter()
	f.handler.Register(router)
	var routes []string
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil || route.GetHandler() == nil {
			return nil
		}
		if methods, err := route.GetMethods(); err == nil {
			for _, m := range methods {
				routes = append(routes, m+" "+tpl)
			}
			return nil
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, httptest.NewRequest(authzProbeMethod, pathVariable.ReplaceAllString(tpl, uuid.NewString()), nil))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code, "%s %s", authzProbeMethod, tpl)
		allow := rec.Header().Get("Allow")
		require.NotEmpty(t, allow, "Allow header of %s", tpl)
		for _, m := range strings.Split(allow, ", ") {
			routes = append(routes, m+" "+tpl)
		}
		return nil
	})
	require.NoError(t, err)
	return routes
}

func TestAuthzMatrixListsEveryRoute(t *testing.T) {
	registered := registeredRoutes(t, newFixture(t))
	require.NotEmpty(t, registered)
	listed := make([]string, 0, len(authzMatrix))
	for _, row := range authzMatrix {
		listed = append(listed, row.route)
	}

	for _, route := range registered {
		assert.Contains(t, listed, route, "the adapter registers %s, but the matrix has no row for it", route)
	}
	for _, route := range listed {
		assert.Contains(t, registered, route, "the matrix lists %s, which the adapter does not register", route)
	}
	assert.Len(t, listed, len(slices.Compact(slices.Sorted(slices.Values(listed)))), "a route appears twice")
}

func TestAuthzMatrix(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			for _, row := range authzMatrix {
				t.Run(row.route, func(t *testing.T) {
					t.Parallel()
					f := newAuthzFixture(t, kind)
					method, _, _ := strings.Cut(row.route, " ")
					for _, actor := range authzOrder {
						t.Run(actor.String(), func(t *testing.T) {
							checkAuthzCell(t, f, row, method, actor)
						})
					}
				})
			}
		})
	}
}

// checkAuthzCell sends the row's request as actor and checks the outcome.
// A rejected request must change nothing in either company. A request of
// the other company's admin must change nothing in Acme and show nothing
// of it.
func checkAuthzCell(t *testing.T, f *authzFixture, row authzRow, method string, actor authzActor) {
	want := row.want[actor]
	require.NotZero(t, want.status, "the matrix has no cell for %s", actor)
	before := f.snapshot()
	acmeBefore := f.companyState(f.acme.ID)
	path := row.path(f)

	rec := f.send(actor, method, path, row.body)

	requireStatus(t, rec, want.status)
	if want.code == "" {
		assert.NotEqual(t, "application/problem+json", rec.Header().Get("Content-Type"))
	} else {
		p := problemOf(t, rec)
		assert.Equal(t, want.code, p.Code)
		assert.Equal(t, before, f.snapshot(), "a rejected request changed the stored state")
	}
	if want.status == http.StatusUnauthorized {
		assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
	}
	if actor != asOtherAdmin {
		return
	}
	assert.Equal(t, acmeBefore, f.companyState(f.acme.ID), "another company's admin changed Acme")
	secrets := []string{f.acme.ID.String(), "Acme Support"}
	for _, u := range []users.User{f.admin, f.agent, f.invitee, f.formerAdmin} {
		secrets = append(secrets, u.ID.String(), u.Email, u.Name)
	}
	for _, secret := range secrets {
		if strings.Contains(path, secret) {
			continue
		}
		assert.NotContains(t, rec.Body.String(), secret, "another company's admin saw Acme data")
	}
	if want.status == http.StatusNotFound {
		assertSameAsMissingID(t, f, actor, method, path, row.body, rec)
	}
}

// assertSameAsMissingID checks that rec, the response to a request for an
// id of another company, is byte for byte the response to the same request
// for a random id, apart from the id.
func assertSameAsMissingID(t *testing.T, f *authzFixture, actor authzActor, method, path, body string, rec *httptest.ResponseRecorder) {
	t.Helper()
	id := pathVariableOf(t, path)
	missing := uuid.NewString()
	before := f.snapshot()

	missingRec := f.send(actor, method, strings.Replace(path, id, missing, 1), body)

	assert.Equal(t, missingRec.Code, rec.Code)
	assert.Equal(t, missingRec.Header().Get("Content-Type"), rec.Header().Get("Content-Type"))
	assert.Equal(t, strings.ReplaceAll(missingRec.Body.String(), missing, id), rec.Body.String())
	assert.Equal(t, before, f.snapshot(), "a request for a missing id changed the stored state")
}

// pathVariableOf returns the user id in a path such as /users/{id}/archive.
func pathVariableOf(t *testing.T, path string) string {
	t.Helper()
	parts := strings.Split(path, "/")
	require.GreaterOrEqual(t, len(parts), 3, "path %s has no id", path)
	return parts[2]
}

func TestOtherCompanyIDsMatchMissingIDs(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			f := newAuthzFixture(t, kind)
			// A pending Globex invitee, so that a resend inside Globex
			// would succeed.
			globexInvitee, err := f.users.Invite(f.ctx, f.actorOf(f.globexAdmin), users.Invite{
				Email: "new@globex.test", Name: "New Globex", Role: users.RoleUser,
			})
			require.NoError(t, err)
			requests := []struct {
				method, path, body string
				target             users.User
				status             int
			}{
				{http.MethodGet, "/users/%s", "", f.globexAgent, http.StatusNotFound},
				{http.MethodGet, "/users/%s", "", f.globexAdmin, http.StatusNotFound},
				{http.MethodPatch, "/users/%s", `{"conversation_limit":5}`, f.globexAgent, http.StatusNotFound},
				{http.MethodPatch, "/users/%s", `{"role":"user"}`, f.globexAdmin, http.StatusNotFound},
				{http.MethodPost, "/users/%s/archive", `{"confirmation":"agent@globex.test"}`, f.globexAgent, http.StatusNotFound},
				{http.MethodPost, "/users/%s/verification", "", globexInvitee, http.StatusNotFound},
				{http.MethodGet, "/activity?user_id=%s", "", f.globexAdmin, http.StatusOK},
				{http.MethodGet, "/activity?target_user_id=%s", "", f.globexAgent, http.StatusOK},
			}
			for _, req := range requests {
				t.Run(req.method+" "+req.path+" "+req.target.Name, func(t *testing.T) {
					before := f.snapshot()
					missing := uuid.NewString()
					target := req.target.ID.String()

					rec := f.call(req.method, strings.Replace(req.path, "%s", target, 1), f.admin, req.body)
					missingRec := f.call(req.method, strings.Replace(req.path, "%s", missing, 1), f.admin, req.body)

					requireStatus(t, rec, req.status)
					assert.Equal(t, missingRec.Code, rec.Code)
					assert.Equal(t, missingRec.Header().Get("Content-Type"), rec.Header().Get("Content-Type"))
					assert.Equal(t, strings.ReplaceAll(missingRec.Body.String(), missing, target), rec.Body.String())
					assert.NotContains(t, rec.Body.String(), "globex")
					assert.Equal(t, before, f.snapshot())
				})
			}
		})
	}
}

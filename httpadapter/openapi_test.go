package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

// The tests in this file keep httpadapter/openapi.json and the adapter in
// step. They send requests to every route through the real handler,
// mounted under /api, the document's server URL, and validate each
// request and each response against the document with kin-openapi. They
// fail when the adapter serves a route that the document lacks, or the
// document lists a route that the adapter does not serve. They also fail
// when the adapter never sends a status or error code that the document
// lists for an operation.

// apiPrefix is the document's server URL, under which the tests mount the
// routes.
const apiPrefix = "/api"

// hostOnlyKinds are the error kinds that only Go calls of the host return,
// never the adapter's routes. The document's ErrorCode lists their codes
// for hosts that send them through Handler.WriteError.
var hostOnlyKinds = []roster.Kind{
	roster.KindSeatLimitBelowUsage,
	roster.KindConversationLimitReached,
	roster.KindNoOpenConversation,
	roster.KindNotVerified,
	roster.KindTokenExpired,
}

// loadOpenAPI parses and validates the document that the package embeds.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpadapter.OpenAPI())
	require.NoError(t, err, "parsing openapi.json")
	require.NoError(t, doc.Validate(loader.Context), "validating openapi.json")
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)

	assert.Equal(t, "3.0.3", doc.OpenAPI)
	require.Len(t, doc.Servers, 1)
	assert.Equal(t, apiPrefix, doc.Servers[0].URL)
	require.Contains(t, doc.Components.SecuritySchemes, "bearerAuth")
	scheme := doc.Components.SecuritySchemes["bearerAuth"].Value
	assert.Equal(t, "http", scheme.Type)
	assert.Equal(t, "bearer", scheme.Scheme)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			assert.NotEmpty(t, op.OperationID, "%s %s has no operationId", method, path)
			assert.NotEmpty(t, op.Description, "%s %s has no description", method, path)
		}
	}
}

func TestOpenAPIIsServedWithoutCredential(t *testing.T) {
	f := newOpenAPIFixture(t)

	rec := httptest.NewRecorder()
	f.router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, apiPrefix+"/openapi.json", nil))

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, httpadapter.OpenAPI(), rec.Body.Bytes())
}

func TestOpenAPIAccessorReturnsCopy(t *testing.T) {
	doc := httpadapter.OpenAPI()
	doc[0] = 'x'

	assert.Equal(t, byte('{'), httpadapter.OpenAPI()[0])
}

// probeMethods are the methods that the route comparison tries on every
// path of the adapter.
var probeMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace,
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	f := newOpenAPIFixture(t)

	// The adapter checks the method before the credential, so a request
	// without one gets 405 exactly when the path does not serve the
	// method.
	served := map[string]bool{}
	err := f.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil || route.GetHandler() == nil {
			return nil
		}
		path, ok := strings.CutPrefix(tpl, apiPrefix)
		require.True(t, ok, "route %s is outside %s", tpl, apiPrefix)
		target := apiPrefix + strings.ReplaceAll(path, "{id}", f.agent.ID.String())
		for _, method := range probeMethods {
			rec := httptest.NewRecorder()
			f.router.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
			if rec.Code != http.StatusMethodNotAllowed {
				served[method+" "+path] = true
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, served)

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for route := range served {
		assert.True(t, documented[route], "the adapter serves %s, but openapi.json does not list it", route)
	}
	for route := range documented {
		assert.True(t, served[route], "openapi.json lists %s, but the adapter does not serve it", route)
	}
}

func TestOpenAPIErrorCodesMatchErrorsPage(t *testing.T) {
	doc := loadOpenAPI(t)
	page := mustReadFile(t, "../docs/errors.md")

	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [0-9, ]+ \\|").FindAllStringSubmatch(page, -1)
	var pageCodes []string
	for _, row := range rows {
		pageCodes = append(pageCodes, row[1])
	}
	require.NotEmpty(t, pageCodes, "docs/errors.md has no table of codes")

	assert.ElementsMatch(t, pageCodes, enumStrings(doc.Components.Schemas["ErrorCode"].Value.Enum))
}

func TestOpenAPIValidatesTraffic(t *testing.T) {
	doc := loadOpenAPI(t)
	f := newOpenAPIFixture(t)
	c := newTrafficChecker(t, doc, f)

	c.successfulCalls(t)
	c.errorsOfEveryOperation(t)
	c.errorsOfUserChanges(t)
	c.errorsOfQueries(t)
	c.errorsOutsideRoutes(t)

	c.requireCoverage(t)
}

// openAPIStore is the memory store with a user lookup that fails on
// demand. The adapter loads the actor's record before anything else, so
// a failing lookup reaches the 500 and 503 responses of every route.
type openAPIStore struct {
	*memory.Store
	fault atomic.Pointer[error]
}

func (s *openAPIStore) User(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	if p := s.fault.Load(); p != nil {
		return users.User{}, *p
	}
	return s.Store.User(ctx, companyID, userID)
}

// openAPIFixture is two companies on one store behind a Handler that is
// mounted under /api on a host router.
//
// Acme has 4 seats: admin (the only verified admin), agent (verified
// user) and invitee (not verified). Globex has 2 seats and its admin.
type openAPIFixture struct {
	store   *openAPIStore
	users   *users.Service
	adapter *httpadapter.Handler
	router  *mux.Router

	tokensMu sync.Mutex
	tokens   map[string]string

	acme        users.Company
	admin       users.User
	agent       users.User
	invitee     users.User
	globexAdmin users.User
}

func newOpenAPIFixture(t *testing.T) *openAPIFixture {
	t.Helper()
	ctx := context.Background()
	f := &openAPIFixture{store: &openAPIStore{Store: memory.New()}, tokens: map[string]string{}}
	f.users = users.NewService(f.store, &users.Options{Notifier: users.NotifierFunc(func(_ context.Context, inv users.Invitation) error {
		f.tokensMu.Lock()
		defer f.tokensMu.Unlock()
		f.tokens[inv.User.Email] = inv.Token
		return nil
	})})
	f.adapter = httpadapter.New(httpadapter.Services{
		Users:    f.users,
		Seats:    seats.NewService(f.store, nil),
		Activity: activity.NewService(f.store, nil),
	}, bearerAuth, nil)
	f.router = mux.NewRouter()
	f.adapter.Register(f.router.PathPrefix(apiPrefix).Subrouter())

	var err error
	f.acme, f.admin, err = f.users.CreateCompany(ctx, users.NewCompany{
		Name: "Acme Support", SeatLimit: 4, AdminEmail: "admin@acme.test", AdminName: "Ada Admin",
	}, activity.Actor{})
	require.NoError(t, err)
	adminActor := activity.Actor{CompanyID: f.acme.ID, UserID: f.admin.ID}
	_, err = f.users.Invite(ctx, adminActor, users.Invite{
		Email: "agent@acme.test", Name: "Bob Agent", Role: users.RoleUser, ConversationLimit: 8,
	})
	require.NoError(t, err)
	f.agent, err = f.users.Verify(ctx, f.token("agent@acme.test"), activity.Actor{})
	require.NoError(t, err)
	f.invitee, err = f.users.Invite(ctx, adminActor, users.Invite{
		Email: "invitee@acme.test", Name: "Cleo Invitee", Role: users.RoleUser, ConversationLimit: 8,
	})
	require.NoError(t, err)
	_, f.globexAdmin, err = f.users.CreateCompany(ctx, users.NewCompany{
		Name: "Globex Help", SeatLimit: 2, AdminEmail: "admin@globex.test", AdminName: "Gina Globex",
	}, activity.Actor{})
	require.NoError(t, err)
	return f
}

func (f *openAPIFixture) token(email string) string {
	f.tokensMu.Lock()
	defer f.tokensMu.Unlock()
	return f.tokens[email]
}

// user returns the current record of a user.
func (f *openAPIFixture) user(t *testing.T, u users.User) users.User {
	t.Helper()
	current, err := f.users.User(context.Background(), u.CompanyID, u.ID)
	require.NoError(t, err)
	return current
}

// apiCall is one request of the traffic test and the response it expects.
type apiCall struct {
	method string
	// target is the path and query under /api.
	target string
	// as is the actor; nil sends no credential.
	as   *users.User
	body string
	// contentType defaults to application/json when body is set.
	contentType string
	ifMatch     string
	// fault makes the actor lookup fail with this error.
	fault  error
	status int
	// code is the expected problem code of an error status.
	code string
	// rejectedByDocument is true when the document itself rejects the
	// request, because it states the rule that the adapter enforces. The
	// other bad requests break rules that OpenAPI cannot state, such as
	// an unknown query parameter or a stale If-Match.
	rejectedByDocument bool
}

// trafficChecker sends apiCalls, validates them against the document and
// records which statuses and codes of which operations were sent.
type trafficChecker struct {
	doc     *openapi3.T
	router  routers.Router
	f       *openAPIFixture
	options *openapi3filter.Options
	// covered holds coverageKey values of the responses seen.
	covered map[string]bool
	// codes holds every problem code seen, on routes or elsewhere.
	codes map[string]bool
}

func newTrafficChecker(t *testing.T, doc *openapi3.T, f *openAPIFixture) *trafficChecker {
	t.Helper()
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	// kin-openapi decodes no NDJSON, and the document types an export as a
	// string; the export tests check each line against ActivityEntry.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.FileBodyDecoder)
	return &trafficChecker{
		doc:    doc,
		router: router,
		f:      f,
		options: &openapi3filter.Options{
			AuthenticationFunc:    acceptBearer,
			SkipSettingDefaults:   true,
			IncludeResponseStatus: true,
			MultiError:            true,
		},
		covered: map[string]bool{},
		codes:   map[string]bool{},
	}
}

// acceptBearer accepts any non-empty bearer token for the document's
// bearerAuth scheme, which is what the test's Authenticator reads.
func acceptBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearerAuth" {
		return in.NewError(fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName))
	}
	token, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return in.NewError(errors.New("no bearer token"))
	}
	return nil
}

func coverageKey(method, path string, status int, code string) string {
	key := fmt.Sprintf("%s %s %d", method, path, status)
	if code != "" {
		key += " " + code
	}
	return key
}

func (call apiCall) request() *http.Request {
	var body io.Reader
	if call.body != "" {
		body = strings.NewReader(call.body)
	}
	r := httptest.NewRequest(call.method, apiPrefix+call.target, body)
	if call.body != "" || call.method == http.MethodPost || call.method == http.MethodPut || call.method == http.MethodPatch {
		contentType := call.contentType
		if contentType == "" {
			contentType = "application/json"
		}
		r.Header.Set("Content-Type", contentType)
	}
	if call.as != nil {
		r.Header.Set("Authorization", bearer(*call.as))
	}
	if call.ifMatch != "" {
		r.Header.Set("If-Match", call.ifMatch)
	}
	r.Header.Set("User-Agent", "roster-openapi-test/1.0")
	return r
}

// send validates call's request against the document, serves it, checks
// the status and code, validates the response and returns its body.
func (c *trafficChecker) send(t *testing.T, call apiCall) []byte {
	t.Helper()
	name := call.method + " " + call.target
	ctx := context.Background()

	req := call.request()
	route, pathParams, err := c.router.FindRoute(req)
	require.NoError(t, err, "%s: the document has no operation for it", name)
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams,
		Route:      route,
		Options:    c.options,
	}
	err = openapi3filter.ValidateRequest(ctx, input)
	if call.rejectedByDocument {
		assert.Error(t, err, "%s: the document accepts a request that breaks a rule it should state", name)
	} else {
		assert.NoError(t, err, "%s: the document rejects a request that the test expects it to accept", name)
	}

	if call.fault != nil {
		c.f.store.fault.Store(&call.fault)
	}
	rec := httptest.NewRecorder()
	c.f.router.ServeHTTP(rec, call.request())
	c.f.store.fault.Store(nil)

	require.Equal(t, call.status, rec.Code, "%s: body %s", name, rec.Body.String())
	code := ""
	if rec.Code >= 400 {
		var p httpadapter.Problem
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), "%s: body %s", name, rec.Body.String())
		code = p.Code
		assert.Equal(t, call.code, code, "%s: detail %q", name, p.Detail)
		c.codes[code] = true
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                c.options,
	})
	assert.NoError(t, err, "%s: the response does not match the document; body %s", name, rec.Body.String())

	c.covered[coverageKey(route.Method, route.Path, rec.Code, code)] = true
	return rec.Body.Bytes()
}

// sendJSON sends call and decodes the response body into out.
func (c *trafficChecker) sendJSON(t *testing.T, call apiCall, out any) {
	t.Helper()
	body := c.send(t, call)
	require.NoError(t, json.Unmarshal(body, out), "%s %s: body %s", call.method, call.target, body)
}

func ifMatch(u users.User) string {
	return `W/"` + strconv.FormatInt(u.Version, 10) + `"`
}

// successfulCalls sends a successful request to every operation, with
// every filter, and invites into the seat that an archive freed.
func (c *trafficChecker) successfulCalls(t *testing.T) {
	f := c.f
	agentPath := "/users/" + f.agent.ID.String()

	c.send(t, apiCall{method: "GET", target: "/openapi.json", status: 200})
	c.send(t, apiCall{method: "GET", target: "/users", as: &f.agent, status: 200})
	c.send(t, apiCall{method: "GET", target: "/users?status=active&role=user&verification_status=verified&search=bob",
		as: &f.admin, status: 200})
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	c.sendJSON(t, apiCall{method: "GET", target: "/users?limit=1", as: &f.admin, status: 200}, &page)
	require.NotNil(t, page.NextCursor)
	c.send(t, apiCall{method: "GET", target: "/users?limit=2&cursor=" + *page.NextCursor, as: &f.admin, status: 200})

	c.send(t, apiCall{method: "GET", target: agentPath, as: &f.agent, status: 200})
	c.send(t, apiCall{method: "GET", target: "/users/columns", as: &f.agent, status: 200})
	c.send(t, apiCall{method: "PUT", target: "/users/columns", as: &f.agent,
		body: `{"columns":{"role":false,"conversation_limit":false}}`, status: 200})
	c.send(t, apiCall{method: "GET", target: "/seats", as: &f.agent, status: 200})

	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin, ifMatch: ifMatch(f.user(t, f.agent)),
		body: `{"conversation_limit":12,"can_access_ai_assistant":true}`, status: 200})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin, ifMatch: "*",
		body: `{"role":"user","can_access_phone_calls":true}`, status: 200})
	c.send(t, apiCall{method: "POST", target: "/users/" + f.invitee.ID.String() + "/verification", as: &f.admin, status: 200})

	// The fourth seat goes to Dan, and the company is full.
	var dan struct {
		ID string `json:"id"`
	}
	c.sendJSON(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"dan@acme.test","name":"Dan Deputy","role":"admin","conversation_limit":0,` +
			`"can_access_phone_calls":true,"can_access_ai_assistant":false}`, status: 201}, &dan)
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"erin@acme.test","name":"Erin Extra"}`, status: 409, code: "no_seat_available"})
	c.send(t, apiCall{method: "POST", target: "/users/" + dan.ID + "/archive", as: &f.admin, ifMatch: `W/"1"`,
		body: `{"confirmation":"  DAN@acme.test "}`, status: 200})
	// The free seat does not admit a second user with Bob's address.
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":" AGENT@acme.test","name":"Bob Again"}`, status: 409, code: "email_taken"})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"erin@acme.test","name":"Erin Extra"}`, status: 201})

	c.send(t, apiCall{method: "GET", target: "/activity", as: &f.admin, status: 200})
	c.send(t, apiCall{method: "GET", target: "/activity/types", as: &f.admin, status: 200})
	today := time.Now().In(mustLocation(t, "Europe/Berlin")).Format(time.DateOnly)
	filter := "/activity?type=user_invited&type=user_archived&from=" + today +
		"&to=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + "&tz=Europe/Berlin"
	var log struct {
		Entries    []json.RawMessage `json:"entries"`
		NextCursor *string           `json:"next_cursor"`
	}
	c.sendJSON(t, apiCall{method: "GET", target: filter + "&limit=1", as: &f.admin, status: 200}, &log)
	require.Len(t, log.Entries, 1)
	require.NotNil(t, log.NextCursor)
	c.send(t, apiCall{method: "GET", target: filter + "&limit=200&cursor=" + *log.NextCursor, as: &f.admin, status: 200})
	c.send(t, apiCall{method: "GET", target: "/activity?user_id=" + f.admin.ID.String() +
		"&target_user_id=" + f.agent.ID.String() + "&to=" + today, as: &f.admin, status: 200})
	c.send(t, apiCall{method: "GET", target: "/activity/export?format=csv&type=user_invited", as: &f.admin, status: 200})
	c.send(t, apiCall{method: "GET", target: "/activity/export?format=ndjson&user_id=" + f.admin.ID.String(),
		as: &f.admin, status: 200})
	var synced struct {
		NextCursor string `json:"next_cursor"`
	}
	c.sendJSON(t, apiCall{method: "GET", target: "/activity/sync?limit=2", as: &f.admin, status: 200}, &synced)
	c.send(t, apiCall{method: "GET", target: "/activity/sync?cursor=" + synced.NextCursor, as: &f.admin, status: 200})

	// Dan is archived now, so his credential no longer works.
	danUser := f.user(t, users.User{CompanyID: f.acme.ID, ID: uuid.MustParse(dan.ID)})
	c.send(t, apiCall{method: "GET", target: "/users", as: &danUser, status: 401, code: "unauthenticated"})
	c.send(t, apiCall{method: "PATCH", target: "/users/" + dan.ID, as: &f.admin,
		body: `{"role":"user"}`, status: 409, code: "archived"})
	c.send(t, apiCall{method: "POST", target: "/users/" + dan.ID + "/archive", as: &f.admin,
		body: `{"confirmation":"dan@acme.test"}`, status: 409, code: "archived"})
	c.send(t, apiCall{method: "POST", target: "/users/" + dan.ID + "/verification", as: &f.admin,
		status: 409, code: "archived"})
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// operationCall is a request to one operation that passes every check of
// the operation itself.
type operationCall struct {
	method, target, body string
}

func (c *trafficChecker) operations() []operationCall {
	agentPath := "/users/" + c.f.agent.ID.String()
	return []operationCall{
		{"GET", "/users", ""},
		{"POST", "/users", `{"email":"zoe@acme.test","name":"Zoe"}`},
		{"GET", agentPath, ""},
		{"PATCH", agentPath, `{"role":"user"}`},
		{"POST", agentPath + "/archive", `{"confirmation":"agent@acme.test"}`},
		{"POST", agentPath + "/verification", ""},
		{"GET", "/users/columns", ""},
		{"PUT", "/users/columns", `{"columns":{}}`},
		{"GET", "/seats", ""},
		{"GET", "/activity", ""},
		{"GET", "/activity/types", ""},
		{"GET", "/activity/export?format=csv", ""},
		{"GET", "/activity/sync", ""},
	}
}

// errorsOfEveryOperation sends the errors that every authenticated
// operation can return: a missing credential, an unverified actor, an
// unknown query parameter and a failing store.
func (c *trafficChecker) errorsOfEveryOperation(t *testing.T) {
	f := c.f
	for _, op := range c.operations() {
		c.send(t, apiCall{method: op.method, target: op.target, body: op.body,
			status: 401, code: "unauthenticated", rejectedByDocument: true})
		c.send(t, apiCall{method: op.method, target: op.target, body: op.body, as: &f.invitee,
			status: 403, code: "forbidden"})
		c.send(t, apiCall{method: op.method, target: withQuery(op.target, "bogus=1"), body: op.body, as: &f.admin,
			status: 400, code: "invalid_request"})
		c.send(t, apiCall{method: op.method, target: op.target, body: op.body, as: &f.admin,
			fault: errors.New("memory: simulated failure"), status: 500, code: "internal"})
		c.send(t, apiCall{method: op.method, target: op.target, body: op.body, as: &f.admin,
			fault: roster.Unavailable(errors.New("simulated outage")), status: 503, code: "unavailable"})
	}
	c.send(t, apiCall{method: "GET", target: "/openapi.json?bogus=1", status: 400, code: "invalid_request"})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.agent,
		body: `{"email":"zoe@acme.test","name":"Zoe"}`, status: 403, code: "forbidden"})
	c.send(t, apiCall{method: "GET", target: "/activity", as: &f.agent, status: 403, code: "forbidden"})
}

func withQuery(target, query string) string {
	if strings.Contains(target, "?") {
		return target + "&" + query
	}
	return target + "?" + query
}

// errorsOfUserChanges sends the errors of invites, edits, archives and
// resent tokens.
func (c *trafficChecker) errorsOfUserChanges(t *testing.T) {
	f := c.f
	agentPath := "/users/" + f.agent.ID.String()
	adminPath := "/users/" + f.admin.ID.String()
	otherCompany := "/users/" + f.globexAdmin.ID.String()
	oversized := strings.Repeat("x", httpadapter.DefaultMaxBodyBytes+1)

	// Invites.
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"not an address","name":"Zoe"}`, status: 422, code: "invalid_request"})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"zoe@acme.test","name":"Zoe","conversation_limit":101}`, status: 422, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"name":"Zoe"}`, status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"zoe@acme.test","name":"Zoe","nickname":"z"}`, status: 400, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"zoe@acme.test","name":"Zoe","name":"Zed"}`, status: 400, code: "invalid_request"})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin,
		body: `{"email":"zoe@acme.test","name":"` + oversized + `"}`, status: 413, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: "/users", as: &f.admin, contentType: "text/plain",
		body: `{"email":"zoe@acme.test","name":"Zoe"}`, status: 415, code: "invalid_request", rejectedByDocument: true})

	// Reads of one user.
	c.send(t, apiCall{method: "GET", target: otherCompany, as: &f.admin, status: 404, code: "not_found"})
	c.send(t, apiCall{method: "GET", target: "/users/" + uuid.NewString(), as: &f.admin, status: 404, code: "not_found"})
	c.send(t, apiCall{method: "GET", target: "/users/not-a-uuid", as: &f.admin, status: 400, code: "invalid_request",
		rejectedByDocument: true})

	// Edits.
	c.send(t, apiCall{method: "PATCH", target: otherCompany, as: &f.admin,
		body: `{"role":"user"}`, status: 404, code: "not_found"})
	c.send(t, apiCall{method: "PATCH", target: adminPath, as: &f.admin,
		body: `{"role":"user"}`, status: 409, code: "last_admin"})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin, ifMatch: `W/"99"`,
		body: `{"role":"admin"}`, status: 412, code: "precondition_failed"})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin, ifMatch: "version 3",
		body: `{"role":"admin"}`, status: 400, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin,
		body: `{}`, status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin,
		body: `{"role":"owner"}`, status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin,
		body: `{"can_access_phone_calls":"yes"}`, status: 400, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin,
		body: `{"role":"` + oversized + `"}`, status: 413, code: "invalid_request", rejectedByDocument: true})
	// OpenAPI cannot state the charset rule.
	c.send(t, apiCall{method: "PATCH", target: agentPath, as: &f.admin, contentType: "application/json; charset=latin1",
		body: `{"role":"admin"}`, status: 415, code: "invalid_request"})

	// Archives.
	c.send(t, apiCall{method: "POST", target: otherCompany + "/archive", as: &f.admin,
		body: `{"confirmation":"admin@globex.test"}`, status: 404, code: "not_found"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/archive", as: &f.admin,
		body: `{"confirmation":"Bob"}`, status: 422, code: "confirmation_mismatch"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/archive", as: &f.admin,
		body: `{}`, status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: adminPath + "/archive", as: &f.admin,
		body: `{"confirmation":"Ada Admin"}`, status: 409, code: "last_admin"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/archive", as: &f.admin, ifMatch: `"99"`,
		body: `{"confirmation":"Bob Agent"}`, status: 412, code: "precondition_failed"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/archive", as: &f.admin,
		body: `{"confirmation":"` + oversized + `"}`, status: 413, code: "invalid_request"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/archive", as: &f.admin, contentType: "application/xml",
		body: `{"confirmation":"Bob Agent"}`, status: 415, code: "invalid_request", rejectedByDocument: true})

	// Resent verification tokens.
	c.send(t, apiCall{method: "POST", target: otherCompany + "/verification", as: &f.admin, status: 404, code: "not_found"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/verification", as: &f.admin,
		status: 409, code: "already_verified"})
	c.send(t, apiCall{method: "POST", target: agentPath + "/verification", as: &f.admin, contentType: "text/plain",
		body: `hi`, status: 415, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: agentPath + "/verification", as: &f.admin,
		body: `{"note":"` + oversized + `"}`, status: 413, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "POST", target: agentPath + "/verification", as: &f.admin,
		body: `{"note":"x"}`, status: 400, code: "invalid_request", rejectedByDocument: true})

	// Column choices.
	c.send(t, apiCall{method: "PUT", target: "/users/columns", as: &f.agent,
		body: `{"columns":{"avatar":false}}`, status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "PUT", target: "/users/columns", as: &f.agent,
		body: `{"columns":{"role":"no"}}`, status: 400, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "PUT", target: "/users/columns", as: &f.agent,
		body: `{"columns":{}}` + strings.Repeat(" ", httpadapter.DefaultMaxBodyBytes), status: 413, code: "invalid_request"})
	c.send(t, apiCall{method: "PUT", target: "/users/columns", as: &f.agent, contentType: "text/json",
		body: `{"columns":{}}`, status: 415, code: "invalid_request", rejectedByDocument: true})
}

// errorsOfQueries sends the bad filters of the team list and the log.
func (c *trafficChecker) errorsOfQueries(t *testing.T) {
	f := c.f
	c.send(t, apiCall{method: "GET", target: "/users?limit=0", as: &f.admin, status: 422, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/users?limit=101", as: &f.admin, status: 422, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/users?status=gone", as: &f.admin, status: 422, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/users?search=" + strings.Repeat("b", 101), as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/users?limit=ten", as: &f.admin, status: 400, code: "invalid_request",
		rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/users?cursor=forged", as: &f.admin, status: 400, code: "invalid_request"})
	c.send(t, apiCall{method: "GET", target: "/users?role=admin&role=user", as: &f.admin, status: 400, code: "invalid_request"})

	c.send(t, apiCall{method: "GET", target: "/activity?from=2026-03-02&to=2026-03-01", as: &f.admin,
		status: 422, code: "invalid_request"})
	c.send(t, apiCall{method: "GET", target: "/activity?tz=Mars/Olympus_Mons", as: &f.admin,
		status: 422, code: "invalid_request"})
	c.send(t, apiCall{method: "GET", target: "/activity?from=yesterday", as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/activity?type=user_deleted", as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/activity?limit=201", as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/activity?user_id=42", as: &f.admin,
		status: 400, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/activity?cursor=forged", as: &f.admin,
		status: 400, code: "invalid_request"})

	c.send(t, apiCall{method: "GET", target: "/activity/export", as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/activity/export?format=xlsx", as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
	c.send(t, apiCall{method: "GET", target: "/activity/export?format=csv&limit=10", as: &f.admin,
		status: 400, code: "invalid_request"})
	c.send(t, apiCall{method: "GET", target: "/activity/export?format=csv&from=2026-03-02&to=2026-03-01", as: &f.admin,
		status: 422, code: "invalid_request"})
	c.send(t, apiCall{method: "GET", target: "/activity/sync?cursor=forged", as: &f.admin,
		status: 400, code: "invalid_request"})
	c.send(t, apiCall{method: "GET", target: "/activity/sync?limit=1001", as: &f.admin,
		status: 422, code: "invalid_request", rejectedByDocument: true})
}

// errorsOutsideRoutes checks the problems that no operation describes:
// 405 for a method that a path does not serve, and the codes that only
// the host's Go calls return, which hosts send through WriteError. Their
// bodies must match the document's Problem schema.
func (c *trafficChecker) errorsOutsideRoutes(t *testing.T) {
	problem := c.doc.Components.Schemas["Problem"].Value

	rec := httptest.NewRecorder()
	c.f.router.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, apiPrefix+"/seats", nil))
	requireStatus(t, rec, http.StatusMethodNotAllowed)
	c.checkProblem(t, problem, rec, "method_not_allowed")

	for _, kind := range hostOnlyKinds {
		rec := httptest.NewRecorder()
		c.f.adapter.WriteError(rec, httptest.NewRequest(http.MethodPost, "/host/route", nil),
			roster.Errorf(kind, "The host's call failed with %s.", kind))
		c.checkProblem(t, problem, rec, kind.String())
	}
}

func (c *trafficChecker) checkProblem(t *testing.T, schema *openapi3.Schema, rec *httptest.ResponseRecorder, code string) {
	t.Helper()
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.NoError(t, schema.VisitJSON(body), "problem %s does not match the Problem schema", rec.Body.String())
	assert.Equal(t, code, body["code"])
	c.codes[code] = true
}

// requireCoverage fails for every status and code that the document lists
// for an operation but that no request received, and for every ErrorCode
// that nothing sent.
func (c *trafficChecker) requireCoverage(t *testing.T) {
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, ref := range op.Responses.Map() {
				n, err := strconv.Atoi(status)
				require.NoError(t, err, "%s %s: response %q is not a status code", method, path, status)
				codes := responseCodes(ref.Value)
				if n >= 400 {
					require.NotEmpty(t, codes, "%s %s %s: the problem schema lists no code", method, path, status)
				} else {
					codes = []string{""}
				}
				for _, code := range codes {
					if key := coverageKey(method, path, n, code); !c.covered[key] {
						missing = append(missing, key)
					}
				}
			}
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "responses that the document lists but no request received")

	var unsent []string
	for _, code := range enumStrings(c.doc.Components.Schemas["ErrorCode"].Value.Enum) {
		if !c.codes[code] {
			unsent = append(unsent, code)
		}
	}
	assert.Empty(t, unsent, "error codes that the document lists but nothing sent")
}

// responseCodes returns the problem codes that a response's
// application/problem+json schema allows, or nil for a response without
// one.
func responseCodes(r *openapi3.Response) []string {
	media := r.Content.Get("application/problem+json")
	if media == nil || media.Schema == nil {
		return nil
	}
	codes, _ := schemaCodes(media.Schema.Value)
	return codes
}

// schemaCodes returns the values of the code property that s allows: the
// intersection of the enums of s and of its allOf parts. constrained is
// false when nothing limits the code.
func schemaCodes(s *openapi3.Schema) (codes []string, constrained bool) {
	if s == nil {
		return nil, false
	}
	intersect := func(more []string) {
		if !constrained {
			codes, constrained = more, true
			return
		}
		codes = slices.DeleteFunc(codes, func(code string) bool { return !slices.Contains(more, code) })
	}
	if p := s.Properties["code"]; p != nil && p.Value != nil && len(p.Value.Enum) > 0 {
		intersect(enumStrings(p.Value.Enum))
	}
	for _, part := range s.AllOf {
		if sub, ok := schemaCodes(part.Value); ok {
			intersect(sub)
		}
	}
	return codes, constrained
}

func enumStrings(enum []any) []string {
	out := make([]string, 0, len(enum))
	for _, v := range enum {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Package httpadapter serves Roster's team list, team changes, seat usage
// and activity log over HTTP as JSON, on gorilla/mux.
//
// A host builds a Handler with New and either serves it directly, with the
// routes at the root, or mounts its routes on its own router with Register.
// The host authenticates people: its Authenticator turns each request into
// an Identity. The adapter then loads that user's current record on every
// request, so that a demotion or an archive applies to the very next
// request, and checks the role each route needs.
//
// The routes, with the role they need:
//
//	GET    /users                     list users with seat usage         member
//	POST   /users                     invite a user                      admin
//	GET    /users/{id}                one user, with an ETag             member
//	PATCH  /users/{id}                edit role, limit and permissions   admin
//	POST   /users/{id}/archive        archive a user                     admin
//	POST   /users/{id}/verification   resend the verification token      admin
//	GET    /users/columns             the viewer's column choice         member
//	PUT    /users/columns             store the viewer's column choice   member
//	GET    /seats                     seat usage                         member
//	GET    /activity                  the activity log                   admin
//	GET    /activity/types            the activity types                 admin
//	GET    /activity/export           the log as a CSV or NDJSON file    admin
//	GET    /activity/sync             entries in commit order, for sync  admin
//	GET    /openapi.json              this API's OpenAPI document        anyone
//
// A member is any active, verified user of the company. JSON fields are
// snake_case, and times are RFC 3339 in UTC with microseconds, or null
// when unset. PATCH /users/{id} and POST /users/{id}/archive honour an
// If-Match header with the version from the ETag header.
//
// Every error is an RFC 9457 application/problem+json body with a stable
// code; WriteError maps Roster's error kinds to statuses and codes, and
// docs/errors.md in the repository lists the codes.
package httpadapter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes
// is not set.
const DefaultMaxBodyBytes = 64 << 10

// Identity is the user the host authenticated for a request.
type Identity struct {
	CompanyID uuid.UUID
	UserID    uuid.UUID
}

// Authenticator returns the Identity of the user who sent r, such as the
// owner of a session cookie or bearer token. An error makes the adapter
// respond with 401 unauthenticated, without showing the error to the
// client, except a roster.Unavailable error, such as a failed session
// store lookup, which gets 503 unavailable so the client retries.
type Authenticator func(r *http.Request) (Identity, error)

// Services are the domain services the adapter calls. All three are
// required.
type Services struct {
	Users    *users.Service
	Seats    *seats.Service
	Activity *activity.Service
}

// Options configures a Handler. A nil *Options and the zero value mean the
// defaults.
type Options struct {
	// Logger receives the unexpected errors, which get a 5xx response,
	// with the method, path and the actor's company and user ids. The
	// default discards them.
	Logger *slog.Logger
	// MaxBodyBytes is the largest request body accepted; larger bodies get
	// 413. The default is DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// TrustedProxies are the networks of the reverse proxies in front of
	// the host. X-Forwarded-For is read only when the connection comes
	// from one of them; see Handler.ClientIP.
	TrustedProxies []netip.Prefix
	// Challenge is the WWW-Authenticate value of 401 responses, which
	// names the host's authentication scheme. The default is
	// DefaultChallenge.
	Challenge string
}

// DefaultChallenge is the WWW-Authenticate value of 401 responses unless
// Options.Challenge sets another.
const DefaultChallenge = "Bearer"

// Handler serves the adapter's routes. It is safe for concurrent use.
type Handler struct {
	users     *users.Service
	seats     *seats.Service
	activity  *activity.Service
	auth      Authenticator
	logger    *slog.Logger
	maxBody   int64
	trusted   []netip.Prefix
	challenge string
	router    *mux.Router
}

// New returns a Handler that serves svc to the users that auth
// identifies. A nil opts means the defaults. New panics when auth or one
// of the services is nil, because no route could work without them.
func New(svc Services, auth Authenticator, opts *Options) *Handler {
	if auth == nil || svc.Users == nil || svc.Seats == nil || svc.Activity == nil {
		panic("httpadapter: New needs an Authenticator and all three Services (Users, Seats, Activity)")
	}
	if opts == nil {
		opts = &Options{}
	}
	h := &Handler{
		users:     svc.Users,
		seats:     svc.Seats,
		activity:  svc.Activity,
		auth:      auth,
		logger:    opts.Logger,
		maxBody:   opts.MaxBodyBytes,
		challenge: opts.Challenge,
	}
	if h.challenge == "" {
		h.challenge = DefaultChallenge
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	for _, p := range opts.TrustedProxies {
		if p.IsValid() {
			h.trusted = append(h.trusted, p.Masked())
		}
	}
	h.router = mux.NewRouter()
	h.Register(h.router)
	return h
}

// ServeHTTP serves the routes at the root of the URL space, such as
// GET /users. Unknown paths get a 404 problem.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.router.ServeHTTP(w, r)
}

// Register adds the adapter's routes to r, typically a host's subrouter
// with a path prefix such as /api. The routes match every method and
// respond with a 405 problem and an Allow header to the methods they do
// not serve. When r has no NotFoundHandler, Register sets one that
// responds with a 404 problem, so unknown paths under a subrouter's prefix
// get one too.
//
// mux tries routes in the order they were added, so a host route such as
// /users/me that is added to r after Register is shadowed by /users/{id}.
// Add such routes before calling Register.
func (h *Handler) Register(r *mux.Router) {
	for _, rt := range h.routes() {
		r.Handle(rt.path, h.handle(rt))
	}
	r.HandleFunc("/openapi.json", h.serveOpenAPI)
	if r.NotFoundHandler == nil {
		r.NotFoundHandler = http.HandlerFunc(h.notFound)
	}
}

// route is one path and the endpoints of its methods.
type route struct {
	path    string
	methods map[string]endpoint
}

// endpoint is one method of a route.
type endpoint struct {
	// adminOnly limits the endpoint to admins; every other endpoint is
	// open to every active, verified member.
	adminOnly bool
	serve     func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call is an authenticated request's actor.
type call struct {
	// user is the actor's current record.
	user  users.User
	actor activity.Actor
}

// routes lists the routes in matching order: /users/columns must come
// before /users/{id}, which would otherwise take "columns" as an id.
func (h *Handler) routes() []route {
	return []route{
		{"/users/columns", map[string]endpoint{
			http.MethodGet: {serve: h.getColumns},
			http.MethodPut: {serve: h.putColumns},
		}},
		{"/users", map[string]endpoint{
			http.MethodGet:  {serve: h.listUsers},
			http.MethodPost: {adminOnly: true, serve: h.inviteUser},
		}},
		{"/users/{id}", map[string]endpoint{
			http.MethodGet:   {serve: h.getUser},
			http.MethodPatch: {adminOnly: true, serve: h.updateUser},
		}},
		{"/users/{id}/archive", map[string]endpoint{
			http.MethodPost: {adminOnly: true, serve: h.archiveUser},
		}},
		{"/users/{id}/verification", map[string]endpoint{
			http.MethodPost: {adminOnly: true, serve: h.resendVerification},
		}},
		{"/seats", map[string]endpoint{
			http.MethodGet: {serve: h.getSeats},
		}},
		{"/activity", map[string]endpoint{
			http.MethodGet: {adminOnly: true, serve: h.queryActivity},
		}},
		{"/activity/types", map[string]endpoint{
			http.MethodGet: {adminOnly: true, serve: h.activityTypes},
		}},
		{"/activity/export", map[string]endpoint{
			http.MethodGet: {adminOnly: true, serve: h.exportActivity},
		}},
		{"/activity/sync", map[string]endpoint{
			http.MethodGet: {adminOnly: true, serve: h.syncActivity},
		}},
	}
}

// handle returns the handler of rt: it checks the method, authenticates
// the actor, checks the role and runs the endpoint, writing any error as a
// problem.
func (h *Handler) handle(rt route) http.Handler {
	methods := make([]string, 0, len(rt.methods))
	for m := range rt.methods {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	allow := strings.Join(methods, ", ")

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer h.recoverPanic(w, r)
		ep, ok := rt.methods[r.Method]
		if !ok {
			h.methodNotAllowed(w, r, allow)
			return
		}
		c, r, err := h.authenticate(r)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		if ep.adminOnly && c.user.Role != users.RoleAdmin {
			h.WriteError(w, r, roster.Errorf(roster.KindForbidden,
				"Only admins may use %s %s; ask an admin of the company.", r.Method, rt.path))
			return
		}
		if err := ep.serve(w, r, c); err != nil {
			h.WriteError(w, r, err)
		}
	})
}

// authenticate runs the host's Authenticator and loads the actor's current
// record. It returns r with the identity in its context, for the error log.
func (h *Handler) authenticate(r *http.Request) (*call, *http.Request, error) {
	id, err := h.auth(r)
	if err == nil && (id.CompanyID == uuid.Nil || id.UserID == uuid.Nil) {
		err = fmt.Errorf("the Authenticator returned an identity with a nil company or user id: %+v", id)
	}
	if err != nil {
		if roster.KindOf(err) == roster.KindUnavailable {
			return nil, r, err
		}
		return nil, r, &roster.Error{
			Kind:    roster.KindUnauthenticated,
			Message: "The request carries no valid credential; sign in and try again.",
			Err:     err,
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
	u, err := h.users.Authenticate(r.Context(), id.CompanyID, id.UserID)
	if err != nil {
		return nil, r, err
	}
	return &call{user: u, actor: h.Actor(r, id)}, r, nil
}

// recoverPanic turns a panic in an endpoint into a logged 500 problem.
// http.ErrAbortHandler is re-raised, because net/http handles it by
// dropping the connection.
func (h *Handler) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	h.WriteError(w, r, fmt.Errorf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack()))
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.WriteError(w, r, roster.Errorf(roster.KindNotFound,
		"No route matches %s %s.", r.Method, r.URL.Path))
}

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	WriteProblem(w, Problem{
		Type:   problemType(codeMethodNotAllowed),
		Title:  "Method not allowed",
		Status: http.StatusMethodNotAllowed,
		Detail: fmt.Sprintf("%s does not accept %s; use %s.", r.URL.Path, r.Method, allow),
		Code:   codeMethodNotAllowed,
	})
}

// identityKey is the context key of the request's Identity, which the
// error log reads.
type identityKey struct{}

// identityOf returns the Identity that the adapter authenticated for r, if
// any.
func identityOf(r *http.Request) (Identity, bool) {
	id, ok := r.Context().Value(identityKey{}).(Identity)
	return id, ok
}

package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/httpadapter"
)

func TestUnknownRouteIsNotFoundProblem(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/nope", "/users/" + f.agent.ID.String() + "/delete", "/activity/types/extra"} {
		t.Run(path, func(t *testing.T) {
			rec := f.call(http.MethodGet, path, f.admin, "")

			p := requireProblem(t, rec, http.StatusNotFound, "not_found", "")
			assert.Contains(t, p.Detail, path)
		})
	}
}

func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path, allow string
	}{
		{http.MethodDelete, "/users", "GET, POST"},
		{http.MethodPut, "/users/" + f.agent.ID.String(), "GET, PATCH"},
		{http.MethodDelete, "/users/" + f.agent.ID.String(), "GET, PATCH"},
		{http.MethodGet, "/users/" + f.agent.ID.String() + "/archive", "POST"},
		{http.MethodGet, "/users/" + f.agent.ID.String() + "/verification", "POST"},
		{http.MethodPatch, "/users/columns", "GET, PUT"},
		{http.MethodPost, "/seats", "GET"},
		{http.MethodHead, "/seats", "GET"},
		{http.MethodPost, "/activity", "GET"},
		{http.MethodOptions, "/activity/types", "GET"},
	}
	before := f.snapshot()
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			// No credential: the method is checked first.
			rec := f.do(newRequest(tt.method, tt.path, nil, ""))

			requireStatus(t, rec, http.StatusMethodNotAllowed)
			assert.Equal(t, tt.allow, rec.Header().Get("Allow"))
			if tt.method != http.MethodHead {
				p := problemOf(t, rec)
				assert.Equal(t, "method_not_allowed", p.Code)
				assert.Contains(t, p.Detail, tt.allow)
			}
			assert.Equal(t, before, f.snapshot())
		})
	}
}

// hostRouter mounts f's handler under /api on a host router that has a
// route of its own.
func hostRouter(f *fixture) *mux.Router {
	router := mux.NewRouter()
	router.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	f.handler.Register(router.PathPrefix("/api").Subrouter())
	return router
}

func TestRegisterServesRoutesUnderPrefix(t *testing.T) {
	f := newFixture(t)
	server := httptest.NewServer(hostRouter(f))
	t.Cleanup(server.Close)

	req, err := http.NewRequest(http.MethodGet, server.URL+"/api/seats", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", bearer(f.agent))
	resp, err := server.Client().Do(req)
	require.NoError(t, err)
	body := mustRead(t, resp.Body)
	require.NoError(t, resp.Body.Close())

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"limit":4,"used":3,"available":1}`, body)
}

func TestRegisterLocationIncludesPrefix(t *testing.T) {
	f := newFixture(t)
	router := hostRouter(f)

	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, newRequest(http.MethodPost, "/api/users", &f.admin, `{"email":"dana@acme.test","name":"Dana"}`))

	requireStatus(t, rec, http.StatusCreated)
	var created map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
	location := rec.Header().Get("Location")
	assert.Equal(t, "/api/users/"+created["id"].(string), location)

	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, newRequest(http.MethodGet, location, &f.admin, ""))
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, created, decodeJSON(t, rec))
}

func TestRegisterUnknownPathUnderPrefixIsProblem(t *testing.T) {
	f := newFixture(t)
	router := hostRouter(f)

	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, newRequest(http.MethodGet, "/api/nope", &f.admin, ""))

	requireProblem(t, rec, http.StatusNotFound, "not_found", "")
}

func TestRegisterLeavesHostRoutesAlone(t *testing.T) {
	f := newFixture(t)
	router := hostRouter(f)

	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, "ok", rec.Body.String())

	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/elsewhere", nil))
	requireStatus(t, rec, http.StatusNotFound)
	assert.NotEqual(t, "application/problem+json", rec.Header().Get("Content-Type"),
		"paths outside the prefix keep the host's 404")
}

func TestRegisterKeepsHostNotFoundHandler(t *testing.T) {
	f := newFixture(t)
	router := mux.NewRouter()
	router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})

	f.handler.Register(router)

	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))
	requireStatus(t, rec, http.StatusTeapot)
}

func TestRegisterAppliesHostMiddleware(t *testing.T) {
	f := newFixture(t)
	router := mux.NewRouter()
	api := router.PathPrefix("/api").Subrouter()
	api.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Host", "yes")
			next.ServeHTTP(w, r)
		})
	})
	f.handler.Register(api)

	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, newRequest(http.MethodGet, "/api/users", &f.agent, ""))

	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, "yes", rec.Header().Get("X-Host"))
}

func TestLocationUnderStripPrefix(t *testing.T) {
	f := newFixture(t)
	mount := http.StripPrefix("/team", f.handler)
	req := newRequest(http.MethodPost, "/team/users", &f.admin, `{"email":"dana@acme.test","name":"Dana"}`)

	rec := httptest.NewRecorder()
	mount.ServeHTTP(rec, req)

	requireStatus(t, rec, http.StatusCreated)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), "/team/users/"), "Location: %s", rec.Header().Get("Location"))
}

func TestServeHTTPIsHandler(t *testing.T) {
	var _ http.Handler = (*httpadapter.Handler)(nil)
}

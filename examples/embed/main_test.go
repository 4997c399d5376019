package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/users"
)

func TestReadmeSnippetMatchesSource(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	source, err := os.ReadFile("main.go")
	require.NoError(t, err)

	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks, "the README has no Go snippet")
	snippet := string(blocks[0][1])
	for line := range strings.SplitSeq(strings.TrimSpace(snippet), "\n") {
		assert.Contains(t, string(source), "\t"+line, "README line missing from main.go")
	}
}

func TestRouterServesAdapter(t *testing.T) {
	sessions := map[string]httpadapter.Identity{}
	router, services := newRouter(sessions, mailer{slog.New(slog.DiscardHandler)})
	company, admin, err := services.Users.CreateCompany(t.Context(), users.NewCompany{
		Name: "Acme Support", SeatLimit: 3, AdminEmail: "admin@acme.test", AdminName: "Ada Admin",
	}, activity.Actor{})
	require.NoError(t, err)
	sessions["s"] = httpadapter.Identity{CompanyID: company.ID, UserID: admin.ID}

	req := httptest.NewRequest(http.MethodGet, "/api/seats", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: "s"})
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"limit":3,"used":1,"available":2}`, rec.Body.String())

	req = httptest.NewRequest(http.MethodGet, "/api/seats", nil)
	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

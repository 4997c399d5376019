package httpadapter_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/users"
)

// serveConcurrently sends n requests built by build at once through a
// loopback server and returns their status codes.
func serveConcurrently(t *testing.T, f *fixture, n int, build func(i int) *http.Request) []int {
	t.Helper()
	server := newLoopbackServer(t, f)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := build(i)
			req.URL.Scheme, req.URL.Host, req.RequestURI = "http", server.Listener.Addr().String(), ""
			resp, err := server.Client().Do(req)
			if !assert.NoError(t, err) {
				return
			}
			_ = resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	return statuses
}

func countStatus(statuses []int, status int) int {
	n := 0
	for _, s := range statuses {
		if s == status {
			n++
		}
	}
	return n
}

func TestConcurrentInvitesNeverOverfillSeats(t *testing.T) {
	f := newFixture(t)
	// Acme has 4 seats and 3 users, so exactly one invite fits.
	statuses := serveConcurrently(t, f, 20, func(i int) *http.Request {
		return newRequest(http.MethodPost, "/users", &f.admin, fmt.Sprintf(`{"email":"user%d@acme.test","name":"User %d"}`, i, i))
	})

	assert.Equal(t, 1, countStatus(statuses, http.StatusCreated), "statuses: %v", statuses)
	assert.Equal(t, 19, countStatus(statuses, http.StatusConflict), "statuses: %v", statuses)
	usage, err := f.seats.Usage(f.ctx, f.acme.ID)
	require.NoError(t, err)
	assert.Equal(t, 4, usage.Used)
	page, err := f.users.List(f.ctx, f.acme.ID, users.ListQuery{Status: users.StatusActive})
	require.NoError(t, err)
	assert.Len(t, page.Users, 4)
}

func TestConcurrentInvitesOfOneEmailCreateOneUser(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Archive(f.ctx, f.actorOf(f.admin), f.invitee.ID, "Cleo Invitee", 0)
	require.NoError(t, err)
	// Two seats are free now; all requests invite the same address.
	statuses := serveConcurrently(t, f, 10, func(i int) *http.Request {
		return newRequest(http.MethodPost, "/users", &f.admin, `{"email":"Same@acme.test","name":"Same"}`)
	})

	assert.Equal(t, 1, countStatus(statuses, http.StatusCreated), "statuses: %v", statuses)
	assert.Equal(t, 9, countStatus(statuses, http.StatusConflict), "statuses: %v", statuses)
}

func TestConcurrentArchivesKeepOneAdmin(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Update(f.ctx, f.actorOf(f.admin), f.agent.ID, users.Changes{Role: ptr(users.RoleAdmin)})
	require.NoError(t, err)
	admins := []users.User{f.admin, f.agent}
	// Each admin archives the other, many times over.
	statuses := serveConcurrently(t, f, 20, func(i int) *http.Request {
		actor, target := admins[i%2], admins[(i+1)%2]
		body := `{"confirmation":"` + target.Email + `"}`
		return newRequest(http.MethodPost, "/users/"+target.ID.String()+"/archive", &actor, body)
	})

	assert.Equal(t, 1, countStatus(statuses, http.StatusOK), "statuses: %v", statuses)
	active, err := f.users.List(f.ctx, f.acme.ID, users.ListQuery{Status: users.StatusActive, Role: users.RoleAdmin})
	require.NoError(t, err)
	assert.Len(t, active.Users, 1)
	for _, s := range statuses {
		assert.Contains(t, []int{http.StatusOK, http.StatusConflict, http.StatusUnauthorized}, s)
	}
}

func TestConcurrentEditsWithIfMatchApplyOnce(t *testing.T) {
	f := newFixture(t)
	// Every limit differs from the current one, so no request is a no-op,
	// which would succeed without changing the version.
	statuses := serveConcurrently(t, f, 10, func(i int) *http.Request {
		req := newRequest(http.MethodPatch, "/users/"+f.agent.ID.String(), &f.admin, fmt.Sprintf(`{"conversation_limit":%d}`, 20+i))
		req.Header.Set("If-Match", `W/"2"`)
		return req
	})

	assert.Equal(t, 1, countStatus(statuses, http.StatusOK), "statuses: %v", statuses)
	assert.Equal(t, 9, countStatus(statuses, http.StatusPreconditionFailed), "statuses: %v", statuses)
	assert.Equal(t, int64(3), f.reload(f.agent).Version)
}

func TestConcurrentReadsDuringWrites(t *testing.T) {
	f := newFixture(t)
	statuses := serveConcurrently(t, f, 40, func(i int) *http.Request {
		switch i % 4 {
		case 0:
			return newRequest(http.MethodPatch, "/users/"+f.agent.ID.String(), &f.admin, fmt.Sprintf(`{"conversation_limit":%d}`, i))
		case 1:
			return newRequest(http.MethodPut, "/users/columns", &f.agent, `{"columns":{"role":`+fmt.Sprint(i%8 == 1)+`}}`)
		case 2:
			return newRequest(http.MethodGet, "/activity?limit=3", &f.admin, "")
		default:
			return newRequest(http.MethodGet, "/users?search="+strings.Repeat("a", 1), &f.agent, "")
		}
	})

	assert.Equal(t, 40, countStatus(statuses, http.StatusOK), "statuses: %v", statuses)
}

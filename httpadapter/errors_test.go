package httpadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

func TestWriteErrorMapsEveryKind(t *testing.T) {
	tests := []struct {
		kind   roster.Kind
		status int
		code   string
	}{
		{roster.KindMalformed, 400, "invalid_request"},
		{roster.KindInvalid, 422, "invalid_request"},
		{roster.KindNotFound, 404, "not_found"},
		{roster.KindUnauthenticated, 401, "unauthenticated"},
		{roster.KindForbidden, 403, "forbidden"},
		{roster.KindNoSeatAvailable, 409, "no_seat_available"},
		{roster.KindSeatLimitBelowUsage, 409, "seat_limit_below_usage"},
		{roster.KindEmailTaken, 409, "email_taken"},
		{roster.KindLastAdmin, 409, "last_admin"},
		{roster.KindConfirmationMismatch, 422, "confirmation_mismatch"},
		{roster.KindConversationLimitReached, 409, "conversation_limit_reached"},
		{roster.KindNoOpenConversation, 409, "no_open_conversation"},
		{roster.KindArchived, 409, "archived"},
		{roster.KindNotVerified, 403, "not_verified"},
		{roster.KindAlreadyVerified, 409, "already_verified"},
		{roster.KindTokenExpired, 410, "token_expired"},
		{roster.KindPreconditionFailed, 412, "precondition_failed"},
		{roster.KindUnavailable, 503, "unavailable"},
		{roster.KindInternal, 500, "internal"},
		{roster.Kind(999), 500, "internal"},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := roster.Errorf(tt.kind, "Message of %s.", tt.kind)

			f.handler.WriteError(rec, httptest.NewRequest(http.MethodGet, "/x", nil), err)

			p := requireProblem(t, rec, tt.status, tt.code, "")
			if tt.status < 500 {
				assert.Equal(t, err.Message, p.Detail)
			} else {
				assert.NotContains(t, p.Detail, "Message of")
			}
			if tt.status == http.StatusServiceUnavailable {
				assert.Equal(t, "5", rec.Header().Get("Retry-After"))
			} else {
				assert.Empty(t, rec.Header().Get("Retry-After"))
			}
		})
	}
}

func TestWriteErrorKeepsFields(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()
	err := fmt.Errorf("inviting: %w", roster.Invalid(roster.FieldError{Field: "email", Message: "must not be empty"}))

	f.handler.WriteError(rec, httptest.NewRequest(http.MethodPost, "/users", nil), err)

	p := requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid_request", "email")
	assert.Equal(t, []roster.FieldError{{Field: "email", Message: "must not be empty"}}, p.Fields)
	assert.Empty(t, f.logs.String(), "4xx responses are not logged")
}

func TestWriteErrorHidesAndLogsUnexpectedError(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()

	f.handler.WriteError(rec, httptest.NewRequest(http.MethodDelete, "/host/route", nil), errors.New("pq: relation \"users\" does not exist"))

	p := requireProblem(t, rec, http.StatusInternalServerError, "internal", "")
	assert.NotContains(t, p.Detail, "relation")
	logs := f.logs.String()
	assert.Contains(t, logs, `relation \"users\" does not exist`)
	assert.Contains(t, logs, `"method":"DELETE"`)
	assert.Contains(t, logs, `"path":"/host/route"`)
}

func TestUnavailableStoreIsRetryable(t *testing.T) {
	f := newFixture(t)
	f.store.failWith(roster.Unavailable(errors.New("dial tcp 10.1.2.3:5432: connect: connection refused")))

	rec := f.call(http.MethodGet, "/users", f.agent, "")

	p := requireProblem(t, rec, http.StatusServiceUnavailable, "unavailable", "")
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assert.NotContains(t, p.Detail, "10.1.2.3")
	assert.NotContains(t, p.Detail, "5432")
	logs := f.logs.String()
	assert.Contains(t, logs, "dial tcp 10.1.2.3:5432")
	assert.Contains(t, logs, `"company_id":"`+f.acme.ID.String()+`"`)
	assert.Contains(t, logs, `"user_id":"`+f.agent.ID.String()+`"`)
	assert.Contains(t, logs, `"path":"/users"`)
}

func TestUnavailableDetailHidesStoreMessage(t *testing.T) {
	f := newFixture(t)
	f.store.failWith(roster.Errorf(roster.KindUnavailable, "statement timeout in SELECT * FROM users WHERE dsn='postgres://roster:secret@db'"))

	rec := f.call(http.MethodGet, "/seats", f.admin, "")

	p := requireProblem(t, rec, http.StatusServiceUnavailable, "unavailable", "")
	assert.NotContains(t, p.Detail, "SELECT")
	assert.NotContains(t, p.Detail, "secret")
}

func TestStoreFailureIsInternal(t *testing.T) {
	f := newFixture(t)
	f.store.failWith(errors.New("boom: SELECT * FROM activity"))

	rec := f.call(http.MethodGet, "/activity", f.admin, "")

	p := requireProblem(t, rec, http.StatusInternalServerError, "internal", "")
	assert.NotContains(t, p.Detail, "SELECT")
	assert.Contains(t, f.logs.String(), "boom: SELECT * FROM activity")
	assert.Contains(t, f.logs.String(), `"user_id":"`+f.admin.ID.String()+`"`)
}

func TestPanicIsInternal(t *testing.T) {
	f := newFixture(t)
	h := httpadapter.New(httpadapter.Services{Users: f.users, Seats: f.seats, Activity: f.activity},
		func(*http.Request) (httpadapter.Identity, error) { panic("authenticator bug") },
		&httpadapter.Options{Logger: f.handlerLogger()})
	rec := httptest.NewRecorder()

	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/users", nil))

	requireProblem(t, rec, http.StatusInternalServerError, "internal", "")
	assert.Contains(t, f.logs.String(), "authenticator bug")
}

func TestWriteProblemFillsDefaults(t *testing.T) {
	rec := httptest.NewRecorder()

	httpadapter.WriteProblem(rec, httpadapter.Problem{Status: http.StatusUnauthorized, Detail: "Wrong password.", Code: "invalid_credentials"})

	requireStatus(t, rec, http.StatusUnauthorized)
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Equal(t, map[string]any{
		"type": "about:blank", "title": "Unauthorized", "status": 401.0,
		"detail": "Wrong password.", "code": "invalid_credentials",
	}, body)
}

func TestWriteProblemZeroStatusIs500(t *testing.T) {
	rec := httptest.NewRecorder()

	httpadapter.WriteProblem(rec, httpadapter.Problem{Detail: "x", Code: "c"})

	requireStatus(t, rec, http.StatusInternalServerError)
}

func TestNewPanicsWithoutServices(t *testing.T) {
	store := memory.New()
	svc := httpadapter.Services{
		Users:    users.NewService(store, nil),
		Seats:    seats.NewService(store, nil),
		Activity: activity.NewService(store, nil),
	}
	assert.Panics(t, func() { httpadapter.New(svc, nil, nil) })
	assert.Panics(t, func() { httpadapter.New(httpadapter.Services{Users: svc.Users}, bearerAuth, nil) })
	assert.NotPanics(t, func() { httpadapter.New(svc, bearerAuth, nil) })
}

func TestErrorsPageListsEveryCode(t *testing.T) {
	page := mustReadFile(t, "../docs/errors.md")
	for _, code := range []string{"invalid_request", "not_found", "unauthenticated", "forbidden", "no_seat_available",
		"seat_limit_below_usage", "email_taken", "last_admin", "confirmation_mismatch", "conversation_limit_reached",
		"no_open_conversation", "archived", "not_verified", "already_verified", "token_expired",
		"precondition_failed", "unavailable", "internal", "method_not_allowed"} {
		assert.True(t, strings.Contains(page, "## "+code+"\n"), "docs/errors.md has no section for %s", code)
	}
}

func TestCanceledRequestIsNotLoggedAsError(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := newRequest(http.MethodGet, "/users", &f.admin, "").WithContext(ctx)

	rec := f.do(req)

	requireProblem(t, rec, http.StatusServiceUnavailable, "unavailable", "")
	assert.Contains(t, f.logs.String(), "request canceled by the client")
	assert.NotContains(t, f.logs.String(), `"level":"ERROR"`)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/users"
)

// maxEmailBytes is the longest email address the host reads, the limit of
// RFC 5321's forward path.
const maxEmailBytes = 254

// loginRequest is the body of POST /login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// verifyRequest is the body of POST /verify.
type verifyRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// sessionResponse is the body of a successful POST /login or POST /verify.
type sessionResponse struct {
	// Token is the bearer token for the Authorization header.
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleLogin checks the password, calls Roster's login gate and opens a
// session. A wrong password and an unknown email both get 401
// invalid_credentials, so the response does not reveal who has an account.
func (a *app) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req loginRequest
	if err := decodeJSON(w, r, &req, "email", "password"); err != nil {
		a.writeError(w, r, err)
		return
	}
	var fields []roster.FieldError
	if req.Email == "" || len(req.Email) > maxEmailBytes {
		fields = append(fields, roster.FieldError{Field: "email",
			Message: fmt.Sprintf("must be 1 to %d bytes, got %d", maxEmailBytes, len(req.Email))})
	}
	if req.Password == "" || len(req.Password) > maxPasswordBytes {
		fields = append(fields, roster.FieldError{Field: "password",
			Message: fmt.Sprintf("must be 1 to %d bytes, got %d", maxPasswordBytes, len(req.Password))})
	}
	if len(fields) > 0 {
		a.adapter.WriteError(w, r, roster.Invalid(fields...))
		return
	}

	cred, found, err := a.creds.check(ctx, req.Email, req.Password)
	if err != nil && !errors.Is(err, errInvalidCredentials) {
		// The adapter logs the store failure with the 500 response.
		a.adapter.WriteError(w, r, err)
		return
	}
	id := httpadapter.Identity{CompanyID: cred.companyID, UserID: cred.userID}
	actor := a.adapter.Actor(r, id)
	if err != nil {
		a.rejectLogin(ctx, w, actor, found, req.Email)
		return
	}

	if _, err := a.users.Login(ctx, actor); err != nil {
		a.writeGateError(w, r, actor, err)
		return
	}
	a.openSession(w, r, id)
}

// openSession opens a session for id, whom the login gate has let in, and
// writes its token as the response.
func (a *app) openSession(w http.ResponseWriter, r *http.Request, id httpadapter.Identity) {
	ctx := r.Context()
	token, expiresAt, err := a.sessions.open(ctx, id, a.clock.Now())
	if err != nil {
		// The activity log has the login already, but the person gets no
		// session and has to log in again.
		a.adapter.WriteError(w, r, err)
		return
	}
	a.logger.InfoContext(ctx, "login", "company_id", id.CompanyID, "user_id", id.UserID, "ip", a.adapter.ClientIP(r))
	writeJSON(w, http.StatusOK, sessionResponse{Token: token, ExpiresAt: expiresAt})
}

// rejectLogin writes the response to a wrong password or an unknown email. A wrong
// password is logged in the company's activity log. An unknown email names
// no company, so it is only logged by the server.
func (a *app) rejectLogin(ctx context.Context, w http.ResponseWriter, actor activity.Actor, found bool, email string) {
	if found {
		if err := a.users.RecordRejectedLogin(ctx, actor, email, activity.ReasonInvalidCredentials); err != nil {
			a.logger.ErrorContext(ctx, "recording a rejected login failed",
				"company_id", actor.CompanyID, "user_id", actor.UserID, "err", err)
		}
		a.logger.InfoContext(ctx, "login rejected", "reason", activity.ReasonInvalidCredentials,
			"company_id", actor.CompanyID, "user_id", actor.UserID, "ip", actor.IP)
	} else {
		a.logger.InfoContext(ctx, "login rejected", "reason", "unknown_email", "ip", actor.IP)
	}
	httpadapter.WriteProblem(w, httpadapter.Problem{
		Status: http.StatusUnauthorized,
		Code:   "invalid_credentials",
		Detail: "The email address or the password is wrong; check both and try again.",
	})
}

// writeGateError writes the response to a login that the password allowed
// but Roster's login gate rejected. The gate has logged the rejection already.
func (a *app) writeGateError(w http.ResponseWriter, r *http.Request, actor activity.Actor, err error) {
	ctx := r.Context()
	kind := roster.KindOf(err)
	switch kind {
	case roster.KindNotVerified:
		a.logger.InfoContext(ctx, "login rejected", "reason", activity.ReasonNotVerified,
			"company_id", actor.CompanyID, "user_id", actor.UserID, "ip", actor.IP)
		httpadapter.WriteProblem(w, httpadapter.Problem{
			Status: http.StatusForbidden,
			Code:   "not_verified",
			Detail: "Verify your email address with the token from your invitation first, then log in.",
		})
	case roster.KindArchived:
		a.logger.InfoContext(ctx, "login rejected", "reason", activity.ReasonArchived,
			"company_id", actor.CompanyID, "user_id", actor.UserID, "ip", actor.IP)
		httpadapter.WriteProblem(w, httpadapter.Problem{
			Status: http.StatusForbidden,
			Code:   "archived",
			Detail: "This user was archived and can no longer log in; ask an admin to invite you again.",
		})
	case roster.KindNotFound:
		// The credential names a user that the store no longer has.
		a.logger.WarnContext(ctx, "credential names no stored user; rejecting the login",
			"company_id", actor.CompanyID, "user_id", actor.UserID, "err", err)
		httpadapter.WriteProblem(w, httpadapter.Problem{
			Status: http.StatusUnauthorized,
			Code:   "invalid_credentials",
			Detail: "The email address or the password is wrong; check both and try again.",
		})
	default:
		a.adapter.WriteError(w, r, err)
	}
}

// handleLogout ends the bearer token's session and logs a logout in
// Roster's activity log.
func (a *app) handleLogout(w http.ResponseWriter, r *http.Request) {
	token, err := bearerToken(r)
	if err != nil {
		writeUnauthenticated(w, err)
		return
	}
	id, ok, err := a.sessions.close(r.Context(), token, a.clock.Now())
	if err != nil {
		a.adapter.WriteError(w, r, err)
		return
	}
	if !ok {
		writeUnauthenticated(w, errors.New("the bearer token is unknown, expired or logged out already"))
		return
	}
	actor := a.adapter.Actor(r, id)
	if err := a.users.Logout(r.Context(), actor); err != nil {
		a.logger.ErrorContext(r.Context(), "recording a logout failed; the session is closed anyway",
			"company_id", id.CompanyID, "user_id", id.UserID, "err", err)
		a.adapter.WriteError(w, r, err)
		return
	}
	a.logger.InfoContext(r.Context(), "logout", "company_id", id.CompanyID, "user_id", id.UserID, "ip", actor.IP)
	w.WriteHeader(http.StatusNoContent)
}

func writeUnauthenticated(w http.ResponseWriter, err error) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="roster-example"`)
	httpadapter.WriteProblem(w, httpadapter.Problem{
		Status: http.StatusUnauthorized,
		Code:   "unauthenticated",
		Detail: capitalize(err.Error()) + ".",
	})
}

// handleVerify consumes an invitee's verification token, sets their
// password and opens their first session.
func (a *app) handleVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req verifyRequest
	if err := decodeJSON(w, r, &req, "token", "password"); err != nil {
		a.writeError(w, r, err)
		return
	}
	var fields []roster.FieldError
	if req.Token == "" || len(req.Token) > users.MaxTokenLength {
		fields = append(fields, roster.FieldError{Field: "token",
			Message: fmt.Sprintf("must be the token from the invitation, 1 to %d bytes, got %d", users.MaxTokenLength, len(req.Token))})
	}
	if err := validatePassword(req.Password); err != nil {
		fields = append(fields, roster.FieldError{Field: "password", Message: err.Error()})
	}
	if len(fields) > 0 {
		a.adapter.WriteError(w, r, roster.Invalid(fields...))
		return
	}
	// Hash before Verify consumes the token, so that no failure after it
	// leaves a verified user without a password.
	hash, err := a.creds.hashPassword(req.Password)
	if err != nil {
		a.logger.ErrorContext(ctx, "hashing a new password failed", "err", err)
		a.adapter.WriteError(w, r, err)
		return
	}

	u, err := a.users.Verify(ctx, req.Token, a.adapter.Actor(r, httpadapter.Identity{}))
	if err != nil {
		a.adapter.WriteError(w, r, err)
		return
	}
	// The token is consumed now, so a client that hangs up must not cancel
	// the write of the password.
	//
	// NOTE: Verify and this write are separate transactions, even on one
	// PostgreSQL database. When the write fails, the user is verified but
	// has no password, and only an operator can set one.
	credCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), credentialWriteTimeout)
	defer cancel()
	if err := a.creds.set(credCtx, u.Email, credential{companyID: u.CompanyID, userID: u.ID, hash: hash}); err != nil {
		a.logger.ErrorContext(ctx, "storing the password of a verified user failed; the user cannot log in",
			"company_id", u.CompanyID, "user_id", u.ID, "err", err)
		a.adapter.WriteError(w, r, err)
		return
	}
	a.logger.InfoContext(ctx, "user verified", "company_id", u.CompanyID, "user_id", u.ID)

	id := httpadapter.Identity{CompanyID: u.CompanyID, UserID: u.ID}
	actor := a.adapter.Actor(r, id)
	if _, err := a.users.Login(ctx, actor); err != nil {
		a.writeGateError(w, r, actor, err)
		return
	}
	a.openSession(w, r, id)
}

// credentialWriteTimeout bounds the write of a verified user's password.
const credentialWriteTimeout = 10 * time.Second

// devMailer is the host's Notifier. It does not send mail: it logs each
// verification token, as a development mailer would.
type devMailer struct {
	logger *slog.Logger
	mu     sync.Mutex
	// tapped, when set, receives tokens in place of the log.
	tapped func(users.Invitation)
}

// NotifyVerification logs the invitee's email address and token, or hands
// them to the tap while one is set.
func (m *devMailer) NotifyVerification(ctx context.Context, inv users.Invitation) error {
	m.mu.Lock()
	tapped := m.tapped
	m.mu.Unlock()
	if tapped != nil {
		tapped(inv)
		return nil
	}
	m.log(ctx, inv)
	return nil
}

// tap routes tokens to fn instead of the log. A nil fn ends the tap.
func (m *devMailer) tap(fn func(users.Invitation)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tapped = fn
}

// log writes the invitation's email address and token to the log. Logging
// a token is acceptable only in development: a real host mails it.
func (m *devMailer) log(ctx context.Context, inv users.Invitation) {
	m.logger.InfoContext(ctx, "verification token issued",
		"email", inv.User.Email,
		"token", inv.Token,
		"expires_at", inv.ExpiresAt.UTC().Format(time.RFC3339),
		"company_id", inv.User.CompanyID,
		"user_id", inv.User.ID,
	)
}

// transportError is a request body that is rejected for its size or
// Content-Type. It gets the status 413 or 415 with the invalid_request
// code, as the adapter responds in the same cases.
type transportError struct {
	status int
	detail string
}

func (e *transportError) Error() string { return e.detail }

// writeError writes err as a problem: a *transportError with its own
// status, anything else as the adapter maps Roster's errors.
func (a *app) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var te *transportError
	if errors.As(err, &te) {
		httpadapter.WriteProblem(w, httpadapter.Problem{
			Type:   httpadapter.ProblemTypeBase + "invalid_request",
			Title:  "Invalid request",
			Status: te.status,
			Detail: te.detail,
			Code:   "invalid_request",
		})
		return
	}
	a.adapter.WriteError(w, r, err)
}

// decodeJSON reads the request body as exactly one JSON object into dst, a
// pointer to a struct. It rejects another Content-Type, bodies over
// maxBodyBytes, malformed JSON, trailing data, keys that are not one of
// dst's json tags exactly, and values of the wrong type, with an error
// that names the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, fields ...string) error {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return &transportError{http.StatusUnsupportedMediaType, fmt.Sprintf(
			"The Content-Type %.100q is not supported; send application/json, as curl --json does.", r.Header.Get("Content-Type"))}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &transportError{http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"The request body is larger than %d bytes; send a smaller body.", tooLarge.Limit)}
	case err != nil:
		return &roster.Error{Kind: roster.KindMalformed, Message: "The request body could not be read; send it again.", Err: err}
	}

	// Decoding into a map first checks the keys exactly, because
	// encoding/json matches struct fields case-insensitively.
	var object map[string]json.RawMessage
	if err := json.Unmarshal(body, &object); err != nil || object == nil {
		return roster.Malformed("body", `must be one JSON object, such as {"email": "ana@example.com"}`)
	}
	var unknown []roster.FieldError
	for key := range object {
		if !slices.Contains(fields, key) {
			unknown = append(unknown, roster.FieldError{Field: key,
				Message: "unknown field; the accepted fields are " + strings.Join(fields, ", ")})
		}
	}
	if len(unknown) > 0 {
		slices.SortFunc(unknown, func(x, y roster.FieldError) int { return strings.Compare(x.Field, y.Field) })
		return &roster.Error{Kind: roster.KindMalformed, Message: "The request body has unknown fields.", Fields: unknown}
	}

	if err := json.Unmarshal(body, dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return roster.Malformed(typeErr.Field, fmt.Sprintf("must be a JSON %s, got a JSON %s", typeErr.Type, typeErr.Value))
		}
		return &roster.Error{Kind: roster.KindMalformed, Message: "The request body does not match the expected fields.", Err: err}
	}
	return nil
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// capitalize returns the ASCII string s with its first letter in upper
// case.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// endSessions is the users.Hooks.Archived hook: an archived user's
// sessions end at once, so an old token no longer works even on the
// host's own routes, such as POST /logout. A real host would also revoke
// API tokens and reassign the user's open chats here.
func (a *app) endSessions(ctx context.Context, u users.User) {
	id := httpadapter.Identity{CompanyID: u.CompanyID, UserID: u.ID}
	n, err := a.host.deleteUserSessions(ctx, id)
	if err != nil {
		a.logger.ErrorContext(ctx, "ending the sessions of an archived user failed",
			"company_id", u.CompanyID, "user_id", u.ID, "err", err)
		return
	}
	a.logger.InfoContext(ctx, "sessions of an archived user ended",
		"company_id", u.CompanyID, "user_id", u.ID, "sessions", n, "open_conversations", u.OpenConversations)
}

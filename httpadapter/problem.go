package httpadapter

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/rosterkit/roster"
)

// ProblemTypeBase is the prefix of every problem type URI; the error code
// follows it as the fragment of the page that documents the codes.
const ProblemTypeBase = "https://github.com/rosterkit/roster/blob/main/docs/errors.md#"

// RetryAfterSeconds is the Retry-After value of a 503 unavailable
// response. It is a fixed hint, not a measured recovery time.
const RetryAfterSeconds = 5

// Problem is an RFC 9457 problem details body, sent as
// application/problem+json.
type Problem struct {
	// Type is a URI that identifies the kind of problem.
	Type string `json:"type"`
	// Title is a short summary of the kind of problem.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence of the problem and how to fix it.
	Detail string `json:"detail"`
	// Code is the stable machine-readable error code.
	Code string `json:"code"`
	// Fields lists the request fields that are malformed or invalid.
	Fields []roster.FieldError `json:"fields,omitempty"`
}

// WriteProblem writes p as an application/problem+json response with
// status p.Status, for host routes that have codes of their own. An empty
// Type becomes "about:blank" as RFC 9457 defines, an empty Title becomes
// the status text, and a zero Status becomes 500.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	// An encoding error here means the client went away; the status line
	// is sent already, so nothing more can be reported to it.
	_ = json.NewEncoder(w).Encode(p)
}

// The error codes that the adapter sends besides those of errorClasses.
const (
	codeInternal         = "internal"
	codeMethodNotAllowed = "method_not_allowed"
)

// errorClass is the status, code and title that one error kind maps to.
type errorClass struct {
	status int
	code   string
	title  string
}

// errorClasses maps every roster.Kind to its HTTP status and code. Kinds
// missing here, KindInternal among them, map to internalClass.
var errorClasses = map[roster.Kind]errorClass{
	roster.KindMalformed:                {http.StatusBadRequest, "invalid_request", "Invalid request"},
	roster.KindInvalid:                  {http.StatusUnprocessableEntity, "invalid_request", "Invalid request"},
	roster.KindNotFound:                 {http.StatusNotFound, "not_found", "Not found"},
	roster.KindUnauthenticated:          {http.StatusUnauthorized, "unauthenticated", "Unauthenticated"},
	roster.KindForbidden:                {http.StatusForbidden, "forbidden", "Forbidden"},
	roster.KindNoSeatAvailable:          {http.StatusConflict, "no_seat_available", "No seat available"},
	roster.KindSeatLimitBelowUsage:      {http.StatusConflict, "seat_limit_below_usage", "Seat limit below usage"},
	roster.KindEmailTaken:               {http.StatusConflict, "email_taken", "Email address taken"},
	roster.KindLastAdmin:                {http.StatusConflict, "last_admin", "Last admin"},
	roster.KindConfirmationMismatch:     {http.StatusUnprocessableEntity, "confirmation_mismatch", "Confirmation mismatch"},
	roster.KindConversationLimitReached: {http.StatusConflict, "conversation_limit_reached", "Conversation limit reached"},
	roster.KindNoOpenConversation:       {http.StatusConflict, "no_open_conversation", "No open conversation"},
	roster.KindArchived:                 {http.StatusConflict, "archived", "User archived"},
	roster.KindNotVerified:              {http.StatusForbidden, "not_verified", "Not verified"},
	roster.KindAlreadyVerified:          {http.StatusConflict, "already_verified", "Already verified"},
	roster.KindTokenExpired:             {http.StatusGone, "token_expired", "Token expired"},
	roster.KindPreconditionFailed:       {http.StatusPreconditionFailed, "precondition_failed", "Precondition failed"},
	roster.KindUnavailable:              {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
}

var internalClass = errorClass{http.StatusInternalServerError, codeInternal, "Internal server error"}

// Fixed details of the 5xx responses. They never show the underlying error,
// because it may name hosts, credentials or SQL.
const (
	detailInternal    = "The server failed to handle the request; the failure was logged. Try again, and report it if it persists."
	detailUnavailable = "The store is unavailable; try again later."
)

// statusError is a bad request whose status the transport decides rather
// than the kind table: 413 for an oversized body, 415 for a wrong
// Content-Type. Its code and body come from the wrapped error's kind.
type statusError struct {
	status int
	err    *roster.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// WriteError writes err as a problem. A *roster.Error gets the status and
// code of its Kind, its Message as the detail and its Fields. Any other
// error gets 500 internal with a generic detail. WriteError logs every 5xx
// response with the real error, at Info level when the client cancelled
// the request and at Error level otherwise. It adds a Retry-After header
// to 503 responses and a WWW-Authenticate header to 401 responses. Host
// routes may call WriteError for errors of the Roster services they call.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	switch {
	case p.Status < 500:
	case r.Context().Err() != nil:
		// The client went away, so the store call was cancelled; nothing
		// failed on the server's side.
		h.logger.InfoContext(r.Context(), "httpadapter: request canceled by the client",
			"method", r.Method, "path", r.URL.Path, "err", err)
	default:
		h.logError(r, p.Status, err)
	}
	switch p.Status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", h.challenge)
	}
	WriteProblem(w, p)
}

// problemOf maps err through errorClasses.
func problemOf(err error) Problem {
	var re *roster.Error
	if !errors.As(err, &re) {
		return newProblem(internalClass, detailInternal, nil)
	}
	class, ok := errorClasses[re.Kind]
	if !ok {
		return newProblem(internalClass, detailInternal, nil)
	}
	detail := re.Message
	switch {
	case re.Kind == roster.KindUnavailable:
		detail = detailUnavailable
	case detail == "":
		detail = class.title + "."
	}
	p := newProblem(class, detail, re.Fields)
	var se *statusError
	if errors.As(err, &se) {
		p.Status = se.status
	}
	return p
}

func newProblem(class errorClass, detail string, fields []roster.FieldError) Problem {
	return Problem{
		Type:   problemType(class.code),
		Title:  class.title,
		Status: class.status,
		Detail: detail,
		Code:   class.code,
		Fields: fields,
	}
}

func problemType(code string) string {
	return ProblemTypeBase + code
}

// logError logs an error that gets a 5xx response, with the request and
// the actor's ids when the request was authenticated. A *roster.Error's
// Error method shows only its client-safe message, so its cause is logged
// as well.
func (h *Handler) logError(r *http.Request, status int, err error) {
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status, "err", err}
	var re *roster.Error
	if errors.As(err, &re) && re.Err != nil {
		attrs = append(attrs, "cause", re.Err)
	}
	if id, ok := identityOf(r); ok {
		attrs = append(attrs, "company_id", id.CompanyID, "user_id", id.UserID)
	}
	h.logger.ErrorContext(r.Context(), "httpadapter: request failed", attrs...)
}

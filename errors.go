// Package roster manages the team of a customer-support workspace: its
// members, their roles and permissions, the billing seats they occupy and
// an append-only log of what each of them did.
//
// The domain lives in the subpackages users, seats and activity. Storage is
// pluggable: storage/memory keeps everything in process memory and
// storage/postgres keeps it in PostgreSQL. The optional httpadapter package
// serves the team list and the activity log over HTTP.
//
// This package holds what all of them share: the closed set of error kinds
// that every Roster call returns.
package roster

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error so that callers and the HTTP adapter can act on
// it without matching messages.
type Kind int

// The error kinds. Every error that a Roster service returns on purpose
// carries one of them; anything else is an unexpected failure of the store
// or the host.
const (
	// KindInternal is an unexpected failure, such as a lost database
	// connection.
	KindInternal Kind = iota
	// KindMalformed is input that cannot be parsed at all: a malformed id,
	// cursor or date.
	KindMalformed
	// KindInvalid is well-formed input that breaks a rule, such as an
	// invalid email address or an out-of-range conversation limit.
	KindInvalid
	// KindNotFound is a missing company, user or token, or one that belongs
	// to another company.
	KindNotFound
	// KindUnauthenticated is an actor that is unknown or can no longer act,
	// because it was archived.
	KindUnauthenticated
	// KindForbidden is an actor without the role or state a call needs.
	KindForbidden
	// KindNoSeatAvailable is an invite into a company whose seats are all
	// in use.
	KindNoSeatAvailable
	// KindSeatLimitBelowUsage is a seat limit lower than the seats in use.
	KindSeatLimitBelowUsage
	// KindEmailTaken is an email address that another non-archived user of
	// the company already has.
	KindEmailTaken
	// KindLastAdmin is a change that would leave the company without a
	// verified, non-archived admin.
	KindLastAdmin
	// KindConfirmationMismatch is an archive confirmation that matches
	// neither the user's email address nor the user's name.
	KindConfirmationMismatch
	// KindConversationLimitReached is a conversation claim for a user who
	// already has as many open conversations as the limit allows.
	KindConversationLimitReached
	// KindNoOpenConversation is a conversation release for a user with no
	// open conversation.
	KindNoOpenConversation
	// KindArchived is a call that needs an active user but found an
	// archived one.
	KindArchived
	// KindNotVerified is a login of a user who has not verified the email
	// address yet.
	KindNotVerified
	// KindAlreadyVerified is a verification or resend for a user who is
	// verified already.
	KindAlreadyVerified
	// KindTokenExpired is a verification token past its expiry time.
	KindTokenExpired
	// KindPreconditionFailed is a write whose expected version no longer
	// matches the stored one.
	KindPreconditionFailed
	// KindUnavailable is a store that cannot be reached or timed out; the
	// same call may succeed later.
	KindUnavailable
)

var kindNames = [...]string{
	KindInternal:                 "internal",
	KindMalformed:                "malformed",
	KindInvalid:                  "invalid",
	KindNotFound:                 "not_found",
	KindUnauthenticated:          "unauthenticated",
	KindForbidden:                "forbidden",
	KindNoSeatAvailable:          "no_seat_available",
	KindSeatLimitBelowUsage:      "seat_limit_below_usage",
	KindEmailTaken:               "email_taken",
	KindLastAdmin:                "last_admin",
	KindConfirmationMismatch:     "confirmation_mismatch",
	KindConversationLimitReached: "conversation_limit_reached",
	KindNoOpenConversation:       "no_open_conversation",
	KindArchived:                 "archived",
	KindNotVerified:              "not_verified",
	KindAlreadyVerified:          "already_verified",
	KindTokenExpired:             "token_expired",
	KindPreconditionFailed:       "precondition_failed",
	KindUnavailable:              "unavailable",
}

// String returns the kind's snake_case name.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// FieldError names one invalid input field and how to fix it.
type FieldError struct {
	// Field is the input's name as a client sends it, such as
	// "conversation_limit" or "email".
	Field string `json:"field"`
	// Message describes what is wrong with the value and what is accepted.
	Message string `json:"message"`
}

// Error is the error type of every deliberate Roster failure.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Message is a sentence that is safe to show to the client.
	Message string
	// Fields lists the invalid input fields of a KindInvalid or
	// KindMalformed error.
	Fields []FieldError
	// Err is the underlying cause, if any. It is never shown to clients.
	Err error
}

// Error returns the message, followed by the field errors and the cause.
// Clients see only Message and Fields, because the cause may name hosts,
// credentials or SQL.
func (e *Error) Error() string {
	s := e.Message
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	if e.Err != nil {
		s = strings.TrimSuffix(s, ".") + ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel of the same kind, so that
// errors.Is(err, roster.ErrNotFound) matches every not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is. Each matches every *Error of its kind.
var (
	ErrMalformed                = &Error{Kind: KindMalformed}
	ErrInvalid                  = &Error{Kind: KindInvalid}
	ErrNotFound                 = &Error{Kind: KindNotFound}
	ErrUnauthenticated          = &Error{Kind: KindUnauthenticated}
	ErrForbidden                = &Error{Kind: KindForbidden}
	ErrNoSeatAvailable          = &Error{Kind: KindNoSeatAvailable}
	ErrSeatLimitBelowUsage      = &Error{Kind: KindSeatLimitBelowUsage}
	ErrEmailTaken               = &Error{Kind: KindEmailTaken}
	ErrLastAdmin                = &Error{Kind: KindLastAdmin}
	ErrConfirmationMismatch     = &Error{Kind: KindConfirmationMismatch}
	ErrConversationLimitReached = &Error{Kind: KindConversationLimitReached}
	ErrNoOpenConversation       = &Error{Kind: KindNoOpenConversation}
	ErrArchived                 = &Error{Kind: KindArchived}
	ErrNotVerified              = &Error{Kind: KindNotVerified}
	ErrAlreadyVerified          = &Error{Kind: KindAlreadyVerified}
	ErrTokenExpired             = &Error{Kind: KindTokenExpired}
	ErrPreconditionFailed       = &Error{Kind: KindPreconditionFailed}
	ErrUnavailable              = &Error{Kind: KindUnavailable}
)

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error that lists the given field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Message: "The request has invalid fields.", Fields: fields}
}

// Malformed returns a KindMalformed error for one field that cannot be
// parsed.
func Malformed(field, message string) *Error {
	return &Error{
		Kind:    KindMalformed,
		Message: "The request has a malformed field.",
		Fields:  []FieldError{{Field: field, Message: message}},
	}
}

// Unavailable wraps a store failure that a retry may fix, such as a lost
// connection or a statement timeout.
func Unavailable(err error) *Error {
	return &Error{Kind: KindUnavailable, Message: "The store is unavailable; try again later.", Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, or
// KindInternal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

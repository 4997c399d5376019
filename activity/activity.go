// Package activity defines the append-only log of what happened in a
// company: who acted, on whom, from which IP address, when, and what
// changed.
//
// Entries are written by the users and seats services in the same
// transaction as the change they describe. This package reads them back,
// filtered and paginated newest first.
package activity

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/internal/text"
)

// Type names what an entry records.
type Type string

// The activity types, in the order Types returns them.
const (
	TypeCompanyCreated     Type = "company_created"
	TypeLogin              Type = "login"
	TypeLogout             Type = "logout"
	TypeLoginRejected      Type = "login_rejected"
	TypeUserInvited        Type = "user_invited"
	TypeVerificationResent Type = "verification_resent"
	TypeUserVerified       Type = "user_verified"
	TypeUserUpdated        Type = "user_updated"
	TypeUserArchived       Type = "user_archived"
	TypeSeatLimitChanged   Type = "seat_limit_changed"
)

var allTypes = []Type{
	TypeCompanyCreated,
	TypeLogin,
	TypeLogout,
	TypeLoginRejected,
	TypeUserInvited,
	TypeVerificationResent,
	TypeUserVerified,
	TypeUserUpdated,
	TypeUserArchived,
	TypeSeatLimitChanged,
}

// Types returns every activity type.
func Types() []Type {
	return append([]Type(nil), allTypes...)
}

// ParseType returns the Type named s, or a KindInvalid error for an
// unknown name.
func ParseType(s string) (Type, error) {
	for _, t := range allTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", roster.Invalid(roster.FieldError{
		Field:   "type",
		Message: fmt.Sprintf("unknown activity type %q; GET /activity/types lists the valid ones", s),
	})
}

// Reasons recorded in Details.Reason of a TypeLoginRejected entry.
const (
	ReasonNotVerified        = "not_verified"
	ReasonArchived           = "archived"
	ReasonInvalidCredentials = "invalid_credentials"
)

// Actor is who makes a change and from where. A zero UserID stands for the
// host itself, such as its billing system changing the seat limit.
type Actor struct {
	// CompanyID is the company the actor acts in.
	CompanyID uuid.UUID
	// UserID is the acting user, or uuid.Nil for the host.
	UserID uuid.UUID
	// IP is the client's address; the zero Addr means unknown.
	IP netip.Addr
	// UserAgent is the client's User-Agent header, if any.
	UserAgent string
}

// Change is one field's value before and after an update, as JSON.
type Change struct {
	Field string          `json:"field"`
	Old   json.RawMessage `json:"old"`
	New   json.RawMessage `json:"new"`
}

// NewChange returns the Change of field from old to new. Both values must
// be JSON-encodable; Roster passes strings, integers and booleans.
func NewChange(field string, old, new any) Change {
	return Change{Field: field, Old: mustJSON(old), New: mustJSON(new)}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("activity: value of type %T is not JSON-encodable: %v", v, err))
	}
	return b
}

// Details is the type-specific part of an entry. Only the fields that
// apply to the entry's type are set.
type Details struct {
	// Email is the target user's email address at the time of the entry.
	Email string `json:"email,omitempty"`
	// Name is the target user's or the company's name at the time.
	Name string `json:"name,omitempty"`
	// Role is the role an invited user received.
	Role string `json:"role,omitempty"`
	// Reason is the cause of a rejected log in, one of the Reason
	// constants.
	Reason string `json:"reason,omitempty"`
	// Changes lists the changed fields of an update or seat limit change.
	Changes []Change `json:"changes,omitempty"`
}

// Entry is one record of the activity log.
type Entry struct {
	ID        uuid.UUID
	CompanyID uuid.UUID
	Type      Type
	// UserID is who acted, or uuid.Nil for the host.
	UserID uuid.UUID
	// TargetUserID is whom the entry concerns, or uuid.Nil.
	TargetUserID uuid.UUID
	// IP is the actor's address; the zero Addr means unknown.
	IP        netip.Addr
	UserAgent string
	// OccurredAt is in UTC, with microsecond precision.
	OccurredAt time.Time
	Details    Details
}

// MaxUserAgentBytes bounds the user agent an entry records; longer values
// are cut at a character boundary.
const MaxUserAgentBytes = 512

// NewEntry returns an entry of type t by actor at now, with a fresh
// time-ordered id. The user agent is cleaned with text.Clean and cut to
// MaxUserAgentBytes.
func NewEntry(t Type, actor Actor, target uuid.UUID, now time.Time, details Details) Entry {
	return Entry{
		ID:           uuid.Must(uuid.NewV7()),
		CompanyID:    actor.CompanyID,
		Type:         t,
		UserID:       actor.UserID,
		TargetUserID: target,
		IP:           actor.IP,
		UserAgent:    text.Clean(actor.UserAgent, MaxUserAgentBytes),
		OccurredAt:   now,
		Details:      details,
	}
}

// Position is an entry's place in the log's order: newest first by
// OccurredAt, then by ID.
type Position struct {
	OccurredAt time.Time `json:"t"`
	ID         uuid.UUID `json:"i"`
}

// Before reports whether an entry at p sorts after q in newest-first
// order, that is, whether it is older.
func (p Position) Before(q Position) bool {
	if !p.OccurredAt.Equal(q.OccurredAt) {
		return p.OccurredAt.Before(q.OccurredAt)
	}
	return compareUUID(p.ID, q.ID) < 0
}

func compareUUID(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// PositionOf returns the position of e.
func PositionOf(e Entry) Position {
	return Position{OccurredAt: e.OccurredAt, ID: e.ID}
}

// Package users manages the members of a company: inviting them into a
// seat, verifying their email address, editing their role, conversation
// limit and permissions, archiving them, deciding whether they may log in,
// and counting their open conversations.
//
// Every change runs in one store transaction together with its activity
// entry and seat accounting, so no store can apply half of it.
package users

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/seats"
)

// Role is a user's set of rights in the company.
type Role string

// The roles. Admins manage the team and read the activity log; users read
// the team list.
const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// Validate returns a KindInvalid error naming field unless r is a known
// role.
func (r Role) Validate(field string) error {
	if r == RoleAdmin || r == RoleUser {
		return nil
	}
	return roster.Invalid(roster.FieldError{
		Field:   field,
		Message: fmt.Sprintf("must be %q or %q, got %q", RoleAdmin, RoleUser, r),
	})
}

// VerificationStatus records whether a user confirmed the email address.
type VerificationStatus string

// The verification statuses.
const (
	Verified    VerificationStatus = "verified"
	NotVerified VerificationStatus = "not_verified"
)

// Status records whether a user is active or archived for good.
type Status string

// The statuses.
const (
	StatusActive   Status = "active"
	StatusArchived Status = "archived"
)

// Conversation limits. A limit of 0 means the user takes no new
// conversations.
const (
	MaxConversationLimit     = 100
	DefaultConversationLimit = 8
)

// User is a member of a company.
type User struct {
	ID        uuid.UUID
	CompanyID uuid.UUID
	// Email is the address as typed, after trimming.
	Email string
	// EmailKey is the comparison key of Email, set by the Service.
	EmailKey string
	// Name is the display name, trimmed and in NFC form.
	Name string
	// NameKey is the case-folded Name, set by the Service; the team list
	// sorts by it.
	NameKey              string
	Role                 Role
	Verification         VerificationStatus
	CanAccessPhoneCalls  bool
	CanAccessAIAssistant bool
	ConversationLimit    int
	OpenConversations    int
	Status               Status
	InvitedAt            time.Time
	// VerifiedAt is zero until the user verifies.
	VerifiedAt time.Time
	// ArchivedAt is zero unless the user is archived.
	ArchivedAt time.Time
	// Version starts at 1 and grows with every change of the user's
	// record, except of OpenConversations.
	Version int64
}

// IsActiveAdmin reports whether u counts toward the rule that a company
// keeps at least one verified, non-archived admin.
func (u User) IsActiveAdmin() bool {
	return u.Role == RoleAdmin && u.Verification == Verified && u.Status == StatusActive
}

// Company is a workspace with its seats.
type Company struct {
	ID        uuid.UUID
	Name      string
	Seats     seats.Usage
	CreatedAt time.Time
}

// Column is an optional column of the team list that a viewer may hide.
type Column string

// The optional columns.
const (
	ColumnRole                 Column = "role"
	ColumnVerificationStatus   Column = "verification_status"
	ColumnCanAccessPhoneCalls  Column = "can_access_phone_calls"
	ColumnCanAccessAIAssistant Column = "can_access_ai_assistant"
	ColumnConversationLimit    Column = "conversation_limit"
)

var allColumns = []Column{
	ColumnRole,
	ColumnVerificationStatus,
	ColumnCanAccessPhoneCalls,
	ColumnCanAccessAIAssistant,
	ColumnConversationLimit,
}

// Columns returns every optional column in display order.
func Columns() []Column {
	return append([]Column(nil), allColumns...)
}

// ColumnVisibility maps each optional column to whether it is shown.
type ColumnVisibility map[Column]bool

func visibilityOf(hidden []Column) ColumnVisibility {
	v := make(ColumnVisibility, len(allColumns))
	for _, c := range allColumns {
		v[c] = true
	}
	for _, c := range hidden {
		if _, ok := v[c]; ok {
			v[c] = false
		}
	}
	return v
}

// hidden returns the hidden columns of v in display order.
func (v ColumnVisibility) hidden() []Column {
	var out []Column
	for _, c := range allColumns {
		if shown, ok := v[c]; ok && !shown {
			out = append(out, c)
		}
	}
	return out
}

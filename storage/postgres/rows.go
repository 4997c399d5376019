package postgres

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// The rows below mirror the tables of the migrations. Queries list their
// columns explicitly, so that a process keeps working while a newer
// process adds columns.

type companyRow struct {
	bun.BaseModel `bun:"table:roster_companies"`

	CompanyID uuid.UUID `bun:"company_id,pk,type:uuid"`
	Name      string    `bun:"name"`
	SeatLimit int       `bun:"seat_limit"`
	SeatsUsed int       `bun:"seats_used"`
	CreatedAt time.Time `bun:"created_at"`
}

const companyColumns = "company_id, name, seat_limit, seats_used, created_at"

func newCompanyRow(c users.Company) companyRow {
	return companyRow{
		CompanyID: c.ID,
		Name:      c.Name,
		SeatLimit: c.Seats.Limit,
		SeatsUsed: c.Seats.Used,
		CreatedAt: c.CreatedAt,
	}
}

func (r companyRow) company() users.Company {
	return users.Company{
		ID:        r.CompanyID,
		Name:      r.Name,
		Seats:     seats.Usage{Limit: r.SeatLimit, Used: r.SeatsUsed},
		CreatedAt: r.CreatedAt.UTC(),
	}
}

type userRow struct {
	bun.BaseModel `bun:"table:roster_users"`

	CompanyID            uuid.UUID `bun:"company_id,pk,type:uuid"`
	ID                   uuid.UUID `bun:"id,pk,type:uuid"`
	Email                string    `bun:"email"`
	EmailKey             string    `bun:"email_key"`
	Name                 string    `bun:"name"`
	NameKey              string    `bun:"name_key"`
	Role                 string    `bun:"role"`
	Verification         string    `bun:"verification"`
	CanAccessPhoneCalls  bool      `bun:"can_access_phone_calls"`
	CanAccessAIAssistant bool      `bun:"can_access_ai_assistant"`
	ConversationLimit    int       `bun:"conversation_limit"`
	OpenConversations    int       `bun:"open_conversations"`
	Status               string    `bun:"status"`
	InvitedAt            time.Time `bun:"invited_at"`
	VerifiedAt           time.Time `bun:"verified_at,nullzero"`
	ArchivedAt           time.Time `bun:"archived_at,nullzero"`
	Version              int64     `bun:"version"`
}

const userColumns = "company_id, id, email, email_key, name, name_key, role, verification, " +
	"can_access_phone_calls, can_access_ai_assistant, conversation_limit, open_conversations, " +
	"status, invited_at, verified_at, archived_at, version"

// userUpdateColumns are the columns UpdateUser writes: every column but
// the key and open_conversations, which only conversation claims and
// releases change.
var userUpdateColumns = []string{
	"email", "email_key", "name", "name_key", "role", "verification",
	"can_access_phone_calls", "can_access_ai_assistant", "conversation_limit",
	"status", "invited_at", "verified_at", "archived_at", "version",
}

func newUserRow(u users.User) userRow {
	return userRow{
		CompanyID:            u.CompanyID,
		ID:                   u.ID,
		Email:                u.Email,
		EmailKey:             u.EmailKey,
		Name:                 u.Name,
		NameKey:              u.NameKey,
		Role:                 string(u.Role),
		Verification:         string(u.Verification),
		CanAccessPhoneCalls:  u.CanAccessPhoneCalls,
		CanAccessAIAssistant: u.CanAccessAIAssistant,
		ConversationLimit:    u.ConversationLimit,
		OpenConversations:    u.OpenConversations,
		Status:               string(u.Status),
		InvitedAt:            u.InvitedAt,
		VerifiedAt:           u.VerifiedAt,
		ArchivedAt:           u.ArchivedAt,
		Version:              u.Version,
	}
}

func (r userRow) user() users.User {
	return users.User{
		ID:                   r.ID,
		CompanyID:            r.CompanyID,
		Email:                r.Email,
		EmailKey:             r.EmailKey,
		Name:                 r.Name,
		NameKey:              r.NameKey,
		Role:                 users.Role(r.Role),
		Verification:         users.VerificationStatus(r.Verification),
		CanAccessPhoneCalls:  r.CanAccessPhoneCalls,
		CanAccessAIAssistant: r.CanAccessAIAssistant,
		ConversationLimit:    r.ConversationLimit,
		OpenConversations:    r.OpenConversations,
		Status:               users.Status(r.Status),
		InvitedAt:            r.InvitedAt.UTC(),
		VerifiedAt:           utcOrZero(r.VerifiedAt),
		ArchivedAt:           utcOrZero(r.ArchivedAt),
		Version:              r.Version,
	}
}

type entryRow struct {
	bun.BaseModel `bun:"table:roster_activity_entries"`

	CompanyID    uuid.UUID        `bun:"company_id,pk,type:uuid"`
	ID           uuid.UUID        `bun:"id,pk,type:uuid"`
	Type         string           `bun:"type"`
	UserID       uuid.UUID        `bun:"user_id,type:uuid,nullzero"`
	TargetUserID uuid.UUID        `bun:"target_user_id,type:uuid,nullzero"`
	IPAddress    string           `bun:"ip_address,type:inet,nullzero"`
	UserAgent    string           `bun:"user_agent"`
	OccurredAt   time.Time        `bun:"occurred_at"`
	Details      activity.Details `bun:"details,type:jsonb"`
}

const entryColumns = "company_id, id, type, user_id, target_user_id, ip_address, user_agent, occurred_at, details"

// newEntryRow converts e, or returns a KindInvalid error for text that
// PostgreSQL cannot store.
//
// NOTE: inet has no IPv6 zone, so an address such as fe80::1%eth0 is
// stored and returned without its zone.
func newEntryRow(e activity.Entry) (entryRow, error) {
	if err := checkStorableText(e); err != nil {
		return entryRow{}, err
	}
	row := entryRow{
		CompanyID:    e.CompanyID,
		ID:           e.ID,
		Type:         string(e.Type),
		UserID:       e.UserID,
		TargetUserID: e.TargetUserID,
		UserAgent:    e.UserAgent,
		OccurredAt:   e.OccurredAt,
		Details:      e.Details,
	}
	if e.IP.IsValid() {
		row.IPAddress = e.IP.WithZone("").String()
	}
	return row, nil
}

func (r entryRow) entry() (activity.Entry, error) {
	e := activity.Entry{
		ID:           r.ID,
		CompanyID:    r.CompanyID,
		Type:         activity.Type(r.Type),
		UserID:       r.UserID,
		TargetUserID: r.TargetUserID,
		UserAgent:    r.UserAgent,
		OccurredAt:   r.OccurredAt.UTC(),
		Details:      r.Details,
	}
	if r.IPAddress != "" {
		ip, err := netip.ParseAddr(r.IPAddress)
		if err != nil {
			return activity.Entry{}, fmt.Errorf("postgres: entry %s has the unreadable IP address %q: %w", r.ID, r.IPAddress, err)
		}
		e.IP = ip
	}
	return e, nil
}

// checkStorableText rejects NUL characters, which PostgreSQL text and
// jsonb cannot hold. The services validate names and email addresses of
// users, but an entry also carries the host's user agent and, for a
// rejected log in, the email address as typed.
func checkStorableText(e activity.Entry) error {
	fields := []struct{ name, value string }{
		{"user_agent", e.UserAgent},
		{"email", e.Details.Email},
		{"name", e.Details.Name},
		{"role", e.Details.Role},
		{"reason", e.Details.Reason},
	}
	var invalid []roster.FieldError
	for _, f := range fields {
		if strings.IndexByte(f.value, 0) >= 0 {
			invalid = append(invalid, roster.FieldError{Field: f.name, Message: "must not contain the NUL character U+0000"})
		}
	}
	if len(invalid) > 0 {
		return roster.Invalid(invalid...)
	}
	return nil
}

type verificationRow struct {
	bun.BaseModel `bun:"table:roster_verifications"`

	CompanyID uuid.UUID `bun:"company_id,pk,type:uuid"`
	UserID    uuid.UUID `bun:"user_id,pk,type:uuid"`
	TokenHash []byte    `bun:"token_hash,type:bytea"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

const verificationColumns = "company_id, user_id, token_hash, created_at, expires_at"

func newVerificationRow(v users.Verification) verificationRow {
	return verificationRow{
		CompanyID: v.CompanyID,
		UserID:    v.UserID,
		TokenHash: v.TokenHash,
		CreatedAt: v.CreatedAt,
		ExpiresAt: v.ExpiresAt,
	}
}

func (r verificationRow) verification() users.Verification {
	return users.Verification{
		CompanyID: r.CompanyID,
		UserID:    r.UserID,
		TokenHash: r.TokenHash,
		CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(),
	}
}

type columnChoiceRow struct {
	bun.BaseModel `bun:"table:roster_column_choices"`

	CompanyID uuid.UUID `bun:"company_id,pk,type:uuid"`
	ViewerID  uuid.UUID `bun:"viewer_id,pk,type:uuid"`
	Hidden    []string  `bun:"hidden,array"`
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

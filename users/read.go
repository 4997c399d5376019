package users

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/internal/cursor"
	"github.com/rosterkit/roster/internal/text"
	"github.com/rosterkit/roster/seats"
)

// Page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// Company returns a company with its seat usage.
func (s *Service) Company(ctx context.Context, companyID uuid.UUID) (Company, error) {
	return s.store.Company(ctx, companyID)
}

// User returns a user of the company, or a KindNotFound error.
func (s *Service) User(ctx context.Context, companyID, userID uuid.UUID) (User, error) {
	return s.store.User(ctx, companyID, userID)
}

// UserByEmail returns the non-archived user of the company with this email
// address, compared by its key, or a KindNotFound error. Hosts use it in
// their sign-in.
func (s *Service) UserByEmail(ctx context.Context, companyID uuid.UUID, email string) (User, error) {
	_, key, err := text.NormalizeEmail(email)
	if err != nil {
		return User{}, roster.Invalid(roster.FieldError{Field: "email", Message: err.Error()})
	}
	return s.store.UserByEmail(ctx, companyID, key)
}

// ListQuery selects a page of the team list. Zero fields select
// everything.
type ListQuery struct {
	Status       Status
	Role         Role
	Verification VerificationStatus
	// Search selects users whose name or email address contains it,
	// compared case-insensitively.
	Search string
	// Limit is the page size, DefaultPageSize when 0, at most MaxPageSize.
	Limit int
	// Cursor continues from the NextCursor of an earlier page with the
	// same filter.
	Cursor string
}

// ListPage is one page of the team list with the company's seat usage.
type ListPage struct {
	Users []User
	Seats seats.Usage
	// NextCursor continues with the next page; it is "" on the last page.
	NextCursor string
}

func (q ListQuery) filter(companyID uuid.UUID) (ListFilter, int, error) {
	var fields []roster.FieldError
	if q.Status != "" && q.Status != StatusActive && q.Status != StatusArchived {
		fields = append(fields, roster.FieldError{Field: "status",
			Message: fmt.Sprintf("must be %q or %q, got %q", StatusActive, StatusArchived, q.Status)})
	}
	if q.Role != "" {
		if err := q.Role.Validate("role"); err != nil {
			fields = append(fields, err.(*roster.Error).Fields...)
		}
	}
	if q.Verification != "" && q.Verification != Verified && q.Verification != NotVerified {
		fields = append(fields, roster.FieldError{Field: "verification_status",
			Message: fmt.Sprintf("must be %q or %q, got %q", Verified, NotVerified, q.Verification)})
	}
	search, err := text.NormalizeSearch(q.Search)
	fields = appendField(fields, "search", err)
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		fields = append(fields, roster.FieldError{Field: "limit",
			Message: fmt.Sprintf("must be between 1 and %d, got %d", MaxPageSize, q.Limit)})
	}
	if len(fields) > 0 {
		return ListFilter{}, 0, roster.Invalid(fields...)
	}
	f := ListFilter{
		CompanyID:    companyID,
		Status:       q.Status,
		Role:         q.Role,
		Verification: q.Verification,
		Search:       search,
		Limit:        limit + 1,
	}
	return f, limit, nil
}

func (f ListFilter) fingerprint() string {
	return fmt.Sprintf("users|%s|%s|%s|%s|%q", f.CompanyID, f.Status, f.Role, f.Verification, f.Search)
}

// List returns a page of the company's team list, sorted by name and then
// id, with the seat usage. It returns a KindInvalid error for invalid
// filters and a KindMalformed error for a cursor that was altered or
// issued for another filter. The caller decides who may read the list;
// the HTTP adapter allows every active member.
func (s *Service) List(ctx context.Context, companyID uuid.UUID, q ListQuery) (ListPage, error) {
	f, limit, err := q.filter(companyID)
	if err != nil {
		return ListPage{}, err
	}
	fingerprint := f.fingerprint()
	if q.Cursor != "" {
		var p ListPosition
		if err := s.cursors.Decode(q.Cursor, fingerprint, &p); err != nil || !text.IsStorable(p.NameKey) {
			return ListPage{}, roster.Malformed("cursor", cursor.ErrInvalid.Error())
		}
		f.After = &p
	}
	company, err := s.store.Company(ctx, companyID)
	if err != nil {
		return ListPage{}, err
	}
	list, err := s.store.ListUsers(ctx, f)
	if err != nil {
		return ListPage{}, err
	}
	page := ListPage{Users: list, Seats: company.Seats}
	if len(list) > limit {
		page.Users = list[:limit]
		last := list[limit-1]
		next, err := s.cursors.Encode(fingerprint, ListPosition{NameKey: last.NameKey, ID: last.ID})
		if err != nil {
			return ListPage{}, err
		}
		page.NextCursor = next
	}
	return page, nil
}

// Columns returns the viewer's column choice; columns never chosen are
// shown.
func (s *Service) Columns(ctx context.Context, companyID, viewerID uuid.UUID) (ColumnVisibility, error) {
	hidden, err := s.store.HiddenColumns(ctx, companyID, viewerID)
	if err != nil {
		return nil, err
	}
	return visibilityOf(hidden), nil
}

// SetColumns stores the column choice of the viewer actor.UserID and
// returns the full choice. Columns that v omits are shown. It returns a
// KindInvalid error for an unknown column. A column choice is a viewer's
// preference, not a team change, so it logs no activity entry.
func (s *Service) SetColumns(ctx context.Context, actor activity.Actor, v ColumnVisibility) (ColumnVisibility, error) {
	var fields []roster.FieldError
	for c := range v {
		if _, ok := visibilityOf(nil)[c]; !ok {
			fields = append(fields, roster.FieldError{Field: "columns." + string(c),
				Message: fmt.Sprintf("unknown column; use one of %v", allColumns)})
		}
	}
	if len(fields) > 0 {
		return nil, roster.Invalid(fields...)
	}
	hidden := v.hidden()
	err := s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		if _, err := tx.User(ctx, actor.UserID); err != nil {
			return err
		}
		return tx.SetHiddenColumns(ctx, actor.UserID, hidden)
	})
	if err != nil {
		return nil, err
	}
	return visibilityOf(hidden), nil
}

// ClaimConversation takes one conversation slot of the user before the
// host assigns a chat, and returns the user with the new open count. It
// returns a KindConversationLimitReached error when the open count has
// reached the limit, and a KindArchived error for an archived user. Claims
// are operational, not team changes, so they log no activity entry.
func (s *Service) ClaimConversation(ctx context.Context, companyID, userID uuid.UUID) (User, error) {
	return s.store.ClaimConversation(ctx, companyID, userID)
}

// ReleaseConversation gives back one conversation slot when a chat closes,
// and returns the user with the new open count. It returns a
// KindNoOpenConversation error when the user has none open.
func (s *Service) ReleaseConversation(ctx context.Context, companyID, userID uuid.UUID) (User, error) {
	return s.store.ReleaseConversation(ctx, companyID, userID)
}

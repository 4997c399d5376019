// Package seats accounts for a company's billing seats. Every user that is
// not archived occupies one seat, verified or not; archiving frees the seat
// at once.
package seats

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
)

// MaxLimit is the highest seat limit a company may have.
const MaxLimit = 100_000

// Usage is a company's seat limit and the seats in use.
type Usage struct {
	Limit int
	Used  int
}

// Available returns the number of free seats.
func (u Usage) Available() int {
	return max(u.Limit-u.Used, 0)
}

// CheckAvailable returns a KindNoSeatAvailable error when no seat is free.
func (u Usage) CheckAvailable() error {
	if u.Used >= u.Limit {
		return roster.Errorf(roster.KindNoSeatAvailable,
			"All %d seats are in use; archive a user or raise the seat limit first.", u.Limit)
	}
	return nil
}

// ValidateLimit checks that limit is a valid seat limit for a company.
func ValidateLimit(limit int) error {
	if limit < 1 || limit > MaxLimit {
		return roster.Invalid(roster.FieldError{
			Field:   "seat_limit",
			Message: fmt.Sprintf("must be between 1 and %d, got %d", MaxLimit, limit),
		})
	}
	return nil
}

// Store reads and changes seat limits.
type Store interface {
	// SeatUsage returns the usage of companyID, or a KindNotFound error.
	SeatUsage(ctx context.Context, companyID uuid.UUID) (Usage, error)
	// ChangeSeatLimit locks companyID's seats, calls decide with the
	// current usage and, unless decide fails, stores the returned limit
	// and appends the returned entry in one transaction. An entry with a
	// zero ID means the limit is unchanged, so nothing is written. It
	// returns the new usage, decide's error, or a KindNotFound error.
	ChangeSeatLimit(ctx context.Context, companyID uuid.UUID,
		decide func(Usage) (limit int, entry activity.Entry, err error)) (Usage, error)
}

// Options configures a Service. The zero value is ready to use.
type Options struct {
	// Now returns the current time; the default is time.Now.
	Now func() time.Time
}

// Service reads and sets seat limits.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service on store. A nil opts means the defaults.
func NewService(store Store, opts *Options) *Service {
	s := &Service{store: store, now: time.Now}
	if opts != nil && opts.Now != nil {
		s.now = opts.Now
	}
	return s
}

// Usage returns the seat usage of companyID.
func (s *Service) Usage(ctx context.Context, companyID uuid.UUID) (Usage, error) {
	return s.store.SeatUsage(ctx, companyID)
}

// SetLimit sets the seat limit of actor.CompanyID, as the host's billing
// does, and logs a TypeSeatLimitChanged entry. The caller authorizes the
// change. It returns a KindInvalid error for a limit out of range and a
// KindSeatLimitBelowUsage error for a limit below the seats in use. Setting
// the current limit again changes nothing and logs nothing.
func (s *Service) SetLimit(ctx context.Context, actor activity.Actor, limit int) (Usage, error) {
	if err := ValidateLimit(limit); err != nil {
		return Usage{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	usage, err := s.store.ChangeSeatLimit(ctx, actor.CompanyID, func(u Usage) (int, activity.Entry, error) {
		if limit < u.Used {
			return 0, activity.Entry{}, roster.Errorf(roster.KindSeatLimitBelowUsage,
				"%d seats are in use, so the limit cannot be %d; archive users first.", u.Used, limit)
		}
		if limit == u.Limit {
			return u.Limit, activity.Entry{}, nil
		}
		entry := activity.NewEntry(activity.TypeSeatLimitChanged, actor, uuid.Nil, now, activity.Details{
			Changes: []activity.Change{activity.NewChange("seat_limit", u.Limit, limit)},
		})
		return limit, entry, nil
	})
	if err != nil {
		return Usage{}, err
	}
	return usage, nil
}

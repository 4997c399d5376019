package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
)

// SeatUsage returns the seat usage of the company.
func (s *Store) SeatUsage(ctx context.Context, companyID uuid.UUID) (seats.Usage, error) {
	c, err := selectCompany(ctx, s.db, companyID, "")
	if err != nil {
		return seats.Usage{}, err
	}
	return c.Seats, nil
}

// ChangeSeatLimit locks the company row, calls decide with the current
// usage and, unless decide fails or returns an entry with a zero ID,
// stores the new limit with its entry in the same transaction. A limit
// below the seats in use that reaches the database anyway fails its CHECK
// constraint with a KindSeatLimitBelowUsage error.
func (s *Store) ChangeSeatLimit(ctx context.Context, companyID uuid.UUID,
	decide func(seats.Usage) (limit int, entry activity.Entry, err error)) (seats.Usage, error) {
	var usage seats.Usage
	err := s.runInTx(ctx, companyID, func(ctx context.Context, idb bun.IDB) error {
		c, err := selectCompany(ctx, idb, companyID, "NO KEY UPDATE")
		if err != nil {
			return err
		}
		limit, entry, err := decide(c.Seats)
		if err != nil {
			return err
		}
		usage = c.Seats
		if entry.ID == uuid.Nil {
			return nil
		}
		if err := updateSeatLimit(ctx, idb, companyID, limit); err != nil {
			return err
		}
		usage.Limit = limit
		return appendEntry(ctx, idb, companyID, entry)
	})
	if err != nil {
		return seats.Usage{}, err
	}
	return usage, nil
}

func updateSeatLimit(ctx context.Context, idb bun.IDB, companyID uuid.UUID, limit int) error {
	_, err := idb.NewUpdate().
		Model((*companyRow)(nil)).
		Set("seat_limit = ?", limit).
		Where("company_id = ?", companyID).
		Exec(ctx)
	if err == nil {
		return nil
	}
	if sqlState(err) == codeCheckViolation && constraintName(err) == constraintSeatsWithinLimit {
		return &roster.Error{Kind: roster.KindSeatLimitBelowUsage, Err: err,
			Message: "The seat limit cannot be below the seats in use; archive users first."}
	}
	return translate(err, "update the seat limit")
}

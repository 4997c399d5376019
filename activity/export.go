package activity

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// ExportBatchSize is how many entries Export reads from the store at a
// time, which bounds its memory use whatever the number of entries.
const ExportBatchSize = 500

// Export calls fn for every entry of companyID that matches q, newest
// first, reading the store in keyset batches of ExportBatchSize. It has
// no row cap; q.Limit and q.Cursor are ignored. Entries written after the
// export started are not included, because each batch continues below the
// last entry of the one before. Export stops at the first error of fn or
// the store and returns it. It returns the same validation errors as
// Query.
func (s *Service) Export(ctx context.Context, companyID uuid.UUID, q Query, fn func(Entry) error) error {
	f, err := newFilter(companyID, q, ExportBatchSize)
	if err != nil {
		return err
	}
	for {
		entries, err := s.store.QueryEntries(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(entries) < f.Limit {
			return nil
		}
		last := PositionOf(entries[len(entries)-1])
		f.After = &last
	}
}

// newFilter returns the store filter of q without its cursor, after
// checking q's range.
func newFilter(companyID uuid.UUID, q Query, limit int) (Filter, error) {
	if err := q.Range.validate(); err != nil {
		return Filter{}, err
	}
	types := slices.Clone(q.Types)
	slices.Sort(types)
	return Filter{
		CompanyID:    companyID,
		UserID:       q.UserID,
		TargetUserID: q.TargetUserID,
		Types:        slices.Compact(types),
		From:         q.Range.From,
		Until:        q.Range.Until,
		Limit:        limit,
	}, nil
}

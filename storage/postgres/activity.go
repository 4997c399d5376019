package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
)

// AppendEntry adds e to the company's log in the transaction. It returns
// a KindInvalid error for an entry of another company or with a NUL
// character in its text, and a KindNotFound error when the company or the
// target user does not exist.
func (t *tx) AppendEntry(ctx context.Context, e activity.Entry) error {
	return appendEntry(ctx, t.idb, t.companyID, e)
}

func appendEntry(ctx context.Context, idb bun.IDB, companyID uuid.UUID, e activity.Entry) error {
	if e.CompanyID != companyID {
		return roster.Errorf(roster.KindInvalid, "Entry of company %s in a transaction of company %s.", e.CompanyID, companyID)
	}
	row, err := newEntryRow(e)
	if err != nil {
		return err
	}
	if _, err := idb.NewInsert().Model(&row).Exec(ctx); err != nil {
		if fkErr := foreignKeyError(err, companyID, e.TargetUserID); fkErr != nil {
			return fkErr
		}
		return translate(err, "append an activity entry")
	}
	return nil
}

// QueryEntries returns up to f.Limit entries of f.CompanyID that match f,
// newest first by (OccurredAt, ID). Each filter has an index that leads
// with company_id and ends in that order, so a page reads about f.Limit
// index entries.
func (s *Store) QueryEntries(ctx context.Context, f activity.Filter) ([]activity.Entry, error) {
	var rows []entryRow
	q := s.db.NewSelect().
		Model(&rows).
		ColumnExpr(entryColumns).
		Where("company_id = ?", f.CompanyID)
	q = applyEntryFilter(q, f)
	if err := q.OrderExpr("occurred_at DESC, id DESC").Limit(int64(f.Limit)).Scan(ctx); err != nil {
		return nil, translate(err, "query activity entries")
	}
	if len(rows) == 0 {
		if err := requireCompany(ctx, s.db, f.CompanyID); err != nil {
			return nil, err
		}
	}
	out := make([]activity.Entry, len(rows))
	for i, r := range rows {
		e, err := r.entry()
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// applyEntryFilter adds the conditions of f other than the company to q.
func applyEntryFilter(q *bun.SelectQuery, f activity.Filter) *bun.SelectQuery {
	if f.UserID != uuid.Nil {
		q = q.Where("user_id = ?", f.UserID)
	}
	if f.TargetUserID != uuid.Nil {
		q = q.Where("target_user_id = ?", f.TargetUserID)
	}
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, t := range f.Types {
			types[i] = string(t)
		}
		q = q.Where("type IN (?)", bun.In(types))
	}
	if !f.From.IsZero() {
		q = q.Where("occurred_at >= ?", f.From)
	}
	if !f.Until.IsZero() {
		q = q.Where("occurred_at < ?", f.Until)
	}
	if f.After != nil {
		q = q.Where("(occurred_at, id) < (?, ?)", f.After.OccurredAt, f.After.ID)
	}
	return q
}

package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
)

// syncRow is an entry with the id of the transaction that wrote it.
type syncRow struct {
	entryRow  `bun:",extend"`
	CommitXID string `bun:"commit_xid"`
}

// SyncEntries returns up to limit entries of the company after the
// checkpoint in (commit_xid, id) order, oldest first. It returns only
// entries of transactions below the snapshot's xmin, all of which have
// ended, so no entry can later appear before a returned checkpoint.
func (s *Store) SyncEntries(ctx context.Context, companyID uuid.UUID, after activity.Checkpoint, limit int) ([]activity.Entry, activity.Checkpoint, error) {
	var rows []syncRow
	err := s.db.NewSelect().
		Model(&rows).
		ColumnExpr(entryColumns+", commit_xid::text AS commit_xid").
		Where("company_id = ?", companyID).
		Where("(commit_xid, id) > (?::xid8, ?)", strconv.FormatUint(after.Seq, 10), after.ID).
		Where("commit_xid < pg_snapshot_xmin(pg_current_snapshot())").
		OrderExpr("commit_xid, id").
		Limit(int64(limit)).
		Scan(ctx)
	if err != nil {
		return nil, after, translate(err, "read activity entries for sync")
	}
	if len(rows) == 0 {
		return nil, after, requireCompany(ctx, s.db, companyID)
	}
	out := make([]activity.Entry, len(rows))
	for i, r := range rows {
		e, err := r.entry()
		if err != nil {
			return nil, after, err
		}
		out[i] = e
	}
	last := rows[len(rows)-1]
	seq, err := strconv.ParseUint(last.CommitXID, 10, 64)
	if err != nil {
		return nil, after, fmt.Errorf("postgres: the commit_xid %q of entry %s is not a number: %w", last.CommitXID, last.ID, err)
	}
	return out, activity.Checkpoint{Seq: seq, ID: last.ID}, nil
}

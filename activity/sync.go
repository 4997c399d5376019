package activity

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
)

// Checkpoint is a place in a store's commit order of one company's
// entries. Seq orders entries by when the store committed them and ID
// breaks ties among entries of one transaction. Each store defines its
// own Seq: the memory store counts commits, the PostgreSQL store uses
// transaction ids.
type Checkpoint struct {
	Seq uint64    `json:"s"`
	ID  uuid.UUID `json:"i"`
}

// Syncer is a store that can hand out entries in commit order, for
// incremental sync.
type Syncer interface {
	// SyncEntries returns up to limit entries of the company that come
	// after the checkpoint in commit order, oldest first, with the
	// checkpoint of the last one, or after itself when there are none.
	// It returns only entries that no still running transaction can
	// precede, so a reader that resumes from each returned checkpoint
	// receives every committed entry exactly once.
	SyncEntries(ctx context.Context, companyID uuid.UUID, after Checkpoint, limit int) ([]Entry, Checkpoint, error)
}

// Page sizes of Sync.
const (
	DefaultSyncPageSize = 500
	MaxSyncPageSize     = 1000
)

// SyncPage is one page of incremental sync.
type SyncPage struct {
	// Entries are the entries committed after the request's cursor,
	// oldest first.
	Entries []Entry
	// Cursor continues after the last entry. It is set on every page,
	// also when Entries is empty, so a poller always stores it.
	Cursor string
}

// Sync returns the entries of companyID committed after cursor, oldest
// first, for a poller that copies the log into another system, such as a
// SIEM or a warehouse. An empty cursor starts at the beginning of the
// log. A poller that stores each returned Cursor and resumes from it
// receives every entry exactly once and in commit order, even while
// entries are written concurrently. Commit order is close to time order,
// but an entry whose transaction commits late comes after entries stamped
// later.
//
// Entries of a transaction still running are withheld until it ends, so
// on PostgreSQL a long transaction anywhere on the server delays sync,
// without losing entries. The caller decides who may sync; the HTTP
// adapter allows admins only.
func (s *Service) Sync(ctx context.Context, companyID uuid.UUID, cursor string, limit int) (SyncPage, error) {
	syncer, ok := s.store.(Syncer)
	if !ok {
		return SyncPage{}, fmt.Errorf("activity: the store %T cannot sync; use a store that implements activity.Syncer", s.store)
	}
	switch {
	case limit == 0:
		limit = DefaultSyncPageSize
	case limit < 0 || limit > MaxSyncPageSize:
		return SyncPage{}, roster.Invalid(roster.FieldError{
			Field:   "limit",
			Message: fmt.Sprintf("must be between 1 and %d, got %d", MaxSyncPageSize, limit),
		})
	}
	fingerprint := "sync|" + companyID.String()
	var after Checkpoint
	if cursor != "" {
		if err := s.cursors.Decode(cursor, fingerprint, &after); err != nil {
			return SyncPage{}, roster.Malformed("cursor", err.Error())
		}
	}
	entries, next, err := syncer.SyncEntries(ctx, companyID, after, limit)
	if err != nil {
		return SyncPage{}, err
	}
	sealed, err := s.cursors.Encode(fingerprint, next)
	if err != nil {
		return SyncPage{}, err
	}
	return SyncPage{Entries: entries, Cursor: sealed}, nil
}

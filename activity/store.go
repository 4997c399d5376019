package activity

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Filter selects entries of one company for a store. Zero fields select
// everything.
type Filter struct {
	CompanyID uuid.UUID
	// UserID selects entries by this acting user.
	UserID uuid.UUID
	// TargetUserID selects entries about this user.
	TargetUserID uuid.UUID
	// Types selects entries of any of these types.
	Types []Type
	// From selects entries at or after this time.
	From time.Time
	// Until selects entries strictly before this time.
	Until time.Time
	// After, when set, selects entries strictly older than this position.
	After *Position
	// Limit is the maximum number of entries to return; it is always
	// positive.
	Limit int
}

// Store reads the activity log. Entries are written through the users and
// seats stores' transactions.
type Store interface {
	// QueryEntries returns up to f.Limit entries of f.CompanyID that match
	// f, newest first by (OccurredAt, ID). It never returns entries of
	// another company.
	QueryEntries(ctx context.Context, f Filter) ([]Entry, error)
}

// Appender writes entries inside a store transaction.
type Appender interface {
	// AppendEntry adds e to the log. It is called in the transaction of
	// the change that e describes.
	AppendEntry(ctx context.Context, e Entry) error
}

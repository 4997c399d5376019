package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/users"
)

// Conversation claims and releases are single conditional UPDATE
// statements outside any transaction. PostgreSQL evaluates the condition
// on the latest committed row while it holds that row's lock, so
// concurrent claims can neither pass the limit nor lose an increment, and
// the row lock is held only for the statement. The alternative, SELECT
// ... FOR UPDATE and then UPDATE in a transaction, holds the same lock for
// four round trips instead of one. BenchmarkClaimConversation compares the
// two on one user with 16 goroutines. On a 2-vCPU machine with PostgreSQL
// 15 on the same host, a claim and a release took 1.2 to 1.7 ms with the
// conditional UPDATE and 1.7 to 2.2 ms with SELECT ... FOR UPDATE.

const claimSQL = `UPDATE roster_users
SET open_conversations = open_conversations + 1
WHERE company_id = ? AND id = ? AND status = 'active' AND open_conversations < conversation_limit
RETURNING ` + userColumns

const releaseSQL = `UPDATE roster_users
SET open_conversations = open_conversations - 1
WHERE company_id = ? AND id = ? AND open_conversations > 0
RETURNING ` + userColumns

// ClaimConversation adds one open conversation to an active user whose
// open count is below the limit, atomically, and returns the user. It
// returns a KindArchived error for an archived user, a
// KindConversationLimitReached error at the limit and a KindNotFound error
// for an unknown user.
func (s *Store) ClaimConversation(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	return s.changeOpenCount(ctx, claimSQL, companyID, userID, claimRejection)
}

// ReleaseConversation removes one open conversation, atomically, and
// returns the user. It returns a KindNoOpenConversation error when the
// count is 0 and a KindNotFound error for an unknown user. Archived users
// may release.
func (s *Store) ReleaseConversation(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	return s.changeOpenCount(ctx, releaseSQL, companyID, userID, releaseRejection)
}

// changeOpenCount runs the conditional update query. The update is the
// decision: when it matches no row, the user was missing, archived or at
// the bound at that moment. The row read after it only names the reason,
// even if a concurrent change has moved the count since.
func (s *Store) changeOpenCount(ctx context.Context, query string, companyID, userID uuid.UUID,
	reject func(users.User) error) (users.User, error) {
	var row userRow
	err := s.db.NewRaw(query, companyID, userID).Scan(ctx, &row)
	if err == nil {
		return row.user(), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return users.User{}, translate(err, "update the open conversations")
	}
	u, err := selectUser(ctx, s.db, companyID, userID)
	if err != nil {
		return users.User{}, err
	}
	return users.User{}, reject(u)
}

func claimRejection(u users.User) error {
	if u.Status == users.StatusArchived {
		return roster.Errorf(roster.KindArchived, "User %s is archived and takes no conversations.", u.ID)
	}
	return roster.Errorf(roster.KindConversationLimitReached,
		"User %s has reached the conversation limit of %d.", u.ID, u.ConversationLimit)
}

func releaseRejection(u users.User) error {
	return roster.Errorf(roster.KindNoOpenConversation, "User %s has no open conversation.", u.ID)
}

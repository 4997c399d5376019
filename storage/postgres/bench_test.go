package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/rosterkit/roster/internal/pgtest"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster/storage/postgres"
)

// benchPoolSize gives every goroutine of the claim benchmarks its own
// connection, so that they contend for the user's row lock and not for
// the pool.
const benchPoolSize = 16

// BenchmarkClaimConversation claims and releases one conversation slot of
// one user from parallel goroutines, with the store's conditional UPDATE
// and with SELECT ... FOR UPDATE followed by UPDATE in a transaction. One
// operation is a claim and a release.
func BenchmarkClaimConversation(b *testing.B) {
	_, dsn := pgtest.NewSchema(b)
	ctx := context.Background()
	store, err := postgres.Open(ctx, dsn, &postgres.Options{MaxOpenConns: benchPoolSize})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	tm := newTeam(b, store, 3)
	hot := tm.invite(b, "hot", 100)

	b.Run("ConditionalUpdate", func(b *testing.B) {
		b.SetParallelism(benchPoolSize / 2)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := store.ClaimConversation(ctx, tm.company.ID, hot.ID); err != nil {
					b.Error(err)
					return
				}
				if _, err := store.ReleaseConversation(ctx, tm.company.ID, hot.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("SelectForUpdate", func(b *testing.B) {
		b.SetParallelism(benchPoolSize / 2)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := lockedChange(ctx, store.DB(), tm.company.ID, hot.ID, +1); err != nil {
					b.Error(err)
					return
				}
				if err := lockedChange(ctx, store.DB(), tm.company.ID, hot.ID, -1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// lockedChange changes the open count by delta after reading the row
// with SELECT ... FOR UPDATE, the alternative to the conditional UPDATE.
func lockedChange(ctx context.Context, db *bun.DB, companyID, userID uuid.UUID, delta int) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var open, limit int
		err := tx.NewRaw(`SELECT open_conversations, conversation_limit FROM roster_users
			WHERE company_id = ? AND id = ? AND status = 'active' FOR UPDATE`, companyID, userID).Scan(ctx, &open, &limit)
		if err != nil {
			return err
		}
		if open+delta < 0 || open+delta > limit {
			return fmt.Errorf("open count %d%+d is outside 0 to %d: %w", open, delta, limit, sql.ErrNoRows)
		}
		_, err = tx.NewRaw(`UPDATE roster_users SET open_conversations = ? WHERE company_id = ? AND id = ?`,
			open+delta, companyID, userID).Exec(ctx)
		return err
	})
}

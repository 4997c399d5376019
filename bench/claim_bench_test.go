package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/users"
)

// claimParallelism times GOMAXPROCS is the number of goroutines of the
// claim benchmarks: 8 on 2 cores, one per pool connection.
const claimParallelism = 4

// claimUsers is the number of users that the many-users case claims in
// turn.
const claimUsers = 1000

// The bare conditional UPDATE statements of the SQL side: the claim and
// release of Roster's store without the RETURNING list.
const (
	bareClaimSQL = `UPDATE roster_users SET open_conversations = open_conversations + 1
		WHERE company_id = $1 AND id = $2 AND status = 'active' AND open_conversations < conversation_limit`
	bareReleaseSQL = `UPDATE roster_users SET open_conversations = open_conversations - 1
		WHERE company_id = $1 AND id = $2 AND open_conversations > 0`
)

// BenchmarkConversationClaim claims and releases one conversation slot per
// operation from parallel goroutines, on one hot user and on 1,000 users
// in turn, through users.Service and through bare conditional UPDATE
// statements. Every user's limit is 100, above the number of goroutines,
// so no claim fails.
func BenchmarkConversationClaim(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	svc := users.NewService(ds.store, nil)
	companies := newCompanyTracker(b, ds)
	c, err := companies.create(ctx, "claims", claimUsers)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ds.pool.Exec(ctx, `UPDATE roster_users SET conversation_limit = 100 WHERE company_id = $1`, c.id); err != nil {
		b.Fatal(err)
	}
	ids := make([]uuid.UUID, claimUsers)
	for i, m := range c.members {
		ids[i] = m.id
	}

	claimRoster := func(id uuid.UUID) error {
		if _, err := svc.ClaimConversation(ctx, c.id, id); err != nil {
			return err
		}
		_, err := svc.ReleaseConversation(ctx, c.id, id)
		return err
	}
	claimSQL := func(id uuid.UUID) error {
		for _, sql := range []string{bareClaimSQL, bareReleaseSQL} {
			tag, err := ds.pool.Exec(ctx, sql, c.id, id)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%s changed %d rows of user %s", firstLine(sql), tag.RowsAffected(), id)
			}
		}
		return nil
	}
	for _, users := range []string{"one", "many"} {
		b.Run("users="+users, func(b *testing.B) {
			for _, impl := range []struct {
				name  string
				claim func(uuid.UUID) error
			}{{"roster", claimRoster}, {"sql", claimSQL}} {
				b.Run("impl="+impl.name, func(b *testing.B) {
					runParallelClaims(b, ids, users == "one", impl.claim)
				})
			}
		})
	}
	var open int
	err = ds.pool.QueryRow(ctx, `SELECT coalesce(sum(open_conversations), 0) FROM roster_users WHERE company_id = $1`, c.id).Scan(&open)
	if err != nil {
		b.Fatal(err)
	}
	if open != 0 {
		b.Fatalf("%d conversations are still open after the claims and releases", open)
	}
}

func runParallelClaims(b *testing.B, ids []uuid.UUID, hot bool, claim func(uuid.UUID) error) {
	var next atomic.Int64
	b.SetParallelism(claimParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[0]
			if !hot {
				id = ids[next.Add(1)%int64(len(ids))]
			}
			if err := claim(id); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

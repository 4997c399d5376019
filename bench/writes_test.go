package bench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// writeCompanyPrefix starts the name of every company that a write
// benchmark creates, so that a later run finds and deletes the companies
// of a run that was killed before its cleanup.
const writeCompanyPrefix = "bench write "

// writeSeatLimit is the seat limit of the write companies, the highest
// that Roster accepts.
const writeSeatLimit = 100_000

// benchIP and benchUserAgent are the actor's address and client in every
// write.
var benchIP = netip.MustParseAddr("203.0.113.7")

const benchUserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

// member is a user of a write company.
type member struct {
	id    uuid.UUID
	email string
}

// writeCompany is a company that a write benchmark creates and its
// cleanup deletes. Its admin acts in every change.
type writeCompany struct {
	id      uuid.UUID
	admin   uuid.UUID
	members []member
}

func (c writeCompany) actor() activity.Actor {
	return activity.Actor{CompanyID: c.id, UserID: c.admin, IP: benchIP, UserAgent: benchUserAgent}
}

// companyTracker creates write companies and deletes them in the cleanup
// of the benchmark that made it.
type companyTracker struct {
	ds  *dataset
	mu  sync.Mutex
	ids []uuid.UUID
}

func newCompanyTracker(b testing.TB, ds *dataset) *companyTracker {
	t := &companyTracker{ds: ds}
	b.Cleanup(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		ctx := context.Background()
		if err := deleteWriteCompanies(ctx, ds, t.ids); err != nil {
			b.Errorf("delete the write companies: %v", err)
		}
		if err := vacuumWrittenTables(ctx, ds); err != nil {
			b.Errorf("vacuum after the write benchmark: %v", err)
		}
	})
	return t
}

// create writes a company with a verified admin and n verified members,
// all with a conversation limit of 8, with set-based SQL.
func (t *companyTracker) create(ctx context.Context, label string, n int) (writeCompany, error) {
	if n+1 > writeSeatLimit {
		return writeCompany{}, fmt.Errorf("a write company has at most %d seats, %d requested", writeSeatLimit, n+1)
	}
	c := writeCompany{id: uuid.Must(uuid.NewV7()), admin: uuid.Must(uuid.NewV7())}
	t.mu.Lock()
	t.ids = append(t.ids, c.id)
	t.mu.Unlock()
	ids := make([]uuid.UUID, n)
	emails := make([]string, n)
	for i := range n {
		ids[i] = uuid.Must(uuid.NewV7())
		emails[i] = fmt.Sprintf("member%d@write.example", i)
		c.members = append(c.members, member{id: ids[i], email: emails[i]})
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := pgx.BeginFunc(ctx, t.ds.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO roster_companies (company_id, name, seat_limit, seats_used, created_at)
			VALUES ($1, $2, $3, $4, $5)`, c.id, writeCompanyPrefix+label, writeSeatLimit, n+1, now)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO roster_users (`+userColumnList+`)
			VALUES ($1, $2, 'admin@write.example', 'admin@write.example', 'Write Admin', 'write admin', 'admin', 'verified',
				true, true, 8, 0, 'active', $3, $3, NULL, 1)`, c.id, c.admin, now)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO roster_users (`+userColumnList+`)
			SELECT $1, m.id, m.email, m.email, 'Member ' || m.n, 'member ' || m.n, 'user', 'verified',
				true, false, 8, 0, 'active', $4, $4, NULL, 1
			FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS m (id, email, n)`, c.id, ids, emails, now)
		return err
	})
	return c, err
}

// deleteWriteCompanies deletes the companies ids with their users,
// verifications, column choices and entries, or every company named with
// writeCompanyPrefix when ids is nil. session_replication_role = replica
// turns off the log's append-only triggers for this transaction only.
func deleteWriteCompanies(ctx context.Context, ds *dataset, ids []uuid.UUID) error {
	return pgx.BeginFunc(ctx, ds.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		if ids == nil {
			rows, err := tx.Query(ctx, "SELECT company_id FROM roster_companies WHERE name LIKE $1", writeCompanyPrefix+"%")
			if err != nil {
				return err
			}
			if ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		for _, table := range []string{"roster_activity_entries", "roster_verifications", "roster_column_choices", "roster_users", "roster_companies"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE company_id = ANY($1)", ids); err != nil {
				return fmt.Errorf("delete from %s: %w", table, err)
			}
		}
		return nil
	})
}

// vacuumWrittenTables vacuums the tables that the write benchmarks change,
// as autovacuum would, so that their dead rows and the pending list of the
// trigram indexes do not slow the benchmarks after them. The log's few
// dead rows stay below the 2% of pages under which VACUUM skips its
// indexes, so the log's vacuum reads only its newest pages.
func vacuumWrittenTables(ctx context.Context, ds *dataset) error {
	for _, table := range []string{"roster_companies", "roster_users", "roster_verifications", "roster_activity_entries"} {
		if _, err := ds.pool.Exec(ctx, "VACUUM "+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	return nil
}

// The raw transactions below run the statements that Roster's store runs
// for each change, on pgx with its statement cache, and do the checks
// between them in Go.

const (
	lockCompanySQL = `SELECT seat_limit, seats_used FROM roster_companies WHERE company_id = $1 FOR NO KEY UPDATE`
	actorSQL       = `SELECT role, verification, status FROM roster_users WHERE company_id = $1 AND id = $2`
	insertEntrySQL = `INSERT INTO roster_activity_entries
		(company_id, id, type, user_id, target_user_id, ip_address, user_agent, occurred_at, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
)

var errNotAdmin = errors.New("the actor is not an active, verified admin")

// lockAndAuthorize locks the company row, checks the actor and returns
// the seat limit and the seats in use.
func lockAndAuthorize(ctx context.Context, tx pgx.Tx, c writeCompany) (limit, used int, err error) {
	if err := tx.QueryRow(ctx, lockCompanySQL, c.id).Scan(&limit, &used); err != nil {
		return 0, 0, err
	}
	var role, verification, status string
	if err := tx.QueryRow(ctx, actorSQL, c.id, c.admin).Scan(&role, &verification, &status); err != nil {
		return 0, 0, err
	}
	if role != "admin" || verification != "verified" || status != "active" {
		return 0, 0, errNotAdmin
	}
	return limit, used, nil
}

func appendEntrySQL(ctx context.Context, tx pgx.Tx, c writeCompany, t activity.Type, target uuid.UUID, now time.Time, d activity.Details) error {
	_, err := tx.Exec(ctx, insertEntrySQL, c.id, uuid.Must(uuid.NewV7()), string(t), c.admin, target,
		benchIP.String(), benchUserAgent, now, d)
	return err
}

func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

func inviteEmail(i int) string {
	return fmt.Sprintf("invitee%d@invite.example", i)
}

// inviteSQL invites user i: lock the company, check the actor and the
// seats, insert the user, count the seat, store the verification and log
// the entry.
func inviteSQL(ctx context.Context, ds *dataset, c writeCompany, i int) error {
	b := make([]byte, 32)
	rand.Read(b)
	hash := sha256.Sum256([]byte(base64.RawURLEncoding.EncodeToString(b)))
	at := now()
	userID := uuid.Must(uuid.NewV7())
	email := inviteEmail(i)
	name := fmt.Sprintf("Invitee %d", i)
	return pgx.BeginTxFunc(ctx, ds.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		limit, used, err := lockAndAuthorize(ctx, tx, c)
		if err != nil {
			return err
		}
		if used >= limit {
			return errors.New("no seat available")
		}
		tag, err := tx.Exec(ctx, `INSERT INTO roster_users (`+userColumnList+`)
			VALUES ($1, $2, $3, $4, $5, $6, 'user', 'not_verified', false, false, 8, 0, 'active', $7, NULL, NULL, 1)
			ON CONFLICT (company_id, email_key) WHERE status = 'active' DO NOTHING`,
			c.id, userID, email, email, name, strings.ToLower(name), at)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("email %s taken", email)
		}
		if _, err := tx.Exec(ctx, `UPDATE roster_companies SET seats_used = $2 WHERE company_id = $1`, c.id, used+1); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO roster_verifications (company_id, user_id, token_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (company_id, user_id) DO UPDATE
			SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
			c.id, userID, hash[:], at, at.Add(users.DefaultTokenTTL))
		if err != nil {
			return err
		}
		return appendEntrySQL(ctx, tx, c, activity.TypeUserInvited, userID, at,
			activity.Details{Email: email, Name: name, Role: "user"})
	})
}

// selectUserSQL is the statement that reads a user inside a change.
const selectUserSQL = `SELECT ` + userColumnList + ` FROM roster_users WHERE company_id = $1 AND id = $2`

// updateSQL sets the conversation limit of a user: lock the company,
// check the actor, read the user, update it and log the change.
func updateSQL(ctx context.Context, ds *dataset, c writeCompany, userID uuid.UUID, limit int) error {
	at := now()
	return pgx.BeginTxFunc(ctx, ds.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, _, err := lockAndAuthorize(ctx, tx, c); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRow(ctx, selectUserSQL, c.id, userID))
		if err != nil {
			return err
		}
		if u.Status != users.StatusActive || u.ConversationLimit == limit {
			return fmt.Errorf("user %s is %s with the limit %d already", u.ID, u.Status, u.ConversationLimit)
		}
		_, err = tx.Exec(ctx, `UPDATE roster_users SET conversation_limit = $3, version = $4 WHERE company_id = $1 AND id = $2`,
			c.id, userID, limit, u.Version+1)
		if err != nil {
			return err
		}
		return appendEntrySQL(ctx, tx, c, activity.TypeUserUpdated, userID, at, activity.Details{
			Email:   u.Email,
			Changes: []activity.Change{activity.NewChange("conversation_limit", u.ConversationLimit, limit)},
		})
	})
}

// archiveSQL archives a user: lock the company, check the actor, read the
// user, check the confirmation, update the user and the seats, delete its
// verifications and log the entry.
func archiveSQL(ctx context.Context, ds *dataset, c writeCompany, m member) error {
	at := now()
	return pgx.BeginTxFunc(ctx, ds.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		_, used, err := lockAndAuthorize(ctx, tx, c)
		if err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRow(ctx, selectUserSQL, c.id, m.id))
		if err != nil {
			return err
		}
		if u.Status != users.StatusActive || !strings.EqualFold(m.email, u.EmailKey) {
			return fmt.Errorf("user %s is %s or the confirmation %q does not match", u.ID, u.Status, m.email)
		}
		_, err = tx.Exec(ctx, `UPDATE roster_users SET status = 'archived', archived_at = $3, version = $4
			WHERE company_id = $1 AND id = $2`, c.id, m.id, at, u.Version+1)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE roster_companies SET seats_used = $2 WHERE company_id = $1`, c.id, used-1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM roster_verifications WHERE company_id = $1 AND user_id = $2`, c.id, m.id); err != nil {
			return err
		}
		return appendEntrySQL(ctx, tx, c, activity.TypeUserArchived, m.id, at, activity.Details{Email: u.Email, Name: u.Name})
	})
}

// BenchmarkInvite invites one user per operation into a company with free
// seats, through users.Service and through the raw transaction.
func BenchmarkInvite(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	svc := users.NewService(ds.store, nil)
	companies := newCompanyTracker(b, ds)
	b.Run("impl=roster", func(b *testing.B) {
		c, err := companies.create(ctx, "invite roster", 0)
		if err != nil {
			b.Fatal(err)
		}
		runTimed(b, func(i int) error {
			_, err := svc.Invite(ctx, c.actor(), users.Invite{
				Email: inviteEmail(i), Name: fmt.Sprintf("Invitee %d", i), Role: users.RoleUser, ConversationLimit: 8,
			})
			return err
		})
	})
	b.Run("impl=sql", func(b *testing.B) {
		c, err := companies.create(ctx, "invite sql", 0)
		if err != nil {
			b.Fatal(err)
		}
		runTimed(b, func(i int) error { return inviteSQL(ctx, ds, c, i) })
	})
}

// updateMembers is the number of users that BenchmarkUpdate changes in
// turn.
const updateMembers = 100

// BenchmarkUpdate changes the conversation limit of one of 100 users per
// operation, between 8 and 9, through users.Service and through the raw
// transaction.
func BenchmarkUpdate(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	svc := users.NewService(ds.store, nil)
	companies := newCompanyTracker(b, ds)
	run := func(b *testing.B, impl string, update func(c writeCompany, m member, limit int) error) {
		c, err := companies.create(ctx, "update "+impl, updateMembers)
		if err != nil {
			b.Fatal(err)
		}
		limits := make([]int, updateMembers)
		for i := range limits {
			limits[i] = 8
		}
		runTimed(b, func(i int) error {
			k := i % updateMembers
			limits[k] = 17 - limits[k]
			return update(c, c.members[k], limits[k])
		})
	}
	b.Run("impl=roster", func(b *testing.B) {
		run(b, "roster", func(c writeCompany, m member, limit int) error {
			_, err := svc.Update(ctx, c.actor(), m.id, users.Changes{ConversationLimit: &limit})
			return err
		})
	})
	b.Run("impl=sql", func(b *testing.B) {
		run(b, "sql", func(c writeCompany, m member, limit int) error {
			return updateSQL(ctx, ds, c, m.id, limit)
		})
	})
}

// BenchmarkArchive archives one user per operation, confirmed by the
// email address, through users.Service and through the raw transaction.
// Each run creates b.N users first, outside the timing.
func BenchmarkArchive(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	svc := users.NewService(ds.store, nil)
	companies := newCompanyTracker(b, ds)
	b.Run("impl=roster", func(b *testing.B) {
		c, err := companies.create(ctx, "archive roster", b.N)
		if err != nil {
			b.Fatal(err)
		}
		runTimed(b, func(i int) error {
			_, err := svc.Archive(ctx, c.actor(), c.members[i].id, c.members[i].email, 0)
			return err
		})
	})
	b.Run("impl=sql", func(b *testing.B) {
		c, err := companies.create(ctx, "archive sql", b.N)
		if err != nil {
			b.Fatal(err)
		}
		runTimed(b, func(i int) error { return archiveSQL(ctx, ds, c, c.members[i]) })
	})
}

package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/users"
)

var _ users.Tx = (*tx)(nil)

// rollbackTimeout bounds a rollback, which runs even after the caller's
// context has ended.
const rollbackTimeout = 5 * time.Second

// InTx runs fn in one READ COMMITTED transaction on the company's data,
// whatever the server's default isolation level. When fn returns an
// error, InTx rolls back and returns that error, and otherwise it commits
// unless ctx ended meanwhile. The rollback runs even when ctx is
// cancelled. InTx never retries fn.
func (s *Store) InTx(ctx context.Context, companyID uuid.UUID, fn func(ctx context.Context, tx users.Tx) error) error {
	return s.runInTx(ctx, companyID, func(ctx context.Context, idb bun.IDB) error {
		return fn(ctx, &tx{idb: idb, companyID: companyID})
	})
}

// runInTx runs fn in a transaction on a dedicated connection.
//
// The transaction's own context ignores the cancellation of ctx, so that
// database/sql does not end the transaction behind the store's back and
// the rollback can still run. Every statement runs with ctx, so a
// cancellation still stops the statement in flight.
func (s *Store) runInTx(ctx context.Context, companyID uuid.UUID, fn func(ctx context.Context, idb bun.IDB) error) error {
	if err := ctx.Err(); err != nil {
		return roster.Unavailable(fmt.Errorf("postgres: begin a transaction: %w", err))
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return translate(err, "acquire a connection")
	}
	defer conn.Close()

	txCtx, cancelTx := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTx()
	btx, err := conn.BeginTx(txCtx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return translate(err, "begin a transaction")
	}
	finished := false
	defer func() {
		if !finished {
			s.rollback(ctx, btx, companyID, cancelTx)
		}
	}()

	if err := fn(ctx, btx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return roster.Unavailable(fmt.Errorf("postgres: commit a transaction: %w", err))
	}
	finished = true
	if err := btx.Commit(); err != nil {
		return translate(err, "commit a transaction")
	}
	return nil
}

// rollback rolls btx back within rollbackTimeout. A failure is logged, not
// returned, because the caller returns the error that caused the rollback.
func (s *Store) rollback(ctx context.Context, btx bun.Tx, companyID uuid.UUID, cancelTx context.CancelFunc) {
	timer := time.AfterFunc(rollbackTimeout, cancelTx)
	defer timer.Stop()
	err := btx.Rollback()
	if err == nil || errors.Is(err, sql.ErrTxDone) {
		return
	}
	// A cancelled statement makes pgx close its connection, so the
	// rollback fails. The server rolls back when the connection closes, so
	// that case is expected and not logged.
	if ctx.Err() != nil {
		return
	}
	s.logger.WarnContext(ctx, "postgres: rollback failed; the server rolls back when the connection closes",
		"company_id", companyID, "err", err)
}

// tx is a users.Tx on one company's data. Every statement filters on
// companyID.
type tx struct {
	idb       bun.IDB
	companyID uuid.UUID
}

// LockCompany returns the company and holds its row lock until the
// transaction ends.
//
// The lock is FOR NO KEY UPDATE rather than FOR UPDATE. Both conflict
// with themselves, so the transactions that change a company's users and
// seats run one after another. FOR UPDATE would also block the FOR KEY
// SHARE locks that foreign key checks take, so a log in or log out, which
// only appends an entry, would wait for a running invite.
func (t *tx) LockCompany(ctx context.Context) (users.Company, error) {
	return selectCompany(ctx, t.idb, t.companyID, "NO KEY UPDATE")
}

// InsertCompany creates the transaction's company. It returns a
// KindInvalid error when c is another company or exists already.
func (t *tx) InsertCompany(ctx context.Context, c users.Company) error {
	if c.ID != t.companyID {
		return roster.Errorf(roster.KindInvalid, "Company %s is not the transaction's company %s.", c.ID, t.companyID)
	}
	row := newCompanyRow(c)
	_, err := t.idb.NewInsert().Model(&row).Exec(ctx)
	return translate(err, "insert a company")
}

// SetSeatsUsed stores the company's seats in use. It returns a
// KindNoSeatAvailable error for a count outside 0 to the seat limit.
func (t *tx) SetSeatsUsed(ctx context.Context, used int) error {
	res, err := t.idb.NewUpdate().
		Model((*companyRow)(nil)).
		Set("seats_used = ?", used).
		Where("company_id = ?", t.companyID).
		Exec(ctx)
	if err != nil {
		return translate(err, "update the seats in use")
	}
	return requireRow(res, errCompanyNotFound(t.companyID))
}

// requireRow returns notFound when res affected no row.
func requireRow(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "count the affected rows")
	}
	if n == 0 {
		return notFound
	}
	return nil
}

package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster/httpadapter"
)

// hostLockKey is the PostgreSQL advisory lock key that serializes the
// host's table creation and seeding across processes: the ASCII bytes of
// "example". It differs from the key of Roster's own migrations.
const hostLockKey int64 = 0x6578616d706c65

// unlockTimeout bounds the release of the advisory lock, which runs even
// after the caller's context has ended.
const unlockTimeout = 5 * time.Second

// credentialRow is a row of example_credentials: the password of one
// Roster user. The primary key is the user's (company_id, user_id), like
// Roster's tenant-keyed tables. email_key is unique across companies,
// because POST /login takes an email address without a company.
type credentialRow struct {
	bun.BaseModel `bun:"table:example_credentials"`

	CompanyID    uuid.UUID `bun:"company_id,pk,type:uuid"`
	UserID       uuid.UUID `bun:"user_id,pk,type:uuid"`
	EmailKey     string    `bun:"email_key,type:text,notnull,unique"`
	PasswordHash []byte    `bun:"password_hash,notnull"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

// sessionRow is a row of example_sessions: one open login. TokenHash is
// the SHA-256 hash of the bearer token, so the table holds no usable
// token. The primary key starts with the user's (company_id, user_id), and
// a unique index on token_hash serves the lookup of each request.
type sessionRow struct {
	bun.BaseModel `bun:"table:example_sessions"`

	CompanyID uuid.UUID `bun:"company_id,pk,type:uuid"`
	UserID    uuid.UUID `bun:"user_id,pk,type:uuid"`
	TokenHash []byte    `bun:"token_hash,pk"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

// postgresHostStore is the hostStore of the PostgreSQL mode. It shares the
// database and the connection pool of Roster's store.
type postgresHostStore struct {
	db     *bun.DB
	logger *slog.Logger
}

// newPostgresHostStore creates the host's tables in db unless they exist
// and returns the store on them.
//
// NOTE: CREATE TABLE IF NOT EXISTS is enough for this example, but it
// never changes an existing table. A real host keeps versioned migrations
// for its own tables, as Roster does for its tables with postgres.Migrate.
func newPostgresHostStore(ctx context.Context, db *bun.DB, logger *slog.Logger) (*postgresHostStore, error) {
	s := &postgresHostStore{db: db, logger: logger}
	err := s.withAdvisoryLock(ctx, func(ctx context.Context) error {
		return s.createTables(ctx)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// createTables creates example_credentials, example_sessions and their
// indexes. Concurrent CREATE TABLE IF NOT EXISTS statements of one table
// fail on PostgreSQL 15 with a unique violation of
// pg_type_typname_nsp_index, so callers hold the advisory lock.
func (s *postgresHostStore) createTables(ctx context.Context) error {
	for _, model := range []any{(*credentialRow)(nil), (*sessionRow)(nil)} {
		if _, err := s.db.NewCreateTable().Model(model).IfNotExists().Exec(ctx); err != nil {
			return fmt.Errorf("creating the host table for %T failed: %w", model, err)
		}
	}
	indexes := []*bun.CreateIndexQuery{
		s.db.NewCreateIndex().Model((*sessionRow)(nil)).Index("example_sessions_token_hash").
			Unique().Column("token_hash").IfNotExists(),
		s.db.NewCreateIndex().Model((*sessionRow)(nil)).Index("example_sessions_expires_at").
			Column("expires_at").IfNotExists(),
	}
	for _, q := range indexes {
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("creating an index of example_sessions failed: %w", err)
		}
	}
	return nil
}

func (s *postgresHostStore) credential(ctx context.Context, emailKey string) (credential, bool, error) {
	var row credentialRow
	err := s.db.NewSelect().Model(&row).Where("email_key = ?", emailKey).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return credential{}, false, nil
	}
	if err != nil {
		return credential{}, false, fmt.Errorf("reading a credential from example_credentials failed: %w", err)
	}
	return credential{companyID: row.CompanyID, userID: row.UserID, hash: row.PasswordHash}, true, nil
}

func (s *postgresHostStore) putCredential(ctx context.Context, emailKey string, cred credential) error {
	row := credentialRow{
		CompanyID:    cred.companyID,
		UserID:       cred.userID,
		EmailKey:     emailKey,
		PasswordHash: cred.hash,
		UpdatedAt:    time.Now().UTC(),
	}
	// The conflict target is email_key, so a second user with the same
	// address, such as a re-invited one, takes over the sign-in.
	_, err := s.db.NewInsert().Model(&row).
		On("CONFLICT (email_key) DO UPDATE").
		Set("company_id = EXCLUDED.company_id").
		Set("user_id = EXCLUDED.user_id").
		Set("password_hash = EXCLUDED.password_hash").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("storing the credential of user %s in example_credentials failed: %w", cred.userID, err)
	}
	return nil
}

func (s *postgresHostStore) putSession(ctx context.Context, hash tokenHash, sess session, now time.Time) error {
	row := sessionRow{
		CompanyID: sess.identity.CompanyID,
		UserID:    sess.identity.UserID,
		TokenHash: hash[:],
		CreatedAt: now.UTC(),
		ExpiresAt: sess.expiresAt.UTC(),
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Dropping expired sessions here keeps the table bounded by the
		// logins of one session lifetime.
		if _, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("expires_at <= ?", now.UTC()).Exec(ctx); err != nil {
			return fmt.Errorf("deleting expired sessions from example_sessions failed: %w", err)
		}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("storing a session of user %s in example_sessions failed: %w", row.UserID, err)
		}
		return nil
	})
}

func (s *postgresHostStore) session(ctx context.Context, hash tokenHash, now time.Time) (session, bool, error) {
	var row sessionRow
	err := s.db.NewSelect().Model(&row).
		Where("token_hash = ?", hash[:]).
		Where("expires_at > ?", now.UTC()).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return session{}, false, nil
	}
	if err != nil {
		return session{}, false, fmt.Errorf("reading a session from example_sessions failed: %w", err)
	}
	return row.session(), true, nil
}

func (s *postgresHostStore) deleteSession(ctx context.Context, hash tokenHash, now time.Time) (session, bool, error) {
	var rows []sessionRow
	// DELETE ... RETURNING finds the row for at most one of several
	// concurrent logouts with the same token.
	_, err := s.db.NewDelete().Model(&rows).
		Where("token_hash = ?", hash[:]).
		Returning("*").
		Exec(ctx)
	if err != nil {
		return session{}, false, fmt.Errorf("deleting a session from example_sessions failed: %w", err)
	}
	if len(rows) == 0 {
		return session{}, false, nil
	}
	sess := rows[0].session()
	return sess, now.Before(sess.expiresAt), nil
}

func (s *postgresHostStore) deleteUserSessions(ctx context.Context, id httpadapter.Identity) (int, error) {
	res, err := s.db.NewDelete().Model((*sessionRow)(nil)).
		Where("company_id = ? AND user_id = ?", id.CompanyID, id.UserID).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("deleting the sessions of user %s from example_sessions failed: %w", id.UserID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (r sessionRow) session() session {
	return session{
		identity:  httpadapter.Identity{CompanyID: r.CompanyID, UserID: r.UserID},
		expiresAt: r.ExpiresAt.UTC(),
	}
}

func (s *postgresHostStore) withSeedLock(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.withAdvisoryLock(ctx, fn)
}

// withAdvisoryLock runs fn while a dedicated connection holds the session
// advisory lock hostLockKey. fn runs on the pool beside that connection,
// so the pool needs at least two connections.
// The server releases the lock when the session ends, so a process that
// dies while holding it does not block the others.
func (s *postgresHostStore) withAdvisoryLock(ctx context.Context, fn func(ctx context.Context) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("taking a connection for the host's advisory lock failed: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", hostLockKey); err != nil {
		return fmt.Errorf("taking the host's advisory lock %d failed: %w", hostLockKey, err)
	}
	defer s.unlock(ctx, conn)
	return fn(ctx)
}

// unlock releases the advisory lock on conn. When that fails, it discards
// conn, which ends its session and so releases the lock too.
func (s *postgresHostStore) unlock(ctx context.Context, conn bun.Conn) {
	unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	_, err := conn.ExecContext(unlockCtx, "SELECT pg_advisory_unlock(?)", hostLockKey)
	if err == nil {
		return
	}
	s.logger.WarnContext(ctx, "releasing the host's advisory lock failed; closing its connection instead",
		"lock_key", hostLockKey, "err", err)
	// Returning driver.ErrBadConn from Raw makes database/sql discard the
	// connection rather than reuse it while it holds the lock.
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

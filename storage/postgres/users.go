package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/users"
)

// Company returns the company with its seat usage.
func (s *Store) Company(ctx context.Context, companyID uuid.UUID) (users.Company, error) {
	return selectCompany(ctx, s.db, companyID, "")
}

// User returns a user of the company.
func (s *Store) User(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	return selectUser(ctx, s.db, companyID, userID)
}

// UserByEmail returns the non-archived user of the company whose EmailKey
// is emailKey.
func (s *Store) UserByEmail(ctx context.Context, companyID uuid.UUID, emailKey string) (users.User, error) {
	var row userRow
	err := s.db.NewSelect().
		Model(&row).
		ColumnExpr(userColumns).
		Where("company_id = ? AND email_key = ? AND status = ?", companyID, emailKey, users.StatusActive).
		Scan(ctx)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			return users.User{}, translate(err, "select a user by email address")
		}
		if err := requireCompany(ctx, s.db, companyID); err != nil {
			return users.User{}, err
		}
		return users.User{}, roster.Errorf(roster.KindNotFound, "No active user has the email address %q.", emailKey)
	}
	return row.user(), nil
}

// ListUsers returns up to f.Limit users of f.CompanyID that match f,
// ordered by (NameKey, ID). name_key has the "C" collation and uuid
// compares byte-wise, so the order is Go's byte-wise order.
func (s *Store) ListUsers(ctx context.Context, f users.ListFilter) ([]users.User, error) {
	var rows []userRow
	q := s.db.NewSelect().
		Model(&rows).
		ColumnExpr(userColumns).
		Where("company_id = ?", f.CompanyID)
	q = applyListFilter(q, f)
	err := q.OrderExpr("name_key, id").Limit(int64(f.Limit)).Scan(ctx)
	if err != nil {
		return nil, translate(err, "list users")
	}
	if len(rows) == 0 {
		if err := requireCompany(ctx, s.db, f.CompanyID); err != nil {
			return nil, err
		}
	}
	out := make([]users.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// applyListFilter adds the conditions of f other than the company to q.
func applyListFilter(q *bun.SelectQuery, f users.ListFilter) *bun.SelectQuery {
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.Verification != "" {
		q = q.Where("verification = ?", f.Verification)
	}
	if f.Search != "" {
		pattern := "%" + escapeLike(f.Search) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(`name_key LIKE ? ESCAPE '\'`, pattern).WhereOr(`email_key LIKE ? ESCAPE '\'`, pattern)
		})
	}
	if f.After != nil {
		q = q.Where("(name_key, id) > (?, ?)", f.After.NameKey, f.After.ID)
	}
	return q
}

// likeEscaper escapes the LIKE wildcards and the escape character itself,
// so that a search matches its text literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func escapeLike(s string) string {
	return likeEscaper.Replace(s)
}

// HiddenColumns returns the columns the viewer hid, nil if none. It
// returns a KindNotFound error for an unknown viewer.
func (s *Store) HiddenColumns(ctx context.Context, companyID, viewerID uuid.UUID) ([]users.Column, error) {
	var hidden []string
	err := s.db.NewSelect().
		TableExpr("roster_users AS u").
		ColumnExpr("coalesce(c.hidden, '{}') AS hidden").
		Join("LEFT JOIN roster_column_choices AS c ON c.company_id = u.company_id AND c.viewer_id = u.id").
		Where("u.company_id = ? AND u.id = ?", companyID, viewerID).
		Scan(ctx, pgdialect.Array(&hidden))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, missingUser(ctx, s.db, companyID, viewerID)
		}
		return nil, translate(err, "select hidden columns")
	}
	if len(hidden) == 0 {
		return nil, nil
	}
	out := make([]users.Column, len(hidden))
	for i, c := range hidden {
		out[i] = users.Column(c)
	}
	return out, nil
}

// VerificationByHash returns the pending verification with this token
// hash, in any company.
//
// NOTE: token hashes are unique by chance, not by constraint, because
// every unique constraint includes company_id; with 256-bit random tokens
// a collision is not expected.
func (s *Store) VerificationByHash(ctx context.Context, tokenHash []byte) (users.Verification, error) {
	var row verificationRow
	err := s.db.NewSelect().
		Model(&row).
		ColumnExpr(verificationColumns).
		Where("token_hash = ?", tokenHash).
		Limit(1).
		Scan(ctx)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return users.Verification{}, errTokenNotFound()
		}
		return users.Verification{}, translate(err, "select a verification")
	}
	return row.verification(), nil
}

func errTokenNotFound() error {
	return roster.Errorf(roster.KindNotFound, "Verification token not found.")
}

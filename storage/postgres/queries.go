package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster/users"
)

// The helpers in this file take a bun.IDB, so that they run on the pool
// or inside a transaction.

// selectCompany returns the company, locked with the row lock strength
// lock when it is not empty, such as "NO KEY UPDATE".
func selectCompany(ctx context.Context, idb bun.IDB, companyID uuid.UUID, lock string) (users.Company, error) {
	var row companyRow
	q := idb.NewSelect().
		Model(&row).
		ColumnExpr(companyColumns).
		Where("company_id = ?", companyID)
	if lock != "" {
		q = q.For(lock)
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return users.Company{}, errCompanyNotFound(companyID)
		}
		return users.Company{}, translate(err, "select a company")
	}
	return row.company(), nil
}

// selectUser returns a user of the company.
func selectUser(ctx context.Context, idb bun.IDB, companyID, userID uuid.UUID) (users.User, error) {
	var row userRow
	err := idb.NewSelect().
		Model(&row).
		ColumnExpr(userColumns).
		Where("company_id = ? AND id = ?", companyID, userID).
		Scan(ctx)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return users.User{}, missingUser(ctx, idb, companyID, userID)
		}
		return users.User{}, translate(err, "select a user")
	}
	return row.user(), nil
}

// missingUser returns the not-found error for a user that no row matched:
// a company error when the company is missing too, a user error
// otherwise.
func missingUser(ctx context.Context, idb bun.IDB, companyID, userID uuid.UUID) error {
	if err := requireCompany(ctx, idb, companyID); err != nil {
		return err
	}
	return errUserNotFound(userID)
}

// requireCompany returns a not-found error unless the company exists.
func requireCompany(ctx context.Context, idb bun.IDB, companyID uuid.UUID) error {
	exists, err := idb.NewSelect().
		Model((*companyRow)(nil)).
		Where("company_id = ?", companyID).
		Exists(ctx)
	if err != nil {
		return translate(err, "check that a company exists")
	}
	if !exists {
		return errCompanyNotFound(companyID)
	}
	return nil
}

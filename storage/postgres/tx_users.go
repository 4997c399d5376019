package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/users"
)

// User returns a user of the company.
func (t *tx) User(ctx context.Context, userID uuid.UUID) (users.User, error) {
	return selectUser(ctx, t.idb, t.companyID, userID)
}

// CountActiveAdmins returns the number of verified, non-archived admins.
func (t *tx) CountActiveAdmins(ctx context.Context) (int, error) {
	n, err := t.idb.NewSelect().
		Model((*userRow)(nil)).
		Where("company_id = ? AND role = ? AND verification = ? AND status = ?",
			t.companyID, users.RoleAdmin, users.Verified, users.StatusActive).
		Count(ctx)
	if err != nil {
		return 0, translate(err, "count active admins")
	}
	return int(n), nil
}

// InsertUser adds u with no open conversation. It returns a KindEmailTaken
// error when another non-archived user of the company has the same
// EmailKey, and a KindInvalid error when u's id exists already.
//
// ON CONFLICT DO NOTHING on the unique index of active email keys turns a
// taken address into an insert of no row instead of an error, so the
// transaction stays usable, as with the memory store.
func (t *tx) InsertUser(ctx context.Context, u users.User) error {
	if u.CompanyID != t.companyID {
		return roster.Errorf(roster.KindInvalid, "User %s of company %s in a transaction of company %s.", u.ID, u.CompanyID, t.companyID)
	}
	row := newUserRow(u)
	row.OpenConversations = 0
	res, err := t.idb.NewInsert().
		Model(&row).
		On("CONFLICT (company_id, email_key) WHERE status = 'active' DO NOTHING").
		Exec(ctx)
	if err != nil {
		if fkErr := foreignKeyError(err, t.companyID, u.ID); fkErr != nil {
			return fkErr
		}
		return translate(err, "insert a user")
	}
	return requireRow(res, roster.Errorf(roster.KindEmailTaken, "Another user of this company has the email address %s.", u.Email))
}

// UpdateUser stores every field of u except OpenConversations, which only
// ClaimConversation and ReleaseConversation change, so that an update
// never overwrites a claim that committed after u was read.
func (t *tx) UpdateUser(ctx context.Context, u users.User) error {
	if u.CompanyID != t.companyID {
		return roster.Errorf(roster.KindInvalid, "User %s of company %s in a transaction of company %s.", u.ID, u.CompanyID, t.companyID)
	}
	row := newUserRow(u)
	res, err := t.idb.NewUpdate().
		Model(&row).
		Column(userUpdateColumns...).
		WherePK().
		Exec(ctx)
	if err != nil {
		return translate(err, "update a user")
	}
	return requireRow(res, errUserNotFound(u.ID))
}

// ReplaceVerification stores v in place of the user's older verification.
func (t *tx) ReplaceVerification(ctx context.Context, v users.Verification) error {
	if v.CompanyID != t.companyID {
		return roster.Errorf(roster.KindInvalid, "Verification of company %s in a transaction of company %s.", v.CompanyID, t.companyID)
	}
	row := newVerificationRow(v)
	_, err := t.idb.NewInsert().
		Model(&row).
		On("CONFLICT (company_id, user_id) DO UPDATE").
		Set("token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at").
		Exec(ctx)
	if err != nil {
		if fkErr := foreignKeyError(err, t.companyID, v.UserID); fkErr != nil {
			return fkErr
		}
		return translate(err, "store a verification")
	}
	return nil
}

// TakeVerification deletes and returns the company's verification with
// this token hash.
func (t *tx) TakeVerification(ctx context.Context, tokenHash []byte) (users.Verification, error) {
	var row verificationRow
	err := t.idb.NewDelete().
		Model(&row).
		Where("company_id = ? AND token_hash = ?", t.companyID, tokenHash).
		Returning(verificationColumns).
		Scan(ctx)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return users.Verification{}, errTokenNotFound()
		}
		return users.Verification{}, translate(err, "take a verification")
	}
	return row.verification(), nil
}

// DeleteVerifications deletes every verification of the user.
func (t *tx) DeleteVerifications(ctx context.Context, userID uuid.UUID) error {
	_, err := t.idb.NewDelete().
		Model((*verificationRow)(nil)).
		Where("company_id = ? AND user_id = ?", t.companyID, userID).
		Exec(ctx)
	return translate(err, "delete verifications")
}

// SetHiddenColumns stores the columns the viewer hid.
func (t *tx) SetHiddenColumns(ctx context.Context, viewerID uuid.UUID, hidden []users.Column) error {
	row := columnChoiceRow{CompanyID: t.companyID, ViewerID: viewerID, Hidden: make([]string, len(hidden))}
	for i, c := range hidden {
		row.Hidden[i] = string(c)
	}
	_, err := t.idb.NewInsert().
		Model(&row).
		On("CONFLICT (company_id, viewer_id) DO UPDATE").
		Set("hidden = EXCLUDED.hidden").
		Exec(ctx)
	if err != nil {
		if fkErr := foreignKeyError(err, t.companyID, viewerID); fkErr != nil {
			return fkErr
		}
		return translate(err, "store hidden columns")
	}
	return nil
}

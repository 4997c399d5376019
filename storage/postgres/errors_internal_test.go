package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
)

func TestTranslateKinds(t *testing.T) {
	pgError := func(code, constraint string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, ConstraintName: constraint, Message: "server message"})
	}
	tests := []struct {
		name string
		err  error
		want roster.Kind
	}{
		{"too many connections", pgError("53300", ""), roster.KindUnavailable},
		{"admin shutdown", pgError("57P01", ""), roster.KindUnavailable},
		{"statement timeout", pgError("57014", ""), roster.KindUnavailable},
		{"connection failure", pgError("08006", ""), roster.KindUnavailable},
		{"serialization failure", pgError("40001", ""), roster.KindUnavailable},
		{"deadlock", pgError("40P01", ""), roster.KindUnavailable},
		{"lock timeout", pgError("55P03", ""), roster.KindUnavailable},
		{"deadline", context.DeadlineExceeded, roster.KindUnavailable},
		{"closed connection", sql.ErrConnDone, roster.KindUnavailable},
		{"closed pool", errors.New("sql: database is closed"), roster.KindUnavailable},
		{"email taken", pgError("23505", constraintActiveEmail), roster.KindEmailTaken},
		{"duplicate user", pgError("23505", constraintUsersPkey), roster.KindInvalid},
		{"seats over limit", pgError("23514", constraintSeatsWithinLimit), roster.KindNoSeatAvailable},
		{"negative seats", pgError("23514", constraintSeatsNonnegative), roster.KindNoSeatAvailable},
		{"negative open count", pgError("23514", constraintOpenNonnegative), roster.KindNoOpenConversation},
		{"other check", pgError("23514", "roster_users_role_known"), roster.KindInvalid},
		{"other unique", pgError("23505", "some_other_index"), roster.KindInternal},
		{"syntax error", pgError("42601", ""), roster.KindInternal},
		{"other error", errors.New("unexpected failure"), roster.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := translate(tt.err, "run a test")
			assert.Equal(t, tt.want, roster.KindOf(err), "translate(%v)", tt.err)
			assert.ErrorIs(t, err, tt.err, "the cause stays in the chain")

			var rosterErr *roster.Error
			if errors.As(err, &rosterErr) {
				assert.NotContains(t, rosterErr.Message, "server message", "the message shows no driver text")
			}
		})
	}
}

func TestTranslateKeepsRosterErrors(t *testing.T) {
	err := roster.Errorf(roster.KindArchived, "User archived.")
	assert.Same(t, err, translate(err, "run a test"))
	assert.NoError(t, translate(nil, "run a test"))
}

func TestForeignKeyErrorNamesMissingRow(t *testing.T) {
	companyID, userID := uuid.New(), uuid.New()
	tests := []struct {
		constraint string
		want       string
	}{
		{"roster_users_company_fkey", companyNotFoundMessage(companyID)},
		{"roster_activity_entries_target_user_fkey", userNotFoundMessage(userID)},
		{"roster_column_choices_viewer_fkey", userNotFoundMessage(userID)},
		{"roster_verifications_user_fkey", userNotFoundMessage(userID)},
	}
	for _, tt := range tests {
		err := foreignKeyError(&pgconn.PgError{Code: "23503", ConstraintName: tt.constraint}, companyID, userID)
		assert.Equal(t, roster.KindNotFound, roster.KindOf(err), tt.constraint)
		var re *roster.Error
		require.ErrorAs(t, err, &re, tt.constraint)
		assert.Equal(t, tt.want, re.Message, tt.constraint)
	}
	assert.NoError(t, foreignKeyError(&pgconn.PgError{Code: "23505"}, companyID, userID), "not a foreign key violation")
}

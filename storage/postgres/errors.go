package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rosterkit/roster"
)

// SQLSTATE codes that the store maps to domain errors. The PostgreSQL
// manual lists them in the appendix "PostgreSQL Error Codes".
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
)

// Constraint names from the migrations that map to a domain error.
const (
	constraintActiveEmail       = "roster_users_active_email_key"
	constraintUsersPkey         = "roster_users_pkey"
	constraintCompaniesPkey     = "roster_companies_pkey"
	constraintSeatsWithinLimit  = "roster_companies_seats_used_within_limit"
	constraintSeatsNonnegative  = "roster_companies_seats_used_nonnegative"
	constraintSeatLimitPositive = "roster_companies_seat_limit_positive"
	constraintOpenNonnegative   = "roster_users_open_conversations_nonnegative"
	// Foreign keys end in _company_fkey when they refer to the company,
	// and in _user_fkey or _viewer_fkey when they refer to a user.
	constraintCompanyFkeySuffix = "_company_fkey"
	constraintUserFkeySuffix    = "_user_fkey"
	constraintViewerFkeySuffix  = "_viewer_fkey"
)

// errDBClosedMessage is the text of database/sql's unexported error for a
// call on a closed *sql.DB, which has no sentinel to match.
const errDBClosedMessage = "sql: database is closed"

// translate turns a driver error into a roster error, once, at the store
// boundary. Connection failures, timeouts and cancellations become
// roster.Unavailable. Known constraint violations become their domain
// kinds. Anything else is wrapped with op and stays KindInternal. It
// returns roster errors unchanged, and never puts SQL or connection
// details into a Message.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var rosterErr *roster.Error
	if errors.As(err, &rosterErr) {
		return err
	}
	if isUnavailable(err) {
		return roster.Unavailable(fmt.Errorf("postgres: %s: %w", op, err))
	}
	if kindErr := constraintError(err); kindErr != nil {
		return kindErr
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// constraintError returns the domain error of a known constraint
// violation, or nil.
func constraintError(err error) error {
	name := constraintName(err)
	switch sqlState(err) {
	case codeUniqueViolation:
		switch name {
		case constraintActiveEmail:
			return &roster.Error{Kind: roster.KindEmailTaken, Err: err,
				Message: "Another user of this company has this email address."}
		case constraintUsersPkey:
			return &roster.Error{Kind: roster.KindInvalid, Err: err, Message: "The user exists already."}
		case constraintCompaniesPkey:
			return &roster.Error{Kind: roster.KindInvalid, Err: err, Message: "The company exists already."}
		}
	case codeCheckViolation:
		switch name {
		case constraintSeatsWithinLimit, constraintSeatsNonnegative:
			return &roster.Error{Kind: roster.KindNoSeatAvailable, Err: err,
				Message: "The seats in use would be outside 0 to the seat limit. Archive a user or raise the seat limit first."}
		case constraintSeatLimitPositive:
			return &roster.Error{Kind: roster.KindInvalid, Err: err, Message: "The seat limit must be at least 1."}
		case constraintOpenNonnegative:
			return &roster.Error{Kind: roster.KindNoOpenConversation, Err: err,
				Message: "The user has no open conversation."}
		}
		return &roster.Error{Kind: roster.KindInvalid, Err: err, Message: "A value is outside the range the store accepts."}
	}
	return nil
}

// foreignKeyError returns a not-found error when err is a violation of a
// foreign key to the company or to a user, and nil otherwise. userID names
// the user that the violated key refers to.
func foreignKeyError(err error, companyID, userID uuid.UUID) error {
	if sqlState(err) != codeForeignKeyViolation {
		return nil
	}
	name := constraintName(err)
	switch {
	case strings.HasSuffix(name, constraintCompanyFkeySuffix):
		return &roster.Error{Kind: roster.KindNotFound, Err: err, Message: companyNotFoundMessage(companyID)}
	case strings.HasSuffix(name, constraintUserFkeySuffix), strings.HasSuffix(name, constraintViewerFkeySuffix):
		return &roster.Error{Kind: roster.KindNotFound, Err: err, Message: userNotFoundMessage(userID)}
	}
	return nil
}

// isUnavailable reports whether err is a failure that a retry may fix: a
// lost or refused connection, a timeout, a cancellation, a server that
// shuts down or has no free connection, or a transaction that lost a lock
// conflict.
func isUnavailable(err error) bool {
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &netErr), errors.As(err, &connectErr):
		return true
	case pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	case strings.Contains(err.Error(), errDBClosedMessage):
		return true
	}
	return isUnavailableState(sqlState(err))
}

// isUnavailableState reports whether a SQLSTATE code is transient.
func isUnavailableState(code string) bool {
	if len(code) != 5 {
		return false
	}
	switch code[:2] {
	case "08", // connection exception
		"53", // insufficient resources, such as 53300 too_many_connections
		"57", // operator intervention: 57014 statement timeout or cancel, 57P01 admin shutdown
		"58": // system error, such as an I/O error on the server
		return true
	}
	switch code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"55P03", // lock_not_available, raised by lock_timeout
		"25P03": // idle_in_transaction_session_timeout
		return true
	}
	return false
}

// sqlState returns the SQLSTATE code of a PostgreSQL error, from pgx or
// from bun's pgdriver, or "" for other errors.
func sqlState(err error) string {
	var pgxErr interface{ SQLState() string }
	if errors.As(err, &pgxErr) {
		return pgxErr.SQLState()
	}
	var pgdriverErr interface{ Field(byte) string }
	if errors.As(err, &pgdriverErr) {
		return pgdriverErr.Field('C')
	}
	return ""
}

// constraintName returns the constraint that a PostgreSQL error names, or
// "".
func constraintName(err error) string {
	var pgxErr *pgconn.PgError
	if errors.As(err, &pgxErr) {
		return pgxErr.ConstraintName
	}
	var pgdriverErr interface{ Field(byte) string }
	if errors.As(err, &pgdriverErr) {
		return pgdriverErr.Field('n')
	}
	return ""
}

func companyNotFoundMessage(id uuid.UUID) string {
	return fmt.Sprintf("Company %s not found.", id)
}

func userNotFoundMessage(id uuid.UUID) string {
	return fmt.Sprintf("User %s not found.", id)
}

func errCompanyNotFound(id uuid.UUID) error {
	return &roster.Error{Kind: roster.KindNotFound, Message: companyNotFoundMessage(id)}
}

func errUserNotFound(id uuid.UUID) error {
	return &roster.Error{Kind: roster.KindNotFound, Message: userNotFoundMessage(id)}
}

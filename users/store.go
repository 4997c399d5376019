package users

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
)

// Verification is a pending email verification. Only the SHA-256 hash of
// the token is stored.
type Verification struct {
	CompanyID uuid.UUID
	UserID    uuid.UUID
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ListPosition is a user's place in the team list's order: by NameKey,
// then by ID.
type ListPosition struct {
	NameKey string    `json:"n"`
	ID      uuid.UUID `json:"i"`
}

// ListFilter selects users of one company for a store. Zero fields select
// everything.
type ListFilter struct {
	CompanyID    uuid.UUID
	Status       Status
	Role         Role
	Verification VerificationStatus
	// Search selects users whose NameKey or EmailKey contains it.
	Search string
	// After, when set, selects users strictly after this position.
	After *ListPosition
	// Limit is the maximum number of users to return; it is always
	// positive.
	Limit int
}

// Store keeps users, companies, verification tokens and column choices.
// Implementations must be safe for concurrent use, and all methods return
// a roster error of KindNotFound for a missing company or user, including
// one that belongs to another company.
type Store interface {
	// Company returns the company with its seat usage.
	Company(ctx context.Context, companyID uuid.UUID) (Company, error)
	// User returns a user of the company.
	User(ctx context.Context, companyID, userID uuid.UUID) (User, error)
	// UserByEmail returns the non-archived user of the company whose
	// EmailKey is emailKey.
	UserByEmail(ctx context.Context, companyID uuid.UUID, emailKey string) (User, error)
	// ListUsers returns up to f.Limit users of f.CompanyID that match f,
	// ordered by (NameKey, ID) with byte-wise string comparison.
	ListUsers(ctx context.Context, f ListFilter) ([]User, error)
	// HiddenColumns returns the columns the viewer hid, nil if none.
	HiddenColumns(ctx context.Context, companyID, viewerID uuid.UUID) ([]Column, error)
	// VerificationByHash returns the pending verification with this token
	// hash, in any company.
	VerificationByHash(ctx context.Context, tokenHash []byte) (Verification, error)
	// ClaimConversation adds one open conversation to an active user whose
	// open count is below the limit, atomically, and returns the user.
	// It returns a KindArchived error for an archived user and a
	// KindConversationLimitReached error at the limit.
	ClaimConversation(ctx context.Context, companyID, userID uuid.UUID) (User, error)
	// ReleaseConversation removes one open conversation, atomically, and
	// returns the user. It returns a KindNoOpenConversation error when the
	// count is 0. Archived users may release.
	ReleaseConversation(ctx context.Context, companyID, userID uuid.UUID) (User, error)
	// InTx runs fn in one transaction on the company's data. When fn
	// returns an error, nothing fn wrote is kept and InTx returns that
	// error. InTx never retries fn.
	InTx(ctx context.Context, companyID uuid.UUID, fn func(ctx context.Context, tx Tx) error) error
}

// Tx is a store transaction on one company's data. Its methods see the
// transaction's own writes.
type Tx interface {
	activity.Appender
	// LockCompany returns the company and holds its write lock until the
	// transaction ends, so that concurrent changes of the company's users
	// and seats run one after another.
	LockCompany(ctx context.Context) (Company, error)
	// InsertCompany creates the transaction's company.
	InsertCompany(ctx context.Context, c Company) error
	// User returns a user of the company.
	User(ctx context.Context, userID uuid.UUID) (User, error)
	// CountActiveAdmins returns the number of users for which
	// IsActiveAdmin is true.
	CountActiveAdmins(ctx context.Context) (int, error)
	// InsertUser adds u. It returns a KindEmailTaken error when another
	// non-archived user of the company has the same EmailKey.
	InsertUser(ctx context.Context, u User) error
	// UpdateUser stores every field of u except OpenConversations, which
	// only ClaimConversation and ReleaseConversation change.
	UpdateUser(ctx context.Context, u User) error
	// SetSeatsUsed stores the company's seats in use.
	SetSeatsUsed(ctx context.Context, used int) error
	// ReplaceVerification stores v and deletes the user's older ones.
	ReplaceVerification(ctx context.Context, v Verification) error
	// TakeVerification deletes and returns the verification with this
	// token hash, so that a token is used at most once.
	TakeVerification(ctx context.Context, tokenHash []byte) (Verification, error)
	// DeleteVerifications deletes every verification of the user.
	DeleteVerifications(ctx context.Context, userID uuid.UUID) error
	// SetHiddenColumns stores the columns the viewer hid.
	SetHiddenColumns(ctx context.Context, viewerID uuid.UUID, hidden []Column) error
}

package users

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/internal/cursor"
)

// DefaultTokenTTL is the lifetime of a verification token unless
// Options.TokenTTL sets another.
const DefaultTokenTTL = 72 * time.Hour

// Invitation is the message a Notifier delivers to an invitee.
type Invitation struct {
	User User
	// Token is the secret the invitee presents to Service.Verify. Roster
	// keeps only its hash.
	Token     string
	ExpiresAt time.Time
}

// Notifier delivers verification tokens, by email for example. Roster
// never sends mail itself.
type Notifier interface {
	NotifyVerification(ctx context.Context, inv Invitation) error
}

// NotifierFunc adapts a function to the Notifier interface.
type NotifierFunc func(ctx context.Context, inv Invitation) error

// NotifyVerification calls f.
func (f NotifierFunc) NotifyVerification(ctx context.Context, inv Invitation) error {
	return f(ctx, inv)
}

// Hooks are functions the host registers to act on committed changes, such
// as ending an archived user's sessions, revoking API tokens or
// reassigning open chats. Each runs after its change is committed, on the goroutine of
// the call that made the change, so it should return quickly. Nil hooks
// are skipped.
type Hooks struct {
	// Archived receives the archived user, whose OpenConversations counts
	// the chats still assigned.
	Archived func(ctx context.Context, u User)
	// Updated receives the user before and after an update that changed
	// at least one field.
	Updated func(ctx context.Context, before, after User)
	// Verified receives the user who just verified.
	Verified func(ctx context.Context, u User)
}

// Options configures a Service. The zero value is ready to use, but
// without a Notifier no invitee can receive a token.
type Options struct {
	// Notifier receives each verification token after the invite or
	// resend is committed. The default drops tokens.
	Notifier Notifier
	// Now returns the current time; the default is time.Now.
	Now func() time.Time
	// Logger receives notifier failures and other errors that a call does
	// not return; the default discards them.
	Logger *slog.Logger
	// TokenTTL is how long a verification token stays valid; the default
	// is DefaultTokenTTL.
	TokenTTL time.Duration
	// CursorKey seals page cursors. Hosts that run several processes
	// should give all of them the same secret key. The default is a fixed
	// key, which makes cursors tamper-evident but not unforgeable.
	CursorKey []byte
	// Hooks are called after committed changes.
	Hooks Hooks
}

// Service runs the users use cases on a Store.
type Service struct {
	store    Store
	notifier Notifier
	now      func() time.Time
	logger   *slog.Logger
	tokenTTL time.Duration
	cursors  *cursor.Codec
	hooks    Hooks
}

// NewService returns a Service on store. A nil opts means the defaults.
func NewService(store Store, opts *Options) *Service {
	if opts == nil {
		opts = &Options{}
	}
	s := &Service{
		store:    store,
		notifier: opts.Notifier,
		now:      opts.Now,
		logger:   opts.Logger,
		tokenTTL: opts.TokenTTL,
		cursors:  cursor.New(opts.CursorKey),
		hooks:    opts.Hooks,
	}
	if s.notifier == nil {
		s.notifier = NotifierFunc(func(context.Context, Invitation) error { return nil })
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = DefaultTokenTTL
	}
	return s
}

// timestamp returns the current time as stores keep it: UTC, microseconds.
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// authorizeAdmin checks inside tx that the actor is an active, verified
// admin of the company. A zero actor UserID is the host and passes.
func authorizeAdmin(ctx context.Context, tx Tx, actor activity.Actor) error {
	if actor.UserID == uuid.Nil {
		return nil
	}
	u, err := tx.User(ctx, actor.UserID)
	if err != nil {
		if roster.KindOf(err) == roster.KindNotFound {
			return roster.Errorf(roster.KindUnauthenticated, "The acting user %s does not exist in this company.", actor.UserID)
		}
		return err
	}
	if err := checkCanAct(u); err != nil {
		return err
	}
	if u.Role != RoleAdmin {
		return roster.Errorf(roster.KindForbidden, "Only admins may change the team.")
	}
	return nil
}

// checkCanAct returns the error for an actor who may not act at all.
func checkCanAct(u User) error {
	if u.Status == StatusArchived {
		return roster.Errorf(roster.KindUnauthenticated, "The acting user is archived and can no longer act.")
	}
	if u.Verification != Verified {
		return roster.Errorf(roster.KindForbidden, "The acting user has not verified the email address yet.")
	}
	return nil
}

// lockUser locks the company and returns one of its users, checking that
// the actor may change the team.
func lockUser(ctx context.Context, tx Tx, actor activity.Actor, userID uuid.UUID) (Company, User, error) {
	company, err := tx.LockCompany(ctx)
	if err != nil {
		return Company{}, User{}, err
	}
	if err := authorizeAdmin(ctx, tx, actor); err != nil {
		return Company{}, User{}, err
	}
	u, err := tx.User(ctx, userID)
	if err != nil {
		return Company{}, User{}, err
	}
	return company, u, nil
}

func notFoundUser(id uuid.UUID) error {
	return roster.Errorf(roster.KindNotFound, "User %s not found.", id)
}

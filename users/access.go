package users

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/internal/text"
)

// Authenticate returns the current record of a member that is about to
// act, so that a demotion or archive applies to the very next request. It
// returns a KindUnauthenticated error for an unknown or archived user and
// a KindForbidden error for one who has not verified yet.
func (s *Service) Authenticate(ctx context.Context, companyID, userID uuid.UUID) (User, error) {
	u, err := s.store.User(ctx, companyID, userID)
	if err != nil {
		if roster.KindOf(err) == roster.KindNotFound {
			return User{}, roster.Errorf(roster.KindUnauthenticated, "The credential names no user of this company.")
		}
		return User{}, err
	}
	if err := checkCanAct(u); err != nil {
		return User{}, err
	}
	return u, nil
}

// Login is the gate the host calls before it opens a session for the user
// actor.UserID. It logs a TypeLogin entry and returns the user, or logs a
// TypeLoginRejected entry and returns a KindNotVerified or KindArchived
// error. It returns a KindNotFound error, and logs nothing, for an unknown
// user.
func (s *Service) Login(ctx context.Context, actor activity.Actor) (User, error) {
	now := s.timestamp()
	var user User
	var rejected error
	err := s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		u, err := tx.User(ctx, actor.UserID)
		if err != nil {
			return err
		}
		user = u
		entry := activity.NewEntry(activity.TypeLogin, actor, u.ID, now, activity.Details{Email: u.Email})
		switch {
		case u.Status == StatusArchived:
			rejected = roster.Errorf(roster.KindArchived, "User %s is archived and can no longer log in.", u.ID)
			entry.Type, entry.Details.Reason = activity.TypeLoginRejected, activity.ReasonArchived
		case u.Verification != Verified:
			rejected = roster.Errorf(roster.KindNotVerified, "User %s has not verified the email address yet.", u.ID)
			entry.Type, entry.Details.Reason = activity.TypeLoginRejected, activity.ReasonNotVerified
		}
		return tx.AppendEntry(ctx, entry)
	})
	if err != nil {
		return User{}, err
	}
	if rejected != nil {
		return User{}, rejected
	}
	return user, nil
}

// MaxReasonLength bounds the reason of RecordRejectedLogin.
const MaxReasonLength = 64

// RecordRejectedLogin logs a TypeLoginRejected entry for a log in that the
// host rejected before asking the gate, such as a wrong password or an
// unknown email address. actor.UserID is the user the attempt named, or
// uuid.Nil when the email matched no user. email is the typed text, stored
// after text.Clean and cut to text.MaxEmailBytes. reason is a short
// machine-readable word such as activity.ReasonInvalidCredentials.
func (s *Service) RecordRejectedLogin(ctx context.Context, actor activity.Actor, email, reason string) error {
	if !validReason(reason) {
		return roster.Invalid(roster.FieldError{
			Field:   "reason",
			Message: fmt.Sprintf("must be 1 to %d lower-case letters, digits or underscores, such as %q", MaxReasonLength, activity.ReasonInvalidCredentials),
		})
	}
	email = text.Clean(strings.TrimSpace(email), text.MaxEmailBytes)
	now := s.timestamp()
	return s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		target := actor.UserID
		if target != uuid.Nil {
			if _, err := tx.User(ctx, target); err != nil {
				return err
			}
		}
		actor.UserID = target
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeLoginRejected, actor, target, now, activity.Details{
			Email:  email,
			Reason: reason,
		}))
	})
}

// Logout logs a TypeLogout entry for actor.UserID, which the host calls
// when it ends the user's session. It returns a KindNotFound error for an
// unknown user.
func (s *Service) Logout(ctx context.Context, actor activity.Actor) error {
	now := s.timestamp()
	return s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		u, err := tx.User(ctx, actor.UserID)
		if err != nil {
			return err
		}
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeLogout, actor, u.ID, now, activity.Details{Email: u.Email}))
	})
}

func validReason(reason string) bool {
	if reason == "" || len(reason) > MaxReasonLength {
		return false
	}
	for _, r := range reason {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

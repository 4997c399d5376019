package users

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/internal/text"
)

// Changes lists the fields of an update; nil fields stay as they are.
type Changes struct {
	Role                 *Role
	ConversationLimit    *int
	CanAccessPhoneCalls  *bool
	CanAccessAIAssistant *bool
	// IfVersion, when not 0, makes the update fail with a
	// KindPreconditionFailed error unless the user's Version equals it.
	IfVersion int64
}

func (c Changes) validate() error {
	var fields []roster.FieldError
	if c.Role != nil {
		if err := c.Role.Validate("role"); err != nil {
			fields = append(fields, err.(*roster.Error).Fields...)
		}
	}
	if c.ConversationLimit != nil {
		fields = appendField(fields, "conversation_limit", validateConversationLimit(*c.ConversationLimit))
	}
	if len(fields) > 0 {
		return roster.Invalid(fields...)
	}
	return nil
}

// apply returns u with c applied and the changed fields' old and new
// values.
func (c Changes) apply(u User) (User, []activity.Change) {
	var changes []activity.Change
	if c.Role != nil && *c.Role != u.Role {
		changes = append(changes, activity.NewChange("role", u.Role, *c.Role))
		u.Role = *c.Role
	}
	if c.ConversationLimit != nil && *c.ConversationLimit != u.ConversationLimit {
		changes = append(changes, activity.NewChange("conversation_limit", u.ConversationLimit, *c.ConversationLimit))
		u.ConversationLimit = *c.ConversationLimit
	}
	if c.CanAccessPhoneCalls != nil && *c.CanAccessPhoneCalls != u.CanAccessPhoneCalls {
		changes = append(changes, activity.NewChange("can_access_phone_calls", u.CanAccessPhoneCalls, *c.CanAccessPhoneCalls))
		u.CanAccessPhoneCalls = *c.CanAccessPhoneCalls
	}
	if c.CanAccessAIAssistant != nil && *c.CanAccessAIAssistant != u.CanAccessAIAssistant {
		changes = append(changes, activity.NewChange("can_access_ai_assistant", u.CanAccessAIAssistant, *c.CanAccessAIAssistant))
		u.CanAccessAIAssistant = *c.CanAccessAIAssistant
	}
	return u, changes
}

// Update changes a user's role, conversation limit and permissions, and
// logs one TypeUserUpdated entry that lists each changed field's old and
// new value, then calls Hooks.Updated. An update that changes nothing logs
// nothing. A limit below
// the user's open conversations is accepted: they stay open, and claims
// fail until the count drops below the limit.
//
// It returns a KindInvalid error naming invalid fields, a KindArchived
// error for an archived user, a KindLastAdmin error for a demotion of the
// company's only active admin, and a KindPreconditionFailed error when
// c.IfVersion is stale.
func (s *Service) Update(ctx context.Context, actor activity.Actor, userID uuid.UUID, c Changes) (User, error) {
	if err := c.validate(); err != nil {
		return User{}, err
	}
	now := s.timestamp()
	var before, updated User
	err := s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		_, u, err := lockUser(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		if err := checkWritable(u, c.IfVersion); err != nil {
			return err
		}
		before = u
		next, changes := c.apply(u)
		if len(changes) == 0 {
			updated = u
			return nil
		}
		if u.IsActiveAdmin() && !next.IsActiveAdmin() {
			if err := checkNotLastAdmin(ctx, tx); err != nil {
				return err
			}
		}
		next.Version++
		if err := tx.UpdateUser(ctx, next); err != nil {
			return err
		}
		updated = next
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeUserUpdated, actor, u.ID, now, activity.Details{
			Email:   u.Email,
			Changes: changes,
		}))
	})
	if err != nil {
		return User{}, err
	}
	if updated.Version != before.Version && s.hooks.Updated != nil {
		s.hooks.Updated(ctx, before, updated)
	}
	return updated, nil
}

// Archive archives a user for good after checking the confirmation the
// admin typed: after trimming and NFC normalisation it must equal the
// user's email address, compared case-insensitively, or the user's exact
// name. The user keeps its record and history, can never log in again and
// frees its seat at once. Open conversations stay counted until released,
// and the returned user's OpenConversations counts them. It
// logs a TypeUserArchived entry and then calls Hooks.Archived.
//
// It returns a KindConfirmationMismatch error for any other confirmation
// and a KindArchived error for a user archived already. It returns a
// KindLastAdmin error for the company's only active admin, and a
// KindPreconditionFailed error when ifVersion is not 0 and differs from
// the user's Version.
func (s *Service) Archive(ctx context.Context, actor activity.Actor, userID uuid.UUID, confirmation string, ifVersion int64) (User, error) {
	now := s.timestamp()
	var archived User
	err := s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		company, u, err := lockUser(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		if err := checkWritable(u, ifVersion); err != nil {
			return err
		}
		if !text.MatchesConfirmation(confirmation, u.EmailKey, u.Name) {
			return &roster.Error{
				Kind:    roster.KindConfirmationMismatch,
				Message: "The confirmation must be the user's exact email address or name.",
				Fields:  []roster.FieldError{{Field: "confirmation", Message: "type the user's email address or exact name"}},
			}
		}
		if u.IsActiveAdmin() {
			if err := checkNotLastAdmin(ctx, tx); err != nil {
				return err
			}
		}
		archived = archive(u, now)
		if err := tx.UpdateUser(ctx, archived); err != nil {
			return err
		}
		if err := tx.SetSeatsUsed(ctx, company.Seats.Used-1); err != nil {
			return err
		}
		if err := tx.DeleteVerifications(ctx, u.ID); err != nil {
			return err
		}
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeUserArchived, actor, u.ID, now, activity.Details{
			Email: u.Email,
			Name:  u.Name,
		}))
	})
	if err != nil {
		return User{}, err
	}
	if s.hooks.Archived != nil {
		s.hooks.Archived(ctx, archived)
	}
	return archived, nil
}

func archive(u User, now time.Time) User {
	u.Status = StatusArchived
	u.ArchivedAt = now
	u.Version++
	return u
}

func checkWritable(u User, ifVersion int64) error {
	if u.Status == StatusArchived {
		return roster.Errorf(roster.KindArchived, "User %s is archived and cannot be changed.", u.ID)
	}
	if ifVersion != 0 && ifVersion != u.Version {
		return roster.Errorf(roster.KindPreconditionFailed,
			"User %s changed since version %d; reload it and try again.", u.ID, ifVersion)
	}
	return nil
}

func checkNotLastAdmin(ctx context.Context, tx Tx) error {
	n, err := tx.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return roster.Errorf(roster.KindLastAdmin,
			"This is the company's last verified admin; make another user an admin first.")
	}
	return nil
}

package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/internal/text"
	"github.com/rosterkit/roster/seats"
)

// NewCompany describes a company to create with its first admin.
type NewCompany struct {
	Name      string
	SeatLimit int
	// AdminEmail and AdminName describe the first admin, whom the host
	// has verified already.
	AdminEmail string
	AdminName  string
}

// CreateCompany creates a company with its seat limit and its first admin,
// who is verified and may take phone calls and use the AI assistant, and
// logs a TypeCompanyCreated entry. Only actor's IP address, user agent and
// UserID (uuid.Nil for the host) are used.
func (s *Service) CreateCompany(ctx context.Context, nc NewCompany, actor activity.Actor) (Company, User, error) {
	name, nameErr := text.NormalizeName(nc.Name)
	email, emailKey, emailErr := text.NormalizeEmail(nc.AdminEmail)
	adminName, adminNameErr := text.NormalizeName(nc.AdminName)
	var fields []roster.FieldError
	fields = appendField(fields, "name", nameErr)
	fields = appendField(fields, "admin_email", emailErr)
	fields = appendField(fields, "admin_name", adminNameErr)
	if err := seats.ValidateLimit(nc.SeatLimit); err != nil {
		fields = append(fields, err.(*roster.Error).Fields...)
	}
	if len(fields) > 0 {
		return Company{}, User{}, roster.Invalid(fields...)
	}

	now := s.timestamp()
	company := Company{
		ID:        uuid.Must(uuid.NewV7()),
		Name:      name,
		Seats:     seats.Usage{Limit: nc.SeatLimit, Used: 1},
		CreatedAt: now,
	}
	admin := User{
		ID:                   uuid.Must(uuid.NewV7()),
		CompanyID:            company.ID,
		Email:                email,
		EmailKey:             emailKey,
		Name:                 adminName,
		NameKey:              text.Key(adminName),
		Role:                 RoleAdmin,
		Verification:         Verified,
		CanAccessPhoneCalls:  true,
		CanAccessAIAssistant: true,
		ConversationLimit:    DefaultConversationLimit,
		Status:               StatusActive,
		InvitedAt:            now,
		VerifiedAt:           now,
		Version:              1,
	}
	actor.CompanyID = company.ID
	entry := activity.NewEntry(activity.TypeCompanyCreated, actor, admin.ID, now, activity.Details{
		Email: admin.Email,
		Name:  company.Name,
	})
	err := s.store.InTx(ctx, company.ID, func(ctx context.Context, tx Tx) error {
		if err := tx.InsertCompany(ctx, company); err != nil {
			return err
		}
		if err := tx.InsertUser(ctx, admin); err != nil {
			return err
		}
		return tx.AppendEntry(ctx, entry)
	})
	if err != nil {
		return Company{}, User{}, err
	}
	return company, admin, nil
}

// Invite describes a user to invite.
type Invite struct {
	Email             string
	Name              string
	Role              Role
	ConversationLimit int
	// CanAccessPhoneCalls and CanAccessAIAssistant grant the two
	// permissions.
	CanAccessPhoneCalls  bool
	CanAccessAIAssistant bool
}

func (in Invite) normalize() (Invite, string, error) {
	email, key, emailErr := text.NormalizeEmail(in.Email)
	name, nameErr := text.NormalizeName(in.Name)
	var fields []roster.FieldError
	fields = appendField(fields, "email", emailErr)
	fields = appendField(fields, "name", nameErr)
	if err := in.Role.Validate("role"); err != nil {
		fields = append(fields, err.(*roster.Error).Fields...)
	}
	fields = appendField(fields, "conversation_limit", validateConversationLimit(in.ConversationLimit))
	if len(fields) > 0 {
		return Invite{}, "", roster.Invalid(fields...)
	}
	in.Email, in.Name = email, name
	return in, key, nil
}

// Invite adds a not yet verified user to actor's company in a free seat,
// logs a TypeUserInvited entry and hands a verification token to the
// Notifier. The actor must be an admin, or uuid.Nil for the host.
//
// It returns a KindInvalid error naming the invalid fields, a
// KindNoSeatAvailable error when every seat is in use, and a
// KindEmailTaken error when a non-archived user has the address. A
// notifier failure is logged, not returned, because the user exists by
// then; ResendVerification sends a new token.
func (s *Service) Invite(ctx context.Context, actor activity.Actor, in Invite) (User, error) {
	in, emailKey, err := in.normalize()
	if err != nil {
		return User{}, err
	}
	token, hash := newToken()
	now := s.timestamp()
	user := User{
		ID:                   uuid.Must(uuid.NewV7()),
		CompanyID:            actor.CompanyID,
		Email:                in.Email,
		EmailKey:             emailKey,
		Name:                 in.Name,
		NameKey:              text.Key(in.Name),
		Role:                 in.Role,
		Verification:         NotVerified,
		CanAccessPhoneCalls:  in.CanAccessPhoneCalls,
		CanAccessAIAssistant: in.CanAccessAIAssistant,
		ConversationLimit:    in.ConversationLimit,
		Status:               StatusActive,
		InvitedAt:            now,
		Version:              1,
	}
	v := Verification{CompanyID: actor.CompanyID, UserID: user.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(s.tokenTTL)}
	err = s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		company, err := tx.LockCompany(ctx)
		if err != nil {
			return err
		}
		if err := authorizeAdmin(ctx, tx, actor); err != nil {
			return err
		}
		if err := company.Seats.CheckAvailable(); err != nil {
			return err
		}
		if err := tx.InsertUser(ctx, user); err != nil {
			return err
		}
		if err := tx.SetSeatsUsed(ctx, company.Seats.Used+1); err != nil {
			return err
		}
		if err := tx.ReplaceVerification(ctx, v); err != nil {
			return err
		}
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeUserInvited, actor, user.ID, now, activity.Details{
			Email: user.Email,
			Name:  user.Name,
			Role:  string(user.Role),
		}))
	})
	if err != nil {
		return User{}, err
	}
	s.notify(ctx, Invitation{User: user, Token: token, ExpiresAt: v.ExpiresAt})
	return user, nil
}

// ResendVerification replaces the pending token of a not yet verified user
// with a new one, which invalidates the old token, logs a
// TypeVerificationResent entry and hands the new token to the Notifier.
// It returns a KindArchived or KindAlreadyVerified error for users that
// cannot verify.
func (s *Service) ResendVerification(ctx context.Context, actor activity.Actor, userID uuid.UUID) (User, error) {
	token, hash := newToken()
	now := s.timestamp()
	var user User
	err := s.store.InTx(ctx, actor.CompanyID, func(ctx context.Context, tx Tx) error {
		_, u, err := lockUser(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		if err := checkCanVerify(u); err != nil {
			return err
		}
		user = u
		v := Verification{CompanyID: u.CompanyID, UserID: u.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(s.tokenTTL)}
		if err := tx.ReplaceVerification(ctx, v); err != nil {
			return err
		}
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeVerificationResent, actor, u.ID, now, activity.Details{Email: u.Email}))
	})
	if err != nil {
		return User{}, err
	}
	s.notify(ctx, Invitation{User: user, Token: token, ExpiresAt: now.Add(s.tokenTTL)})
	return user, nil
}

func checkCanVerify(u User) error {
	if u.Status == StatusArchived {
		return roster.Errorf(roster.KindArchived, "User %s is archived and cannot verify.", u.ID)
	}
	if u.Verification == Verified {
		return roster.Errorf(roster.KindAlreadyVerified, "User %s is verified already.", u.ID)
	}
	return nil
}

// MaxTokenLength bounds the verification tokens Verify reads; issued
// tokens are 43 characters.
const MaxTokenLength = 128

// Verify confirms the email address of the user the token was issued to,
// consuming the token, logs a TypeUserVerified entry with the user as the
// actor and calls Hooks.Verified. The verification takes no seat: the invite took it. meta
// supplies the IP address and user agent.
//
// It returns a KindNotFound error for an unknown or used token, a
// KindTokenExpired error for an expired one, and a KindArchived error when
// the user was archived meanwhile.
func (s *Service) Verify(ctx context.Context, token string, meta activity.Actor) (User, error) {
	if token == "" || len(token) > MaxTokenLength {
		return User{}, errUnknownToken()
	}
	hash := hashToken(token)
	pending, err := s.store.VerificationByHash(ctx, hash)
	if err != nil {
		if roster.KindOf(err) == roster.KindNotFound {
			return User{}, errUnknownToken()
		}
		return User{}, err
	}
	now := s.timestamp()
	var user User
	err = s.store.InTx(ctx, pending.CompanyID, func(ctx context.Context, tx Tx) error {
		if _, err := tx.LockCompany(ctx); err != nil {
			return err
		}
		v, err := tx.TakeVerification(ctx, hash)
		if err != nil {
			if roster.KindOf(err) == roster.KindNotFound {
				return errUnknownToken()
			}
			return err
		}
		// Stores look tokens up by hash; the constant-time comparison
		// keeps a store that matches loosely from accepting another token.
		if subtle.ConstantTimeCompare(v.TokenHash, hash) != 1 {
			return errUnknownToken()
		}
		if !now.Before(v.ExpiresAt) {
			return roster.Errorf(roster.KindTokenExpired, "The verification token expired at %s; ask an admin to resend it.", v.ExpiresAt.Format("2006-01-02T15:04:05Z07:00"))
		}
		u, err := tx.User(ctx, v.UserID)
		if err != nil {
			return err
		}
		if err := checkCanVerify(u); err != nil {
			return err
		}
		u.Verification, u.VerifiedAt, u.Version = Verified, now, u.Version+1
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteVerifications(ctx, u.ID); err != nil {
			return err
		}
		actor := activity.Actor{CompanyID: u.CompanyID, UserID: u.ID, IP: meta.IP, UserAgent: meta.UserAgent}
		user = u
		return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeUserVerified, actor, u.ID, now, activity.Details{Email: u.Email}))
	})
	if err != nil {
		return User{}, err
	}
	if s.hooks.Verified != nil {
		s.hooks.Verified(ctx, user)
	}
	return user, nil
}

func errUnknownToken() error {
	return roster.Errorf(roster.KindNotFound, "The verification token is unknown or was used already.")
}

func (s *Service) notify(ctx context.Context, inv Invitation) {
	if err := s.notifier.NotifyVerification(ctx, inv); err != nil {
		s.logger.ErrorContext(ctx, "verification token not delivered; resend it",
			"company_id", inv.User.CompanyID, "user_id", inv.User.ID, "err", err)
	}
}

// newToken returns a verification token of 256 random bits and its hash.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func validateConversationLimit(n int) error {
	if n < 0 || n > MaxConversationLimit {
		return fmt.Errorf("must be between 0 and %d, got %d", MaxConversationLimit, n)
	}
	return nil
}

func appendField(fields []roster.FieldError, name string, err error) []roster.FieldError {
	if err == nil {
		return fields
	}
	return append(fields, roster.FieldError{Field: name, Message: err.Error()})
}

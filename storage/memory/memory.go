// Package memory is a Roster store that keeps everything in process
// memory. It is safe for concurrent use and is meant for unit tests,
// examples and single-process hosts that need no durability: its data is
// gone when the process exits.
//
// Each company has its own lock. A transaction holds its company's lock
// for its whole run and stages its writes, which are applied only when the
// transaction's function returns nil.
package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// Store is an in-memory Roster store. The zero value is not usable; call
// New.
type Store struct {
	mu        sync.RWMutex
	companies map[uuid.UUID]*company
	// tokens maps a verification token hash to its company.
	tokens map[string]uuid.UUID
}

var (
	_ users.Store     = (*Store)(nil)
	_ seats.Store     = (*Store)(nil)
	_ activity.Store  = (*Store)(nil)
	_ activity.Syncer = (*Store)(nil)
	_ users.Tx        = (*tx)(nil)
)

// New returns an empty Store.
func New() *Store {
	return &Store{
		companies: make(map[uuid.UUID]*company),
		tokens:    make(map[string]uuid.UUID),
	}
}

// company is one company's data. Its lock guards every field.
type company struct {
	mu      sync.RWMutex
	exists  bool
	info    users.Company
	users   map[uuid.UUID]users.User
	active  map[string]uuid.UUID // EmailKey of non-archived users
	pending map[uuid.UUID]users.Verification
	hidden  map[uuid.UUID][]users.Column
	log     entryLog
}

func newCompany() *company {
	return &company{
		users:   make(map[uuid.UUID]users.User),
		active:  make(map[string]uuid.UUID),
		pending: make(map[uuid.UUID]users.Verification),
		hidden:  make(map[uuid.UUID][]users.Column),
	}
}

// lookup returns the company with this id, or nil.
func (s *Store) lookup(id uuid.UUID) *company {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.companies[id]
}

// read runs fn with the company's read lock, or returns a not-found error.
func (s *Store) read(ctx context.Context, companyID uuid.UUID, fn func(c *company) error) error {
	if err := ctx.Err(); err != nil {
		return roster.Unavailable(err)
	}
	c := s.lookup(companyID)
	if c == nil {
		return errCompanyNotFound(companyID)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.exists {
		return errCompanyNotFound(companyID)
	}
	return fn(c)
}

// write runs fn with the company's write lock, or returns a not-found
// error.
func (s *Store) write(ctx context.Context, companyID uuid.UUID, fn func(c *company) error) error {
	if err := ctx.Err(); err != nil {
		return roster.Unavailable(err)
	}
	c := s.lookup(companyID)
	if c == nil {
		return errCompanyNotFound(companyID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.exists {
		return errCompanyNotFound(companyID)
	}
	return fn(c)
}

func errCompanyNotFound(id uuid.UUID) error {
	return roster.Errorf(roster.KindNotFound, "Company %s not found.", id)
}

func errUserNotFound(id uuid.UUID) error {
	return roster.Errorf(roster.KindNotFound, "User %s not found.", id)
}

// Company returns the company with its seat usage.
func (s *Store) Company(ctx context.Context, companyID uuid.UUID) (users.Company, error) {
	var out users.Company
	err := s.read(ctx, companyID, func(c *company) error {
		out = c.info
		return nil
	})
	return out, err
}

// SeatUsage returns the company's seat usage.
func (s *Store) SeatUsage(ctx context.Context, companyID uuid.UUID) (seats.Usage, error) {
	c, err := s.Company(ctx, companyID)
	return c.Seats, err
}

// ChangeSeatLimit stores the limit that decide returns, with its entry.
func (s *Store) ChangeSeatLimit(ctx context.Context, companyID uuid.UUID,
	decide func(seats.Usage) (int, activity.Entry, error)) (seats.Usage, error) {
	var out seats.Usage
	err := s.write(ctx, companyID, func(c *company) error {
		limit, entry, err := decide(c.info.Seats)
		if err != nil {
			return err
		}
		if entry.ID != uuid.Nil {
			c.info.Seats.Limit = limit
			c.log.append(cloneEntry(entry))
		}
		out = c.info.Seats
		return nil
	})
	return out, err
}

// User returns a user of the company.
func (s *Store) User(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	var out users.User
	err := s.read(ctx, companyID, func(c *company) error {
		u, ok := c.users[userID]
		if !ok {
			return errUserNotFound(userID)
		}
		out = u
		return nil
	})
	return out, err
}

// UserByEmail returns the non-archived user with this email key.
func (s *Store) UserByEmail(ctx context.Context, companyID uuid.UUID, emailKey string) (users.User, error) {
	var out users.User
	err := s.read(ctx, companyID, func(c *company) error {
		id, ok := c.active[emailKey]
		if !ok {
			return roster.Errorf(roster.KindNotFound, "No active user has the email address %q.", emailKey)
		}
		out = c.users[id]
		return nil
	})
	return out, err
}

// HiddenColumns returns the columns the viewer hid.
func (s *Store) HiddenColumns(ctx context.Context, companyID, viewerID uuid.UUID) ([]users.Column, error) {
	var out []users.Column
	err := s.read(ctx, companyID, func(c *company) error {
		if _, ok := c.users[viewerID]; !ok {
			return errUserNotFound(viewerID)
		}
		out = slices.Clone(c.hidden[viewerID])
		return nil
	})
	return out, err
}

// VerificationByHash returns the pending verification with this token
// hash.
func (s *Store) VerificationByHash(ctx context.Context, tokenHash []byte) (users.Verification, error) {
	if err := ctx.Err(); err != nil {
		return users.Verification{}, roster.Unavailable(err)
	}
	s.mu.RLock()
	companyID, ok := s.tokens[string(tokenHash)]
	s.mu.RUnlock()
	if !ok {
		return users.Verification{}, errTokenNotFound()
	}
	var out users.Verification
	err := s.read(ctx, companyID, func(c *company) error {
		v, ok := findVerification(c.pending, tokenHash)
		if !ok {
			return errTokenNotFound()
		}
		out = v
		return nil
	})
	return out, err
}

func findVerification(pending map[uuid.UUID]users.Verification, hash []byte) (users.Verification, bool) {
	for _, v := range pending {
		if string(v.TokenHash) == string(hash) {
			return cloneVerification(v), true
		}
	}
	return users.Verification{}, false
}

func errTokenNotFound() error {
	return roster.Errorf(roster.KindNotFound, "Verification token not found.")
}

// ClaimConversation adds one open conversation below the user's limit.
func (s *Store) ClaimConversation(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	return s.changeOpen(ctx, companyID, userID, func(u users.User) (int, error) {
		switch {
		case u.Status == users.StatusArchived:
			return 0, roster.Errorf(roster.KindArchived, "User %s is archived and takes no conversations.", u.ID)
		case u.OpenConversations >= u.ConversationLimit:
			return 0, roster.Errorf(roster.KindConversationLimitReached,
				"User %s has %d open conversations, the limit is %d.", u.ID, u.OpenConversations, u.ConversationLimit)
		}
		return u.OpenConversations + 1, nil
	})
}

// ReleaseConversation removes one open conversation.
func (s *Store) ReleaseConversation(ctx context.Context, companyID, userID uuid.UUID) (users.User, error) {
	return s.changeOpen(ctx, companyID, userID, func(u users.User) (int, error) {
		if u.OpenConversations <= 0 {
			return 0, roster.Errorf(roster.KindNoOpenConversation, "User %s has no open conversation.", u.ID)
		}
		return u.OpenConversations - 1, nil
	})
}

func (s *Store) changeOpen(ctx context.Context, companyID, userID uuid.UUID, next func(users.User) (int, error)) (users.User, error) {
	var out users.User
	err := s.write(ctx, companyID, func(c *company) error {
		u, ok := c.users[userID]
		if !ok {
			return errUserNotFound(userID)
		}
		n, err := next(u)
		if err != nil {
			return err
		}
		u.OpenConversations = n
		c.users[userID] = u
		out = u
		return nil
	})
	return out, err
}

func cloneVerification(v users.Verification) users.Verification {
	v.TokenHash = slices.Clone(v.TokenHash)
	return v
}

func cloneEntry(e activity.Entry) activity.Entry {
	if e.Details.Changes != nil {
		changes := make([]activity.Change, len(e.Details.Changes))
		for i, ch := range e.Details.Changes {
			changes[i] = activity.Change{Field: ch.Field, Old: slices.Clone(ch.Old), New: slices.Clone(ch.New)}
		}
		e.Details.Changes = changes
	}
	return e
}

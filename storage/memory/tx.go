package memory

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// tx stages the writes of one transaction. Reads see the staged writes
// over the company's committed data; commit applies them.
type tx struct {
	c         *company
	companyID uuid.UUID

	info    *users.Company
	users   map[uuid.UUID]users.User
	pending map[uuid.UUID]*users.Verification // nil deletes the user's pending verification
	hidden  map[uuid.UUID][]users.Column
	entries []activity.Entry
}

// InTx runs fn with the company's write lock held and applies its writes
// when it returns nil.
func (s *Store) InTx(ctx context.Context, companyID uuid.UUID, fn func(ctx context.Context, tx users.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return roster.Unavailable(err)
	}
	// A transaction on a company that does not exist yet works on a
	// private one, which commit registers if the transaction created it.
	c := s.lookup(companyID)
	registered := c != nil
	if !registered {
		c = newCompany()
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	t := &tx{
		c:         c,
		companyID: companyID,
		users:     make(map[uuid.UUID]users.User),
		pending:   make(map[uuid.UUID]*users.Verification),
		hidden:    make(map[uuid.UUID][]users.Column),
	}
	if err := fn(ctx, t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return roster.Unavailable(err)
	}

	if !registered {
		if t.info == nil {
			return nil
		}
		if err := s.register(companyID, c); err != nil {
			return err
		}
	}
	s.commit(t)
	return nil
}

// register adds a company that a transaction created.
func (s *Store) register(id uuid.UUID, c *company) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.companies[id]; ok {
		return roster.Errorf(roster.KindInvalid, "Company %s exists already.", id)
	}
	s.companies[id] = c
	return nil
}

// commit applies t's writes; the caller holds the company's write lock.
func (s *Store) commit(t *tx) {
	c := t.c
	if t.info != nil {
		c.info = *t.info
		c.exists = true
	}
	for id, u := range t.users {
		if old, ok := c.users[id]; ok && old.Status == users.StatusActive {
			delete(c.active, old.EmailKey)
		}
		// Claims do not run while the lock is held, so the committed
		// open count is current.
		if old, ok := c.users[id]; ok {
			u.OpenConversations = old.OpenConversations
		}
		c.users[id] = u
		if u.Status == users.StatusActive {
			c.active[u.EmailKey] = id
		}
	}
	for viewer, hidden := range t.hidden {
		c.hidden[viewer] = hidden
	}
	for _, e := range t.entries {
		c.log.append(e)
	}
	if len(t.pending) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for userID, v := range t.pending {
		if old, ok := c.pending[userID]; ok {
			delete(s.tokens, string(old.TokenHash))
			delete(c.pending, userID)
		}
		if v != nil {
			c.pending[userID] = *v
			s.tokens[string(v.TokenHash)] = t.companyID
		}
	}
}

func (t *tx) exists() bool { return t.info != nil || t.c.exists }

func (t *tx) company() (users.Company, error) {
	if t.info != nil {
		return *t.info, nil
	}
	if !t.c.exists {
		return users.Company{}, errCompanyNotFound(t.companyID)
	}
	return t.c.info, nil
}

// LockCompany returns the company; InTx holds its lock already.
func (t *tx) LockCompany(ctx context.Context) (users.Company, error) {
	return t.company()
}

// InsertCompany creates the transaction's company.
func (t *tx) InsertCompany(ctx context.Context, c users.Company) error {
	if t.exists() {
		return roster.Errorf(roster.KindInvalid, "Company %s exists already.", c.ID)
	}
	if c.ID != t.companyID {
		return roster.Errorf(roster.KindInvalid, "Company %s is not the transaction's company %s.", c.ID, t.companyID)
	}
	t.info = &c
	return nil
}

func (t *tx) user(id uuid.UUID) (users.User, bool) {
	if u, ok := t.users[id]; ok {
		return u, true
	}
	u, ok := t.c.users[id]
	return u, ok
}

// User returns a user of the company.
func (t *tx) User(ctx context.Context, userID uuid.UUID) (users.User, error) {
	if !t.exists() {
		return users.User{}, errCompanyNotFound(t.companyID)
	}
	u, ok := t.user(userID)
	if !ok {
		return users.User{}, errUserNotFound(userID)
	}
	return u, nil
}

// CountActiveAdmins counts the verified, non-archived admins.
func (t *tx) CountActiveAdmins(ctx context.Context) (int, error) {
	n := 0
	for id, u := range t.c.users {
		if staged, ok := t.users[id]; ok {
			u = staged
		}
		if u.IsActiveAdmin() {
			n++
		}
	}
	for id, u := range t.users {
		if _, ok := t.c.users[id]; !ok && u.IsActiveAdmin() {
			n++
		}
	}
	return n, nil
}

// emailOwner returns the non-archived user with this email key.
func (t *tx) emailOwner(key string) (uuid.UUID, bool) {
	for id, u := range t.users {
		if u.Status == users.StatusActive && u.EmailKey == key {
			return id, true
		}
	}
	id, ok := t.c.active[key]
	if !ok {
		return uuid.Nil, false
	}
	if staged, changed := t.users[id]; changed && (staged.Status != users.StatusActive || staged.EmailKey != key) {
		return uuid.Nil, false
	}
	return id, true
}

// InsertUser adds u, unless its email address is taken.
func (t *tx) InsertUser(ctx context.Context, u users.User) error {
	if !t.exists() {
		return errCompanyNotFound(t.companyID)
	}
	if _, ok := t.user(u.ID); ok {
		return roster.Errorf(roster.KindInvalid, "User %s exists already.", u.ID)
	}
	if u.Status == users.StatusActive {
		if _, taken := t.emailOwner(u.EmailKey); taken {
			return roster.Errorf(roster.KindEmailTaken, "Another user of this company has the email address %s.", u.Email)
		}
	}
	u.OpenConversations = 0
	t.users[u.ID] = u
	return nil
}

// UpdateUser stores u, keeping the committed open count.
func (t *tx) UpdateUser(ctx context.Context, u users.User) error {
	old, ok := t.user(u.ID)
	if !ok {
		return errUserNotFound(u.ID)
	}
	if u.Status == users.StatusActive && (old.Status != users.StatusActive || old.EmailKey != u.EmailKey) {
		if owner, taken := t.emailOwner(u.EmailKey); taken && owner != u.ID {
			return roster.Errorf(roster.KindEmailTaken, "Another user of this company has the email address %s.", u.Email)
		}
	}
	u.OpenConversations = old.OpenConversations
	t.users[u.ID] = u
	return nil
}

// SetSeatsUsed stores the seats in use.
func (t *tx) SetSeatsUsed(ctx context.Context, used int) error {
	c, err := t.company()
	if err != nil {
		return err
	}
	if used < 0 || used > c.Seats.Limit {
		return roster.Errorf(roster.KindNoSeatAvailable, "Seats in use %d would be outside 0 to %d.", used, c.Seats.Limit)
	}
	c.Seats.Used = used
	t.info = &c
	return nil
}

// ReplaceVerification stores v in place of the user's older one.
func (t *tx) ReplaceVerification(ctx context.Context, v users.Verification) error {
	if _, ok := t.user(v.UserID); !ok {
		return errUserNotFound(v.UserID)
	}
	v = cloneVerification(v)
	t.pending[v.UserID] = &v
	return nil
}

// TakeVerification deletes and returns the verification with this hash.
func (t *tx) TakeVerification(ctx context.Context, tokenHash []byte) (users.Verification, error) {
	for userID, v := range t.pending {
		if v != nil && string(v.TokenHash) == string(tokenHash) {
			t.pending[userID] = nil
			return cloneVerification(*v), nil
		}
	}
	v, ok := findVerification(t.c.pending, tokenHash)
	if !ok {
		return users.Verification{}, errTokenNotFound()
	}
	if _, staged := t.pending[v.UserID]; staged {
		return users.Verification{}, errTokenNotFound()
	}
	t.pending[v.UserID] = nil
	return v, nil
}

// DeleteVerifications deletes the user's pending verification.
func (t *tx) DeleteVerifications(ctx context.Context, userID uuid.UUID) error {
	t.pending[userID] = nil
	return nil
}

// SetHiddenColumns stores the viewer's hidden columns.
func (t *tx) SetHiddenColumns(ctx context.Context, viewerID uuid.UUID, hidden []users.Column) error {
	if _, ok := t.user(viewerID); !ok {
		return errUserNotFound(viewerID)
	}
	t.hidden[viewerID] = slices.Clone(hidden)
	return nil
}

// AppendEntry stages e for the log.
func (t *tx) AppendEntry(ctx context.Context, e activity.Entry) error {
	if !t.exists() {
		return errCompanyNotFound(t.companyID)
	}
	if e.CompanyID != t.companyID {
		return roster.Errorf(roster.KindInvalid, "Entry of company %s in a transaction of company %s.", e.CompanyID, t.companyID)
	}
	t.entries = append(t.entries, cloneEntry(e))
	return nil
}

package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// newMember returns a user of companyID that is not yet stored, as the
// users service would build it for an invite. The email and name must be
// lowercase ASCII, because they double as their own keys.
func (e *env) newMember(companyID uuid.UUID, email, name string) users.User {
	return users.User{
		ID:                uuid.Must(uuid.NewV7()),
		CompanyID:         companyID,
		Email:             email,
		EmailKey:          email,
		Name:              name,
		NameKey:           name,
		Role:              users.RoleUser,
		Verification:      users.NotVerified,
		ConversationLimit: users.DefaultConversationLimit,
		Status:            users.StatusActive,
		InvitedAt:         e.clock.Stamp(),
		Version:           1,
	}
}

// The subtests here call the store's transactions directly. Most service
// calls validate before their first write, so only a direct call can check
// that every kind of write is rolled back.
func (s suite) testTransactions(t *testing.T) {
	s.run(t, "Rollback", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		member := e.newMember(company.ID, "temp@acme.test", "temp")
		hash := hashOf("rollback token")
		failure := errors.New("fail after the writes")
		entriesBefore := e.countByType(company.ID)

		var seenUser users.User
		var seenUserErr, seenAdminsErr error
		var seenAdmins int
		err := e.store.InTx(e.ctx, company.ID, func(ctx context.Context, tx users.Tx) error {
			locked, err := tx.LockCompany(ctx)
			if err != nil {
				return err
			}
			demoted := admin
			demoted.Role, demoted.Version = users.RoleUser, admin.Version+1
			steps := []func() error{
				func() error { return tx.InsertUser(ctx, member) },
				func() error { return tx.SetSeatsUsed(ctx, locked.Seats.Used+1) },
				func() error {
					return tx.ReplaceVerification(ctx, users.Verification{
						CompanyID: company.ID, UserID: member.ID, TokenHash: hash,
						CreatedAt: e.clock.Stamp(), ExpiresAt: e.clock.Stamp().Add(testTokenTTL),
					})
				},
				func() error {
					return tx.AppendEntry(ctx, activity.NewEntry(activity.TypeUserInvited,
						hostActor(company.ID), member.ID, e.clock.Stamp(), activity.Details{Email: member.Email}))
				},
				func() error { return tx.SetHiddenColumns(ctx, admin.ID, []users.Column{users.ColumnRole}) },
				func() error { return tx.UpdateUser(ctx, demoted) },
			}
			for _, step := range steps {
				if err := step(); err != nil {
					return err
				}
			}
			seenUser, seenUserErr = tx.User(ctx, member.ID)
			seenAdmins, seenAdminsErr = tx.CountActiveAdmins(ctx)
			return failure
		})
		require.ErrorIs(t, err, failure, "InTx must return fn's error")

		assert.NoError(t, seenUserErr, "the transaction reads its own insert")
		assert.Equal(t, member.ID, seenUser.ID)
		assert.NoError(t, seenAdminsErr)
		assert.Zero(t, seenAdmins, "the transaction counts admins after its own update")

		_, err = e.users.User(e.ctx, company.ID, member.ID)
		assert.ErrorIs(t, err, roster.ErrNotFound, "the inserted user")
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID))
		_, err = e.store.VerificationByHash(e.ctx, hash)
		assert.ErrorIs(t, err, roster.ErrNotFound, "the stored verification")
		assert.Equal(t, entriesBefore, e.countByType(company.ID))
		columns, err := e.users.Columns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, allVisible(), columns)
		got := e.user(company.ID, admin.ID)
		assert.Equal(t, users.RoleAdmin, got.Role)
		assert.Equal(t, admin.Version, got.Version)
	})

	s.run(t, "EmailTakenInTx", func(t *testing.T, e *env) {
		company, _ := e.createCompany(5)
		first := e.newMember(company.ID, "temp@acme.test", "first")
		second := e.newMember(company.ID, "temp@acme.test", "second")

		err := e.store.InTx(e.ctx, company.ID, func(ctx context.Context, tx users.Tx) error {
			if err := tx.InsertUser(ctx, first); err != nil {
				return err
			}
			return tx.InsertUser(ctx, second)
		})
		assert.ErrorIs(t, err, roster.ErrEmailTaken)
		_, err = e.users.User(e.ctx, company.ID, first.ID)
		assert.ErrorIs(t, err, roster.ErrNotFound, "the first insert is rolled back")
	})

	s.run(t, "UpdateKeepsOpenCount", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		require.NoError(t, err)

		err = e.store.InTx(e.ctx, company.ID, func(ctx context.Context, tx users.Tx) error {
			u, err := tx.User(ctx, agent.ID)
			if err != nil {
				return err
			}
			u.OpenConversations = 7
			u.ConversationLimit = 9
			u.Version++
			return tx.UpdateUser(ctx, u)
		})
		require.NoError(t, err)

		got := e.user(company.ID, agent.ID)
		assert.Equal(t, 1, got.OpenConversations, "UpdateUser must not store OpenConversations")
		assert.Equal(t, 9, got.ConversationLimit)
		assert.Equal(t, agent.Version+1, got.Version)
	})

	s.run(t, "UnknownCompany", func(t *testing.T, e *env) {
		e.createCompany(5)
		err := e.store.InTx(e.ctx, uuid.New(), func(ctx context.Context, tx users.Tx) error {
			_, err := tx.LockCompany(ctx)
			return err
		})
		assert.ErrorIs(t, err, roster.ErrNotFound)
	})

	s.run(t, "CanceledContext", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		before := e.countByType(company.ID)
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()

		_, err := e.users.Invite(ctx, actorOf(admin), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, roster.KindUnavailable, roster.KindOf(err), "a cancelled call is unavailable, not internal")
		_, err = e.users.UserByEmail(e.ctx, company.ID, "bob@acme.test")
		assert.ErrorIs(t, err, roster.ErrNotFound)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID))
		assert.Equal(t, before, e.countByType(company.ID))

		// The canceled call must not leave the company locked.
		e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 2}, e.usage(company.ID))
	})

	s.run(t, "ReturnsCopies", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		_, token := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		_, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), 6)
		require.NoError(t, err)

		v, err := e.store.VerificationByHash(e.ctx, hashOf(token))
		require.NoError(t, err)
		clear(v.TokenHash)
		_, err = e.store.VerificationByHash(e.ctx, hashOf(token))
		assert.NoError(t, err, "changing a returned token hash must not change the store")

		entry := e.entriesOfType(company.ID, activity.TypeSeatLimitChanged)[0]
		require.Len(t, entry.Details.Changes, 1)
		clear(entry.Details.Changes[0].New)
		entry.Details.Changes[0].Field = "changed"
		again := e.entriesOfType(company.ID, activity.TypeSeatLimitChanged)[0]
		assertChange(t, changesByField(again), "seat_limit", `5`, `6`)

		_, err = e.users.SetColumns(e.ctx, actorOf(admin), users.ColumnVisibility{users.ColumnRole: false})
		require.NoError(t, err)
		hidden, err := e.store.HiddenColumns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		require.Equal(t, []users.Column{users.ColumnRole}, hidden)
		hidden[0] = users.ColumnConversationLimit
		hidden, err = e.store.HiddenColumns(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, []users.Column{users.ColumnRole}, hidden)
	})
}

package storagetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

func (s suite) testSeats(t *testing.T) {
	s.run(t, "SetLimit", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()

		usage, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), 7)
		require.NoError(t, err)
		assert.Equal(t, seats.Usage{Limit: 7, Used: 1}, usage)
		assert.Equal(t, seats.Usage{Limit: 7, Used: 1}, e.usage(company.ID))
		stored, err := e.users.Company(e.ctx, company.ID)
		require.NoError(t, err)
		assert.Equal(t, seats.Usage{Limit: 7, Used: 1}, stored.Seats)

		changes := e.entriesOfType(company.ID, activity.TypeSeatLimitChanged)
		require.Len(t, changes, 1)
		entry := changes[0]
		assert.Equal(t, uuid.Nil, entry.UserID)
		assert.Equal(t, uuid.Nil, entry.TargetUserID)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		require.Len(t, entry.Details.Changes, 1)
		assertChange(t, changesByField(entry), "seat_limit", `3`, `7`)

		e.clock.Advance(time.Minute)
		_, err = e.seats.SetLimit(e.ctx, actorOf(admin), 4)
		require.NoError(t, err)
		changes = e.entriesOfType(company.ID, activity.TypeSeatLimitChanged)
		require.Len(t, changes, 2)
		assert.Equal(t, admin.ID, changes[0].UserID)
		assertChange(t, changesByField(changes[0]), "seat_limit", `7`, `4`)
	})

	s.run(t, "SameLimit", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		usage, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), 3)
		require.NoError(t, err)
		assert.Equal(t, seats.Usage{Limit: 3, Used: 1}, usage)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeSeatLimitChanged))
	})

	s.run(t, "BelowUsage", func(t *testing.T, e *env) {
		company, admin := e.createCompany(4)
		e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		e.invite(actorOf(admin), "carla@acme.test", "Carla", users.RoleUser)

		_, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), 2)
		assert.ErrorIs(t, err, roster.ErrSeatLimitBelowUsage)
		assert.Equal(t, seats.Usage{Limit: 4, Used: 3}, e.usage(company.ID))
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeSeatLimitChanged))

		usage, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), 3)
		require.NoError(t, err, "a limit equal to the seats in use")
		assert.Equal(t, seats.Usage{Limit: 3, Used: 3}, usage)
		_, err = e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email: "dan@acme.test", Name: "Dan", Role: users.RoleUser, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, roster.ErrNoSeatAvailable)
	})

	s.run(t, "OutOfRange", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		for _, limit := range []int{0, -1, seats.MaxLimit + 1} {
			_, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), limit)
			assertFields(t, err, "seat_limit")
		}
		assert.Equal(t, seats.Usage{Limit: 3, Used: 1}, e.usage(company.ID))
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeSeatLimitChanged))

		usage, err := e.seats.SetLimit(e.ctx, hostActor(company.ID), seats.MaxLimit)
		require.NoError(t, err, "the maximum limit")
		assert.Equal(t, seats.MaxLimit, usage.Limit)
	})

	s.run(t, "RaiseAllowsInvite", func(t *testing.T, e *env) {
		company, admin := e.createCompany(1)
		_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 8,
		})
		require.ErrorIs(t, err, roster.ErrNoSeatAvailable)

		_, err = e.seats.SetLimit(e.ctx, hostActor(company.ID), 2)
		require.NoError(t, err)
		e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		assert.Equal(t, seats.Usage{Limit: 2, Used: 2}, e.usage(company.ID))
	})
}

func (s suite) testConversations(t *testing.T) {
	s.run(t, "ClaimUpToLimit", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent, _ := e.inviteWith(actorOf(admin), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 3,
		})
		before := e.countByType(company.ID)

		for want := 1; want <= 3; want++ {
			u, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err, "claim %d", want)
			assert.Equal(t, want, u.OpenConversations)
		}
		_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrConversationLimitReached)

		got := e.user(company.ID, agent.ID)
		assert.Equal(t, 3, got.OpenConversations)
		assert.Equal(t, agent.Version, got.Version, "claims do not change the version")
		assert.Equal(t, before, e.countByType(company.ID), "claims log nothing")
	})

	s.run(t, "ReleaseToZero", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		for range 3 {
			_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err)
		}
		before := e.countByType(company.ID)

		for want := 2; want >= 0; want-- {
			u, err := e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err, "release down to %d", want)
			assert.Equal(t, want, u.OpenConversations)
		}
		_, err := e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrNoOpenConversation)

		assert.Zero(t, e.user(company.ID, agent.ID).OpenConversations)
		assert.Equal(t, before, e.countByType(company.ID), "releases log nothing")
	})

	s.run(t, "ArchivedUser", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		for range 2 {
			_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err)
		}
		e.archive(agent)
		assert.Equal(t, 2, e.user(company.ID, agent.ID).OpenConversations, "archiving keeps open conversations")

		_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrArchived)
		u, err := e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
		require.NoError(t, err, "an archived user may release")
		assert.Equal(t, 1, u.OpenConversations)
		u, err = e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
		require.NoError(t, err)
		assert.Zero(t, u.OpenConversations)
		_, err = e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrNoOpenConversation)
	})

	s.run(t, "ZeroLimit", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent, _ := e.inviteWith(actorOf(admin), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 0,
		})

		_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrConversationLimitReached)
		assert.Zero(t, e.user(company.ID, agent.ID).OpenConversations)
	})

	s.run(t, "UpdateKeepsCount", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		for range 2 {
			_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err)
		}

		_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{CanAccessPhoneCalls: ptr(true)})
		require.NoError(t, err)
		assert.Equal(t, 2, e.user(company.ID, agent.ID).OpenConversations)
	})

	s.run(t, "UnknownUser", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		_, err := e.users.ClaimConversation(e.ctx, company.ID, uuid.New())
		assert.ErrorIs(t, err, roster.ErrNotFound)
		_, err = e.users.ReleaseConversation(e.ctx, company.ID, uuid.New())
		assert.ErrorIs(t, err, roster.ErrNotFound)
	})
}

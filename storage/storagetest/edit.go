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

func (s suite) testUpdate(t *testing.T) {
	s.run(t, "AppliesChanges", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()

		updated, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{
			Role:                 ptr(users.RoleAdmin),
			ConversationLimit:    ptr(3),
			CanAccessPhoneCalls:  ptr(true),
			CanAccessAIAssistant: ptr(true),
		})
		require.NoError(t, err)
		assert.Equal(t, users.RoleAdmin, updated.Role)
		assert.Equal(t, 3, updated.ConversationLimit)
		assert.True(t, updated.CanAccessPhoneCalls)
		assert.True(t, updated.CanAccessAIAssistant)
		assert.Equal(t, agent.Version+1, updated.Version)

		got := e.user(company.ID, agent.ID)
		assert.Equal(t, users.RoleAdmin, got.Role)
		assert.Equal(t, 3, got.ConversationLimit)
		assert.True(t, got.CanAccessPhoneCalls)
		assert.True(t, got.CanAccessAIAssistant)
		assert.Equal(t, agent.Version+1, got.Version)
		assert.Equal(t, users.Verified, got.Verification)
		assert.Equal(t, "bob@acme.test", got.Email)
		assert.Equal(t, users.StatusActive, got.Status)

		entry := e.onlyEntry(company.ID, activity.TypeUserUpdated, agent.ID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, "bob@acme.test", entry.Details.Email)
		changes := changesByField(entry)
		assert.Len(t, entry.Details.Changes, 4)
		assertChange(t, changes, "role", `"user"`, `"admin"`)
		assertChange(t, changes, "conversation_limit", `8`, `3`)
		assertChange(t, changes, "can_access_phone_calls", `false`, `true`)
		assertChange(t, changes, "can_access_ai_assistant", `false`, `true`)
	})

	s.run(t, "OnlyChangedFields", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)

		_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{
			Role:              ptr(users.RoleUser),
			ConversationLimit: ptr(5),
		})
		require.NoError(t, err)
		entry := e.onlyEntry(company.ID, activity.TypeUserUpdated, agent.ID)
		require.Len(t, entry.Details.Changes, 1)
		assertChange(t, changesByField(entry), "conversation_limit", `8`, `5`)

		e.clock.Advance(time.Second)
		_, err = e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{CanAccessAIAssistant: ptr(true)})
		require.NoError(t, err)
		e.clock.Advance(time.Second)
		_, err = e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{CanAccessAIAssistant: ptr(false)})
		require.NoError(t, err)

		updates := e.entriesOfType(company.ID, activity.TypeUserUpdated)
		require.Len(t, updates, 3)
		require.Len(t, updates[0].Details.Changes, 1)
		assertChange(t, changesByField(updates[0]), "can_access_ai_assistant", `true`, `false`)
		require.Len(t, updates[1].Details.Changes, 1)
		assertChange(t, changesByField(updates[1]), "can_access_ai_assistant", `false`, `true`)
		assert.False(t, e.user(company.ID, agent.ID).CanAccessAIAssistant)
	})

	s.run(t, "NoOp", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		before := e.countByType(company.ID)

		same, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{
			Role:                 ptr(users.RoleUser),
			ConversationLimit:    ptr(users.DefaultConversationLimit),
			CanAccessPhoneCalls:  ptr(false),
			CanAccessAIAssistant: ptr(false),
		})
		require.NoError(t, err)
		assert.Equal(t, agent.Version, same.Version)
		_, err = e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{})
		require.NoError(t, err)

		assert.Equal(t, agent.Version, e.user(company.ID, agent.ID).Version)
		assert.Equal(t, before, e.countByType(company.ID))
	})

	s.run(t, "InvalidInput", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		cases := []struct {
			name    string
			changes users.Changes
			fields  []string
		}{
			{"RoleUnknown", users.Changes{Role: ptr(users.Role("owner"))}, []string{"role"}},
			{"RoleEmpty", users.Changes{Role: ptr(users.Role(""))}, []string{"role"}},
			{"LimitNegative", users.Changes{ConversationLimit: ptr(-1)}, []string{"conversation_limit"}},
			{"LimitTooHigh", users.Changes{ConversationLimit: ptr(users.MaxConversationLimit + 1)}, []string{"conversation_limit"}},
			{"Both", users.Changes{Role: ptr(users.Role("x")), ConversationLimit: ptr(1000)}, []string{"role", "conversation_limit"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, tc.changes)
				assertFields(t, err, tc.fields...)
			})
		}

		got := e.user(company.ID, agent.ID)
		assert.Equal(t, users.RoleUser, got.Role)
		assert.Equal(t, users.DefaultConversationLimit, got.ConversationLimit)
		assert.Equal(t, agent.Version, got.Version)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserUpdated))

		_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(users.MaxConversationLimit)})
		assert.NoError(t, err, "the maximum limit")
		_, err = e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(0)})
		assert.NoError(t, err, "a zero limit")
	})

	s.run(t, "LimitBelowOpen", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		for range 3 {
			_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err)
		}

		updated, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(2)})
		require.NoError(t, err)
		assert.Equal(t, 2, updated.ConversationLimit)
		assert.Equal(t, 3, e.user(company.ID, agent.ID).OpenConversations, "open conversations stay open")

		_, err = e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrConversationLimitReached, "claim at 3 open with a limit of 2")
		u, err := e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, u.OpenConversations)
		_, err = e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		assert.ErrorIs(t, err, roster.ErrConversationLimitReached, "claim at 2 open with a limit of 2")
		u, err = e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, u.OpenConversations)
		u, err = e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
		require.NoError(t, err, "claim at 1 open with a limit of 2")
		assert.Equal(t, 2, u.OpenConversations)
		assert.Equal(t, 2, e.user(company.ID, agent.ID).OpenConversations)
	})

	s.run(t, "Archived", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.archive(e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser))

		_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(2)})
		assert.ErrorIs(t, err, roster.ErrArchived)
		got := e.user(company.ID, agent.ID)
		assert.Equal(t, users.DefaultConversationLimit, got.ConversationLimit)
		assert.Equal(t, agent.Version, got.Version)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserUpdated))
	})

	s.run(t, "StaleVersion", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		require.Equal(t, int64(2), agent.Version)

		_, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(2), IfVersion: 1})
		assert.ErrorIs(t, err, roster.ErrPreconditionFailed)
		assert.Equal(t, users.DefaultConversationLimit, e.user(company.ID, agent.ID).ConversationLimit)

		updated, err := e.users.Update(e.ctx, actorOf(admin), agent.ID, users.Changes{ConversationLimit: ptr(2), IfVersion: 2})
		require.NoError(t, err)
		assert.Equal(t, int64(3), updated.Version)

		_, err = e.users.Archive(e.ctx, actorOf(admin), agent.ID, agent.Email, 2)
		assert.ErrorIs(t, err, roster.ErrPreconditionFailed, "archive with a stale version")
		assert.Equal(t, users.StatusActive, e.user(company.ID, agent.ID).Status)
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserUpdated), 1)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserArchived))

		_, err = e.users.Archive(e.ctx, actorOf(admin), agent.ID, agent.Email, 3)
		require.NoError(t, err, "archive with the current version")
	})

	s.run(t, "LastAdmin", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)

		_, err := e.users.Update(e.ctx, actorOf(admin), admin.ID, users.Changes{Role: ptr(users.RoleUser)})
		assert.ErrorIs(t, err, roster.ErrLastAdmin, "demote the only admin")

		// An admin who has not verified does not count.
		carla, token := e.invite(actorOf(admin), "carla@acme.test", "Carla", users.RoleAdmin)
		_, err = e.users.Update(e.ctx, hostActor(company.ID), admin.ID, users.Changes{Role: ptr(users.RoleUser)})
		assert.ErrorIs(t, err, roster.ErrLastAdmin, "demote the only verified admin")
		assert.Equal(t, users.RoleAdmin, e.user(company.ID, admin.ID).Role)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserUpdated))

		// Other fields of the last admin may change.
		_, err = e.users.Update(e.ctx, actorOf(admin), admin.ID, users.Changes{ConversationLimit: ptr(4)})
		require.NoError(t, err)

		e.verify(token)
		_, err = e.users.Update(e.ctx, actorOf(admin), admin.ID, users.Changes{Role: ptr(users.RoleUser)})
		require.NoError(t, err, "demote one of two verified admins")
		_, err = e.users.Update(e.ctx, hostActor(company.ID), carla.ID, users.Changes{Role: ptr(users.RoleUser)})
		assert.ErrorIs(t, err, roster.ErrLastAdmin, "demote the remaining admin")
		assert.Equal(t, users.RoleAdmin, e.user(company.ID, carla.ID).Role)
	})

	s.run(t, "DemotionAppliesAtOnce", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		second := e.inviteVerified(actorOf(admin), "carla@acme.test", "Carla", users.RoleAdmin)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)

		_, err := e.users.Update(e.ctx, actorOf(admin), second.ID, users.Changes{Role: ptr(users.RoleUser)})
		require.NoError(t, err)

		_, err = e.users.Invite(e.ctx, actorOf(second), users.Invite{
			Email: "dan@acme.test", Name: "Dan", Role: users.RoleUser, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, roster.ErrForbidden, "invite by a demoted admin")
		_, err = e.users.Update(e.ctx, actorOf(second), agent.ID, users.Changes{ConversationLimit: ptr(1)})
		assert.ErrorIs(t, err, roster.ErrForbidden, "update by a demoted admin")
		assert.Equal(t, users.DefaultConversationLimit, e.user(company.ID, agent.ID).ConversationLimit)
	})

	s.run(t, "UnknownUser", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		_, err := e.users.Update(e.ctx, actorOf(admin), uuid.New(), users.Changes{ConversationLimit: ptr(2)})
		assert.ErrorIs(t, err, roster.ErrNotFound)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserUpdated))
	})
}

func (s suite) testArchive(t *testing.T) {
	s.run(t, "ConfirmationMismatch", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		mia, _ := e.invite(actorOf(admin), "Mia.Stone@Example.com", "Mia Stone", users.RoleUser)
		e.invite(actorOf(admin), "noah.reed@example.com", "Noah Reed", users.RoleUser)
		usage := e.usage(company.ID)

		for _, typed := range []string{
			"Mia.Stone",
			"Example.com",
			"Mia.Stone@Example.co",
			"Mia.Stone@Example.com.",
			"noah.reed@example.com",
			"Noah Reed",
			"",
			"   ",
			"mia stone",
			"MIA STONE",
			"Mia",
			"MiaStone",
			"Mia  Stone",
		} {
			_, err := e.users.Archive(e.ctx, actorOf(admin), mia.ID, typed, 0)
			assert.ErrorIs(t, err, roster.ErrConfirmationMismatch, "confirmation %q", typed)
		}

		got := e.user(company.ID, mia.ID)
		assert.Equal(t, users.StatusActive, got.Status)
		assert.True(t, got.ArchivedAt.IsZero(), "ArchivedAt is %s", got.ArchivedAt)
		assert.Equal(t, mia.Version, got.Version)
		assert.Equal(t, usage, e.usage(company.ID))
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserArchived))
	})

	s.run(t, "ByEmail", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		mia, _ := e.invite(actorOf(admin), "Mia.Stone@Example.com", "Mia Stone", users.RoleUser)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()

		archived, err := e.users.Archive(e.ctx, actorOf(admin), mia.ID, "  mia.stone@EXAMPLE.COM \t", 0)
		require.NoError(t, err)
		assert.Equal(t, users.StatusArchived, archived.Status)

		got := e.user(company.ID, mia.ID)
		assert.Equal(t, users.StatusArchived, got.Status)
		assertSameTime(t, now, got.ArchivedAt, "ArchivedAt")
		assert.Equal(t, mia.Version+1, got.Version)
		assert.Equal(t, "Mia.Stone@Example.com", got.Email, "archiving keeps the record")
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID), "archiving frees the seat")

		entry := e.onlyEntry(company.ID, activity.TypeUserArchived, mia.ID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, clientIP, entry.IP)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, "Mia.Stone@Example.com", entry.Details.Email)
		assert.Equal(t, "Mia Stone", entry.Details.Name)
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserInvited), 1, "history stays")
	})

	s.run(t, "ByName", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		mia, _ := e.invite(actorOf(admin), "mia@example.com", "Mia Stone", users.RoleUser)
		jose, _ := e.invite(actorOf(admin), "jose@example.com", "Jos\u00e9 Ruiz", users.RoleUser)

		_, err := e.users.Archive(e.ctx, actorOf(admin), mia.ID, " Mia Stone ", 0)
		require.NoError(t, err, "exact name")
		_, err = e.users.Archive(e.ctx, actorOf(admin), jose.ID, "Jose\u0301 Ruiz", 0)
		require.NoError(t, err, "exact name in decomposed form")

		assert.Equal(t, users.StatusArchived, e.user(company.ID, mia.ID).Status)
		assert.Equal(t, users.StatusArchived, e.user(company.ID, jose.ID).Status)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID))
	})

	s.run(t, "Reinvite", func(t *testing.T, e *env) {
		company, admin := e.createCompany(2)
		mia, _ := e.invite(actorOf(admin), "Mia.Stone@Example.com", "Mia Stone", users.RoleUser)
		_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email: "noah@example.com", Name: "Noah", Role: users.RoleUser, ConversationLimit: 8,
		})
		require.ErrorIs(t, err, roster.ErrNoSeatAvailable, "the company is full")

		e.archive(mia)
		assert.Equal(t, seats.Usage{Limit: 2, Used: 1}, e.usage(company.ID), "archiving frees the seat at once")

		again, _ := e.invite(actorOf(admin), "mia.stone@example.com", "Mia Stone", users.RoleUser)
		assert.NotEqual(t, mia.ID, again.ID)
		assert.Equal(t, seats.Usage{Limit: 2, Used: 2}, e.usage(company.ID))

		old := e.user(company.ID, mia.ID)
		assert.Equal(t, users.StatusArchived, old.Status)
		assert.Equal(t, "Mia.Stone@Example.com", old.Email)
		fresh := e.user(company.ID, again.ID)
		assert.Equal(t, users.StatusActive, fresh.Status)
		assert.Equal(t, users.NotVerified, fresh.Verification)

		byEmail, err := e.users.UserByEmail(e.ctx, company.ID, "MIA.STONE@example.com")
		require.NoError(t, err)
		assert.Equal(t, again.ID, byEmail.ID)
		assert.Equal(t, []uuid.UUID{mia.ID}, userIDs(e.listAll(company.ID, users.ListQuery{Status: users.StatusArchived})))

		_, err = e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email: "noah@example.com", Name: "Noah", Role: users.RoleUser, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, roster.ErrNoSeatAvailable, "the new user took the freed seat")
	})

	s.run(t, "LoginRejected", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		mia := e.archive(e.inviteVerified(actorOf(admin), "mia@example.com", "Mia Stone", users.RoleUser))
		e.clock.Advance(time.Minute)

		_, err := e.users.Login(e.ctx, actorOf(mia))
		assert.ErrorIs(t, err, roster.ErrArchived)
		entry := e.onlyEntry(company.ID, activity.TypeLoginRejected, mia.ID)
		assert.Equal(t, mia.ID, entry.UserID)
		assert.Equal(t, activity.ReasonArchived, entry.Details.Reason)
		assert.Equal(t, clientIP, entry.IP)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeLogin))

		_, err = e.users.Authenticate(e.ctx, company.ID, mia.ID)
		assert.ErrorIs(t, err, roster.ErrUnauthenticated)
	})

	s.run(t, "LastAdmin", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		_, err := e.users.Archive(e.ctx, hostActor(company.ID), admin.ID, admin.Email, 0)
		assert.ErrorIs(t, err, roster.ErrLastAdmin)

		got := e.user(company.ID, admin.ID)
		assert.Equal(t, users.StatusActive, got.Status)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID))
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserArchived))

		second := e.inviteVerified(actorOf(admin), "carla@acme.test", "Carla", users.RoleAdmin)
		_, err = e.users.Archive(e.ctx, actorOf(second), admin.ID, admin.Email, 0)
		require.NoError(t, err, "archive one of two verified admins")
		_, err = e.users.Archive(e.ctx, hostActor(company.ID), second.ID, second.Email, 0)
		assert.ErrorIs(t, err, roster.ErrLastAdmin, "archive the remaining admin")
	})

	s.run(t, "AlreadyArchived", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		mia := e.archive(e.inviteVerified(actorOf(admin), "mia@example.com", "Mia Stone", users.RoleUser))

		_, err := e.users.Archive(e.ctx, actorOf(admin), mia.ID, mia.Email, 0)
		assert.ErrorIs(t, err, roster.ErrArchived)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID), "a second archive frees no seat")
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserArchived), 1)
	})

	s.run(t, "Forbidden", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		mia, _ := e.invite(actorOf(admin), "mia@example.com", "Mia Stone", users.RoleUser)

		_, err := e.users.Archive(e.ctx, actorOf(agent), mia.ID, mia.Email, 0)
		assert.ErrorIs(t, err, roster.ErrForbidden)
		assert.Equal(t, users.StatusActive, e.user(company.ID, mia.ID).Status)
		_, err = e.users.Archive(e.ctx, actorOf(admin), uuid.New(), mia.Email, 0)
		assert.ErrorIs(t, err, roster.ErrNotFound)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserArchived))
	})
}

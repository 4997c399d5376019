package storagetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

func (s suite) testLogin(t *testing.T) {
	s.run(t, "Verified", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()
		actor := activity.Actor{CompanyID: company.ID, UserID: admin.ID, IP: clientIPv6, UserAgent: clientAgent}

		u, err := e.users.Login(e.ctx, actor)
		require.NoError(t, err)
		assert.Equal(t, admin.ID, u.ID)

		entry := e.onlyEntry(company.ID, activity.TypeLogin, admin.ID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, clientIPv6, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, admin.Email, entry.Details.Email)
		assert.Empty(t, entry.Details.Reason)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeLoginRejected))
	})

	s.run(t, "IPv4", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		_, err := e.users.Login(e.ctx, actorOf(admin))
		require.NoError(t, err)

		entry := e.onlyEntry(company.ID, activity.TypeLogin, admin.ID)
		assert.Equal(t, clientIP, entry.IP)
		assert.True(t, entry.IP.Is4(), "IP %s is not an IPv4 address", entry.IP)
	})

	s.run(t, "NotVerified", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		invitee, _ := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)

		_, err := e.users.Login(e.ctx, actorOf(invitee))
		assert.ErrorIs(t, err, roster.ErrNotVerified)

		entry := e.onlyEntry(company.ID, activity.TypeLoginRejected, invitee.ID)
		assert.Equal(t, invitee.ID, entry.UserID)
		assert.Equal(t, activity.ReasonNotVerified, entry.Details.Reason)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assert.Equal(t, "bob@acme.test", entry.Details.Email)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeLogin))
	})

	s.run(t, "RecordRejected", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()

		err := e.users.RecordRejectedLogin(e.ctx, hostActor(company.ID), "  ghost@example.com ", activity.ReasonInvalidCredentials)
		require.NoError(t, err)
		rejected := e.entriesOfType(company.ID, activity.TypeLoginRejected)
		require.Len(t, rejected, 1)
		entry := rejected[0]
		assert.Equal(t, uuid.Nil, entry.UserID)
		assert.Equal(t, uuid.Nil, entry.TargetUserID)
		assert.Equal(t, clientIP, entry.IP)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, "ghost@example.com", entry.Details.Email)
		assert.Equal(t, activity.ReasonInvalidCredentials, entry.Details.Reason)

		e.clock.Advance(time.Second)
		err = e.users.RecordRejectedLogin(e.ctx, actorOf(admin), admin.Email, "too_many_attempts")
		require.NoError(t, err)
		entry = e.onlyEntry(company.ID, activity.TypeLoginRejected, admin.ID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, "too_many_attempts", entry.Details.Reason)
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeLogin))
	})

	s.run(t, "RecordRejectedInvalid", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		before := e.countByType(company.ID)

		err := e.users.RecordRejectedLogin(e.ctx, hostActor(company.ID), "ghost@example.com", "")
		assertFields(t, err, "reason")
		err = e.users.RecordRejectedLogin(e.ctx, hostActor(company.ID), "ghost@example.com",
			strings.Repeat("x", users.MaxReasonLength+1))
		assertFields(t, err, "reason")
		err = e.users.RecordRejectedLogin(e.ctx, activity.Actor{CompanyID: company.ID, UserID: uuid.New()},
			"ghost@example.com", activity.ReasonInvalidCredentials)
		assert.ErrorIs(t, err, roster.ErrNotFound, "an unknown user id")

		assert.Equal(t, before, e.countByType(company.ID))
	})

	s.run(t, "Logout", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		_, err := e.users.Login(e.ctx, actorOf(admin))
		require.NoError(t, err)
		e.clock.Advance(time.Hour)
		now := e.clock.Stamp()

		require.NoError(t, e.users.Logout(e.ctx, actorOf(admin)))
		entry := e.onlyEntry(company.ID, activity.TypeLogout, admin.ID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeLoginRejected))
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeLogin), 1)

		err = e.users.Logout(e.ctx, activity.Actor{CompanyID: company.ID, UserID: uuid.New()})
		assert.ErrorIs(t, err, roster.ErrNotFound, "log out an unknown user")
	})

	s.run(t, "UnknownUser", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		before := e.countByType(company.ID)

		_, err := e.users.Login(e.ctx, activity.Actor{CompanyID: company.ID, UserID: uuid.New(), IP: clientIP})
		assert.ErrorIs(t, err, roster.ErrNotFound)
		assert.Equal(t, before, e.countByType(company.ID))
	})

	s.run(t, "Authenticate", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		pending, _ := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		former := e.archive(e.inviteVerified(actorOf(admin), "carla@acme.test", "Carla", users.RoleUser))

		u, err := e.users.Authenticate(e.ctx, company.ID, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, admin.ID, u.ID)
		_, err = e.users.Authenticate(e.ctx, company.ID, pending.ID)
		assert.ErrorIs(t, err, roster.ErrForbidden, "a user who has not verified")
		_, err = e.users.Authenticate(e.ctx, company.ID, former.ID)
		assert.ErrorIs(t, err, roster.ErrUnauthenticated, "an archived user")
		_, err = e.users.Authenticate(e.ctx, company.ID, uuid.New())
		assert.ErrorIs(t, err, roster.ErrUnauthenticated, "an unknown user")
	})
}

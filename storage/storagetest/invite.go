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

func (s suite) testInvite(t *testing.T) {
	s.run(t, "TakesSeat", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()

		u, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email:                " Bob.Stone@Acme.test ",
			Name:                 " Bob Stone ",
			Role:                 users.RoleUser,
			ConversationLimit:    5,
			CanAccessPhoneCalls:  true,
			CanAccessAIAssistant: false,
		})
		require.NoError(t, err)
		assert.Equal(t, seats.Usage{Limit: 3, Used: 2}, e.usage(company.ID))

		got := e.user(company.ID, u.ID)
		assert.Equal(t, company.ID, got.CompanyID)
		assert.Equal(t, "Bob.Stone@Acme.test", got.Email)
		assert.Equal(t, "bob.stone@acme.test", got.EmailKey)
		assert.Equal(t, "Bob Stone", got.Name)
		assert.Equal(t, "bob stone", got.NameKey)
		assert.Equal(t, users.RoleUser, got.Role)
		assert.Equal(t, users.NotVerified, got.Verification)
		assert.True(t, got.CanAccessPhoneCalls)
		assert.False(t, got.CanAccessAIAssistant)
		assert.Equal(t, 5, got.ConversationLimit)
		assert.Zero(t, got.OpenConversations)
		assert.Equal(t, users.StatusActive, got.Status)
		assertSameTime(t, now, got.InvitedAt, "InvitedAt")
		assert.True(t, got.VerifiedAt.IsZero(), "VerifiedAt is %s", got.VerifiedAt)
		assert.True(t, got.ArchivedAt.IsZero(), "ArchivedAt is %s", got.ArchivedAt)
		assert.Equal(t, int64(1), got.Version)

		byEmail, err := e.users.UserByEmail(e.ctx, company.ID, "BOB.STONE@acme.TEST ")
		require.NoError(t, err)
		assert.Equal(t, u.ID, byEmail.ID)
	})

	s.run(t, "Entry", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		e.clock.Advance(time.Minute)
		now := e.clock.Stamp()
		// The name has characters that SQL and JSON must escape.
		name := `Bob "Builder" O'Neil \ Zoë 🚀`
		u, _ := e.invite(actorOf(admin), "bob@acme.test", name, users.RoleAdmin)

		entry := e.onlyEntry(company.ID, activity.TypeUserInvited, u.ID)
		assert.Equal(t, company.ID, entry.CompanyID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, u.ID, entry.TargetUserID)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, "bob@acme.test", entry.Details.Email)
		assert.Equal(t, name, entry.Details.Name)
		assert.Equal(t, "admin", entry.Details.Role)
		assert.Equal(t, name, e.user(company.ID, u.ID).Name)
	})

	s.run(t, "TokenHashed", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		now := e.clock.Stamp()
		u, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 8,
		})
		require.NoError(t, err)

		sent := e.inbox.All()
		require.Len(t, sent, 1)
		inv := sent[0]
		assert.Equal(t, u.ID, inv.User.ID)
		assert.Equal(t, "bob@acme.test", inv.User.Email)
		assert.NotEmpty(t, inv.Token)
		assertSameTime(t, now.Add(testTokenTTL), inv.ExpiresAt, "ExpiresAt")

		v, err := e.store.VerificationByHash(e.ctx, hashOf(inv.Token))
		require.NoError(t, err)
		assert.Equal(t, company.ID, v.CompanyID)
		assert.Equal(t, u.ID, v.UserID)
		assert.Equal(t, hashOf(inv.Token), v.TokenHash)
		assert.NotEqual(t, []byte(inv.Token), v.TokenHash)
		assertSameTime(t, now, v.CreatedAt, "CreatedAt")
		assertSameTime(t, now.Add(testTokenTTL), v.ExpiresAt, "ExpiresAt")

		_, err = e.store.VerificationByHash(e.ctx, []byte(inv.Token))
		assert.ErrorIs(t, err, roster.ErrNotFound, "lookup by the raw token")
	})

	s.run(t, "NoSeatAvailable", func(t *testing.T, e *env) {
		company, admin := e.createCompany(2)
		e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		before := e.countByType(company.ID)

		_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
			Email: "carla@acme.test", Name: "Carla", Role: users.RoleUser, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, roster.ErrNoSeatAvailable)

		assert.Equal(t, seats.Usage{Limit: 2, Used: 2}, e.usage(company.ID))
		_, err = e.users.UserByEmail(e.ctx, company.ID, "carla@acme.test")
		assert.ErrorIs(t, err, roster.ErrNotFound)
		assert.Len(t, e.listAll(company.ID, users.ListQuery{}), 2)
		assert.Equal(t, before, e.countByType(company.ID))
		assert.Equal(t, 1, e.inbox.Count())
	})

	s.run(t, "EmailTaken", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		ana, _ := e.invite(actorOf(admin), "  Ana@Example.com ", "Ana", users.RoleUser)
		assert.Equal(t, "Ana@Example.com", ana.Email)
		e.invite(actorOf(admin), "jos\u00e9@example.com", "José", users.RoleUser)
		usage := e.usage(company.ID)
		before := e.countByType(company.ID)

		for _, email := range []string{
			"ana@example.com",
			"ANA@EXAMPLE.COM",
			"\tana@example.COM\n",
			"ADA@acme.test",
			"jose\u0301@example.com",
		} {
			_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
				Email: email, Name: "Someone Else", Role: users.RoleUser, ConversationLimit: 8,
			})
			assert.ErrorIs(t, err, roster.ErrEmailTaken, "invite %q", email)
		}

		assert.Equal(t, usage, e.usage(company.ID))
		assert.Len(t, e.listAll(company.ID, users.ListQuery{}), 3)
		assert.Equal(t, before, e.countByType(company.ID))
		assert.Equal(t, 2, e.inbox.Count())
	})

	s.run(t, "InvalidInput", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		valid := users.Invite{Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 8}
		cases := []struct {
			name   string
			edit   func(*users.Invite)
			fields []string
		}{
			{"EmailMissingAt", func(in *users.Invite) { in.Email = "bob.acme.test" }, []string{"email"}},
			{"EmailEmpty", func(in *users.Invite) { in.Email = "   " }, []string{"email"}},
			{"EmailInnerSpace", func(in *users.Invite) { in.Email = "bob stone@acme.test" }, []string{"email"}},
			{"EmailZeroWidth", func(in *users.Invite) { in.Email = "bob\u200b@acme.test" }, []string{"email"}},
			{"EmailMixedScripts", func(in *users.Invite) { in.Email = "b\u043eb@acme.test" }, []string{"email"}},
			{"EmailDisplayName", func(in *users.Invite) { in.Email = "Bob <bob@acme.test>" }, []string{"email"}},
			{"NameEmpty", func(in *users.Invite) { in.Name = " " }, []string{"name"}},
			{"NameControl", func(in *users.Invite) { in.Name = "Bob\x00" }, []string{"name"}},
			{"RoleUnknown", func(in *users.Invite) { in.Role = "owner" }, []string{"role"}},
			{"RoleEmpty", func(in *users.Invite) { in.Role = "" }, []string{"role"}},
			{"LimitNegative", func(in *users.Invite) { in.ConversationLimit = -1 }, []string{"conversation_limit"}},
			{"LimitTooHigh", func(in *users.Invite) {
				in.ConversationLimit = users.MaxConversationLimit + 1
			}, []string{"conversation_limit"}},
			{"AllFields", func(in *users.Invite) {
				*in = users.Invite{Email: "x", Name: "", Role: "root", ConversationLimit: -5}
			}, []string{"email", "name", "role", "conversation_limit"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := valid
				tc.edit(&in)
				u, err := e.users.Invite(e.ctx, actorOf(admin), in)
				assertFields(t, err, tc.fields...)
				assert.Equal(t, uuid.Nil, u.ID)
			})
		}

		assert.Equal(t, seats.Usage{Limit: 10, Used: 1}, e.usage(company.ID))
		assert.Len(t, e.listAll(company.ID, users.ListQuery{}), 1)
		assert.Len(t, e.entries(company.ID, activity.Query{}), 1)
		assert.Zero(t, e.inbox.Count())
	})

	s.run(t, "ActorRules", func(t *testing.T, e *env) {
		company, admin := e.createCompany(10)
		plain := e.inviteVerified(actorOf(admin), "plain@acme.test", "Plain User", users.RoleUser)
		unverified, _ := e.invite(actorOf(admin), "new.admin@acme.test", "New Admin", users.RoleAdmin)
		former := e.inviteVerified(actorOf(admin), "former@acme.test", "Former Admin", users.RoleAdmin)
		e.archive(former)
		usage := e.usage(company.ID)
		before := e.countByType(company.ID)
		sent := e.inbox.Count()

		cases := []struct {
			name  string
			actor activity.Actor
			want  error
		}{
			{"PlainUser", actorOf(plain), roster.ErrForbidden},
			{"UnverifiedAdmin", actorOf(unverified), roster.ErrForbidden},
			{"ArchivedAdmin", actorOf(former), roster.ErrUnauthenticated},
			{"UnknownActor", activity.Actor{CompanyID: company.ID, UserID: uuid.New()}, roster.ErrUnauthenticated},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.users.Invite(e.ctx, tc.actor, users.Invite{
					Email: "guest@acme.test", Name: "Guest", Role: users.RoleUser, ConversationLimit: 8,
				})
				assert.ErrorIs(t, err, tc.want)
			})
		}

		assert.Equal(t, usage, e.usage(company.ID))
		assert.Equal(t, before, e.countByType(company.ID))
		assert.Equal(t, sent, e.inbox.Count())
		_, err := e.users.UserByEmail(e.ctx, company.ID, "guest@acme.test")
		assert.ErrorIs(t, err, roster.ErrNotFound)
	})

	s.run(t, "ByHost", func(t *testing.T, e *env) {
		company, _ := e.createCompany(3)
		u, _ := e.invite(hostActor(company.ID), "bob@acme.test", "Bob", users.RoleUser)

		entry := e.onlyEntry(company.ID, activity.TypeUserInvited, u.ID)
		assert.Equal(t, uuid.Nil, entry.UserID)
		assert.Equal(t, seats.Usage{Limit: 3, Used: 2}, e.usage(company.ID))
	})
}

func (s suite) testVerify(t *testing.T) {
	s.run(t, "Once", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		u, token := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		usage := e.usage(company.ID)
		e.clock.Advance(time.Hour)
		now := e.clock.Stamp()

		verified, err := e.users.Verify(e.ctx, token, activity.Actor{IP: clientIPv6, UserAgent: clientAgent})
		require.NoError(t, err)
		assert.Equal(t, u.ID, verified.ID)
		assert.Equal(t, users.Verified, verified.Verification)

		got := e.user(company.ID, u.ID)
		assert.Equal(t, users.Verified, got.Verification)
		assertSameTime(t, now, got.VerifiedAt, "VerifiedAt")
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, usage, e.usage(company.ID), "verification must not take a second seat")

		entry := e.onlyEntry(company.ID, activity.TypeUserVerified, u.ID)
		assert.Equal(t, u.ID, entry.UserID)
		assert.Equal(t, u.ID, entry.TargetUserID)
		assert.Equal(t, clientIPv6, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, "bob@acme.test", entry.Details.Email)

		_, err = e.users.Verify(e.ctx, token, activity.Actor{})
		assert.ErrorIs(t, err, roster.ErrNotFound, "second use of the token")
		_, err = e.store.VerificationByHash(e.ctx, hashOf(token))
		assert.ErrorIs(t, err, roster.ErrNotFound, "lookup of the used token")
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserVerified), 1)
		assert.Equal(t, usage, e.usage(company.ID))
	})

	s.run(t, "Expired", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		early, earlyToken := e.invite(actorOf(admin), "early@acme.test", "Early", users.RoleUser)
		late, lateToken := e.invite(actorOf(admin), "late@acme.test", "Late", users.RoleUser)

		e.clock.Advance(testTokenTTL - time.Microsecond)
		_, err := e.users.Verify(e.ctx, earlyToken, activity.Actor{})
		require.NoError(t, err, "verify one microsecond before expiry")

		e.clock.Advance(time.Microsecond)
		_, err = e.users.Verify(e.ctx, lateToken, activity.Actor{})
		assert.ErrorIs(t, err, roster.ErrTokenExpired, "verify at the expiry time")
		e.clock.Advance(time.Hour)
		_, err = e.users.Verify(e.ctx, lateToken, activity.Actor{})
		assert.ErrorIs(t, err, roster.ErrTokenExpired, "verify after the expiry time")

		assert.Equal(t, users.Verified, e.user(company.ID, early.ID).Verification)
		assert.Equal(t, users.NotVerified, e.user(company.ID, late.ID).Verification)
		assert.Len(t, e.entries(company.ID, activity.Query{
			Types: []activity.Type{activity.TypeUserVerified}, TargetUserID: late.ID,
		}), 0)
	})

	s.run(t, "ResendInvalidatesOld", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		u, oldToken := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		e.clock.Advance(time.Hour)
		now := e.clock.Stamp()

		_, err := e.users.ResendVerification(e.ctx, actorOf(admin), u.ID)
		require.NoError(t, err)
		inv, ok := e.inbox.Latest(u.ID)
		require.True(t, ok)
		newToken := inv.Token
		assert.NotEqual(t, oldToken, newToken)
		assertSameTime(t, now.Add(testTokenTTL), inv.ExpiresAt, "ExpiresAt")
		assert.Equal(t, 2, e.inbox.Count())

		_, err = e.store.VerificationByHash(e.ctx, hashOf(oldToken))
		assert.ErrorIs(t, err, roster.ErrNotFound, "lookup of the old token")
		v, err := e.store.VerificationByHash(e.ctx, hashOf(newToken))
		require.NoError(t, err)
		assertSameTime(t, now.Add(testTokenTTL), v.ExpiresAt, "ExpiresAt")

		entry := e.onlyEntry(company.ID, activity.TypeVerificationResent, u.ID)
		assert.Equal(t, admin.ID, entry.UserID)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, "bob@acme.test", entry.Details.Email)

		_, err = e.users.Verify(e.ctx, oldToken, activity.Actor{})
		assert.ErrorIs(t, err, roster.ErrNotFound, "verify with the old token")
		assert.Equal(t, users.NotVerified, e.user(company.ID, u.ID).Verification)

		_, err = e.users.Verify(e.ctx, newToken, activity.Actor{})
		require.NoError(t, err, "verify with the new token")
		assert.Equal(t, users.Verified, e.user(company.ID, u.ID).Verification)
	})

	s.run(t, "ArchivedUser", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		u, token := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		e.archive(u)
		usage := e.usage(company.ID)

		_, err := e.store.VerificationByHash(e.ctx, hashOf(token))
		assert.ErrorIs(t, err, roster.ErrNotFound, "archiving deletes the pending token")
		_, err = e.users.Verify(e.ctx, token, activity.Actor{})
		assert.ErrorIs(t, err, roster.ErrNotFound)

		got := e.user(company.ID, u.ID)
		assert.Equal(t, users.StatusArchived, got.Status)
		assert.Equal(t, users.NotVerified, got.Verification)
		assert.Equal(t, usage, e.usage(company.ID))
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeUserVerified))
	})

	s.run(t, "UnknownToken", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		u, token := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)

		for _, bad := range []string{"", "not-a-token", token + "x", token[1:]} {
			_, err := e.users.Verify(e.ctx, bad, activity.Actor{})
			assert.ErrorIs(t, err, roster.ErrNotFound, "verify %q", bad)
		}
		assert.Equal(t, users.NotVerified, e.user(company.ID, u.ID).Verification)
	})

	s.run(t, "ResendRules", func(t *testing.T, e *env) {
		company, admin := e.createCompany(5)
		verified := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		archived, _ := e.invite(actorOf(admin), "carla@acme.test", "Carla", users.RoleUser)
		e.archive(archived)
		pending, _ := e.invite(actorOf(admin), "dan@acme.test", "Dan", users.RoleUser)
		sent := e.inbox.Count()

		_, err := e.users.ResendVerification(e.ctx, actorOf(admin), verified.ID)
		assert.ErrorIs(t, err, roster.ErrAlreadyVerified)
		_, err = e.users.ResendVerification(e.ctx, actorOf(admin), archived.ID)
		assert.ErrorIs(t, err, roster.ErrArchived)
		_, err = e.users.ResendVerification(e.ctx, actorOf(verified), pending.ID)
		assert.ErrorIs(t, err, roster.ErrForbidden)
		_, err = e.users.ResendVerification(e.ctx, actorOf(admin), uuid.New())
		assert.ErrorIs(t, err, roster.ErrNotFound)

		assert.Equal(t, sent, e.inbox.Count())
		assert.Empty(t, e.entriesOfType(company.ID, activity.TypeVerificationResent))
	})
}

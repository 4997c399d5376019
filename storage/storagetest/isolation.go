package storagetest

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// companyPair is company A with its admin, and company B with an admin,
// a verified agent with one open conversation and a pending invitee.
type companyPair struct {
	companyA, companyB users.Company
	adminA, adminB     users.User
	agentB             users.User
	pendingB           users.User
	tokenB             string
}

func (e *env) seedTwoCompanies() companyPair {
	e.t.Helper()
	var pair companyPair
	pair.companyA, pair.adminA = e.createCompany(5)
	pair.companyB, pair.adminB = e.createCompanyWith(users.NewCompany{
		Name: "Globex Help", SeatLimit: 5, AdminEmail: "admin@globex.test", AdminName: "Gina Globex",
	})
	pair.agentB = e.inviteVerified(actorOf(pair.adminB), "agent@globex.test", "Gus Agent", users.RoleUser)
	_, err := e.users.ClaimConversation(e.ctx, pair.companyB.ID, pair.agentB.ID)
	require.NoError(e.t, err)
	pair.pendingB, pair.tokenB = e.invite(actorOf(pair.adminB), "pending@globex.test", "Pat Pending", users.RoleUser)
	return pair
}

func (s suite) testIsolation(t *testing.T) {
	s.run(t, "ForeignUser", func(t *testing.T, e *env) {
		pair := e.seedTwoCompanies()
		idA := pair.companyA.ID
		inA := func(u users.User) activity.Actor {
			return activity.Actor{CompanyID: idA, UserID: u.ID, IP: clientIP}
		}
		hostA := hostActor(idA)
		usageA, usageB := e.usage(idA), e.usage(pair.companyB.ID)
		entriesA, entriesB := e.countByType(idA), e.countByType(pair.companyB.ID)

		calls := []struct {
			name string
			call func() error
		}{
			{"User", func() error {
				_, err := e.users.User(e.ctx, idA, pair.agentB.ID)
				return err
			}},
			{"UserByEmail", func() error {
				_, err := e.users.UserByEmail(e.ctx, idA, pair.agentB.Email)
				return err
			}},
			{"Update", func() error {
				_, err := e.users.Update(e.ctx, hostA, pair.agentB.ID, users.Changes{Role: ptr(users.RoleAdmin)})
				return err
			}},
			{"Archive", func() error {
				_, err := e.users.Archive(e.ctx, hostA, pair.agentB.ID, pair.agentB.Email, 0)
				return err
			}},
			{"ResendVerification", func() error {
				_, err := e.users.ResendVerification(e.ctx, hostA, pair.pendingB.ID)
				return err
			}},
			{"ClaimConversation", func() error {
				_, err := e.users.ClaimConversation(e.ctx, idA, pair.agentB.ID)
				return err
			}},
			{"ReleaseConversation", func() error {
				_, err := e.users.ReleaseConversation(e.ctx, idA, pair.agentB.ID)
				return err
			}},
			{"Login", func() error {
				_, err := e.users.Login(e.ctx, inA(pair.agentB))
				return err
			}},
			{"Logout", func() error {
				return e.users.Logout(e.ctx, inA(pair.agentB))
			}},
			{"RecordRejectedLogin", func() error {
				return e.users.RecordRejectedLogin(e.ctx, inA(pair.agentB), pair.agentB.Email, activity.ReasonInvalidCredentials)
			}},
			{"Columns", func() error {
				_, err := e.users.Columns(e.ctx, idA, pair.agentB.ID)
				return err
			}},
			{"SetColumns", func() error {
				_, err := e.users.SetColumns(e.ctx, inA(pair.agentB), users.ColumnVisibility{users.ColumnRole: false})
				return err
			}},
		}
		for _, tc := range calls {
			t.Run(tc.name, func(t *testing.T) {
				assert.ErrorIs(t, tc.call(), roster.ErrNotFound)
			})
		}

		_, err := e.users.Authenticate(e.ctx, idA, pair.agentB.ID)
		assert.ErrorIs(t, err, roster.ErrUnauthenticated, "authenticate B's user in A")
		_, err = e.users.Invite(e.ctx, inA(pair.adminB), users.Invite{
			Email: "intruder@acme.test", Name: "Intruder", Role: users.RoleAdmin, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, roster.ErrUnauthenticated, "B's admin inviting into A")
		_, err = e.users.Update(e.ctx, inA(pair.adminB), pair.adminA.ID, users.Changes{Role: ptr(users.RoleUser)})
		assert.ErrorIs(t, err, roster.ErrUnauthenticated, "B's admin updating A's admin")

		agent := e.user(pair.companyB.ID, pair.agentB.ID)
		assert.Equal(t, users.RoleUser, agent.Role)
		assert.Equal(t, users.StatusActive, agent.Status)
		assert.Equal(t, 1, agent.OpenConversations)
		assert.Equal(t, pair.agentB.Version, agent.Version)
		columns, err := e.users.Columns(e.ctx, pair.companyB.ID, pair.agentB.ID)
		require.NoError(t, err)
		assert.Equal(t, allVisible(), columns)
		_, err = e.store.VerificationByHash(e.ctx, hashOf(pair.tokenB))
		assert.NoError(t, err, "B's pending token must survive")
		assert.Equal(t, 2, e.inbox.Count(), "no token was resent")
		assert.Equal(t, users.RoleAdmin, e.user(idA, pair.adminA.ID).Role)

		assert.Equal(t, usageA, e.usage(idA))
		assert.Equal(t, usageB, e.usage(pair.companyB.ID))
		assert.Equal(t, entriesA, e.countByType(idA))
		assert.Equal(t, entriesB, e.countByType(pair.companyB.ID))
	})

	s.run(t, "Reads", func(t *testing.T, e *env) {
		pair := e.seedTwoCompanies()
		idA := pair.companyA.ID

		for _, u := range e.listAll(idA, users.ListQuery{}) {
			assert.Equal(t, idA, u.CompanyID, "user %q in A's list", u.Email)
		}
		assert.Equal(t, []uuid.UUID{pair.adminA.ID}, userIDs(e.listAll(idA, users.ListQuery{})))
		assert.Empty(t, e.listAll(idA, users.ListQuery{Search: "globex"}))
		assert.Empty(t, e.listAll(idA, users.ListQuery{Verification: users.NotVerified}))

		entries := e.entries(idA, activity.Query{})
		require.Len(t, entries, 1)
		assert.Equal(t, activity.TypeCompanyCreated, entries[0].Type)
		for _, entry := range entries {
			assert.Equal(t, idA, entry.CompanyID)
		}
		assert.Empty(t, e.entries(idA, activity.Query{UserID: pair.adminB.ID}))
		assert.Empty(t, e.entries(idA, activity.Query{TargetUserID: pair.agentB.ID}))
		assert.Empty(t, e.entries(idA, activity.Query{Types: []activity.Type{activity.TypeUserInvited}}))
		assert.Len(t, e.entries(pair.companyB.ID, activity.Query{Types: []activity.Type{activity.TypeUserInvited}}), 2)
	})

	s.run(t, "Cursors", func(t *testing.T, e *env) {
		pair := e.seedTwoCompanies()
		list, err := e.users.List(e.ctx, pair.companyB.ID, users.ListQuery{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, list.NextCursor)
		_, err = e.users.List(e.ctx, pair.companyA.ID, users.ListQuery{Limit: 1, Cursor: list.NextCursor})
		assert.ErrorIs(t, err, roster.ErrMalformed, "B's team list cursor in A")

		log, err := e.activity.Query(e.ctx, pair.companyB.ID, activity.Query{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, log.NextCursor)
		_, err = e.activity.Query(e.ctx, pair.companyA.ID, activity.Query{Limit: 1, Cursor: log.NextCursor})
		assert.ErrorIs(t, err, roster.ErrMalformed, "B's activity cursor in A")
	})

	s.run(t, "SameEmail", func(t *testing.T, e *env) {
		pair := e.seedTwoCompanies()

		twin, _ := e.invite(actorOf(pair.adminA), "Agent@Globex.test", "Gus Twin", users.RoleUser)
		assert.NotEqual(t, pair.agentB.ID, twin.ID)
		inA, err := e.users.UserByEmail(e.ctx, pair.companyA.ID, "agent@globex.test")
		require.NoError(t, err)
		assert.Equal(t, twin.ID, inA.ID)
		inB, err := e.users.UserByEmail(e.ctx, pair.companyB.ID, "agent@globex.test")
		require.NoError(t, err)
		assert.Equal(t, pair.agentB.ID, inB.ID)

		// Archiving the address in one company leaves the other untouched.
		e.archive(twin)
		assert.Equal(t, users.StatusActive, e.user(pair.companyB.ID, pair.agentB.ID).Status)
	})

	s.run(t, "Seats", func(t *testing.T, e *env) {
		pair := e.seedTwoCompanies()
		_, err := e.seats.SetLimit(e.ctx, hostActor(pair.companyA.ID), 9)
		require.NoError(t, err)

		assert.Equal(t, 9, e.usage(pair.companyA.ID).Limit)
		assert.Equal(t, 5, e.usage(pair.companyB.ID).Limit)
		assert.Equal(t, 3, e.usage(pair.companyB.ID).Used)
		assert.Empty(t, e.entriesOfType(pair.companyB.ID, activity.TypeSeatLimitChanged))
	})
}

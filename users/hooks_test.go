package users_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

type recorder struct {
	archived []users.User
	updated  [][2]users.User
	verified []users.User
	tokens   []string
}

func newService(t *testing.T, r *recorder, notify func(users.Invitation) error) *users.Service {
	t.Helper()
	return users.NewService(memory.New(), &users.Options{
		Notifier: users.NotifierFunc(func(_ context.Context, inv users.Invitation) error {
			r.tokens = append(r.tokens, inv.Token)
			return notify(inv)
		}),
		Hooks: users.Hooks{
			Archived: func(_ context.Context, u users.User) { r.archived = append(r.archived, u) },
			Updated: func(_ context.Context, before, after users.User) {
				r.updated = append(r.updated, [2]users.User{before, after})
			},
			Verified: func(_ context.Context, u users.User) { r.verified = append(r.verified, u) },
		},
	})
}

func setupCompany(t *testing.T, svc *users.Service) (users.Company, users.User) {
	t.Helper()
	company, admin, err := svc.CreateCompany(context.Background(), users.NewCompany{
		Name: "Acme Support", SeatLimit: 5, AdminEmail: "admin@acme.test", AdminName: "Ada Admin",
	}, activity.Actor{})
	require.NoError(t, err)
	return company, admin
}

func TestHooksRunAfterCommit(t *testing.T) {
	ctx := context.Background()
	r := &recorder{}
	svc := newService(t, r, func(users.Invitation) error { return nil })
	company, admin := setupCompany(t, svc)
	actor := activity.Actor{CompanyID: company.ID, UserID: admin.ID}

	invited, err := svc.Invite(ctx, actor, users.Invite{Email: "bo@acme.test", Name: "Bo", Role: users.RoleUser, ConversationLimit: 3})
	require.NoError(t, err)
	require.Len(t, r.tokens, 1)

	_, err = svc.Verify(ctx, r.tokens[0], activity.Actor{})
	require.NoError(t, err)
	require.Len(t, r.verified, 1)
	assert.Equal(t, invited.ID, r.verified[0].ID)
	assert.Equal(t, users.Verified, r.verified[0].Verification)

	limit := 5
	_, err = svc.Update(ctx, actor, invited.ID, users.Changes{ConversationLimit: &limit})
	require.NoError(t, err)
	require.Len(t, r.updated, 1)
	assert.Equal(t, 3, r.updated[0][0].ConversationLimit)
	assert.Equal(t, 5, r.updated[0][1].ConversationLimit)

	_, err = svc.Update(ctx, actor, invited.ID, users.Changes{ConversationLimit: &limit})
	require.NoError(t, err)
	assert.Len(t, r.updated, 1, "an update that changes nothing calls no hook")

	_, err = svc.ClaimConversation(ctx, company.ID, invited.ID)
	require.NoError(t, err)
	_, err = svc.Archive(ctx, actor, invited.ID, "bo@acme.test", 0)
	require.NoError(t, err)
	require.Len(t, r.archived, 1)
	assert.Equal(t, users.StatusArchived, r.archived[0].Status)
	assert.Equal(t, 1, r.archived[0].OpenConversations)
}

func TestHooksSkipFailedChanges(t *testing.T) {
	ctx := context.Background()
	r := &recorder{}
	svc := newService(t, r, func(users.Invitation) error { return nil })
	company, admin := setupCompany(t, svc)
	actor := activity.Actor{CompanyID: company.ID, UserID: admin.ID}

	_, err := svc.Archive(ctx, actor, admin.ID, "wrong", 0)
	require.ErrorIs(t, err, roster.ErrConfirmationMismatch)
	_, err = svc.Archive(ctx, actor, admin.ID, "admin@acme.test", 0)
	require.ErrorIs(t, err, roster.ErrLastAdmin)
	assert.Empty(t, r.archived)
}

func TestInviteSurvivesNotifierFailure(t *testing.T) {
	ctx := context.Background()
	r := &recorder{}
	svc := newService(t, r, func(users.Invitation) error { return errors.New("mail server down") })
	company, admin := setupCompany(t, svc)
	actor := activity.Actor{CompanyID: company.ID, UserID: admin.ID}

	invited, err := svc.Invite(ctx, actor, users.Invite{Email: "bo@acme.test", Name: "Bo", Role: users.RoleUser})
	require.NoError(t, err)
	got, err := svc.User(ctx, company.ID, invited.ID)
	require.NoError(t, err)
	assert.Equal(t, users.NotVerified, got.Verification)

	_, err = svc.ResendVerification(ctx, actor, invited.ID)
	require.NoError(t, err)
	require.Len(t, r.tokens, 2)
	_, err = svc.Verify(ctx, r.tokens[0], activity.Actor{})
	assert.ErrorIs(t, err, roster.ErrNotFound, "the resend invalidates the first token")
	_, err = svc.Verify(ctx, r.tokens[1], activity.Actor{})
	assert.NoError(t, err)
}

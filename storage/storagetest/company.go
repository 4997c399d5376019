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

func (s suite) testCreateCompany(t *testing.T) {
	s.run(t, "Valid", func(t *testing.T, e *env) {
		now := e.clock.Stamp()
		company, admin, err := e.users.CreateCompany(e.ctx, users.NewCompany{
			Name:       "  Acme Support ",
			SeatLimit:  5,
			AdminEmail: " Ada@Acme.test ",
			AdminName:  "Ada Admin",
		}, activity.Actor{IP: clientIP, UserAgent: clientAgent})
		require.NoError(t, err)
		assert.Equal(t, "Acme Support", company.Name)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, company.Seats)

		stored, err := e.users.Company(e.ctx, company.ID)
		require.NoError(t, err)
		assert.Equal(t, company.ID, stored.ID)
		assert.Equal(t, "Acme Support", stored.Name)
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, stored.Seats)
		assertSameTime(t, now, stored.CreatedAt, "CreatedAt")
		assert.Equal(t, seats.Usage{Limit: 5, Used: 1}, e.usage(company.ID))

		got := e.user(company.ID, admin.ID)
		assert.Equal(t, company.ID, got.CompanyID)
		assert.Equal(t, "Ada@Acme.test", got.Email)
		assert.Equal(t, "ada@acme.test", got.EmailKey)
		assert.Equal(t, "Ada Admin", got.Name)
		assert.Equal(t, "ada admin", got.NameKey)
		assert.Equal(t, users.RoleAdmin, got.Role)
		assert.Equal(t, users.Verified, got.Verification)
		assert.True(t, got.CanAccessPhoneCalls)
		assert.True(t, got.CanAccessAIAssistant)
		assert.Equal(t, users.DefaultConversationLimit, got.ConversationLimit)
		assert.Zero(t, got.OpenConversations)
		assert.Equal(t, users.StatusActive, got.Status)
		assertSameTime(t, now, got.InvitedAt, "InvitedAt")
		assertSameTime(t, now, got.VerifiedAt, "VerifiedAt")
		assert.True(t, got.ArchivedAt.IsZero(), "ArchivedAt is %s", got.ArchivedAt)
		assert.Equal(t, int64(1), got.Version)

		entries := e.entries(company.ID, activity.Query{})
		require.Len(t, entries, 1)
		entry := entries[0]
		assert.Equal(t, activity.TypeCompanyCreated, entry.Type)
		assert.Equal(t, company.ID, entry.CompanyID)
		assert.Equal(t, uuid.Nil, entry.UserID)
		assert.Equal(t, admin.ID, entry.TargetUserID)
		assert.Equal(t, clientIP, entry.IP)
		assert.Equal(t, clientAgent, entry.UserAgent)
		assertSameTime(t, now, entry.OccurredAt, "OccurredAt")
		assert.Equal(t, time.UTC, entry.OccurredAt.Location())
		assert.Equal(t, "Ada@Acme.test", entry.Details.Email)
		assert.Equal(t, "Acme Support", entry.Details.Name)
		assert.NotEqual(t, uuid.Nil, entry.ID)
	})

	s.run(t, "UnknownIP", func(t *testing.T, e *env) {
		company, _, err := e.users.CreateCompany(e.ctx, users.NewCompany{
			Name:       "Acme Support",
			SeatLimit:  5,
			AdminEmail: "ada@acme.test",
			AdminName:  "Ada Admin",
		}, activity.Actor{})
		require.NoError(t, err)

		entries := e.entries(company.ID, activity.Query{})
		require.Len(t, entries, 1)
		assert.False(t, entries[0].IP.IsValid(), "IP is %s", entries[0].IP)
		assert.Empty(t, entries[0].UserAgent)
	})

	s.run(t, "InvalidInput", func(t *testing.T, e *env) {
		valid := users.NewCompany{Name: "Acme Support", SeatLimit: 5, AdminEmail: "ada@acme.test", AdminName: "Ada Admin"}
		cases := []struct {
			name   string
			edit   func(*users.NewCompany)
			fields []string
		}{
			{"EmptyName", func(nc *users.NewCompany) { nc.Name = "  " }, []string{"name"}},
			{"ZeroSeats", func(nc *users.NewCompany) { nc.SeatLimit = 0 }, []string{"seat_limit"}},
			{"NegativeSeats", func(nc *users.NewCompany) { nc.SeatLimit = -3 }, []string{"seat_limit"}},
			{"TooManySeats", func(nc *users.NewCompany) { nc.SeatLimit = seats.MaxLimit + 1 }, []string{"seat_limit"}},
			{"AdminEmail", func(nc *users.NewCompany) { nc.AdminEmail = "ada.acme.test" }, []string{"admin_email"}},
			{"AdminEmailSpace", func(nc *users.NewCompany) { nc.AdminEmail = "ada @acme.test" }, []string{"admin_email"}},
			{"AdminName", func(nc *users.NewCompany) { nc.AdminName = "" }, []string{"admin_name"}},
			{"AllFields", func(nc *users.NewCompany) {
				*nc = users.NewCompany{Name: "", SeatLimit: 0, AdminEmail: "", AdminName: "\t"}
			}, []string{"name", "seat_limit", "admin_email", "admin_name"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				nc := valid
				tc.edit(&nc)
				company, admin, err := e.users.CreateCompany(e.ctx, nc, hostActor(uuid.Nil))
				assertFields(t, err, tc.fields...)
				assert.Equal(t, uuid.Nil, company.ID)
				assert.Equal(t, uuid.Nil, admin.ID)
			})
		}
		assert.Zero(t, e.store.writes.Load(), "write transactions opened for invalid input")
	})

	s.run(t, "UnknownCompany", func(t *testing.T, e *env) {
		e.createCompany(5)
		missing := uuid.New()

		_, err := e.users.Company(e.ctx, missing)
		assert.ErrorIs(t, err, roster.ErrNotFound)
		_, err = e.seats.Usage(e.ctx, missing)
		assert.ErrorIs(t, err, roster.ErrNotFound)
		_, err = e.seats.SetLimit(e.ctx, hostActor(missing), 7)
		assert.ErrorIs(t, err, roster.ErrNotFound)
		_, err = e.users.Invite(e.ctx, hostActor(missing), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 8,
		})
		assert.ErrorIs(t, err, roster.ErrNotFound)
		_, err = e.users.List(e.ctx, missing, users.ListQuery{})
		assert.ErrorIs(t, err, roster.ErrNotFound)
		assert.Zero(t, e.inbox.Count())
	})
}

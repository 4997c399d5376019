package storagetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// race runs fn(i) for i in [0, n) on n goroutines that start together, and
// returns each call's error by i.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func (s suite) testConcurrency(t *testing.T) {
	s.run(t, "Invites", func(t *testing.T, e *env) {
		company, admin := e.createCompany(4)
		const n = 100

		errs := race(n, func(i int) error {
			_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
				Email:             fmt.Sprintf("agent%03d@acme.test", i),
				Name:              fmt.Sprintf("Agent %03d", i),
				Role:              users.RoleUser,
				ConversationLimit: 8,
			})
			return err
		})

		assert.Equal(t, map[string]int{"ok": 3, "no_seat_available": n - 3}, tally(errs))
		assert.Equal(t, seats.Usage{Limit: 4, Used: 4}, e.usage(company.ID))
		assert.Len(t, e.listAll(company.ID, users.ListQuery{Status: users.StatusActive}), 4)
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserInvited), 3)
		assert.Equal(t, 3, e.inbox.Count())
	})

	s.run(t, "InvitesAndArchives", func(t *testing.T, e *env) {
		company, admin := e.createCompany(7)
		var members []users.User
		for i := range 5 {
			u, _ := e.invite(actorOf(admin), fmt.Sprintf("member%d@acme.test", i), fmt.Sprintf("Member %d", i), users.RoleUser)
			members = append(members, u)
		}

		// Five archives free five seats while 40 invites compete for them
		// and for the one seat that is free from the start.
		errs := race(45, func(i int) error {
			if i < len(members) {
				_, err := e.users.Archive(e.ctx, actorOf(admin), members[i].ID, members[i].Email, 0)
				return err
			}
			_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
				Email:             fmt.Sprintf("agent%03d@acme.test", i),
				Name:              fmt.Sprintf("Agent %03d", i),
				Role:              users.RoleUser,
				ConversationLimit: 8,
			})
			return err
		})

		assert.Equal(t, map[string]int{"ok": 5}, tally(errs[:5]), "archives")
		invited := tally(errs[5:])["ok"]
		assert.GreaterOrEqual(t, invited, 1, "invites that succeeded")
		assert.LessOrEqual(t, invited, 6, "invites that succeeded")
		usage := e.usage(company.ID)
		active := e.listAll(company.ID, users.ListQuery{Status: users.StatusActive})
		assert.Equal(t, 1+invited, usage.Used)
		assert.Len(t, active, usage.Used, "seats in use must equal the active users")
		assert.LessOrEqual(t, usage.Used, usage.Limit)
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserInvited), 5+invited)
	})

	s.run(t, "Claims", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent := e.inviteVerified(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		const n = 50
		counts := make([]int, n)

		errs := race(n, func(i int) error {
			u, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			counts[i] = u.OpenConversations
			return err
		})

		assert.Equal(t, map[string]int{"ok": 8, "conversation_limit_reached": n - 8}, tally(errs))
		assert.Equal(t, 8, e.user(company.ID, agent.ID).OpenConversations)
		var returned []int
		for i, err := range errs {
			if err == nil {
				returned = append(returned, counts[i])
			}
		}
		slices.Sort(returned)
		assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, returned, "each claim must see its own count")
	})

	s.run(t, "ClaimsAndReleases", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		agent, _ := e.inviteWith(actorOf(admin), users.Invite{
			Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 5,
		})
		for range 2 {
			_, err := e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			require.NoError(t, err)
		}
		const n = 60
		counts := make([]int, n)

		errs := race(n, func(i int) error {
			var u users.User
			var err error
			if i%2 == 0 {
				u, err = e.users.ClaimConversation(e.ctx, company.ID, agent.ID)
			} else {
				u, err = e.users.ReleaseConversation(e.ctx, company.ID, agent.ID)
			}
			counts[i] = u.OpenConversations
			return err
		})

		var claimed, released int
		for i, err := range errs {
			switch {
			case err == nil && i%2 == 0:
				claimed++
			case err == nil:
				released++
			case i%2 == 0:
				assert.ErrorIs(t, err, roster.ErrConversationLimitReached, "claim %d", i)
			default:
				assert.ErrorIs(t, err, roster.ErrNoOpenConversation, "release %d", i)
			}
			if err == nil {
				assert.GreaterOrEqual(t, counts[i], 0, "count after call %d", i)
				assert.LessOrEqual(t, counts[i], 5, "count after call %d", i)
			}
		}
		open := e.user(company.ID, agent.ID).OpenConversations
		assert.Equal(t, 2+claimed-released, open)
		assert.GreaterOrEqual(t, open, 0)
		assert.LessOrEqual(t, open, 5)
	})

	s.run(t, "SameEmail", func(t *testing.T, e *env) {
		company, admin := e.createCompany(30)
		const n = 20
		spellings := []string{"same@acme.test", " SAME@acme.test", "Same@Acme.Test "}

		errs := race(n, func(i int) error {
			_, err := e.users.Invite(e.ctx, actorOf(admin), users.Invite{
				Email:             spellings[i%len(spellings)],
				Name:              fmt.Sprintf("Same %02d", i),
				Role:              users.RoleUser,
				ConversationLimit: 8,
			})
			return err
		})

		assert.Equal(t, map[string]int{"ok": 1, "email_taken": n - 1}, tally(errs))
		assert.Equal(t, seats.Usage{Limit: 30, Used: 2}, e.usage(company.ID))
		assert.Len(t, e.listAll(company.ID, users.ListQuery{}), 2)
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserInvited), 1)
	})

	s.run(t, "LastAdmin", func(t *testing.T, e *env) {
		type change func(u users.User) error
		archive := func(u users.User) error {
			_, err := e.users.Archive(e.ctx, hostActor(u.CompanyID), u.ID, u.Email, 0)
			return err
		}
		demote := func(u users.User) error {
			_, err := e.users.Update(e.ctx, hostActor(u.CompanyID), u.ID, users.Changes{Role: ptr(users.RoleUser)})
			return err
		}
		cases := []struct {
			name        string
			first, next change
		}{
			{"ArchiveAndDemote", archive, demote},
			{"ArchiveBoth", archive, archive},
			{"DemoteBoth", demote, demote},
		}
		const rounds = 3
		for _, tc := range cases {
			for round := range rounds {
				company, first := e.createCompanyWith(users.NewCompany{
					Name:       fmt.Sprintf("%s %d", tc.name, round),
					SeatLimit:  3,
					AdminEmail: "ada@acme.test",
					AdminName:  "Ada Admin",
				})
				second := e.inviteVerified(actorOf(first), "carla@acme.test", "Carla", users.RoleAdmin)
				admins := []users.User{first, second}
				changes := []change{tc.first, tc.next}

				errs := race(2, func(i int) error { return changes[i](admins[i]) })

				assert.Equal(t, map[string]int{"ok": 1, "last_admin": 1}, tally(errs), "%s round %d", tc.name, round)
				remaining := e.listAll(company.ID, users.ListQuery{
					Role: users.RoleAdmin, Status: users.StatusActive, Verification: users.Verified,
				})
				assert.Len(t, remaining, 1, "%s round %d: active admins", tc.name, round)
				changed := len(e.entriesOfType(company.ID, activity.TypeUserArchived)) +
					len(e.entriesOfType(company.ID, activity.TypeUserUpdated))
				assert.Equal(t, 1, changed, "%s round %d: archive and update entries", tc.name, round)
			}
		}
	})

	s.run(t, "Verify", func(t *testing.T, e *env) {
		company, admin := e.createCompany(3)
		u, token := e.invite(actorOf(admin), "bob@acme.test", "Bob", users.RoleUser)
		usage := e.usage(company.ID)
		const n = 10

		errs := race(n, func(int) error {
			_, err := e.users.Verify(e.ctx, token, activity.Actor{IP: clientIP})
			return err
		})

		assert.Equal(t, map[string]int{"ok": 1, "not_found": n - 1}, tally(errs))
		got := e.user(company.ID, u.ID)
		assert.Equal(t, users.Verified, got.Verification)
		assert.Equal(t, int64(2), got.Version)
		assert.Len(t, e.entriesOfType(company.ID, activity.TypeUserVerified), 1)
		assert.Equal(t, usage, e.usage(company.ID))
	})
}

package storagetest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// entrySweep checks the activity log of one company after each call of
// the services. A call that changes something, and a log in that the gate
// rejects, must add exactly one entry, and any other call none. Each call runs at its own time, from its own
// IP address and user agent, so that an entry recorded with another
// call's values fails the check.
type entrySweep struct {
	t       *testing.T
	e       *env
	company uuid.UUID
	seen    map[uuid.UUID]bool
	calls   int
	// ip and agent are the client of the current call.
	ip    netip.Addr
	agent string
}

func newEntrySweep(t *testing.T, e *env) *entrySweep {
	return &entrySweep{t: t, e: e, seen: map[uuid.UUID]bool{}}
}

// next starts a call: it moves the clock on by a second and returns the
// actor userID (uuid.Nil for the host) with a fresh IP address, IPv4 and
// IPv6 in turn, and a fresh user agent.
func (s *entrySweep) next(userID uuid.UUID) activity.Actor {
	s.calls++
	s.e.clock.Advance(time.Second)
	if s.calls%2 == 1 {
		s.ip = netip.AddrFrom4([4]byte{198, 51, 100, byte(s.calls)})
	} else {
		s.ip = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", s.calls))
	}
	s.agent = fmt.Sprintf("storagetest-call/%d", s.calls)
	return activity.Actor{CompanyID: s.company, UserID: userID, IP: s.ip, UserAgent: s.agent}
}

// added returns the entries that the log gained since the last check.
func (s *entrySweep) added() []activity.Entry {
	s.t.Helper()
	var out []activity.Entry
	for _, entry := range s.e.entries(s.company, activity.Query{}) {
		if !s.seen[entry.ID] {
			s.seen[entry.ID] = true
			out = append(out, entry)
		}
	}
	return out
}

// wantEntry is the entry that a call must write.
type wantEntry struct {
	typ     activity.Type
	actor   uuid.UUID
	target  uuid.UUID
	details activity.Details
}

// logged checks that the call named call added exactly one entry, want,
// stamped with the call's time, IP address and user agent.
func (s *entrySweep) logged(call string, want wantEntry) {
	s.t.Helper()
	added := s.added()
	if !assert.Len(s.t, added, 1, "entries written by %s", call) {
		return
	}
	got := added[0]
	assert.Equal(s.t, want.typ, got.Type, "type of the entry of %s", call)
	assert.Equal(s.t, s.company, got.CompanyID, "company of the entry of %s", call)
	assert.Equal(s.t, want.actor, got.UserID, "actor of the entry of %s", call)
	assert.Equal(s.t, want.target, got.TargetUserID, "target of the entry of %s", call)
	assert.Equal(s.t, s.ip, got.IP, "IP address of the entry of %s", call)
	assert.Equal(s.t, s.agent, got.UserAgent, "user agent of the entry of %s", call)
	assertSameTime(s.t, s.e.clock.Stamp(), got.OccurredAt, "time of the entry of "+call)
	assert.Equal(s.t, want.details.Email, got.Details.Email, "details.email of the entry of %s", call)
	assert.Equal(s.t, want.details.Name, got.Details.Name, "details.name of the entry of %s", call)
	assert.Equal(s.t, want.details.Role, got.Details.Role, "details.role of the entry of %s", call)
	assert.Equal(s.t, want.details.Reason, got.Details.Reason, "details.reason of the entry of %s", call)
	if !assert.Len(s.t, got.Details.Changes, len(want.details.Changes), "details.changes of the entry of %s", call) {
		return
	}
	for i, c := range want.details.Changes {
		assert.Equal(s.t, c.Field, got.Details.Changes[i].Field, "changed field %d of the entry of %s", i, call)
		assert.JSONEq(s.t, string(c.Old), string(got.Details.Changes[i].Old), "old value of %s in the entry of %s", c.Field, call)
		assert.JSONEq(s.t, string(c.New), string(got.Details.Changes[i].New), "new value of %s in the entry of %s", c.Field, call)
	}
}

// unlogged checks that the call named call added no entry.
func (s *entrySweep) unlogged(call string) {
	s.t.Helper()
	assert.Empty(s.t, s.added(), "entries written by %s", call)
}

// testEntryOfEveryCall runs every state-changing call of the services,
// successful and rejected, and checks the entries each one writes.
func testEntryOfEveryCall(t *testing.T, e *env) {
	s := newEntrySweep(t, e)
	ctx := e.ctx

	// A rejected CreateCompany has no company whose log could show an
	// entry, so the check is that it opened no write transaction at all.
	host := s.next(uuid.Nil)
	writes := e.store.writes.Load()
	_, _, err := e.users.CreateCompany(ctx, users.NewCompany{Name: "Acme Support", SeatLimit: 0, AdminEmail: "ada@acme.test", AdminName: "Ada Admin"}, host)
	require.ErrorIs(t, err, roster.ErrInvalid, "CreateCompany with no seats")
	assert.Equal(t, writes, e.store.writes.Load(), "write transactions of CreateCompany with no seats")
	host = s.next(uuid.Nil)
	company, ada, err := e.users.CreateCompany(ctx, users.NewCompany{Name: "Acme Support", SeatLimit: 3, AdminEmail: "ada@acme.test", AdminName: "Ada Admin"}, host)
	require.NoError(t, err)
	s.company = company.ID
	s.logged("CreateCompany", wantEntry{activity.TypeCompanyCreated, uuid.Nil, ada.ID,
		activity.Details{Email: "ada@acme.test", Name: "Acme Support"}})

	// Invite.
	bob, err := e.users.Invite(ctx, s.next(ada.ID), users.Invite{Email: "bob@acme.test", Name: "Bob", Role: users.RoleUser, ConversationLimit: 8})
	require.NoError(t, err)
	s.logged("Invite", wantEntry{activity.TypeUserInvited, ada.ID, bob.ID,
		activity.Details{Email: "bob@acme.test", Name: "Bob", Role: "user"}})
	bobToken, ok := e.inbox.Latest(bob.ID)
	require.True(t, ok)
	_, err = e.users.Invite(ctx, s.next(ada.ID), users.Invite{Email: " BOB@acme.test ", Name: "Bob Again", Role: users.RoleUser})
	require.ErrorIs(t, err, roster.ErrEmailTaken)
	s.unlogged("Invite of a taken email")
	_, err = e.users.Invite(ctx, s.next(bob.ID), users.Invite{Email: "eve@acme.test", Name: "Eve", Role: users.RoleUser})
	require.ErrorIs(t, err, roster.ErrForbidden)
	s.unlogged("Invite by an unverified user")
	_, err = e.users.Invite(ctx, s.next(ada.ID), users.Invite{Email: "not an email", Name: "Eve", Role: users.RoleUser})
	require.ErrorIs(t, err, roster.ErrInvalid)
	s.unlogged("Invite of an invalid email")
	carla, err := e.users.Invite(ctx, s.next(ada.ID), users.Invite{Email: "carla@acme.test", Name: "Carla", Role: users.RoleAdmin, ConversationLimit: 8})
	require.NoError(t, err)
	s.logged("Invite of an admin", wantEntry{activity.TypeUserInvited, ada.ID, carla.ID,
		activity.Details{Email: "carla@acme.test", Name: "Carla", Role: "admin"}})
	carlaFirstToken, ok := e.inbox.Latest(carla.ID)
	require.True(t, ok)
	_, err = e.users.Invite(ctx, s.next(ada.ID), users.Invite{Email: "dan@acme.test", Name: "Dan", Role: users.RoleUser})
	require.ErrorIs(t, err, roster.ErrNoSeatAvailable)
	s.unlogged("Invite into a full company")

	// Verify and ResendVerification.
	_, err = e.users.Verify(ctx, bobToken.Token, s.next(uuid.Nil))
	require.NoError(t, err)
	s.logged("Verify", wantEntry{activity.TypeUserVerified, bob.ID, bob.ID, activity.Details{Email: "bob@acme.test"}})
	_, err = e.users.Verify(ctx, bobToken.Token, s.next(uuid.Nil))
	require.ErrorIs(t, err, roster.ErrNotFound)
	s.unlogged("Verify with a used token")
	_, err = e.users.ResendVerification(ctx, s.next(ada.ID), carla.ID)
	require.NoError(t, err)
	s.logged("ResendVerification", wantEntry{activity.TypeVerificationResent, ada.ID, carla.ID, activity.Details{Email: "carla@acme.test"}})
	_, err = e.users.ResendVerification(ctx, s.next(ada.ID), bob.ID)
	require.ErrorIs(t, err, roster.ErrAlreadyVerified)
	s.unlogged("ResendVerification of a verified user")
	_, err = e.users.ResendVerification(ctx, s.next(bob.ID), carla.ID)
	require.ErrorIs(t, err, roster.ErrForbidden)
	s.unlogged("ResendVerification by a plain user")
	_, err = e.users.Verify(ctx, carlaFirstToken.Token, s.next(uuid.Nil))
	require.ErrorIs(t, err, roster.ErrNotFound)
	s.unlogged("Verify with a token replaced by a resend")

	// Update.
	_, err = e.users.Update(ctx, s.next(ada.ID), bob.ID, users.Changes{ConversationLimit: ptr(3), CanAccessPhoneCalls: ptr(true)})
	require.NoError(t, err)
	s.logged("Update", wantEntry{activity.TypeUserUpdated, ada.ID, bob.ID, activity.Details{Email: "bob@acme.test", Changes: []activity.Change{
		activity.NewChange("conversation_limit", 8, 3),
		activity.NewChange("can_access_phone_calls", false, true),
	}}})
	_, err = e.users.Update(ctx, s.next(ada.ID), bob.ID, users.Changes{ConversationLimit: ptr(3)})
	require.NoError(t, err)
	s.unlogged("Update that changes nothing")
	_, err = e.users.Update(ctx, s.next(ada.ID), bob.ID, users.Changes{ConversationLimit: ptr(users.MaxConversationLimit + 1)})
	require.ErrorIs(t, err, roster.ErrInvalid)
	s.unlogged("Update with an invalid limit")
	_, err = e.users.Update(ctx, s.next(bob.ID), ada.ID, users.Changes{ConversationLimit: ptr(1)})
	require.ErrorIs(t, err, roster.ErrForbidden)
	s.unlogged("Update by a plain user")
	_, err = e.users.Update(ctx, s.next(ada.ID), ada.ID, users.Changes{Role: ptr(users.RoleUser)})
	require.ErrorIs(t, err, roster.ErrLastAdmin)
	s.unlogged("Update that demotes the last admin")
	_, err = e.users.Update(ctx, s.next(ada.ID), bob.ID, users.Changes{ConversationLimit: ptr(4), IfVersion: 1})
	require.ErrorIs(t, err, roster.ErrPreconditionFailed)
	s.unlogged("Update with a stale version")
	_, err = e.users.Update(ctx, s.next(ada.ID), uuid.New(), users.Changes{ConversationLimit: ptr(4)})
	require.ErrorIs(t, err, roster.ErrNotFound)
	s.unlogged("Update of an unknown user")

	// Login, Logout and RecordRejectedLogin.
	_, err = e.users.Login(ctx, s.next(bob.ID))
	require.NoError(t, err)
	s.logged("Login", wantEntry{activity.TypeLogin, bob.ID, bob.ID, activity.Details{Email: "bob@acme.test"}})
	require.NoError(t, e.users.Logout(ctx, s.next(bob.ID)))
	s.logged("Logout", wantEntry{activity.TypeLogout, bob.ID, bob.ID, activity.Details{Email: "bob@acme.test"}})
	_, err = e.users.Login(ctx, s.next(carla.ID))
	require.ErrorIs(t, err, roster.ErrNotVerified)
	s.logged("Login of an unverified user", wantEntry{activity.TypeLoginRejected, carla.ID, carla.ID,
		activity.Details{Email: "carla@acme.test", Reason: activity.ReasonNotVerified}})
	_, err = e.users.Login(ctx, s.next(uuid.New()))
	require.ErrorIs(t, err, roster.ErrNotFound)
	s.unlogged("Login of an unknown user")
	require.ErrorIs(t, e.users.Logout(ctx, s.next(uuid.New())), roster.ErrNotFound)
	s.unlogged("Logout of an unknown user")
	require.NoError(t, e.users.RecordRejectedLogin(ctx, s.next(uuid.Nil), "  Ghost@acme.test ", activity.ReasonInvalidCredentials))
	s.logged("RecordRejectedLogin of an unknown email", wantEntry{activity.TypeLoginRejected, uuid.Nil, uuid.Nil,
		activity.Details{Email: "Ghost@acme.test", Reason: activity.ReasonInvalidCredentials}})
	require.NoError(t, e.users.RecordRejectedLogin(ctx, s.next(ada.ID), "ada@acme.test", activity.ReasonInvalidCredentials))
	s.logged("RecordRejectedLogin of a known user", wantEntry{activity.TypeLoginRejected, ada.ID, ada.ID,
		activity.Details{Email: "ada@acme.test", Reason: activity.ReasonInvalidCredentials}})
	require.ErrorIs(t, e.users.RecordRejectedLogin(ctx, s.next(uuid.Nil), "ghost@acme.test", ""), roster.ErrInvalid)
	s.unlogged("RecordRejectedLogin without a reason")
	require.ErrorIs(t, e.users.RecordRejectedLogin(ctx, s.next(uuid.New()), "ghost@acme.test", activity.ReasonInvalidCredentials), roster.ErrNotFound)
	s.unlogged("RecordRejectedLogin of an unknown user id")

	// Archive.
	_, err = e.users.Archive(ctx, s.next(ada.ID), bob.ID, "bob", 0)
	require.ErrorIs(t, err, roster.ErrConfirmationMismatch)
	s.unlogged("Archive with a wrong confirmation")
	_, err = e.users.Archive(ctx, s.next(bob.ID), ada.ID, "ada@acme.test", 0)
	require.ErrorIs(t, err, roster.ErrForbidden)
	s.unlogged("Archive by a plain user")
	_, err = e.users.Archive(ctx, s.next(ada.ID), bob.ID, "Bob", 0)
	require.NoError(t, err)
	s.logged("Archive", wantEntry{activity.TypeUserArchived, ada.ID, bob.ID, activity.Details{Email: "bob@acme.test", Name: "Bob"}})
	_, err = e.users.Archive(ctx, s.next(ada.ID), bob.ID, "Bob", 0)
	require.ErrorIs(t, err, roster.ErrArchived)
	s.unlogged("Archive of an archived user")
	_, err = e.users.Archive(ctx, s.next(ada.ID), ada.ID, "ada@acme.test", 0)
	require.ErrorIs(t, err, roster.ErrLastAdmin)
	s.unlogged("Archive of the last admin")
	_, err = e.users.Login(ctx, s.next(bob.ID))
	require.ErrorIs(t, err, roster.ErrArchived)
	s.logged("Login of an archived user", wantEntry{activity.TypeLoginRejected, bob.ID, bob.ID,
		activity.Details{Email: "bob@acme.test", Reason: activity.ReasonArchived}})
	_, err = e.users.Update(ctx, s.next(ada.ID), bob.ID, users.Changes{ConversationLimit: ptr(5)})
	require.ErrorIs(t, err, roster.ErrArchived)
	s.unlogged("Update of an archived user")
	_, err = e.users.ResendVerification(ctx, s.next(ada.ID), bob.ID)
	require.ErrorIs(t, err, roster.ErrArchived)
	s.unlogged("ResendVerification of an archived user")
	_, err = e.users.Login(ctx, s.next(bob.ID))
	require.ErrorIs(t, err, roster.ErrArchived)
	s.logged("Login of an archived user again", wantEntry{activity.TypeLoginRejected, bob.ID, bob.ID,
		activity.Details{Email: "bob@acme.test", Reason: activity.ReasonArchived}})

	// SetLimit, as the host's billing calls it.
	_, err = e.seats.SetLimit(ctx, s.next(uuid.Nil), 5)
	require.NoError(t, err)
	s.logged("SetLimit", wantEntry{activity.TypeSeatLimitChanged, uuid.Nil, uuid.Nil,
		activity.Details{Changes: []activity.Change{activity.NewChange("seat_limit", 3, 5)}}})
	_, err = e.seats.SetLimit(ctx, s.next(uuid.Nil), 5)
	require.NoError(t, err)
	s.unlogged("SetLimit to the current limit")
	_, err = e.seats.SetLimit(ctx, s.next(uuid.Nil), 1)
	require.ErrorIs(t, err, roster.ErrSeatLimitBelowUsage)
	s.unlogged("SetLimit below the seats in use")
	_, err = e.seats.SetLimit(ctx, s.next(uuid.Nil), 0)
	require.ErrorIs(t, err, roster.ErrInvalid)
	s.unlogged("SetLimit to 0")

	// Verify of the token that the resend issued, and of an expired one.
	carlaToken, ok := e.inbox.Latest(carla.ID)
	require.True(t, ok)
	_, err = e.users.Verify(ctx, carlaToken.Token, s.next(uuid.Nil))
	require.NoError(t, err)
	s.logged("Verify with a resent token", wantEntry{activity.TypeUserVerified, carla.ID, carla.ID, activity.Details{Email: "carla@acme.test"}})
	dan, err := e.users.Invite(ctx, s.next(carla.ID), users.Invite{Email: "dan@acme.test", Name: "Dan", Role: users.RoleUser, ConversationLimit: 0})
	require.NoError(t, err)
	s.logged("Invite by a second admin", wantEntry{activity.TypeUserInvited, carla.ID, dan.ID,
		activity.Details{Email: "dan@acme.test", Name: "Dan", Role: "user"}})
	danToken, ok := e.inbox.Latest(dan.ID)
	require.True(t, ok)
	e.clock.Advance(testTokenTTL)
	_, err = e.users.Verify(ctx, danToken.Token, s.next(uuid.Nil))
	require.ErrorIs(t, err, roster.ErrTokenExpired)
	s.unlogged("Verify with an expired token")

	// Calls that are not team changes log nothing.
	_, err = e.users.ClaimConversation(ctx, company.ID, ada.ID)
	require.NoError(t, err)
	s.unlogged("ClaimConversation")
	_, err = e.users.ReleaseConversation(ctx, company.ID, ada.ID)
	require.NoError(t, err)
	s.unlogged("ReleaseConversation")
	_, err = e.users.SetColumns(ctx, s.next(ada.ID), users.ColumnVisibility{users.ColumnRole: false})
	require.NoError(t, err)
	s.unlogged("SetColumns")
}

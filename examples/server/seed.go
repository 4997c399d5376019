package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/users"
)

// clock is the services' time source. While the seed runs it is set to
// each seeded event's time, so that activity entries get past timestamps.
// Otherwise it follows time.Now.
type clock struct {
	mu sync.Mutex
	at time.Time
}

// Now returns the set time, or time.Now when none is set.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

// set stops the clock at t. The zero t lets it follow time.Now again.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = t
}

// Addresses of the seeded activity, from the documentation ranges of
// RFC 5737, so that they never name a real client.
var (
	ipAcmeOffice   = netip.MustParseAddr("203.0.113.10")
	ipAcmeOffice2  = netip.MustParseAddr("203.0.113.24")
	ipHomeBen      = netip.MustParseAddr("198.51.100.7")
	ipHomeChloe    = netip.MustParseAddr("198.51.100.42")
	ipMobile       = netip.MustParseAddr("192.0.2.15")
	ipGlobexOffice = netip.MustParseAddr("198.51.100.200")
)

// seedUserAgent marks seeded entries, so that readers of the log can tell
// them from real clients.
const seedUserAgent = "roster-example-seed/1"

// seedDays is how far back the seeded activity reaches.
const seedDays = 90

// member describes one seeded user. Days count back from today, so
// invited=30 is 30 days ago. verified=0 means never, and archived=0 means
// not archived.
type member struct {
	email, name string
	role        users.Role
	limit       int
	phone, ai   bool
	ip          netip.Addr
	invited     int
	verified    int
	archived    int
	// open is the number of conversations claimed at the end of the seed.
	open int
}

// seedCompany describes one seeded company and its history.
type seedCompany struct {
	name string
	// seats is the seat limit at creation. raiseTo, when not 0, is the
	// limit that the host's billing sets raisedDay days ago.
	seats     int
	raiseTo   int
	raisedDay int
	admin     member
	members   []member
	// history lists the seeded changes and rejected logins besides
	// invites, verifications, archives and daily sessions.
	history []seedEvent
}

// seedEvent is one scripted call at a time given in days ago plus an
// hour and minute of that day in UTC.
type seedEvent struct {
	day, hour, minute int
	do                func(ctx context.Context, s *seeder) error
}

// event is a seedEvent placed in time.
type event struct {
	at time.Time
	// order keeps events of equal time in the order they were added.
	order int
	do    func(ctx context.Context) error
}

// seeder creates one company with its history. Events run in time order
// with the clock at each event's time.
type seeder struct {
	app     *app
	company uuid.UUID
	// ids maps each seeded email address to its user id.
	ids map[string]uuid.UUID
	// tokens maps a user id to the latest verification token issued.
	tokens map[uuid.UUID]users.Invitation
	// adminCredential and memberCredentials are stored when the company's
	// history has been played, the admin's last.
	adminCredential   emailCredential
	memberCredentials []emailCredential
	hash              []byte
	today             time.Time
	events            []event
	random            *rand.Rand
	tokensMu          sync.Mutex
}

// emailCredential is a credential with the email address it signs in.
type emailCredential struct {
	email string
	cred  credential
}

// seed creates the demo companies Acme Support and Globex Help unless they
// exist. A company exists when its admin has a credential, so a restart on
// a persistent store seeds nothing and keeps every change of earlier runs.
// The host's seed lock keeps two processes that start at once on one
// database from both seeding a company.
func seed(ctx context.Context, a *app, password string) error {
	return a.host.withSeedLock(ctx, func(ctx context.Context) error {
		return seedMissing(ctx, a, password)
	})
}

func seedMissing(ctx context.Context, a *app, password string) error {
	// Every seeded user has the same password, so one bcrypt hash serves
	// them all.
	hash, err := a.creds.hashPassword(password)
	if err != nil {
		return err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i, c := range []seedCompany{acmeSupport(), globexHelp()} {
		exists, err := a.creds.has(ctx, c.admin.email)
		if err != nil {
			return fmt.Errorf("checking whether %q exists failed: %w", c.name, err)
		}
		if exists {
			a.logger.InfoContext(ctx, "demo company exists; not seeding it", "company", c.name)
			continue
		}
		s := &seeder{
			app:    a,
			ids:    make(map[string]uuid.UUID),
			tokens: make(map[uuid.UUID]users.Invitation),
			hash:   hash,
			today:  today,
			// A fixed seed gives the same history on every start.
			random: rand.New(rand.NewPCG(uint64(i+1), 42)),
		}
		if err := s.run(ctx, c); err != nil {
			return fmt.Errorf("seeding %q: %w", c.name, err)
		}
	}
	return nil
}

// run schedules the company's history, plays it with the clock stopped at
// each event and then claims the members' open conversations.
func (s *seeder) run(ctx context.Context, c seedCompany) error {
	s.schedule(c)
	slices.SortStableFunc(s.events, func(x, y event) int {
		return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.order, y.order))
	})

	s.app.mailer.tap(s.keepToken)
	defer s.app.mailer.tap(nil)
	defer s.app.clock.set(time.Time{})
	for _, e := range s.events {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.app.clock.set(e.at)
		if err := e.do(ctx); err != nil {
			return fmt.Errorf("event at %s: %w", e.at.Format(time.RFC3339), err)
		}
	}
	s.app.clock.set(time.Time{})

	for _, m := range append([]member{c.admin}, c.members...) {
		for range m.open {
			if _, err := s.app.users.ClaimConversation(ctx, s.company, s.ids[m.email]); err != nil {
				return fmt.Errorf("claiming a conversation for %s: %w", m.email, err)
			}
		}
	}
	if err := s.storeCredentials(ctx); err != nil {
		return err
	}
	s.logPendingTokens(ctx)
	s.app.logger.InfoContext(ctx, "demo company seeded", "company", c.name, "company_id", s.company,
		"users", len(c.members)+1, "events", len(s.events))
	return nil
}

// storeCredentials stores the seeded users' credentials, the admin's last.
// The admin's credential marks the company as seeded, so a company whose
// seed failed before this point is seeded again on the next start.
//
// NOTE: a seed that fails midway leaves its partial company in Roster's
// store, with no credential that signs in to it. The next start seeds a
// new, complete company of the same name.
func (s *seeder) storeCredentials(ctx context.Context) error {
	for _, ec := range append(s.memberCredentials, s.adminCredential) {
		if err := s.app.creds.set(ctx, ec.email, ec.cred); err != nil {
			return fmt.Errorf("storing the credential of %s: %w", ec.email, err)
		}
	}
	return nil
}

// add schedules do at the given day (days ago), hour and minute in UTC.
func (s *seeder) add(day, hour, minute int, do func(ctx context.Context) error) {
	at := s.today.AddDate(0, 0, -day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	s.events = append(s.events, event{at: at, order: len(s.events), do: do})
}

// schedule adds every event of c: the company, each member's invite,
// verification, sessions and archive, the seat limit change and c.history.
func (s *seeder) schedule(c seedCompany) {
	s.add(seedDays, 9, 0, func(ctx context.Context) error { return s.createCompany(ctx, c) })
	if c.raiseTo != 0 {
		s.add(c.raisedDay, 7, 0, func(ctx context.Context) error {
			// The host's billing acts as uuid.Nil from no client address.
			host := activity.Actor{CompanyID: s.company, UserAgent: seedUserAgent}
			_, err := s.app.seats.SetLimit(ctx, host, c.raiseTo)
			return err
		})
	}
	for _, m := range c.members {
		s.add(m.invited, 10, 15, func(ctx context.Context) error { return s.invite(ctx, c.admin, m) })
		if m.verified != 0 {
			s.add(m.verified, 16, 40, func(ctx context.Context) error { return s.verify(ctx, m) })
		}
		if m.archived != 0 {
			s.add(m.archived, 11, 5, func(ctx context.Context) error { return s.archive(ctx, c.admin, m) })
		}
	}
	for _, e := range c.history {
		s.add(e.day, e.hour, e.minute, func(ctx context.Context) error { return e.do(ctx, s) })
	}
	s.scheduleSessions(c.admin, seedDays)
	for _, m := range c.members {
		if m.verified != 0 {
			s.scheduleSessions(m, m.verified)
		}
	}
}

// scheduleSessions adds a login in the morning and a logout in the
// afternoon on about three of four workdays after the user verified and
// before any archive, mostly from the member's usual address.
func (s *seeder) scheduleSessions(m member, fromDay int) {
	for day := fromDay - 1; day >= 1; day-- {
		if m.archived != 0 && day <= m.archived {
			break
		}
		weekday := s.today.AddDate(0, 0, -day).Weekday()
		if weekday == time.Saturday || weekday == time.Sunday || s.random.IntN(4) == 0 {
			continue
		}
		ip := m.ip
		if s.random.IntN(10) == 0 {
			ip = ipMobile
		}
		in := s.random.IntN(90)
		out := s.random.IntN(150)
		s.add(day, 8, 30+in, func(ctx context.Context) error {
			_, err := s.app.users.Login(ctx, s.actor(m.email, ip))
			return err
		})
		s.add(day, 16, out, func(ctx context.Context) error {
			return s.app.users.Logout(ctx, s.actor(m.email, ip))
		})
	}
}

// actor returns the seeded user email acting from ip.
func (s *seeder) actor(email string, ip netip.Addr) activity.Actor {
	return activity.Actor{CompanyID: s.company, UserID: s.ids[email], IP: ip, UserAgent: seedUserAgent}
}

func (s *seeder) createCompany(ctx context.Context, c seedCompany) error {
	host := activity.Actor{IP: c.admin.ip, UserAgent: seedUserAgent}
	company, admin, err := s.app.users.CreateCompany(ctx, users.NewCompany{
		Name:       c.name,
		SeatLimit:  c.seats,
		AdminEmail: c.admin.email,
		AdminName:  c.admin.name,
	}, host)
	if err != nil {
		return err
	}
	s.company = company.ID
	s.ids[admin.Email] = admin.ID
	s.adminCredential = emailCredential{admin.Email, credential{companyID: company.ID, userID: admin.ID, hash: s.hash}}
	if c.admin.limit != admin.ConversationLimit {
		limit := c.admin.limit
		_, err := s.app.users.Update(ctx, s.actor(admin.Email, c.admin.ip), admin.ID, users.Changes{ConversationLimit: &limit})
		return err
	}
	return nil
}

// invite invites m and records the demo password as their credential, so
// that seeded users who never verified are turned away by the login gate,
// not the password. storeCredentials stores it.
func (s *seeder) invite(ctx context.Context, admin member, m member) error {
	u, err := s.app.users.Invite(ctx, s.actor(admin.email, admin.ip), users.Invite{
		Email:                m.email,
		Name:                 m.name,
		Role:                 m.role,
		ConversationLimit:    m.limit,
		CanAccessPhoneCalls:  m.phone,
		CanAccessAIAssistant: m.ai,
	})
	if err != nil {
		return err
	}
	s.ids[u.Email] = u.ID
	s.memberCredentials = append(s.memberCredentials,
		emailCredential{u.Email, credential{companyID: s.company, userID: u.ID, hash: s.hash}})
	return nil
}

func (s *seeder) verify(ctx context.Context, m member) error {
	id := s.ids[m.email]
	s.tokensMu.Lock()
	inv, ok := s.tokens[id]
	s.tokensMu.Unlock()
	if !ok {
		return fmt.Errorf("no verification token was issued for %s", m.email)
	}
	_, err := s.app.users.Verify(ctx, inv.Token, activity.Actor{IP: m.ip, UserAgent: seedUserAgent})
	return err
}

func (s *seeder) archive(ctx context.Context, admin member, m member) error {
	_, err := s.app.users.Archive(ctx, s.actor(admin.email, admin.ip), s.ids[m.email], m.email, 0)
	return err
}

// keepToken receives the verification tokens issued while the seed runs.
func (s *seeder) keepToken(inv users.Invitation) {
	s.tokensMu.Lock()
	defer s.tokensMu.Unlock()
	s.tokens[inv.User.ID] = inv
}

// logPendingTokens logs, as the mailer would have, each seeded token that
// is still unused and unexpired, so that a newcomer can try POST /verify.
func (s *seeder) logPendingTokens(ctx context.Context) {
	now := s.app.clock.Now()
	for id, inv := range s.tokens {
		u, err := s.app.users.User(ctx, s.company, id)
		if err != nil || u.Verification == users.Verified || !now.Before(inv.ExpiresAt) {
			continue
		}
		s.app.mailer.log(ctx, inv)
	}
}

// updateBy returns a history call in which admin applies c to the member
// with email target.
func updateBy(admin member, target string, c users.Changes) func(context.Context, *seeder) error {
	return func(ctx context.Context, s *seeder) error {
		_, err := s.app.users.Update(ctx, s.actor(admin.email, admin.ip), s.ids[target], c)
		return err
	}
}

// wrongPassword returns a history call that records a login rejected for
// a wrong password, as POST /login does.
func wrongPassword(m member, ip netip.Addr) func(context.Context, *seeder) error {
	return func(ctx context.Context, s *seeder) error {
		return s.app.users.RecordRejectedLogin(ctx, s.actor(m.email, ip), m.email, activity.ReasonInvalidCredentials)
	}
}

// gateRejection returns a history call in which the login gate turns m
// away, as it does for unverified and archived users. The gate logs the
// rejection itself.
func gateRejection(m member, ip netip.Addr) func(context.Context, *seeder) error {
	return func(ctx context.Context, s *seeder) error {
		if _, err := s.app.users.Login(ctx, s.actor(m.email, ip)); err == nil {
			return fmt.Errorf("the login gate let %s in, but the seed expects a rejection", m.email)
		}
		return nil
	}
}

// resend returns a history call in which admin sends m a new token.
func resend(admin member, m member) func(context.Context, *seeder) error {
	return func(ctx context.Context, s *seeder) error {
		_, err := s.app.users.ResendVerification(ctx, s.actor(admin.email, admin.ip), s.ids[m.email])
		return err
	}
}

// acmeSupport is a company of ten seats, all in use: two verified admins,
// seven agents of whom two never verified, and one archived agent.
func acmeSupport() seedCompany {
	admin := member{email: "admin@acme.test", name: "Alex Morgan", role: users.RoleAdmin, limit: 8,
		phone: true, ai: true, ip: ipAcmeOffice, open: 2}
	priya := member{email: "priya@acme.test", name: "Priya Shah", role: users.RoleAdmin, limit: 10,
		phone: true, ai: true, ip: ipAcmeOffice2, invited: 89, verified: 89, open: 3}
	ben := member{email: "ben@acme.test", name: "Ben Carter", role: users.RoleUser, limit: 8,
		phone: true, ip: ipHomeBen, invited: 88, verified: 87, open: 7}
	chloe := member{email: "chloe@acme.test", name: "Chloé Dubois", role: users.RoleUser, limit: 6,
		ai: true, ip: ipHomeChloe, invited: 85, verified: 85, open: 6}
	diego := member{email: "diego@acme.test", name: "Diego Ramos", role: users.RoleUser, limit: 5,
		phone: true, ai: true, ip: ipAcmeOffice, invited: 70, verified: 69, open: 1}
	emma := member{email: "emma@acme.test", name: "Emma Schmidt", role: users.RoleUser, limit: 8,
		phone: true, ip: ipAcmeOffice2, invited: 60, verified: 59, archived: 12}
	farah := member{email: "farah@acme.test", name: "Farah Khan", role: users.RoleUser, limit: 4,
		ip: ipMobile, invited: 45}
	hugo := member{email: "hugo@acme.test", name: "Hugo Lefèvre", role: users.RoleUser, limit: 8,
		phone: true, ai: true, ip: ipAcmeOffice, invited: 30, verified: 29, open: 4}
	iris := member{email: "iris@acme.test", name: "Iris Novak", role: users.RoleUser, limit: 12,
		phone: true, ip: ipAcmeOffice2, invited: 21, verified: 20}
	jonas := member{email: "jonas@acme.test", name: "Jonas Berg", role: users.RoleUser, limit: 8,
		ai: true, ip: ipHomeChloe, invited: 8, verified: 7, open: 2}
	gus := member{email: "gus@acme.test", name: "Gus Lee", role: users.RoleUser, limit: 8,
		phone: true, ai: true, ip: ipMobile, invited: 2}

	return seedCompany{
		name:      "Acme Support",
		seats:     8,
		raiseTo:   10,
		raisedDay: 34,
		admin:     admin,
		members:   []member{priya, ben, chloe, diego, emma, farah, hugo, iris, jonas, gus},
		history: []seedEvent{
			{75, 11, 20, updateBy(admin, ben.email, users.Changes{ConversationLimit: new(10)})},
			{55, 8, 2, wrongPassword(ben, ipHomeBen)},
			{50, 14, 0, updateBy(priya, chloe.email, users.Changes{CanAccessPhoneCalls: new(true)})},
			{40, 9, 45, updateBy(admin, diego.email, users.Changes{ConversationLimit: new(6), CanAccessAIAssistant: new(false)})},
			{38, 10, 0, resend(admin, farah)},
			{37, 19, 12, gateRejection(farah, ipMobile)},
			{15, 15, 30, updateBy(priya, iris.email, users.Changes{ConversationLimit: new(10)})},
			{11, 8, 55, gateRejection(emma, ipMobile)},
			{5, 12, 0, updateBy(admin, hugo.email, users.Changes{Role: new(users.RoleAdmin)})},
			{3, 8, 41, wrongPassword(diego, ipMobile)},
		},
	}
}

// globexHelp is a small company of five seats with two users.
func globexHelp() seedCompany {
	admin := member{email: "admin@globex.test", name: "Kenji Watanabe", role: users.RoleAdmin, limit: 8,
		phone: true, ai: true, ip: ipGlobexOffice, open: 1}
	lena := member{email: "lena@globex.test", name: "Lena Fischer", role: users.RoleUser, limit: 5,
		ai: true, ip: ipGlobexOffice, invited: 60, verified: 58, open: 2}
	return seedCompany{
		name:    "Globex Help",
		seats:   5,
		admin:   admin,
		members: []member{lena},
	}
}

package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterkit/roster/internal/pgtest"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/storage/postgres"
	"github.com/rosterkit/roster/users"
)

// Settings of the multi-process test.
const (
	workerProcesses   = 4
	workerDuration    = 3 * time.Second
	workerSeatLimit   = 8
	workerClaimLimit  = 3
	workerEmailPool   = 16
	workerResultLabel = "ROSTER_WORKER_RESULT "
	// envWorkerCompanies lists the companies a worker changes, separated
	// by commas.
	envWorkerCompanies = "ROSTER_POSTGRES_WORKER_COMPANIES"
	envWorkerSeed      = "ROSTER_POSTGRES_WORKER_SEED"
)

// workerResult counts the successful operations of one worker process.
type workerResult struct {
	Invited  int `json:"invited"`
	Archived int `json:"archived"`
	Updated  int `json:"updated"`
	Claimed  int `json:"claimed"`
	Released int `json:"released"`
	// Rejected counts the expected rejections by error kind.
	Rejected map[string]int `json:"rejected"`
}

func (r *workerResult) add(o workerResult) {
	r.Invited += o.Invited
	r.Archived += o.Archived
	r.Updated += o.Updated
	r.Claimed += o.Claimed
	r.Released += o.Released
}

// TestMultiProcess runs worker processes that invite, archive, update,
// claim and release on the same two companies of one database, then
// checks the invariants and the activity log with SQL.
func TestMultiProcess(t *testing.T) {
	t.Parallel()
	store, dsn := pgtest.NewSchema(t)
	var companies []string
	for range 2 {
		tm := newTeam(t, store, workerSeatLimit)
		for i := range 3 {
			tm.invite(t, fmt.Sprintf("seed%d", i), workerClaimLimit)
		}
		companies = append(companies, tm.company.ID.String())
	}
	const seedInvites = 2 * 3

	results := runWorkers(t, dsn, companies)
	var total workerResult
	for i, r := range results {
		t.Logf("worker %d: %+v", i, r)
		total.add(r)
	}
	require.Positive(t, total.Invited, "the workers invited nobody")
	require.Positive(t, total.Claimed, "the workers claimed no conversation")

	checkSeats(t, store)
	checkOpenConversations(t, store, total)
	checkEntryCounts(t, store, map[activity.Type]int{
		activity.TypeCompanyCreated: 2,
		activity.TypeUserInvited:    seedInvites + total.Invited,
		activity.TypeUserArchived:   total.Archived,
		activity.TypeUserUpdated:    total.Updated,
	})
}

// runWorkers starts the worker processes, waits for them and returns what
// each printed.
func runWorkers(t *testing.T, dsn string, companies []string) []workerResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results := make([]workerResult, workerProcesses)
	errs := make([]error, workerProcesses)
	var wg sync.WaitGroup
	for i := range workerProcesses {
		wg.Go(func() { results[i], errs[i] = runWorker(ctx, dsn, companies, i) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "worker %d", i)
	}
	return results
}

func runWorker(ctx context.Context, dsn string, companies []string, seed int) (workerResult, error) {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMultiProcessWorker$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		pgtest.EnvWorkerDSN+"="+dsn,
		envWorkerCompanies+"="+strings.Join(companies, ","),
		envWorkerSeed+"="+strconv.Itoa(seed),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return workerResult{}, fmt.Errorf("worker failed: %w\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	scanner := bufio.NewScanner(&stdout)
	for scanner.Scan() {
		line, ok := strings.CutPrefix(scanner.Text(), workerResultLabel)
		if !ok {
			continue
		}
		var r workerResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return workerResult{}, fmt.Errorf("read the worker's result %q: %w", line, err)
		}
		return r, nil
	}
	return workerResult{}, fmt.Errorf("the worker printed no line starting with %q:\n%s", workerResultLabel, stdout.String())
}

// TestMultiProcessWorker is the body of one worker process of
// TestMultiProcess; it skips unless that test started it.
func TestMultiProcessWorker(t *testing.T) {
	dsn := os.Getenv(pgtest.EnvWorkerDSN)
	if dsn == "" {
		t.Skip("runs only as a child process of TestMultiProcess")
	}
	seed, err := strconv.Atoi(os.Getenv(envWorkerSeed))
	require.NoError(t, err)
	var companies []uuid.UUID
	for _, s := range strings.Split(os.Getenv(envWorkerCompanies), ",") {
		companies = append(companies, uuid.MustParse(s))
	}
	store, err := postgres.Open(context.Background(), dsn, &postgres.Options{MaxOpenConns: pgtest.PoolSize})
	require.NoError(t, err)
	defer store.Close()

	w := &worker{
		store:    store,
		users:    users.NewService(store, nil),
		rng:      rand.New(rand.NewPCG(uint64(seed), uint64(time.Now().UnixNano()))),
		result:   workerResult{Rejected: map[string]int{}},
		deadline: time.Now().Add(workerDuration),
	}
	const goroutines = 4
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			local := &worker{store: w.store, users: w.users, deadline: w.deadline,
				rng: rand.New(rand.NewPCG(uint64(seed), uint64(g))), result: workerResult{Rejected: map[string]int{}}}
			local.run(t, companies)
			mu.Lock()
			defer mu.Unlock()
			w.result.add(local.result)
			for k, n := range local.result.Rejected {
				w.result.Rejected[k] += n
			}
		})
	}
	wg.Wait()

	out, err := json.Marshal(w.result)
	require.NoError(t, err)
	fmt.Println(workerResultLabel + string(out))
}

// worker runs random operations until its deadline.
type worker struct {
	store    *postgres.Store
	users    *users.Service
	rng      *rand.Rand
	result   workerResult
	deadline time.Time
}

// expectedRejections are the errors that concurrent operations cause
// legitimately; any other error fails the worker.
var expectedRejections = map[roster.Kind]bool{
	roster.KindNoSeatAvailable:          true,
	roster.KindEmailTaken:               true,
	roster.KindArchived:                 true,
	roster.KindConversationLimitReached: true,
	roster.KindNoOpenConversation:       true,
	roster.KindPreconditionFailed:       true,
}

func (w *worker) run(t *testing.T, companies []uuid.UUID) {
	ctx := context.Background()
	for time.Now().Before(w.deadline) {
		companyID := companies[w.rng.IntN(len(companies))]
		team, err := w.store.ListUsers(ctx, users.ListFilter{CompanyID: companyID, Limit: 100})
		if !assert.NoError(t, err) {
			return
		}
		admin := activity.Actor{CompanyID: companyID, UserID: team[adminIndex(team)].ID}
		active := activeUsers(team)
		target, anyone := active[w.rng.IntN(len(active))], team[w.rng.IntN(len(team))]
		if err := w.step(ctx, admin, target, anyone); err != nil {
			if !expectedRejections[roster.KindOf(err)] {
				t.Errorf("unexpected error of kind %s: %v", roster.KindOf(err), err)
				return
			}
			w.result.Rejected[roster.KindOf(err).String()]++
		}
	}
}

// adminIndex returns the index of the company's first admin in team.
func adminIndex(team []users.User) int {
	for i, u := range team {
		if u.Role == users.RoleAdmin {
			return i
		}
	}
	panic("the company has no admin")
}

func activeUsers(team []users.User) []users.User {
	var active []users.User
	for _, u := range team {
		if u.Status == users.StatusActive {
			active = append(active, u)
		}
	}
	return active
}

// step runs one random operation and counts it when it succeeds. target is
// an active user and anyone a user of any status. The update names the
// version it read, so that it succeeds only when it changes the user and
// thus logs an entry.
func (w *worker) step(ctx context.Context, admin activity.Actor, target, anyone users.User) error {
	switch n := w.rng.IntN(100); {
	case n < 25:
		_, err := w.users.Invite(ctx, admin, users.Invite{
			Email:             fmt.Sprintf("pool%d@acme.test", w.rng.IntN(workerEmailPool)),
			Name:              "Pooled User",
			Role:              users.RoleUser,
			ConversationLimit: workerClaimLimit,
		})
		return w.count(err, &w.result.Invited)
	case n < 40 && target.Role != users.RoleAdmin:
		_, err := w.users.Archive(ctx, admin, target.ID, target.Email, 0)
		return w.count(err, &w.result.Archived)
	case n < 50 && target.Role != users.RoleAdmin:
		phone := !target.CanAccessPhoneCalls
		_, err := w.users.Update(ctx, admin, target.ID, users.Changes{CanAccessPhoneCalls: &phone, IfVersion: target.Version})
		return w.count(err, &w.result.Updated)
	case n < 75:
		_, err := w.users.ClaimConversation(ctx, admin.CompanyID, target.ID)
		return w.count(err, &w.result.Claimed)
	default:
		_, err := w.users.ReleaseConversation(ctx, admin.CompanyID, anyone.ID)
		return w.count(err, &w.result.Released)
	}
}

func (w *worker) count(err error, counter *int) error {
	if err == nil {
		*counter++
	}
	return err
}

// checkSeats checks that each company's seats in use equal its
// non-archived users and stay within its seat limit.
func checkSeats(t *testing.T, store *postgres.Store) {
	t.Helper()
	var rows []struct {
		CompanyID uuid.UUID `bun:"company_id"`
		SeatLimit int       `bun:"seat_limit"`
		SeatsUsed int       `bun:"seats_used"`
		Active    int       `bun:"active"`
	}
	err := store.DB().NewRaw(`SELECT c.company_id, c.seat_limit, c.seats_used,
		(SELECT count(*) FROM roster_users u WHERE u.company_id = c.company_id AND u.status = 'active') AS active
		FROM roster_companies c`).Scan(context.Background(), &rows)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	for _, r := range rows {
		assert.Equal(t, r.Active, r.SeatsUsed, "seats in use of company %s", r.CompanyID)
		assert.LessOrEqual(t, r.SeatsUsed, r.SeatLimit, "seats in use of company %s", r.CompanyID)
	}
}

// checkOpenConversations checks that every open count is within 0 and the
// limit, and that the counts add up to the claims minus the releases.
func checkOpenConversations(t *testing.T, store *postgres.Store, total workerResult) {
	t.Helper()
	var outside, sum int
	err := store.DB().NewRaw(`SELECT
		count(*) FILTER (WHERE open_conversations < 0 OR open_conversations > conversation_limit),
		coalesce(sum(open_conversations), 0)
		FROM roster_users`).Scan(context.Background(), &outside, &sum)
	require.NoError(t, err)
	assert.Zero(t, outside, "users with an open count outside 0 to the limit")
	assert.Equal(t, total.Claimed-total.Released, sum, "open conversations against claims minus releases")
}

// checkEntryCounts checks the number of entries of each type.
func checkEntryCounts(t *testing.T, store *postgres.Store, want map[activity.Type]int) {
	t.Helper()
	var rows []struct {
		Type  string `bun:"type"`
		Count int    `bun:"count"`
	}
	err := store.DB().NewRaw("SELECT type, count(*) AS count FROM roster_activity_entries GROUP BY type").
		Scan(context.Background(), &rows)
	require.NoError(t, err)
	got := map[activity.Type]int{}
	for _, r := range rows {
		got[activity.Type(r.Type)] = r.Count
	}
	for typ, n := range want {
		if n == 0 {
			delete(want, typ)
		}
	}
	assert.Equal(t, want, got)
}

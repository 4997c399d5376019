package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/storage/postgres"
	"github.com/rosterkit/roster/users"
)

// envExplain set to 1 makes TestExplainPlans print the plans.
const envExplain = "ROSTER_BENCH_EXPLAIN"

// queryRecorder is a bun query hook that keeps the SQL text of every
// statement, with the arguments that bun interpolated into it.
type queryRecorder struct {
	mu      sync.Mutex
	queries []string
}

func (r *queryRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *queryRecorder) AfterQuery(_ context.Context, event *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, event.Query)
}

// last returns the last recorded statement that reads table, and clears
// the recorded statements.
func (r *queryRecorder) last(table string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() { r.queries = nil }()
	for i := len(r.queries) - 1; i >= 0; i-- {
		if strings.Contains(r.queries[i], table) {
			return r.queries[i], nil
		}
	}
	return "", fmt.Errorf("no statement on %s among %d recorded", table, len(r.queries))
}

// TestExplainPlans prints EXPLAIN (ANALYZE, BUFFERS) of the statement that
// Roster sends for each page of BenchmarkActivityQuery and
// BenchmarkUserList, and of the hand-written prepared statement as pgx
// runs it after six executions, when PostgreSQL may have switched to a
// generic plan. It runs only with ROSTER_BENCH_EXPLAIN=1.
func TestExplainPlans(t *testing.T) {
	if os.Getenv(envExplain) != "1" {
		t.Skipf("set %s=1 to print the query plans of the benchmarks", envExplain)
	}
	ds := openDataset(t)
	ctx := context.Background()

	// A store of its own records the statements, so that the hook never
	// runs in the benchmarks.
	store, err := postgres.Open(ctx, ds.dsn, &postgres.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recorder := &queryRecorder{}
	store.DB().AddQueryHook(recorder)
	conn, err := pgx.Connect(ctx, ds.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	var out strings.Builder
	logPlans := func(name, rosterSQL, sql string, args []any) {
		t.Helper()
		plan, err := explainAnalyze(ctx, conn, rosterSQL)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prepared, err := explainPrepared(ctx, conn, sql, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fmt.Fprintf(&out, "### %s\n\nRoster's statement:\n\n%s\n\n%s\n\nThe hand-written statement, prepared:\n\n%s\n\n%s\n\n",
			name, rosterSQL, plan, sql, prepared)
	}

	activitySvc := activity.NewService(store, nil)
	cases, err := prepareActivityCases(ctx, ds, activity.NewService(ds.store, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if _, err := activitySvc.Query(ctx, ds.hot, c.query); err != nil {
			t.Fatal(err)
		}
		rosterSQL, err := recorder.last("roster_activity_entries")
		if err != nil {
			t.Fatal(err)
		}
		logPlans("BenchmarkActivityQuery/"+c.name(), rosterSQL, c.sql, c.args)
	}

	usersSvc := users.NewService(store, nil)
	for _, filter := range listFilters {
		q := listQuery(filter)
		if _, err := usersSvc.List(ctx, ds.team, q); err != nil {
			t.Fatal(err)
		}
		rosterSQL, err := recorder.last("roster_users")
		if err != nil {
			t.Fatal(err)
		}
		sql, args := listSQL(ds.team, q)
		logPlans("BenchmarkUserList/filter="+filter, rosterSQL, sql, args)
	}

	// The statements of each change, which the raw transactions repeat.
	companies := newCompanyTracker(t, ds)
	c, err := companies.create(ctx, "explain", 1)
	if err != nil {
		t.Fatal(err)
	}
	limit := 9
	changes := []struct {
		name string
		run  func() error
	}{
		{"BenchmarkInvite", func() error {
			_, err := usersSvc.Invite(ctx, c.actor(), users.Invite{Email: inviteEmail(0), Name: "Invitee 0", Role: users.RoleUser, ConversationLimit: 8})
			return err
		}},
		{"BenchmarkUpdate", func() error {
			_, err := usersSvc.Update(ctx, c.actor(), c.members[0].id, users.Changes{ConversationLimit: &limit})
			return err
		}},
		{"BenchmarkArchive", func() error {
			_, err := usersSvc.Archive(ctx, c.actor(), c.members[0].id, c.members[0].email, 0)
			return err
		}},
	}
	for _, change := range changes {
		recorder.last("")
		if err := change.run(); err != nil {
			t.Fatalf("%s: %v", change.name, err)
		}
		recorder.mu.Lock()
		fmt.Fprintf(&out, "### Statements of %s\n\n%s\n\n", change.name, strings.Join(recorder.queries, "\n"))
		recorder.mu.Unlock()
	}
	t.Log("\n" + out.String())
}

// explainPrepared prepares sql, executes it six times, and returns the
// EXPLAIN (ANALYZE, BUFFERS) output of more executions, as explainAnalyze
// does.
func explainPrepared(ctx context.Context, conn *pgx.Conn, sql string, args []any) (string, error) {
	const name = "bench_explain"
	if _, err := conn.Prepare(ctx, name, sql); err != nil {
		return "", err
	}
	defer conn.Deallocate(ctx, name)
	for range 6 {
		if _, err := conn.Exec(ctx, name, args...); err != nil {
			return "", err
		}
	}
	placeholders := make([]string, len(args))
	for i := range args {
		placeholders[i] = fmt.Sprintf("$%d", i+1)
	}
	// The simple protocol writes the arguments into the EXECUTE statement
	// as literals, because EXPLAIN takes no parameters.
	return medianPlan(func() ([]string, error) {
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) EXECUTE "+name+"("+strings.Join(placeholders, ", ")+")",
			append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	})
}

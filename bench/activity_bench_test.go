package bench

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterkit/roster/activity"
)

// pageSize is the page size of every list and log benchmark.
const pageSize = 50

// deepDepth is how many matching entries the deep page skips, where a
// filter matches at least deepDepth+pageSize entries. Smaller results
// start their deep page half-way down instead.
const deepDepth = 10_000

// activityFilters are the filters of BenchmarkActivityQuery, in order.
var activityFilters = []string{"all", "user", "type", "range7d", "combined"}

// benchRange is the 7-day range of the range7d and combined filters: the
// seven days that end 53 days before the end of the log.
var benchRange = activity.Range{
	From:  datasetEnd.AddDate(0, 0, -60),
	Until: datasetEnd.AddDate(0, 0, -53),
}

// benchType is the type of the type and combined filters.
const benchType = activity.TypeUserUpdated

// activityQuery returns the Roster query of a filter on the largest
// company: its most active user, the type user_updated, benchRange, or all
// three.
func (ds *dataset) activityQuery(filter string) activity.Query {
	q := activity.Query{Limit: pageSize}
	if filter == "user" || filter == "combined" {
		q.UserID = ds.hotUser
	}
	if filter == "type" || filter == "combined" {
		q.Types = []activity.Type{benchType}
	}
	if filter == "range7d" || filter == "combined" {
		q.Range = benchRange
	}
	return q
}

// entrySQL returns the hand-written statement of a log page that matches
// q after the position, or from the newest entry when after is nil. It
// selects limit rows, one more than the page, to tell whether a next page
// exists, as Roster does.
func entrySQL(companyID uuid.UUID, q activity.Query, after *activity.Position, limit int) (string, []any) {
	var stmt strings.Builder
	args := []any{companyID}
	stmt.WriteString(`SELECT company_id, id, type, user_id, target_user_id, ip_address, user_agent, occurred_at, details
FROM roster_activity_entries
WHERE company_id = $1`)
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.UserID != uuid.Nil {
		stmt.WriteString(" AND user_id = " + param(q.UserID))
	}
	if len(q.Types) == 1 {
		stmt.WriteString(" AND type = " + param(string(q.Types[0])))
	}
	if !q.Range.From.IsZero() {
		stmt.WriteString(" AND occurred_at >= " + param(q.Range.From))
	}
	if !q.Range.Until.IsZero() {
		stmt.WriteString(" AND occurred_at < " + param(q.Range.Until))
	}
	if after != nil {
		stmt.WriteString(" AND (occurred_at, id) < (" + param(after.OccurredAt) + ", " + param(after.ID) + ")")
	}
	stmt.WriteString("\nORDER BY occurred_at DESC, id DESC\nLIMIT " + strconv.Itoa(limit))
	return stmt.String(), args
}

// queryEntriesSQL runs a statement of entrySQL and scans the rows into
// entries, decoding the details, as Roster's store does.
func queryEntriesSQL(ctx context.Context, pool *pgxpool.Pool, sql string, args []any) ([]activity.Entry, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []activity.Entry
	for rows.Next() {
		var (
			e              activity.Entry
			typ            string
			userID, target *uuid.UUID
			ip             *netip.Prefix
		)
		if err := rows.Scan(&e.CompanyID, &e.ID, &typ, &userID, &target, &ip, &e.UserAgent, &e.OccurredAt, &e.Details); err != nil {
			return nil, err
		}
		e.Type = activity.Type(typ)
		if userID != nil {
			e.UserID = *userID
		}
		if target != nil {
			e.TargetUserID = *target
		}
		if ip != nil {
			e.IP = ip.Addr()
		}
		e.OccurredAt = e.OccurredAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// activityCase is one page of BenchmarkActivityQuery.
type activityCase struct {
	filter string
	deep   bool
	// query is the Roster query, with the cursor of the deep page.
	query activity.Query
	// sql and args are the hand-written statement.
	sql  string
	args []any
	// depth is how many entries the page skips; matches is the number of
	// matching entries, counted up to 2*deepDepth.
	depth, matches int
	// rows is the number of rows that the SQL returns: pageSize+1, or
	// fewer at the end of the log.
	rows int
}

func (c activityCase) name() string {
	page := "first"
	if c.deep {
		page = "deep"
	}
	return "page=" + page + "/filter=" + c.filter
}

// activityCases caches the cases across the runs of -count.
var activityCases []activityCase

// prepareActivityCases builds every case, computes the deep pages'
// cursors through Roster's API and their positions through SQL, and checks
// that Roster and the SQL return the same entries.
func prepareActivityCases(ctx context.Context, ds *dataset, svc *activity.Service) ([]activityCase, error) {
	if activityCases != nil {
		return activityCases, nil
	}
	var cases []activityCase
	for _, deep := range []bool{false, true} {
		for _, filter := range activityFilters {
			c := activityCase{filter: filter, deep: deep, query: ds.activityQuery(filter)}
			var after *activity.Position
			if deep {
				var err error
				if c.matches, err = countEntries(ctx, ds, c.query, 2*deepDepth); err != nil {
					return nil, err
				}
				c.depth = deepDepth
				if c.matches < deepDepth+pageSize {
					c.depth = c.matches / 2
				}
				if c.query.Cursor, err = cursorAfter(ctx, svc, ds.hot, c.query, c.depth); err != nil {
					return nil, err
				}
				if after, err = positionAfter(ctx, ds, c.query, c.depth); err != nil {
					return nil, err
				}
				fmt.Fprintf(os.Stderr, "bench: the deep page of filter=%s starts after %d entries (%d match, counted up to %d)\n",
					filter, c.depth, c.matches, 2*deepDepth)
			}
			c.sql, c.args = entrySQL(ds.hot, c.query, after, pageSize+1)
			if err := checkSameEntries(ctx, ds, svc, &c); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name(), err)
			}
			cases = append(cases, c)
		}
	}
	activityCases = cases
	return cases, nil
}

func countEntries(ctx context.Context, ds *dataset, q activity.Query, upTo int) (int, error) {
	sql, args := entrySQL(ds.hot, q, nil, upTo)
	var n int
	err := ds.pool.QueryRow(ctx, "SELECT count(*) FROM ("+sql+") matches", args...).Scan(&n)
	return n, err
}

// cursorAfter pages through Roster's API, 200 entries at a time, and
// returns the cursor that continues after depth entries.
func cursorAfter(ctx context.Context, svc *activity.Service, companyID uuid.UUID, q activity.Query, depth int) (string, error) {
	for skipped := 0; skipped < depth; {
		q.Limit = min(activity.MaxPageSize, depth-skipped)
		page, err := svc.Query(ctx, companyID, q)
		if err != nil {
			return "", err
		}
		if page.NextCursor == "" {
			return "", fmt.Errorf("the log ends after %d entries, before the depth %d", skipped+len(page.Entries), depth)
		}
		skipped += len(page.Entries)
		q.Cursor = page.NextCursor
	}
	return q.Cursor, nil
}

// positionAfter returns the position of the depth-th matching entry.
func positionAfter(ctx context.Context, ds *dataset, q activity.Query, depth int) (*activity.Position, error) {
	sql, args := entrySQL(ds.hot, q, nil, depth)
	var p activity.Position
	err := ds.pool.QueryRow(ctx, "SELECT occurred_at, id FROM ("+sql+") page ORDER BY occurred_at, id LIMIT 1", args...).
		Scan(&p.OccurredAt, &p.ID)
	return &p, err
}

// checkSameEntries checks that Roster and the SQL return the same page,
// and stores its length in c.rows.
func checkSameEntries(ctx context.Context, ds *dataset, svc *activity.Service, c *activityCase) error {
	page, err := svc.Query(ctx, ds.hot, c.query)
	if err != nil {
		return err
	}
	rows, err := queryEntriesSQL(ctx, ds.pool, c.sql, c.args)
	if err != nil {
		return err
	}
	if len(page.Entries) != min(len(rows), pageSize) {
		return fmt.Errorf("Roster returned %d entries and the SQL %d rows", len(page.Entries), len(rows))
	}
	if len(page.Entries) < pageSize {
		fmt.Fprintf(os.Stderr, "bench: %s has only %d entries on its page; a larger %s fills it\n", c.name(), len(page.Entries), envEntries)
	}
	c.rows = len(rows)
	for i, e := range page.Entries {
		if e.ID != rows[i].ID || e.Details.Email != rows[i].Details.Email || e.IP != rows[i].IP {
			return fmt.Errorf("entry %d differs: Roster %+v, SQL %+v", i, e, rows[i])
		}
	}
	return nil
}

// BenchmarkActivityQuery reads a page of 50 entries of the largest
// company, newest first, for each filter, on the first page and on a deep
// page reached by a cursor. Roster reads it through activity.Service on the
// PostgreSQL store, the SQL side through the hand-written statement on
// pgx.
func BenchmarkActivityQuery(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	svc := activity.NewService(ds.store, nil)
	cases, err := prepareActivityCases(ctx, ds, svc)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name(), func(b *testing.B) {
			b.Run("impl=roster", func(b *testing.B) {
				runTimed(b, func(int) error {
					page, err := svc.Query(ctx, ds.hot, c.query)
					if err == nil && len(page.Entries) != min(c.rows, pageSize) {
						err = fmt.Errorf("got %d entries, expected %d", len(page.Entries), min(c.rows, pageSize))
					}
					return err
				})
			})
			b.Run("impl=sql", func(b *testing.B) {
				runTimed(b, func(int) error {
					rows, err := queryEntriesSQL(ctx, ds.pool, c.sql, c.args)
					if err == nil && len(rows) != c.rows {
						err = fmt.Errorf("got %d rows, expected %d", len(rows), c.rows)
					}
					return err
				})
			})
		})
	}
}

// explainRuns is how many times the plans are taken. One run on a busy
// machine can take ten times the usual time, so the plans show the run of
// median execution time.
const explainRuns = 5

// explainAnalyze returns the EXPLAIN (ANALYZE, BUFFERS) output of a
// statement: the run of median execution time among explainRuns, after
// one run that loads its pages into the cache.
func explainAnalyze(ctx context.Context, conn *pgx.Conn, sql string, args ...any) (string, error) {
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return "", err
	}
	return medianPlan(func() ([]string, error) {
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	})
}

// medianPlan runs explain explainRuns times and returns the output whose
// "Execution Time" line is the median.
func medianPlan(explain func() ([]string, error)) (string, error) {
	type plan struct {
		text string
		ms   float64
	}
	var plans []plan
	for range explainRuns {
		lines, err := explain()
		if err != nil {
			return "", err
		}
		p := plan{text: strings.Join(lines, "\n")}
		for _, line := range lines {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Execution Time: "); ok {
				p.ms, _ = strconv.ParseFloat(strings.TrimSuffix(v, " ms"), 64)
			}
		}
		plans = append(plans, p)
	}
	slices.SortFunc(plans, func(a, b plan) int { return cmp.Compare(a.ms, b.ms) })
	return plans[len(plans)/2].text, nil
}

// queryEntriesStdlib runs a statement of entrySQL through database/sql on
// the store's own pool, which uses pgx's simple protocol, and scans the
// rows without bun.
func queryEntriesStdlib(ctx context.Context, db *sql.DB, query string, args []any) ([]activity.Entry, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []activity.Entry
	for rows.Next() {
		var (
			e              activity.Entry
			typ            string
			userID, target uuid.NullUUID
			ip             sql.NullString
			details        []byte
		)
		if err := rows.Scan(&e.CompanyID, &e.ID, &typ, &userID, &target, &ip, &e.UserAgent, &e.OccurredAt, &details); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(details, &e.Details); err != nil {
			return nil, err
		}
		e.Type, e.UserID, e.TargetUserID = activity.Type(typ), userID.UUID, target.UUID
		if ip.Valid {
			if e.IP, err = netip.ParseAddr(ip.String); err != nil {
				return nil, err
			}
		}
		e.OccurredAt = e.OccurredAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// BenchmarkActivityQueryLayers reads the first page of the user filter
// through each layer between Roster's API and the wire, to show where the
// difference between Roster and the hand-written SQL comes from:
//
//   - roster: activity.Service.Query, which adds the cursor to the store;
//   - store: postgres.Store.QueryEntries, bun on database/sql;
//   - stdlib-simple: database/sql on the store's pool, scanned by hand;
//   - stdlib-cached: the same with pgx.QueryExecModeCacheStatement as the
//     first argument, which makes pgx prepare the statement once per
//     connection and read binary results;
//   - pgx-simple: pgx's own pool with the simple protocol, as the store's
//     pool uses it;
//   - sql: pgx's own pool with its cache of prepared statements, as in
//     BenchmarkActivityQuery.
func BenchmarkActivityQueryLayers(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	q := ds.activityQuery("user")
	query, args := entrySQL(ds.hot, q, nil, pageSize+1)
	filter := activity.Filter{CompanyID: ds.hot, UserID: q.UserID, Limit: pageSize + 1}
	svc := activity.NewService(ds.store, nil)
	simpleArgs := append([]any{pgx.QueryExecModeSimpleProtocol}, args...)
	cachedArgs := append([]any{pgx.QueryExecModeCacheStatement}, args...)
	layers := []struct {
		name  string
		query func() (int, error)
	}{
		{"roster", func() (int, error) {
			page, err := svc.Query(ctx, ds.hot, q)
			return len(page.Entries) + 1, err
		}},
		{"store", func() (int, error) {
			entries, err := ds.store.QueryEntries(ctx, filter)
			return len(entries), err
		}},
		{"stdlib-simple", func() (int, error) {
			entries, err := queryEntriesStdlib(ctx, ds.store.DB().DB, query, args)
			return len(entries), err
		}},
		{"stdlib-cached", func() (int, error) {
			entries, err := queryEntriesStdlib(ctx, ds.store.DB().DB, query, cachedArgs)
			return len(entries), err
		}},
		{"pgx-simple", func() (int, error) {
			entries, err := queryEntriesSQL(ctx, ds.pool, query, simpleArgs)
			return len(entries), err
		}},
		{"sql", func() (int, error) {
			entries, err := queryEntriesSQL(ctx, ds.pool, query, args)
			return len(entries), err
		}},
	}
	for _, layer := range layers {
		b.Run("impl="+layer.name, func(b *testing.B) {
			runTimed(b, func(int) error {
				n, err := layer.query()
				if err == nil && n != pageSize+1 {
					err = fmt.Errorf("got %d rows, expected %d", n, pageSize+1)
				}
				return err
			})
		})
	}
}

package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// listFilters are the filters of BenchmarkUserList: none, the admins, and
// a text search that matches a few dozen users.
var listFilters = []string{"all", "role", "search"}

func listQuery(filter string) users.ListQuery {
	q := users.ListQuery{Limit: pageSize}
	switch filter {
	case "role":
		q.Role = users.RoleAdmin
	case "search":
		q.Search = teamSearch
	}
	return q
}

// userColumnList is the column list of every user statement, in the order
// scanUser reads.
const userColumnList = `company_id, id, email, email_key, name, name_key, role, verification,
	can_access_phone_calls, can_access_ai_assistant, conversation_limit, open_conversations,
	status, invited_at, verified_at, archived_at, version`

func scanUser(row pgx.Row) (users.User, error) {
	var (
		u                          users.User
		role, verification, status string
		verifiedAt, archivedAt     *time.Time
	)
	err := row.Scan(&u.CompanyID, &u.ID, &u.Email, &u.EmailKey, &u.Name, &u.NameKey, &role, &verification,
		&u.CanAccessPhoneCalls, &u.CanAccessAIAssistant, &u.ConversationLimit, &u.OpenConversations,
		&status, &u.InvitedAt, &verifiedAt, &archivedAt, &u.Version)
	if err != nil {
		return users.User{}, err
	}
	u.Role, u.Verification, u.Status = users.Role(role), users.VerificationStatus(verification), users.Status(status)
	u.InvitedAt = u.InvitedAt.UTC()
	if verifiedAt != nil {
		u.VerifiedAt = verifiedAt.UTC()
	}
	if archivedAt != nil {
		u.ArchivedAt = archivedAt.UTC()
	}
	return u, nil
}

// listSQL returns the hand-written statement of a team list page, which
// selects one user more than the page, as Roster does.
func listSQL(companyID uuid.UUID, q users.ListQuery) (string, []any) {
	args := []any{companyID}
	var sql strings.Builder
	sql.WriteString("SELECT " + userColumnList + "\nFROM roster_users\nWHERE company_id = $1")
	if q.Role != "" {
		args = append(args, string(q.Role))
		sql.WriteString(" AND role = $" + strconv.Itoa(len(args)))
	}
	if q.Search != "" {
		// teamSearch has no LIKE wildcard to escape.
		args = append(args, "%"+q.Search+"%")
		n := strconv.Itoa(len(args))
		sql.WriteString(" AND (name_key LIKE $" + n + " OR email_key LIKE $" + n + ")")
	}
	sql.WriteString("\nORDER BY name_key, id\nLIMIT " + strconv.Itoa(pageSize+1))
	return sql.String(), args
}

// listUsersSQL reads the seat usage and a page of users with two
// statements, the same two that Roster runs.
func listUsersSQL(ctx context.Context, pool *pgxpool.Pool, companyID uuid.UUID, sql string, args []any) ([]users.User, seats.Usage, error) {
	var usage seats.Usage
	err := pool.QueryRow(ctx, "SELECT seat_limit, seats_used FROM roster_companies WHERE company_id = $1", companyID).
		Scan(&usage.Limit, &usage.Used)
	if err != nil {
		return nil, seats.Usage{}, err
	}
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, seats.Usage{}, err
	}
	defer rows.Close()
	var out []users.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, seats.Usage{}, err
		}
		out = append(out, u)
	}
	return out, usage, rows.Err()
}

// checkSameUsers checks that Roster and the SQL return the same page, and
// returns the number of users that match q, counted by SQL.
func checkSameUsers(ctx context.Context, ds *dataset, svc *users.Service, q users.ListQuery) (int, error) {
	page, err := svc.List(ctx, ds.team, q)
	if err != nil {
		return 0, err
	}
	sql, args := listSQL(ds.team, q)
	rows, usage, err := listUsersSQL(ctx, ds.pool, ds.team, sql, args)
	if err != nil {
		return 0, err
	}
	if usage != page.Seats {
		return 0, fmt.Errorf("seat usage differs: Roster %+v, SQL %+v", page.Seats, usage)
	}
	want := min(len(rows), pageSize)
	if len(page.Users) != want {
		return 0, fmt.Errorf("Roster returned %d users, the SQL %d rows", len(page.Users), len(rows))
	}
	for i, u := range page.Users {
		if u != rows[i] {
			return 0, fmt.Errorf("user %d differs: Roster %+v, SQL %+v", i, u, rows[i])
		}
	}
	countSQL := "SELECT count(*) FROM (" + strings.Replace(sql, "LIMIT "+strconv.Itoa(pageSize+1), "", 1) + ") matches"
	var n int
	err = ds.pool.QueryRow(ctx, countSQL, args...).Scan(&n)
	return n, err
}

// BenchmarkUserList reads a page of 50 users of the team company, with its
// seat usage, through users.Service and through the same two statements on
// pgx: unfiltered, the admins, and a text search.
func BenchmarkUserList(b *testing.B) {
	ds := openDataset(b)
	ctx := context.Background()
	svc := users.NewService(ds.store, nil)
	// Earlier benchmarks inserted and deleted users. Without a vacuum,
	// every search scans their rows in the trigram indexes' pending list.
	if err := vacuumWrittenTables(ctx, ds); err != nil {
		b.Fatal(err)
	}
	for _, filter := range listFilters {
		q := listQuery(filter)
		matches, err := checkSameUsers(ctx, ds, svc, q)
		if err != nil {
			b.Fatalf("filter=%s: %v", filter, err)
		}
		fmt.Fprintf(os.Stderr, "bench: filter=%s matches %d of the team company's users\n", filter, matches)
		sql, args := listSQL(ds.team, q)
		b.Run("filter="+filter, func(b *testing.B) {
			b.Run("impl=roster", func(b *testing.B) {
				runTimed(b, func(int) error {
					_, err := svc.List(ctx, ds.team, q)
					return err
				})
			})
			b.Run("impl=sql", func(b *testing.B) {
				runTimed(b, func(int) error {
					_, _, err := listUsersSQL(ctx, ds.pool, ds.team, sql, args)
					return err
				})
			})
		})
	}
}

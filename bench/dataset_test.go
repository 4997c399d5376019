package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterkit/roster/internal/pgtest"
	"github.com/rosterkit/roster/storage/postgres"
)

// Environment variables that size the dataset. Each combination gets a
// database of its own.
const (
	// envEntries is the number of activity entries spread over the log
	// companies; the reference size is 10,000,000.
	envEntries = "ROSTER_BENCH_ENTRIES"
	// envCompanies is the number of companies that share those entries.
	envCompanies = "ROSTER_BENCH_COMPANIES"
	// envTeamUsers is the size of the one company that the team list
	// benchmark reads.
	envTeamUsers = "ROSTER_BENCH_TEAM_USERS"
	// envDataset set to 1 makes TestDataset generate or check the dataset.
	envDataset = "ROSTER_BENCH_DATASET"
)

const (
	defaultEntries   = 200_000
	defaultCompanies = 100
	defaultTeamUsers = 10_000

	// generatorVersion names the dataset's layout. Raise it whenever the
	// generator changes what it writes, so that a new database is built
	// instead of reusing one with other contents.
	generatorVersion = 1
	// usersPerCompany is the team size of each log company.
	usersPerCompany = 100
	// datasetDays is the time span that the entries cover.
	datasetDays = 180
	// entryChunk is how many entries one INSERT ... SELECT writes.
	entryChunk = 1_000_000
)

// datasetStart is the time of the oldest entry. It is fixed, so that a
// dataset does not depend on the day it was generated.
var datasetStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// datasetEnd is one past the newest entry.
var datasetEnd = datasetStart.AddDate(0, 0, datasetDays)

// datasetConfig is the size of a dataset.
type datasetConfig struct {
	Entries   int64
	Companies int
	TeamUsers int
}

func configFromEnv() (datasetConfig, error) {
	c := datasetConfig{Entries: defaultEntries, Companies: defaultCompanies, TeamUsers: defaultTeamUsers}
	var errs []error
	if v := os.Getenv(envEntries); v != "" {
		n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64)
		if err != nil || n < 10_000 {
			errs = append(errs, fmt.Errorf("%s must be an integer of at least 10000, got %q", envEntries, v))
		}
		c.Entries = n
	}
	if v := os.Getenv(envCompanies); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("%s must be an integer from 1 to 1000, got %q", envCompanies, v))
		}
		c.Companies = n
	}
	if v := os.Getenv(envTeamUsers); v != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err != nil || n < 100 || n > 100_000 {
			errs = append(errs, fmt.Errorf("%s must be an integer from 100 to 100000, got %q", envTeamUsers, v))
		}
		c.TeamUsers = n
	}
	return c, errors.Join(errs...)
}

// databaseName returns the dataset's database name, such as
// roster_bench_10m_v1, with the company count and team size appended when
// they differ from the defaults.
func (c datasetConfig) databaseName() string {
	name := fmt.Sprintf("roster_bench_%s_v%d", sizeLabel(c.Entries), generatorVersion)
	if c.Companies != defaultCompanies || c.TeamUsers != defaultTeamUsers {
		name += fmt.Sprintf("_c%d_t%d", c.Companies, c.TeamUsers)
	}
	return name
}

// sizeLabel writes n as 10m or 200k where that is exact.
func sizeLabel(n int64) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dm", n/1_000_000)
	case n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return strconv.FormatInt(n, 10)
}

// dataset is an open, generated dataset with the ids the benchmarks need.
type dataset struct {
	config datasetConfig
	name   string
	dsn    string
	// store and pool use the same database with poolSize connections
	// each: store for Roster, pool for the hand-written SQL.
	store *postgres.Store
	pool  *pgxpool.Pool

	// hot is the log company with the most entries.
	hot uuid.UUID
	// hotUser is the most active user of hot, an admin.
	hotUser uuid.UUID
	// team is the company of config.TeamUsers users.
	team uuid.UUID
}

// poolSize is the connection pool size of both the Roster store and the
// hand-written SQL's pgx pool. The parallel benchmarks run 8 goroutines on
// 2 cores, so every goroutine has a connection.
const poolSize = 8

// Identifiers of generated rows. The generator derives every id from a
// fixed text with md5, so that these match the SQL below.
func companyID(index int) uuid.UUID {
	return md5UUID(fmt.Sprintf("roster-bench company %d", index))
}

func logUserID(company, index int) uuid.UUID {
	return md5UUID(fmt.Sprintf("roster-bench user %d %d", company, index))
}

var shared struct {
	mu sync.Mutex
	ds *dataset
	// err is the error of the first open, returned to every later caller.
	err error
}

// openDataset returns the dataset of the ROSTER_BENCH_* variables, and
// generates it first when its database does not exist. It skips b when
// PostgreSQL is unreachable, following pgtest.Require.
func openDataset(b testing.TB) *dataset {
	b.Helper()
	pgtest.Require(b)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ds == nil && shared.err == nil {
		shared.ds, shared.err = prepareDataset(context.Background())
	}
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.ds
}

func prepareDataset(ctx context.Context) (*dataset, error) {
	config, err := configFromEnv()
	if err != nil {
		return nil, err
	}
	ds := &dataset{
		config:  config,
		name:    config.databaseName(),
		hot:     companyID(0),
		hotUser: logUserID(0, 0),
		team:    companyID(config.Companies),
	}
	ds.dsn = pgtest.WithParams(pgtest.AdminDSN(), ds.name, nil)

	created, err := createDatabaseIfMissing(ctx, ds.name)
	if err != nil {
		return nil, err
	}
	store, err := postgres.Open(ctx, ds.dsn, &postgres.Options{MaxOpenConns: poolSize})
	if err != nil {
		return nil, fmt.Errorf("open the dataset database %s: %w", ds.name, err)
	}
	ds.store = store
	if err := postgres.Migrate(ctx, store.DB(), nil); err != nil {
		return nil, fmt.Errorf("migrate the dataset database %s: %w", ds.name, err)
	}
	if created {
		if err := generate(ctx, ds); err != nil {
			return nil, fmt.Errorf("generate the dataset in %s: %w; drop the database with %s and run again",
				ds.name, err, dropCommand(ds.name))
		}
	}
	if err := checkMarker(ctx, ds); err != nil {
		return nil, err
	}

	poolConfig, err := pgxpool.ParseConfig(ds.dsn)
	if err != nil {
		return nil, err
	}
	poolConfig.MaxConns = poolSize
	ds.pool, err = pgxpool.NewWithConfig(ctx, poolConfig)
	if err != nil {
		return nil, fmt.Errorf("open a pgx pool on %s: %w", ds.name, err)
	}
	if err := deleteWriteCompanies(ctx, ds, nil); err != nil {
		return nil, fmt.Errorf("delete the companies that earlier benchmark runs left: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bench: dataset %s: %d entries over %d companies and %d days, a team of %d users; drop it with %s\n",
		ds.name, config.Entries, config.Companies, datasetDays, config.TeamUsers, dropCommand(ds.name))
	return ds, nil
}

func dropCommand(name string) string {
	return fmt.Sprintf("psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE %s'", name)
}

// createDatabaseIfMissing creates the database and reports whether it did.
func createDatabaseIfMissing(ctx context.Context, name string) (bool, error) {
	admin, err := pgx.Connect(ctx, pgtest.AdminDSN())
	if err != nil {
		return false, fmt.Errorf("connect to the PostgreSQL server: %w", err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return false, err
	}
	if exists {
		return false, nil
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return false, fmt.Errorf("create the dataset database %s: %w", name, err)
	}
	return true, nil
}

// markerTable records the parameters of a complete dataset. The generator
// writes it last, so a database without it holds an interrupted
// generation.
const markerTable = "roster_bench_dataset"

// marker is the row of markerTable.
type marker struct {
	GeneratorVersion  int
	Entries           int64
	Companies         int
	TeamUsers         int
	GeneratedAt       time.Time
	GenerationSeconds float64
}

func readMarker(ctx context.Context, conn *pgx.Conn) (marker, error) {
	var m marker
	err := conn.QueryRow(ctx, `SELECT generator_version, entries, companies, team_users, generated_at, generation_seconds FROM `+markerTable).
		Scan(&m.GeneratorVersion, &m.Entries, &m.Companies, &m.TeamUsers, &m.GeneratedAt, &m.GenerationSeconds)
	return m, err
}

func checkMarker(ctx context.Context, ds *dataset) error {
	conn, err := pgx.Connect(ctx, ds.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	m, err := readMarker(ctx, conn)
	if err != nil {
		return fmt.Errorf("database %s exists but holds no complete dataset (%v), probably from an interrupted generation; drop it with %s and run again",
			ds.name, err, dropCommand(ds.name))
	}
	want := marker{GeneratorVersion: generatorVersion, Entries: ds.config.Entries, Companies: ds.config.Companies, TeamUsers: ds.config.TeamUsers}
	if m.GeneratorVersion != want.GeneratorVersion || m.Entries != want.Entries || m.Companies != want.Companies || m.TeamUsers != want.TeamUsers {
		return fmt.Errorf("database %s holds a dataset of version %d with %d entries, %d companies and %d team users, not version %d with %d, %d and %d; drop it with %s",
			ds.name, m.GeneratorVersion, m.Entries, m.Companies, m.TeamUsers,
			want.GeneratorVersion, want.Entries, want.Companies, want.TeamUsers, dropCommand(ds.name))
	}
	return nil
}

// uniform returns the SQL of a deterministic number in [0, 1) for the
// integer expression g and the salt k, so that every column draws its own
// value and a regenerated dataset is identical.
func uniform(g string, k int) string {
	return fmt.Sprintf("((hashint8extended(%s, %d) & 2147483647)::float8 / 2147483648.0)", g, k)
}

// generate fills a freshly migrated database. It loads the log with its
// secondary indexes dropped and foreign key triggers off, then rebuilds
// the indexes from their original definitions, checks the foreign keys
// with one query, vacuums and analyzes.
func generate(ctx context.Context, ds *dataset) error {
	started := time.Now()
	conn, err := pgx.Connect(ctx, ds.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench: %s: %6.1fs: %s\n", ds.name, time.Since(started).Seconds(), fmt.Sprintf(format, args...))
	}
	logf("generating %d entries over %d companies, and a team of %d users", ds.config.Entries, ds.config.Companies, ds.config.TeamUsers)

	// session_replication_role = replica skips the foreign key triggers
	// for this session's inserts; it needs a superuser.
	for _, s := range []string{
		"SET maintenance_work_mem = '1GB'",
		"SET work_mem = '64MB'",
		"SET session_replication_role = replica",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	if err := generateCompaniesAndUsers(ctx, conn, ds.config); err != nil {
		return err
	}
	logf("companies and users written")

	indexes, err := dropLogIndexes(ctx, conn)
	if err != nil {
		return err
	}
	for lo := int64(0); lo < ds.config.Entries; lo += entryChunk {
		hi := min(lo+entryChunk, ds.config.Entries)
		if _, err := conn.Exec(ctx, entriesSQL, lo, hi, ds.config.Entries, ds.config.Companies, datasetStart); err != nil {
			return fmt.Errorf("insert entries %d to %d: %w", lo, hi, err)
		}
		logf("entries %d of %d written", hi, ds.config.Entries)
	}
	if _, err := conn.Exec(ctx, companyCreatedSQL, ds.config.Companies); err != nil {
		return fmt.Errorf("insert company_created entries: %w", err)
	}
	for _, def := range indexes {
		if _, err := conn.Exec(ctx, def); err != nil {
			return fmt.Errorf("%s: %w", def, err)
		}
		logf("%s", def)
	}
	if _, err := conn.Exec(ctx, "RESET session_replication_role"); err != nil {
		return err
	}
	if err := checkForeignKeys(ctx, conn); err != nil {
		return err
	}
	for _, table := range []string{"roster_companies", "roster_users", "roster_activity_entries"} {
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	logf("vacuumed and analyzed")

	seconds := time.Since(started).Seconds()
	_, err = conn.Exec(ctx, `CREATE TABLE `+markerTable+` (
		generator_version  integer          NOT NULL,
		entries            bigint           NOT NULL,
		companies          integer          NOT NULL,
		team_users         integer          NOT NULL,
		generated_at       timestamptz      NOT NULL,
		generation_seconds double precision NOT NULL)`)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO `+markerTable+` VALUES ($1, $2, $3, $4, now(), $5)`,
		generatorVersion, ds.config.Entries, ds.config.Companies, ds.config.TeamUsers, seconds)
	if err != nil {
		return err
	}
	var size string
	if err := conn.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&size); err != nil {
		return err
	}
	logf("done: %s on disk", size)
	return nil
}

// firstNames and lastNames make the team company's names. No last name
// but Ahlberg (in Dahlberg) is part of another name, so a search for one
// matches about TeamUsers/len(lastNames) users.
var firstNames = []string{
	"Aaliyah", "Adebayo", "Aiko", "Alejandro", "Amara", "Anders", "Aneta", "Arjun", "Astrid", "Beatriz",
	"Bilal", "Bogdan", "Camille", "Chidi", "Chloe", "Dario", "Dmitri", "Elif", "Emeka", "Esther",
	"Fatima", "Felipe", "Freya", "Giorgos", "Hana", "Hamza", "Ingrid", "Isabel", "Jakob", "Jamal",
	"Jin", "Joanna", "Kaito", "Kalinda", "Karim", "Keanu", "Lars", "Leila", "Lucia", "Mads",
	"Malik", "Mariana", "Mateo", "Mei", "Milan", "Nadia", "Naveen", "Niamh", "Nikolai", "Noor",
	"Olga", "Omar", "Paloma", "Pavel", "Priya", "Quentin", "Rafael", "Rania", "Rohan", "Rosa",
	"Sade", "Samir", "Sanna", "Selin", "Sven", "Tariq", "Thandiwe", "Tomasz", "Ulla", "Valentina",
	"Vikram", "Wanjiru", "Xavier", "Yara", "Yusuf", "Zainab", "Zofia", "Bruno", "Greta", "Hugo",
}

var lastNames = []string{
	"Abara", "Achterberg", "Adeyemi", "Agbaje", "Albrecht", "Alvarado", "Andersson", "Aoki", "Arslan", "Babic",
	"Bachmann", "Balogun", "Banerjee", "Barbosa", "Becker", "Bergqvist", "Bianchi", "Bjornstad", "Blanchard", "Bondarenko",
	"Borowski", "Brandt", "Bustamante", "Castellanos", "Cavalcanti", "Chakraborty", "Chowdhury", "Ciobanu", "Costa", "Czerny",
	"Dahlberg", "Delacroix", "Demir", "Diallo", "Dimitrov", "Dvorak", "Eklund", "Esposito", "Fagerlund", "Falkenberg",
	"Fernandes", "Fiorentino", "Fitzgerald", "Fujimoto", "Gallagher", "Garmendia", "Gashi", "Gonzaga", "Grabowski", "Gunawardena",
	"Gustafsson", "Haddad", "Halvorsen", "Hashemi", "Hartmann", "Herrera", "Hoffmann", "Horvath", "Hosseini", "Ibrahimovic",
	"Ishikawa", "Iwu", "Jablonski", "Jankowski", "Jaramillo", "Johansson", "Kaczmarek", "Kapoor", "Karlsson", "Kavanagh",
	"Kelleher", "Khumalo", "Kimura", "Kovalenko", "Kowalczyk", "Krishnan", "Kuznetsova", "Lindqvist", "Lombardi", "Lundgren",
	"Machado", "Magnusson", "Makarova", "Maldonado", "Marchetti", "Matsumoto", "Mbeki", "Mendoza", "Mikkelsen", "Morozov",
	"Mukherjee", "Mwangi", "Nakamura", "Navarro", "Nielsen", "Novak", "Nwachukwu", "Obradovic", "Ogunleye", "Okafor",
	"Olivares", "Ostrowski", "Pacheco", "Papadopoulos", "Pellegrini", "Petrovic", "Pichler", "Quintero", "Rahman", "Rasmussen",
	"Ravindran", "Rodrigues", "Rossetti", "Rybakov", "Sakamoto", "Salazar", "Santangelo", "Schneider", "Sebastiani", "Sharma",
	"Shevchenko", "Sigurdsson", "Sokolova", "Stavros", "Suleiman", "Szabo", "Takahashi", "Tanaka", "Thorsen", "Tkachenko",
	"Trujillo", "Uchenna", "Valdivia", "Vasquez", "Veerasamy", "Vuković", "Wagner", "Wojcik", "Yamamoto", "Yilmaz",
	"Zamora", "Zielinski", "Zubiri", "Zwane", "Halloran", "Ferreira", "Ekwueme", "Lindholm", "Rautio", "Stromberg",
	"Castaneda", "Bhattacharya", "Oyelaran", "Kristiansen", "Villanueva", "Montenegro", "Sandoval", "Wieczorek", "Okonkwo", "Ahlberg",
}

// teamSearch is the team list's text search: part of one last name, as an
// admin types it.
const teamSearch = "okonk"

func generateCompaniesAndUsers(ctx context.Context, conn *pgx.Conn, c datasetConfig) error {
	statements := []struct {
		sql  string
		args []any
	}{
		{`CREATE TEMP TABLE bench_company_index (idx integer PRIMARY KEY, company_id uuid NOT NULL)`, nil},
		{`INSERT INTO bench_company_index
			SELECT i, md5('roster-bench company ' || i)::uuid FROM generate_series(0, $1::integer) i`, []any{c.Companies}},
		{`CREATE TEMP TABLE bench_user_index (
			cidx integer, idx integer, id uuid NOT NULL, email text NOT NULL, PRIMARY KEY (cidx, idx))`, nil},
		{`INSERT INTO bench_user_index
			SELECT ci, ui, md5(format('roster-bench user %s %s', ci, ui))::uuid, format('agent%s@company%s.example', ui, ci)
			FROM generate_series(0, $1::integer - 1) ci, generate_series(0, $2::integer - 1) ui`, []any{c.Companies, usersPerCompany}},
		// Log companies have a seat limit of 200 and the team company one
		// of 100,000. The last statement counts the seats in use.
		{`INSERT INTO roster_companies (company_id, name, seat_limit, seats_used, created_at)
			SELECT company_id,
				CASE WHEN idx < $1 THEN format('Company %s', lpad(idx::text, 3, '0')) ELSE 'Team company' END,
				CASE WHEN idx < $1 THEN 200 ELSE 100000 END,
				0, $2::timestamptz - interval '1 day'
			FROM bench_company_index`, []any{c.Companies, datasetStart}},
		// In each log company users 0 to 4 are admins and users 95 to 99
		// are archived. All are verified.
		{`INSERT INTO roster_users (company_id, id, email, email_key, name, name_key, role, verification,
				can_access_phone_calls, can_access_ai_assistant, conversation_limit, open_conversations,
				status, invited_at, verified_at, archived_at, version)
			SELECT ci.company_id, ui.id, ui.email, ui.email, 'Agent ' || ui.idx, 'agent ' || ui.idx,
				CASE WHEN ui.idx < 5 THEN 'admin' ELSE 'user' END, 'verified',
				ui.idx % 3 <> 0, ui.idx % 4 = 0, 8, 0,
				CASE WHEN ui.idx >= 95 THEN 'archived' ELSE 'active' END,
				$1::timestamptz - interval '1 day', $1::timestamptz - interval '23 hours',
				CASE WHEN ui.idx >= 95 THEN $1::timestamptz + interval '150 days' END,
				CASE WHEN ui.idx >= 95 THEN 3 ELSE 2 END
			FROM bench_user_index ui JOIN bench_company_index ci ON ci.idx = ui.cidx`, []any{datasetStart}},
		// The team company: 5% admins, 8% archived, 7% of the rest not
		// verified. User 0 is an active, verified admin.
		{`INSERT INTO roster_users (company_id, id, email, email_key, name, name_key, role, verification,
				can_access_phone_calls, can_access_ai_assistant, conversation_limit, open_conversations,
				status, invited_at, verified_at, archived_at, version)
			SELECT $1::uuid, md5('roster-bench team user ' || g)::uuid,
				lower(first || '.' || last) || '.' || g || '@support.example',
				lower(first || '.' || last) || '.' || g || '@support.example',
				first || ' ' || last, lower(first || ' ' || last),
				CASE WHEN g = 0 OR r_role < 0.05 THEN 'admin' ELSE 'user' END,
				CASE WHEN g > 0 AND r_status >= 0.08 AND r_verified < 0.07 THEN 'not_verified' ELSE 'verified' END,
				r_role < 0.6, r_role < 0.3, 4 + (g % 5) * 2, 0,
				CASE WHEN g > 0 AND r_status < 0.08 THEN 'archived' ELSE 'active' END,
				$2::timestamptz + make_interval(secs => 86400.0 * 170 * g / $3::integer),
				CASE WHEN g > 0 AND r_status >= 0.08 AND r_verified < 0.07 THEN NULL
					ELSE $2::timestamptz + make_interval(secs => 86400.0 * 170 * g / $3::integer + 3600) END,
				CASE WHEN g > 0 AND r_status < 0.08 THEN $2::timestamptz + interval '175 days' END,
				1
			FROM (
				SELECT g,
					f[1 + (hashint8extended(g, 11) & 2147483647) % cardinality(f)] AS first,
					l[1 + (hashint8extended(g, 12) & 2147483647) % cardinality(l)] AS last,
					` + uniform("g", 13) + ` AS r_role,
					` + uniform("g", 14) + ` AS r_status,
					` + uniform("g", 15) + ` AS r_verified
				FROM generate_series(0, $3::integer - 1) g, (SELECT $4::text[] AS f, $5::text[] AS l) names
			) s`, []any{companyID(c.Companies), datasetStart, c.TeamUsers, firstNames, lastNames}},
		{`UPDATE roster_companies co SET seats_used = n.active, seat_limit = greatest(co.seat_limit, n.active)
			FROM (SELECT company_id, count(*) FILTER (WHERE status = 'active') AS active FROM roster_users GROUP BY company_id) n
			WHERE n.company_id = co.company_id`, nil},
	}
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s.sql), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// entriesSQL writes the entries numbered $1 to $2 - 1 of $3, in time
// order over datasetDays from $5, for $4 log companies. The
// distributions:
//
//   - company: floor(C * u^2), so company 0 has about 1/sqrt(C) of the
//     entries (10% for 100 companies) and the last one about 0.5%;
//   - acting user: floor(100 * u^2) of the company's 100 users, so user 0,
//     an admin, acts in about 10% of them;
//   - type: login 34%, logout 30%, login_rejected 5%, user_updated 18%,
//     user_invited 4%, verification_resent 2%, user_verified 4%,
//     user_archived 1.5%, seat_limit_changed 1.5% (by the host, with no
//     user);
//   - the target is the actor for logins, logouts and verifications, and
//     a uniformly chosen user of the company for the other user changes.
//
// Ids are UUIDv7 like Roster's: 48 bits of Unix milliseconds, then bits
// from md5 of the entry number.
var entriesSQL = `
INSERT INTO roster_activity_entries (company_id, id, type, user_id, target_user_id, ip_address, user_agent, occurred_at, details)
SELECT ci.company_id,
	(lpad(to_hex(floor(extract(epoch FROM e.at) * 1000)::bigint), 12, '0') || '7' || substr(e.h, 1, 3) || '8' || substr(e.h, 4, 15))::uuid,
	e.type,
	CASE WHEN e.type = 'seat_limit_changed' THEN NULL ELSE au.id END,
	CASE WHEN e.type IN ('login', 'logout', 'login_rejected', 'user_verified') THEN au.id
		WHEN e.type = 'seat_limit_changed' THEN NULL
		ELSE tu.id END,
	CASE WHEN e.type = 'seat_limit_changed' THEN NULL ELSE '198.51.100.0'::inet + ((e.ci * 37 + e.ui) % 256) END,
	CASE WHEN e.type = 'seat_limit_changed' THEN ''
		ELSE (ARRAY[
			'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
			'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
			'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
			'SupportDesk/4.2 (iPhone; iOS 18.1)'])[1 + e.uai] END,
	e.at,
	CASE e.type
		WHEN 'login_rejected' THEN jsonb_build_object('email', au.email, 'reason', 'invalid_credentials')
		WHEN 'user_updated' THEN jsonb_build_object('email', tu.email, 'changes',
			jsonb_build_array(jsonb_build_object('field', 'conversation_limit', 'old', 8, 'new', 10)))
		WHEN 'user_invited' THEN jsonb_build_object('email', tu.email, 'name', 'Agent ' || e.ti, 'role', 'user')
		WHEN 'user_archived' THEN jsonb_build_object('email', tu.email, 'name', 'Agent ' || e.ti)
		WHEN 'verification_resent' THEN jsonb_build_object('email', tu.email)
		WHEN 'seat_limit_changed' THEN jsonb_build_object('changes',
			jsonb_build_array(jsonb_build_object('field', 'seat_limit', 'old', 180, 'new', 200)))
		ELSE jsonb_build_object('email', au.email)
	END
FROM (
	SELECT g,
		$5::timestamptz + make_interval(secs => ` + strconv.Itoa(datasetDays) + ` * 86400.0 * (g + ` + uniform("g", 0) + `) / $3::float8) AS at,
		floor($4::integer * ` + uniform("g", 1) + ` ^ 2)::integer AS ci,
		floor(` + strconv.Itoa(usersPerCompany) + ` * ` + uniform("g", 2) + ` ^ 2)::integer AS ui,
		floor(` + strconv.Itoa(usersPerCompany) + ` * ` + uniform("g", 4) + `)::integer AS ti,
		floor(4 * ` + uniform("g", 5) + `)::integer AS uai,
		md5(g::text) AS h,
		CASE
			WHEN r < 0.34 THEN 'login'
			WHEN r < 0.64 THEN 'logout'
			WHEN r < 0.69 THEN 'login_rejected'
			WHEN r < 0.87 THEN 'user_updated'
			WHEN r < 0.91 THEN 'user_invited'
			WHEN r < 0.93 THEN 'verification_resent'
			WHEN r < 0.97 THEN 'user_verified'
			WHEN r < 0.985 THEN 'user_archived'
			ELSE 'seat_limit_changed'
		END AS type
	FROM (SELECT g, ` + uniform("g", 3) + ` AS r FROM generate_series($1::bigint, $2::bigint - 1) g) s
) e
JOIN bench_company_index ci ON ci.idx = e.ci
JOIN bench_user_index au ON au.cidx = e.ci AND au.idx = e.ui
JOIN bench_user_index tu ON tu.cidx = e.ci AND tu.idx = e.ti`

// companyCreatedSQL writes each company's first entry, by the host, one
// hour before the first other entry.
var companyCreatedSQL = `
INSERT INTO roster_activity_entries (company_id, id, type, user_id, target_user_id, ip_address, user_agent, occurred_at, details)
SELECT ci.company_id, md5('roster-bench company created ' || ci.idx)::uuid, 'company_created', NULL, u.id, NULL, '',
	'` + datasetStart.Format(time.RFC3339) + `'::timestamptz - interval '1 hour',
	jsonb_build_object('email', u.email, 'name', co.name)
FROM bench_company_index ci
JOIN roster_companies co ON co.company_id = ci.company_id
JOIN LATERAL (
	SELECT id, email FROM roster_users WHERE company_id = ci.company_id
	ORDER BY (role = 'admin' AND status = 'active') DESC, invited_at, id LIMIT 1
) u ON true
WHERE ci.idx <= $1`

// dropLogIndexes drops the log's secondary indexes and returns the
// statements that create them again.
func dropLogIndexes(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'roster_activity_entries'
			AND indexname <> 'roster_activity_entries_pkey'
		ORDER BY indexname`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var nd [2]string
		err := row.Scan(&nd[0], &nd[1])
		return nd, err
	})
	if err != nil {
		return nil, err
	}
	var defs []string
	for _, nd := range names {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{nd[0]}.Sanitize()); err != nil {
			return nil, err
		}
		defs = append(defs, nd[1])
	}
	return defs, nil
}

// checkForeignKeys checks the two foreign keys of the log, which the load
// skipped.
func checkForeignKeys(ctx context.Context, conn *pgx.Conn) error {
	var missingTargets, missingCompanies int64
	err := conn.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM roster_activity_entries e WHERE e.target_user_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM roster_users u WHERE u.company_id = e.company_id AND u.id = e.target_user_id)),
		(SELECT count(*) FROM roster_activity_entries e
			WHERE NOT EXISTS (SELECT 1 FROM roster_companies c WHERE c.company_id = e.company_id))`).
		Scan(&missingTargets, &missingCompanies)
	if err != nil {
		return err
	}
	if missingTargets > 0 || missingCompanies > 0 {
		return fmt.Errorf("the generated log breaks its foreign keys: %d entries name a missing target user, %d a missing company",
			missingTargets, missingCompanies)
	}
	return nil
}

// TestDataset generates the dataset when its database is missing, checks
// it, and prints its size, its generation time and how to drop it. It
// runs only with ROSTER_BENCH_DATASET=1, because a generation at the
// reference size takes many minutes.
func TestDataset(t *testing.T) {
	if os.Getenv(envDataset) != "1" {
		t.Skipf("set %s=1 to generate or check the benchmark dataset", envDataset)
	}
	ds := openDataset(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ds.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	m, err := readMarker(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}

	var dbSize, logSize, usersSize string
	var entries, hotEntries int64
	var correlation float64
	err = conn.QueryRow(ctx, `SELECT pg_size_pretty(pg_database_size(current_database())),
			pg_size_pretty(pg_total_relation_size('roster_activity_entries')),
			pg_size_pretty(pg_total_relation_size('roster_users')),
			(SELECT reltuples::bigint FROM pg_class WHERE relname = 'roster_activity_entries'),
			(SELECT count(*) FROM roster_activity_entries WHERE company_id = $1),
			(SELECT correlation FROM pg_stats WHERE tablename = 'roster_activity_entries' AND attname = 'occurred_at')`, ds.hot).
		Scan(&dbSize, &logSize, &usersSize, &entries, &hotEntries, &correlation)
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("database %s, generated %s in %.0f s", ds.name, m.GeneratedAt.Format(time.RFC3339), m.GenerationSeconds)
	t.Logf("size on disk %s: activity log with indexes %s, users with indexes %s", dbSize, logSize, usersSize)
	t.Logf("about %d entries, %d of them in the largest company; heap order to occurred_at correlation %.3f", entries, hotEntries, correlation)
	t.Logf("drop it with %s", dropCommand(ds.name))
}

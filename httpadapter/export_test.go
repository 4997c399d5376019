package httpadapter_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/storage/postgres"
	"github.com/rosterkit/roster/storage/storagetest"
	"github.com/rosterkit/roster/users"
)

func TestExportCSV(t *testing.T) {
	f := newFixture(t)
	rec := f.call(http.MethodGet, "/activity/export?format=csv&type=user_invited", f.admin, "")
	requireStatus(t, rec, http.StatusOK)

	assert.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	disposition := rec.Header().Get("Content-Disposition")
	assert.True(t, strings.HasPrefix(disposition, `attachment; filename="activity-`+f.acme.ID.String()+"-"), disposition)
	assert.True(t, strings.HasSuffix(disposition, `.csv"`), disposition)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))

	records, err := csv.NewReader(rec.Body).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, records)
	assert.Equal(t, httpadapter.ExportColumns, records[0])
	want := entriesOf(t, f, activity.Query{Types: []activity.Type{activity.TypeUserInvited}})
	require.Len(t, records, 1+len(want))
	for i, e := range want {
		row := records[1+i]
		assert.Equal(t, e.ID.String(), row[0])
		assert.Equal(t, e.OccurredAt.UTC().Format("2006-01-02T15:04:05.000000Z"), row[1], "UTC with microseconds")
		assert.Equal(t, "user_invited", row[2])
		assert.Equal(t, e.UserID.String(), row[3])
		assert.Equal(t, e.TargetUserID.String(), row[4])
		assert.Equal(t, e.Details.Email, row[7])
	}
}

func TestExportCSVChanges(t *testing.T) {
	f := newFixture(t)
	limit := 3
	_, err := f.users.Update(f.ctx, f.actorOf(f.admin), f.agent.ID, users.Changes{ConversationLimit: &limit})
	require.NoError(t, err)

	rec := f.call(http.MethodGet, "/activity/export?format=csv&type=user_updated", f.admin, "")
	requireStatus(t, rec, http.StatusOK)
	records, err := csv.NewReader(rec.Body).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 2)
	var changes []activity.Change
	require.NoError(t, json.Unmarshal([]byte(records[1][11]), &changes))
	require.Len(t, changes, 1)
	assert.Equal(t, "conversation_limit", changes[0].Field)
	assert.JSONEq(t, "3", string(changes[0].New))
}

func TestExportCSVNeutralizesFormulas(t *testing.T) {
	f := newFixture(t)
	_, err := f.users.Archive(f.ctx, f.actorOf(f.admin), f.agent.ID, f.agent.Email, 0)
	require.NoError(t, err)
	names := []string{"=HYPERLINK(\"http://example.com\")", "+1 555", "-2+3", "@SUM(A1)"}
	for i, name := range names {
		_, err := f.users.Invite(f.ctx, f.actorOf(f.admin), users.Invite{
			Email: "formula" + string(rune('a'+i)) + "@acme.test", Name: name, Role: users.RoleUser,
		})
		require.NoError(t, err, name)
		if i < len(names)-1 {
			invited, err := f.users.UserByEmail(f.ctx, f.acme.ID, "formula"+string(rune('a'+i))+"@acme.test")
			require.NoError(t, err)
			_, err = f.users.Archive(f.ctx, f.actorOf(f.admin), invited.ID, invited.Email, 0)
			require.NoError(t, err)
		}
	}

	rec := f.call(http.MethodGet, "/activity/export?format=csv&type=user_invited", f.admin, "")
	requireStatus(t, rec, http.StatusOK)
	records, err := csv.NewReader(rec.Body).ReadAll()
	require.NoError(t, err)
	got := map[string]bool{}
	for _, row := range records[1:] {
		got[row[8]] = true
	}
	for _, name := range names {
		assert.True(t, got["'"+name], "name %q is exported as text", name)
		assert.False(t, got[name], "name %q is exported as a formula", name)
	}
}

func TestExportNDJSON(t *testing.T) {
	f := newFixture(t)
	rec := f.call(http.MethodGet, "/activity/export?format=ndjson&user_id="+f.admin.ID.String(), f.admin, "")
	requireStatus(t, rec, http.StatusOK)
	assert.Equal(t, "application/x-ndjson", rec.Header().Get("Content-Type"))

	want := entriesOf(t, f, activity.Query{UserID: f.admin.ID})
	var ids []string
	scanner := bufio.NewScanner(rec.Body)
	for scanner.Scan() {
		dec := json.NewDecoder(bytes.NewReader(scanner.Bytes()))
		dec.DisallowUnknownFields()
		var line struct {
			ID         string           `json:"id"`
			Type       string           `json:"type"`
			UserID     *string          `json:"user_id"`
			Target     *string          `json:"target_user_id"`
			IPAddress  *string          `json:"ip_address"`
			UserAgent  string           `json:"user_agent"`
			OccurredAt string           `json:"occurred_at"`
			Details    activity.Details `json:"details"`
		}
		require.NoError(t, dec.Decode(&line), scanner.Text())
		require.NotNil(t, line.UserID)
		assert.Equal(t, f.admin.ID.String(), *line.UserID)
		ids = append(ids, line.ID)
	}
	require.NoError(t, scanner.Err())
	require.Len(t, ids, len(want))
	for i, e := range want {
		assert.Equal(t, e.ID.String(), ids[i], "newest first")
	}
}

func TestExportEmpty(t *testing.T) {
	f := newFixture(t)
	rec := f.call(http.MethodGet, "/activity/export?format=csv&type=seat_limit_changed", f.admin, "")
	requireStatus(t, rec, http.StatusOK)
	records, err := csv.NewReader(rec.Body).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{httpadapter.ExportColumns}, records, "only the header row")

	rec = f.call(http.MethodGet, "/activity/export?format=ndjson&type=seat_limit_changed", f.admin, "")
	requireStatus(t, rec, http.StatusOK)
	assert.Empty(t, rec.Body.String())
}

func TestExportRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	tests := []struct {
		target, field string
		status        int
	}{
		{"/activity/export", "format", http.StatusUnprocessableEntity},
		{"/activity/export?format=xlsx", "format", http.StatusUnprocessableEntity},
		{"/activity/export?format=csv&limit=5", "limit", http.StatusBadRequest},
		{"/activity/export?format=csv&cursor=abc", "cursor", http.StatusBadRequest},
		{"/activity/export?format=csv&from=2026-03-02&to=2026-03-01", "to", http.StatusUnprocessableEntity},
		{"/activity/export?format=csv&user_id=42", "user_id", http.StatusBadRequest},
		{"/activity/export?format=csv&type=user_deleted", "type", http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		rec := f.call(http.MethodGet, tt.target, f.admin, "")
		requireProblem(t, rec, tt.status, "invalid_request", tt.field)
	}
	requireProblem(t, f.call(http.MethodGet, "/activity/export?format=csv", f.agent, ""), http.StatusForbidden, "forbidden", "")
	assert.Equal(t, before, f.snapshot())
}

func TestExportStoreFailureBeforeFirstEntry(t *testing.T) {
	f := newFixture(t)
	f.store.failWith(roster.Unavailable(errors.New("connection refused")))
	rec := f.call(http.MethodGet, "/activity/export?format=csv", f.admin, "")
	requireProblem(t, rec, http.StatusServiceUnavailable, "unavailable", "")
}

// failingAfterStore fails every activity read after the first.
type failingAfterStore struct {
	*memory.Store
	reads int
}

func (s *failingAfterStore) QueryEntries(ctx context.Context, f activity.Filter) ([]activity.Entry, error) {
	s.reads++
	if s.reads > 1 {
		return nil, errors.New("memory: simulated failure")
	}
	return s.Store.QueryEntries(ctx, f)
}

func TestExportStoreFailureMidStreamAborts(t *testing.T) {
	store := &failingAfterStore{Store: memory.New()}
	f := newFixtureOn(t, store, nil)
	appendLogins(t, store, f.acme.ID, f.admin.ID, activity.ExportBatchSize+10)
	store.reads = 0
	server := newLoopbackServer(t, f)

	req, err := http.NewRequest(http.MethodGet, server.URL+"/activity/export?format=ndjson", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", bearer(f.admin))
	resp, err := server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	assert.Error(t, err, "the transfer breaks instead of ending like a complete file")
	assert.Contains(t, f.logs.String(), "activity export failed after")
}

// exportSink is a ResponseWriter that keeps nothing but counts, and
// samples the live heap every sampleEvery lines.
type exportSink struct {
	header      http.Header
	status      int
	bytes       int
	lines       int
	sampleEvery int
	peakHeap    uint64
}

func (s *exportSink) Header() http.Header { return s.header }
func (s *exportSink) WriteHeader(status int) {
	s.status = status
}
func (s *exportSink) Flush() {}

func (s *exportSink) Write(p []byte) (int, error) {
	s.bytes += len(p)
	for _, b := range p {
		if b != '\n' {
			continue
		}
		s.lines++
		if s.lines%s.sampleEvery == 0 {
			s.peakHeap = max(s.peakHeap, liveHeap())
		}
	}
	return len(p), nil
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestExportStreamsWithFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 entries")
	}
	const entries = 100_000
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			store := kind.open(t)
			f := newFixtureOn(t, store, nil)
			appendLogins(t, store, f.acme.ID, f.admin.ID, entries)

			for _, format := range []string{"csv", "ndjson"} {
				sink := &exportSink{header: http.Header{}, sampleEvery: 10_000}
				req := newRequest(http.MethodGet, "/activity/export?format="+format+"&type=login", &f.admin, "")
				baseline := liveHeap()
				f.handler.ServeHTTP(sink, req)

				require.Equal(t, http.StatusOK, sink.status, format)
				wantLines := entries
				if format == "csv" {
					wantLines++
				}
				assert.Equal(t, wantLines, sink.lines, "%s lines", format)
				assert.Greater(t, sink.bytes, 10<<20, "%s export of %d entries", format, entries)
				// Holding the export in memory would take more than its
				// size in bytes; streaming keeps one batch of entries.
				growth := int64(sink.peakHeap) - int64(baseline)
				assert.Less(t, growth, int64(8<<20), "%s: live heap grew by %d bytes while streaming %d bytes", format, growth, sink.bytes)
			}
		})
	}
}

// appendLogins adds n login entries by userID, one second apart, in
// batches of one transaction each. On PostgreSQL it inserts them with one
// statement, because one round trip per entry would take minutes.
func appendLogins(t *testing.T, store storagetest.Store, companyID, userID uuid.UUID, n int) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if pg, ok := store.(*postgres.Store); ok {
		_, err := pg.DB().ExecContext(context.Background(), `
			INSERT INTO roster_activity_entries (company_id, id, type, user_id, target_user_id, ip_address, user_agent, occurred_at, details)
			SELECT ?, gen_random_uuid(), 'login', ?, ?, '192.0.2.7', 'roster-export-test/1.0',
			       ?::timestamptz + g * interval '1 second', '{"email":"admin@acme.test"}'
			FROM generate_series(1, ?) AS g`, companyID, userID, userID, start, n)
		require.NoError(t, err)
		return
	}
	actor := activity.Actor{CompanyID: companyID, UserID: userID, UserAgent: "roster-export-test/1.0"}
	const batch = 10_000
	for done := 0; done < n; done += batch {
		err := store.InTx(context.Background(), companyID, func(ctx context.Context, tx users.Tx) error {
			for i := done; i < min(done+batch, n); i++ {
				e := activity.NewEntry(activity.TypeLogin, actor, userID, start.Add(time.Duration(i+1)*time.Second),
					activity.Details{Email: "admin@acme.test"})
				if err := tx.AppendEntry(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
}

// entriesOf returns every entry of f's Acme that q selects, newest first.
func entriesOf(t *testing.T, f *fixture, q activity.Query) []activity.Entry {
	t.Helper()
	var all []activity.Entry
	err := f.activity.Export(f.ctx, f.acme.ID, q, func(e activity.Entry) error {
		all = append(all, e)
		return nil
	})
	require.NoError(t, err)
	return all
}

func TestSyncRoute(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		var seen []string
		cursor := ""
		for range 100 {
			rec := f.call(http.MethodGet, "/activity/sync?limit=3&cursor="+cursor, f.admin, "")
			requireStatus(t, rec, http.StatusOK)
			var page struct {
				Entries []struct {
					ID string `json:"id"`
				} `json:"entries"`
				NextCursor string `json:"next_cursor"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
			require.NotEmpty(t, page.NextCursor)
			cursor = page.NextCursor
			for _, e := range page.Entries {
				seen = append(seen, e.ID)
			}
			if len(page.Entries) == 0 && len(seen) == len(entriesOf(t, f, activity.Query{})) {
				break
			}
			if len(page.Entries) == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		want := entriesOf(t, f, activity.Query{})
		ids := make([]string, len(want))
		for i, e := range want {
			ids[i] = e.ID.String()
		}
		assert.ElementsMatch(t, ids, seen)
		assert.Len(t, seen, len(want), "each entry once")

		requireProblem(t, f.call(http.MethodGet, "/activity/sync?cursor=forged", f.admin, ""), http.StatusBadRequest, "invalid_request", "cursor")
		requireProblem(t, f.call(http.MethodGet, "/activity/sync?limit=1001", f.admin, ""), http.StatusUnprocessableEntity, "invalid_request", "limit")
		requireProblem(t, f.call(http.MethodGet, "/activity/sync", f.agent, ""), http.StatusForbidden, "forbidden", "")
	})
}

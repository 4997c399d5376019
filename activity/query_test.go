package activity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/internal/cursor"
)

func TestParseRangeDates(t *testing.T) {
	r, err := ParseRange("2026-03-01", "2026-03-07", "")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), r.From)
	assert.Equal(t, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), r.Until)
}

func TestParseRangeTimeZone(t *testing.T) {
	r, err := ParseRange("2026-03-01", "2026-03-01", "America/New_York")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), r.From)
	assert.Equal(t, time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC), r.Until)
}

func TestParseRangeEastOfUTC(t *testing.T) {
	r, err := ParseRange("2026-03-10", "2026-03-10", "Asia/Tokyo")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC), r.From)
	assert.Equal(t, time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), r.Until)
}

func TestParseRangeAcrossDaylightSaving(t *testing.T) {
	// Clocks in New York moved forward on 2026-03-08, so that day has 23 hours.
	r, err := ParseRange("2026-03-08", "2026-03-08", "America/New_York")
	require.NoError(t, err)
	assert.Equal(t, 23*time.Hour, r.Until.Sub(r.From))

	// Berlin moves back on 2026-10-25, so that day has 25 hours.
	r, err = ParseRange("2026-10-25", "2026-10-25", "Europe/Berlin")
	require.NoError(t, err)
	assert.Equal(t, 25*time.Hour, r.Until.Sub(r.From))
}

func TestParseRangeTimestamps(t *testing.T) {
	r, err := ParseRange("2026-03-01T10:00:00+02:00", "2026-03-01T12:00:00.5Z", "Europe/Berlin")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), r.From)
	assert.Equal(t, time.Date(2026, 3, 1, 12, 0, 0, 500001000, time.UTC), r.Until, "an RFC 3339 to is inclusive")
}

func TestParseRangeOpenBounds(t *testing.T) {
	r, err := ParseRange("", "2026-03-01", "")
	require.NoError(t, err)
	assert.True(t, r.From.IsZero())
	assert.Equal(t, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), r.Until)
}

func TestParseRangeRejects(t *testing.T) {
	tests := []struct {
		name, from, to, tz, field string
	}{
		{"malformed from", "yesterday", "", "", "from"},
		{"malformed to", "", "2026-13-01", "", "to"},
		{"end before start", "2026-03-02", "2026-03-01", "", "to"},
		{"timestamp end before start", "2026-03-01T10:00:00Z", "2026-03-01T09:59:59Z", "", "to"},
		{"unknown zone", "2026-03-01", "", "Mars/Olympus", "tz"},
		{"local zone", "2026-03-01", "", "Local", "tz"},
		{"path zone", "2026-03-01", "", "../../etc/passwd", "tz"},
		{"year zero", "0000-06-01", "", "", "from"},
		{"year one midnight", "0001-01-01T00:00:00Z", "", "", "from"},
		{"year one in Tokyo", "0001-01-01", "", "Asia/Tokyo", "from"},
		{"to at year one", "", "0001-01-01T00:00:00+01:00", "", "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRange(tt.from, tt.to, tt.tz)
			var re *roster.Error
			require.ErrorAs(t, err, &re)
			assert.Equal(t, roster.KindInvalid, re.Kind)
			require.NotEmpty(t, re.Fields)
			assert.Equal(t, tt.field, re.Fields[0].Field)
		})
	}
}

func TestParseType(t *testing.T) {
	got, err := ParseType("user_archived")
	require.NoError(t, err)
	assert.Equal(t, TypeUserArchived, got)

	_, err = ParseType("user_deleted")
	assert.ErrorIs(t, err, roster.ErrInvalid)
}

func TestPositionBefore(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a := Position{OccurredAt: at, ID: [16]byte{1}}
	b := Position{OccurredAt: at, ID: [16]byte{2}}
	c := Position{OccurredAt: at.Add(time.Microsecond), ID: [16]byte{0}}
	assert.True(t, a.Before(b))
	assert.False(t, b.Before(a))
	assert.True(t, b.Before(c))
	assert.False(t, a.Before(a))
}

func TestQueryRejectsForgedCursorBeforeYearOne(t *testing.T) {
	svc := NewService(nil, nil)
	companyID := [16]byte{1}
	f, err := newFilter(companyID, Query{}, DefaultPageSize+1)
	require.NoError(t, err)
	forged, err := cursor.New(nil).Encode(f.fingerprint(), Position{OccurredAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)

	_, err = svc.Query(t.Context(), companyID, Query{Cursor: forged})
	assert.ErrorIs(t, err, roster.ErrMalformed)
}

package activity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/internal/cursor"
)

// Page sizes of Query.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Query selects a page of a company's log. Zero fields select everything.
type Query struct {
	// UserID selects entries by this acting user.
	UserID uuid.UUID
	// TargetUserID selects entries about this user.
	TargetUserID uuid.UUID
	// Types selects entries of any of these types.
	Types []Type
	// Range selects entries in a time range; see ParseRange.
	Range Range
	// Limit is the page size, DefaultPageSize when 0, at most MaxPageSize.
	Limit int
	// Cursor continues from the NextCursor of an earlier page with the
	// same filter.
	Cursor string
}

// Page is one page of the log, newest first.
type Page struct {
	Entries []Entry
	// NextCursor continues with older entries; it is "" on the last page.
	NextCursor string
}

// Options configures a Service. The zero value is ready to use.
type Options struct {
	// CursorKey seals page cursors. Hosts that run several processes
	// should give all of them the same secret key. The default is a fixed
	// key, which makes cursors tamper-evident but not unforgeable.
	CursorKey []byte
}

// Service reads the activity log.
type Service struct {
	store   Store
	cursors *cursor.Codec
}

// NewService returns a Service that reads from store. A nil opts means the
// defaults.
func NewService(store Store, opts *Options) *Service {
	if opts == nil {
		opts = &Options{}
	}
	return &Service{store: store, cursors: cursor.New(opts.CursorKey)}
}

// Types returns every activity type.
func (s *Service) Types() []Type { return Types() }

// Query returns a page of companyID's log that matches q, newest first.
// It returns a KindInvalid error for an out-of-range limit or a range that
// ends before it starts, and a KindMalformed error for a cursor that was
// altered or issued for another filter. The caller decides who may read
// the log; the HTTP adapter allows admins only.
func (s *Service) Query(ctx context.Context, companyID uuid.UUID, q Query) (Page, error) {
	limit, err := pageSize(q.Limit)
	if err != nil {
		return Page{}, err
	}
	f, err := newFilter(companyID, q, limit+1)
	if err != nil {
		return Page{}, err
	}
	fingerprint := f.fingerprint()
	if q.Cursor != "" {
		var p Position
		if err := s.cursors.Decode(q.Cursor, fingerprint, &p); err != nil || p.OccurredAt.Before(earliestBound) {
			return Page{}, roster.Malformed("cursor", cursor.ErrInvalid.Error())
		}
		f.After = &p
	}
	entries, err := s.store.QueryEntries(ctx, f)
	if err != nil {
		return Page{}, err
	}
	page := Page{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit]
		next, err := s.cursors.Encode(fingerprint, PositionOf(entries[limit-1]))
		if err != nil {
			return Page{}, err
		}
		page.NextCursor = next
	}
	return page, nil
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, roster.Invalid(roster.FieldError{
			Field:   "limit",
			Message: fmt.Sprintf("must be between 1 and %d, got %d", MaxPageSize, n),
		})
	}
	return n, nil
}

// fingerprint identifies the filter a cursor belongs to, without the
// position and the page size, so that a client may change the page size
// between pages.
func (f Filter) fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "activity|%s|%s|%s", f.CompanyID, f.UserID, f.TargetUserID)
	for _, t := range f.Types {
		b.WriteString("|" + string(t))
	}
	fmt.Fprintf(&b, "|%d|%d", f.From.UnixMicro(), f.Until.UnixMicro())
	return b.String()
}

// Range is a time range: From is inclusive and Until exclusive. A zero
// bound is open.
type Range struct {
	From  time.Time
	Until time.Time
}

func (r Range) validate() error {
	if !r.From.IsZero() && !r.Until.IsZero() && !r.From.Before(r.Until) {
		return roster.Invalid(roster.FieldError{
			Field:   "to",
			Message: "must not be before from",
		})
	}
	return nil
}

// ParseRange reads the from and to parameters of an activity query. Each
// is empty, a date such as 2026-03-01, or an RFC 3339 time. Dates are
// read in the IANA time zone tz, or in UTC when tz is empty. from is
// inclusive. A date to includes that whole day, so the range ends at the
// next midnight; an RFC 3339 to is inclusive.
func ParseRange(from, to, tz string) (Range, error) {
	loc := time.UTC
	if tz != "" {
		l, err := loadLocation(tz)
		if err != nil {
			return Range{}, err
		}
		loc = l
	}
	var r Range
	var fields []roster.FieldError
	if from != "" {
		t, _, err := parseBound(from, loc)
		if err != nil {
			fields = append(fields, roster.FieldError{Field: "from", Message: err.Error()})
		}
		r.From = t
	}
	if to != "" {
		t, dateOnly, err := parseBound(to, loc)
		switch {
		case err != nil:
			fields = append(fields, roster.FieldError{Field: "to", Message: err.Error()})
		case dateOnly:
			// The next midnight in loc, which is not always 24 hours later
			// because of daylight saving time.
			day := t.In(loc)
			r.Until = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc).UTC()
		default:
			// The store keeps microseconds, so the first instant after an
			// inclusive bound is one microsecond later.
			r.Until = t.Truncate(time.Microsecond).Add(time.Microsecond)
		}
	}
	if len(fields) > 0 {
		return Range{}, roster.Invalid(fields...)
	}
	if err := r.validate(); err != nil {
		return Range{}, err
	}
	return r, nil
}

// MaxTimeZoneLength bounds the tz parameter; IANA names are far shorter.
const MaxTimeZoneLength = 64

func loadLocation(tz string) (*time.Location, error) {
	invalid := roster.Invalid(roster.FieldError{
		Field:   "tz",
		Message: fmt.Sprintf("unknown time zone %.64q; use an IANA name such as Europe/Berlin", tz),
	})
	// time.LoadLocation also reads names such as "Local" and paths; only
	// IANA names are accepted here.
	if len(tz) > MaxTimeZoneLength || tz == "Local" || strings.Contains(tz, "..") || strings.HasPrefix(tz, "/") {
		return nil, invalid
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, invalid
	}
	return loc, nil
}

const maxBoundLength = 64

// earliestBound is the earliest range bound. Go parses the year 0000, but
// PostgreSQL has no year 0, and the zero time.Time is an open bound.
var earliestBound = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Microsecond)

// checkYear rejects a bound before earliestBound in UTC.
func checkYear(t time.Time, dateOnly bool) (time.Time, bool, error) {
	if t.Before(earliestBound) {
		return time.Time{}, false, fmt.Errorf("must be after 0001-01-01T00:00:00Z in UTC, got %s", t.Format(time.RFC3339))
	}
	return t, dateOnly, nil
}

// parseBound reads a date or an RFC 3339 time. Dates are midnight in loc.
func parseBound(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	if len(s) > maxBoundLength {
		return time.Time{}, false, fmt.Errorf("must be a date such as 2026-03-01 or an RFC 3339 time, got %d bytes", len(s))
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return checkYear(d.UTC(), true)
	}
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return checkYear(ts.UTC(), false)
	}
	return time.Time{}, false, fmt.Errorf("must be a date such as 2026-03-01 or an RFC 3339 time such as 2026-03-01T09:30:00Z, got %q", s)
}

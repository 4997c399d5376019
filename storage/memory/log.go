package memory

import (
	"context"
	"slices"
	"sort"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
)

// entryLog is a company's activity log. entries is in append order. Every
// index lists entry numbers sorted by activity.Position, oldest first, so
// that a page is found by binary search and read backwards.
type entryLog struct {
	entries  []activity.Entry
	all      []int
	byUser   map[uuid.UUID][]int
	byTarget map[uuid.UUID][]int
	byType   map[activity.Type][]int
}

func (l *entryLog) append(e activity.Entry) {
	if l.byUser == nil {
		l.byUser = make(map[uuid.UUID][]int)
		l.byTarget = make(map[uuid.UUID][]int)
		l.byType = make(map[activity.Type][]int)
	}
	n := len(l.entries)
	l.entries = append(l.entries, e)
	l.all = l.insert(l.all, n)
	l.byUser[e.UserID] = l.insert(l.byUser[e.UserID], n)
	l.byTarget[e.TargetUserID] = l.insert(l.byTarget[e.TargetUserID], n)
	l.byType[e.Type] = l.insert(l.byType[e.Type], n)
}

// insert adds entry number n to index in position order. Entries mostly
// arrive in order, so the search starts from the end.
func (l *entryLog) insert(index []int, n int) []int {
	p := activity.PositionOf(l.entries[n])
	i := len(index)
	for i > 0 && p.Before(activity.PositionOf(l.entries[index[i-1]])) {
		i--
	}
	return slices.Insert(index, i, n)
}

// candidates returns the indexes whose union contains every entry that f
// can match, choosing the smallest of the possible choices.
func (l *entryLog) candidates(f activity.Filter) [][]int {
	best := [][]int{l.all}
	size := len(l.all)
	consider := func(lists [][]int) {
		total := 0
		for _, list := range lists {
			total += len(list)
		}
		if total < size {
			best, size = lists, total
		}
	}
	if f.UserID != uuid.Nil {
		consider([][]int{l.byUser[f.UserID]})
	}
	if f.TargetUserID != uuid.Nil {
		consider([][]int{l.byTarget[f.TargetUserID]})
	}
	if len(f.Types) > 0 {
		lists := make([][]int, 0, len(f.Types))
		for _, t := range f.Types {
			lists = append(lists, l.byType[t])
		}
		consider(lists)
	}
	return best
}

// query returns up to f.Limit matching entries, newest first.
func (l *entryLog) query(f activity.Filter) []activity.Entry {
	lists := l.candidates(f)
	// cursors[i] is one past the newest candidate of lists[i] that may
	// still be returned.
	cursors := make([]int, len(lists))
	for i, list := range lists {
		cursors[i] = l.upperBound(list, f)
	}
	var out []activity.Entry
	for len(out) < f.Limit {
		pick := -1
		for i, list := range lists {
			if cursors[i] == 0 {
				continue
			}
			if pick < 0 || activity.PositionOf(l.entries[lists[pick][cursors[pick]-1]]).Before(
				activity.PositionOf(l.entries[list[cursors[i]-1]])) {
				pick = i
			}
		}
		if pick < 0 {
			break
		}
		cursors[pick]--
		e := l.entries[lists[pick][cursors[pick]]]
		if !f.From.IsZero() && e.OccurredAt.Before(f.From) {
			break
		}
		if matches(e, f) {
			out = append(out, cloneEntry(e))
		}
	}
	return out
}

// upperBound returns how many entries of list are older than both the
// cursor position and the Until bound of f.
func (l *entryLog) upperBound(list []int, f activity.Filter) int {
	return sort.Search(len(list), func(i int) bool {
		e := l.entries[list[i]]
		if !f.Until.IsZero() && !e.OccurredAt.Before(f.Until) {
			return true
		}
		return f.After != nil && !activity.PositionOf(e).Before(*f.After)
	})
}

func matches(e activity.Entry, f activity.Filter) bool {
	if f.UserID != uuid.Nil && e.UserID != f.UserID {
		return false
	}
	if f.TargetUserID != uuid.Nil && e.TargetUserID != f.TargetUserID {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, e.Type) {
		return false
	}
	return true
}

// QueryEntries returns up to f.Limit entries of the company that match f,
// newest first.
func (s *Store) QueryEntries(ctx context.Context, f activity.Filter) ([]activity.Entry, error) {
	var out []activity.Entry
	err := s.read(ctx, f.CompanyID, func(c *company) error {
		out = c.log.query(f)
		return nil
	})
	return out, err
}

// SyncEntries returns up to limit entries committed after the checkpoint,
// oldest first. The log's append order is its commit order, so Seq is the
// number of entries committed up to and including the returned one.
func (s *Store) SyncEntries(ctx context.Context, companyID uuid.UUID, after activity.Checkpoint, limit int) ([]activity.Entry, activity.Checkpoint, error) {
	var out []activity.Entry
	next := after
	err := s.read(ctx, companyID, func(c *company) error {
		start := min(after.Seq, uint64(len(c.log.entries)))
		end := min(start+uint64(limit), uint64(len(c.log.entries)))
		for _, e := range c.log.entries[start:end] {
			out = append(out, cloneEntry(e))
		}
		if end > start {
			next = activity.Checkpoint{Seq: end, ID: c.log.entries[end-1].ID}
		}
		return nil
	})
	return out, next, err
}

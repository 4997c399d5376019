package memory

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/rosterkit/roster/users"
)

// ListUsers returns up to f.Limit users of the company that match f, in
// (NameKey, ID) order.
//
// NOTE: ListUsers scans every user of the company and sorts the matches,
// which suits teams of thousands, not of millions.
func (s *Store) ListUsers(ctx context.Context, f users.ListFilter) ([]users.User, error) {
	var out []users.User
	err := s.read(ctx, f.CompanyID, func(c *company) error {
		for _, u := range c.users {
			if listMatches(u, f) {
				out = append(out, u)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareListOrder)
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func listMatches(u users.User, f users.ListFilter) bool {
	switch {
	case f.Status != "" && u.Status != f.Status:
		return false
	case f.Role != "" && u.Role != f.Role:
		return false
	case f.Verification != "" && u.Verification != f.Verification:
		return false
	case f.Search != "" && !strings.Contains(u.NameKey, f.Search) && !strings.Contains(u.EmailKey, f.Search):
		return false
	case f.After != nil && compareListOrder(u, users.User{NameKey: f.After.NameKey, ID: f.After.ID}) <= 0:
		return false
	}
	return true
}

func compareListOrder(a, b users.User) int {
	return cmp.Or(strings.Compare(a.NameKey, b.NameKey), bytes.Compare(a.ID[:], b.ID[:]))
}

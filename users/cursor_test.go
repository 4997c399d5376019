package users

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/internal/cursor"
)

func TestListRejectsForgedCursorWithNUL(t *testing.T) {
	// The default key is public, so anyone can seal a cursor; its position
	// must still be one that every store can compare.
	svc := NewService(nil, nil)
	companyID := uuid.New()
	f, _, err := ListQuery{}.filter(companyID)
	require.NoError(t, err)
	forged, err := cursor.New(nil).Encode(f.fingerprint(), ListPosition{NameKey: "ana\x00", ID: uuid.New()})
	require.NoError(t, err)

	_, err = svc.List(context.Background(), companyID, ListQuery{Cursor: forged})
	assert.ErrorIs(t, err, roster.ErrMalformed)
}

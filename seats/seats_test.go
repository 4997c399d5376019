package seats

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rosterkit/roster"
)

func TestUsageAvailable(t *testing.T) {
	assert.Equal(t, 3, Usage{Limit: 10, Used: 7}.Available())
	assert.Equal(t, 0, Usage{Limit: 10, Used: 10}.Available())
	assert.Equal(t, 0, Usage{Limit: 5, Used: 7}.Available(), "never negative")
}

func TestUsageCheckAvailable(t *testing.T) {
	assert.NoError(t, Usage{Limit: 3, Used: 2}.CheckAvailable())
	assert.ErrorIs(t, Usage{Limit: 3, Used: 3}.CheckAvailable(), roster.ErrNoSeatAvailable)
}

func TestValidateLimit(t *testing.T) {
	assert.NoError(t, ValidateLimit(1))
	assert.NoError(t, ValidateLimit(MaxLimit))
	for _, bad := range []int{0, -1, MaxLimit + 1} {
		err := ValidateLimit(bad)
		assert.ErrorIs(t, err, roster.ErrInvalid, "limit %d", bad)
		var re *roster.Error
		if assert.ErrorAs(t, err, &re) {
			assert.Equal(t, "seat_limit", re.Fields[0].Field)
		}
	}
}

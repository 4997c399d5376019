package cursor

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type position struct {
	Name string `json:"n"`
	ID   int    `json:"i"`
}

func TestCodecRoundTrip(t *testing.T) {
	c := New(nil)
	s, err := c.Encode("filter-a", position{Name: "ana", ID: 7})
	require.NoError(t, err)

	var got position
	require.NoError(t, c.Decode(s, "filter-a", &got))
	assert.Equal(t, position{Name: "ana", ID: 7}, got)
}

func TestCodecRejectsOtherFilter(t *testing.T) {
	c := New(nil)
	s, err := c.Encode("filter-a", position{Name: "ana"})
	require.NoError(t, err)

	var got position
	assert.ErrorIs(t, c.Decode(s, "filter-b", &got), ErrInvalid)
}

func TestCodecRejectsOtherKey(t *testing.T) {
	s, err := New([]byte("one")).Encode("f", position{Name: "ana"})
	require.NoError(t, err)

	var got position
	assert.ErrorIs(t, New([]byte("two")).Decode(s, "f", &got), ErrInvalid)
}

func TestCodecRejectsTampering(t *testing.T) {
	c := New(nil)
	s, err := c.Encode("f", position{Name: "ana", ID: 1})
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)

	for i := range raw {
		altered := append([]byte(nil), raw...)
		altered[i] ^= 0x01
		var got position
		err := c.Decode(base64.RawURLEncoding.EncodeToString(altered), "f", &got)
		assert.ErrorIs(t, err, ErrInvalid, "byte %d flipped", i)
	}
}

func TestCodecRejectsGarbage(t *testing.T) {
	c := New(nil)
	for _, s := range []string{"", "!!!", "abc", strings.Repeat("A", MaxLength+1)} {
		var got position
		assert.ErrorIs(t, c.Decode(s, "f", &got), ErrInvalid, "cursor %q", s)
	}
}

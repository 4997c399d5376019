package text

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeEmailAccepts(t *testing.T) {
	tests := []struct {
		in, email, key string
	}{
		{"ana@example.com", "ana@example.com", "ana@example.com"},
		{"  Ana@Example.COM \t", "Ana@Example.COM", "ana@example.com"},
		{"o'brien+tag@sub.example.org", "o'brien+tag@sub.example.org", "o'brien+tag@sub.example.org"},
		{"jürgen@example.de", "jürgen@example.de", "jürgen@example.de"},
		{"иван@пример.рф", "иван@пример.рф", "иван@пример.рф"},
		{"STRASSE@example.de", "STRASSE@example.de", "strasse@example.de"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			email, key, err := NormalizeEmail(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.email, email)
			assert.Equal(t, tt.key, key)
		})
	}
}

func TestNormalizeEmailRejects(t *testing.T) {
	tests := map[string]string{
		"empty":             "",
		"blank":             "   ",
		"no at sign":        "ana.example.com",
		"display name":      "Ana <ana@example.com>",
		"angle brackets":    "<ana@example.com>",
		"inner space":       "ana maria@example.com",
		"zero-width space":  "ana\u200b@example.com",
		"soft hyphen":       "ana\u00ad@example.com",
		"control character": "ana\x01@example.com",
		"newline":           "ana@example.com\nBcc: eve@example.com",
		"mixed script":      "p\u0430ypal@example.com",
		"mixed domain":      "ana@ex\u0430mple.com",
		"too long":          strings.Repeat("a", 250) + "@b.co",
		"invalid utf-8":     "ana\xff@example.com",
		"two addresses":     "ana@example.com, bob@example.com",
		"full-width letter": "\uff41dmin@example.com",
		"ligature":          "\ufb01nance@example.com",
		"replacement char":  "a\ufffdb@example.com",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := NormalizeEmail(in)
			assert.Error(t, err)
		})
	}
}

func TestKeyFoldsCaseAndNormalizes(t *testing.T) {
	decomposed := "jo\u0308rg@example.com"
	composed := "j\u00f6rg@example.com"
	assert.Equal(t, Key(composed), Key(decomposed))
	assert.Equal(t, Key("ANA@EXAMPLE.COM"), Key("ana@example.com"))
}

func TestNormalizeName(t *testing.T) {
	name, err := NormalizeName("  Ana  Lopez ")
	require.NoError(t, err)
	assert.Equal(t, "Ana  Lopez", name)

	name, err = NormalizeName("Jo\u0308rg")
	require.NoError(t, err)
	assert.Equal(t, "J\u00f6rg", name)

	for _, bad := range []string{"", "   ", "Ana\x00", "Ana\u200bLopez", "Ana\nLopez", "a\ufffdb", strings.Repeat("x", MaxNameRunes+1)} {
		_, err := NormalizeName(bad)
		assert.Error(t, err, "name %q", bad)
	}
	_, err = NormalizeName(strings.Repeat("é", MaxNameRunes))
	assert.NoError(t, err)
}

func TestNormalizeSearch(t *testing.T) {
	key, err := NormalizeSearch("  ANA ")
	require.NoError(t, err)
	assert.Equal(t, "ana", key)

	key, err = NormalizeSearch("")
	require.NoError(t, err)
	assert.Equal(t, "", key)

	_, err = NormalizeSearch(strings.Repeat("a", MaxSearchRunes+1))
	assert.Error(t, err)
	_, err = NormalizeSearch("a\x00")
	assert.Error(t, err)
}

func TestMatchesConfirmation(t *testing.T) {
	emailKey := Key("Ana.Lopez@Example.com")
	name := "Ana López"
	tests := []struct {
		typed string
		want  bool
	}{
		{"Ana.Lopez@Example.com", true},
		{"ana.lopez@example.com", true},
		{"  ANA.LOPEZ@EXAMPLE.COM  ", true},
		{"Ana López", true},
		{"Ana Lo\u0301pez", true},
		{" Ana López\t", true},
		{"ana lópez", false},
		{"Ana", false},
		{"ana.lopez", false},
		{"example.com", false},
		{"bob@example.com", false},
		{"", false},
		{"   ", false},
		{"Ana López ", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, MatchesConfirmation(tt.typed, emailKey, name), "typed %q", tt.typed)
	}
}

func TestClean(t *testing.T) {
	assert.Equal(t, "curl/8.0", Clean("curl/8.0", 512))
	assert.Equal(t, "ab", Clean("a\x00b\n", 512))
	assert.Equal(t, "a\uFFFDb", Clean("a\xffb", 512))
	assert.Equal(t, "é", Clean("éé", 3), "a cut never splits a character")
	assert.Len(t, Clean(strings.Repeat("x", 600), 512), 512)
}

// Package text validates and normalises the free-text inputs of Roster:
// email addresses, names and search queries.
package text

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailBytes is the maximum length of an email address in bytes, the
// limit of RFC 5321's forward path.
const MaxEmailBytes = 254

// MaxNameRunes is the maximum length of a user's or company's name in
// characters.
const MaxNameRunes = 100

// MaxSearchRunes is the maximum length of a team list search in characters.
const MaxSearchRunes = 100

var folder = cases.Fold()

// Key returns s in the form Roster compares it by: NFC-normalised and
// case-folded, so that "Ana@Example.com" and "ana@example.COM" match.
func Key(s string) string {
	return folder.String(norm.NFC.String(s))
}

// NormalizeEmail trims s and checks that it is a single plain address,
// such as "ana@example.com". It returns the trimmed address and its
// comparison key.
func NormalizeEmail(s string) (email, key string, err error) {
	email = strings.TrimSpace(s)
	if email == "" {
		return "", "", errors.New("must not be empty")
	}
	if len(email) > MaxEmailBytes {
		return "", "", fmt.Errorf("must be at most %d bytes, got %d", MaxEmailBytes, len(email))
	}
	if !utf8.ValidString(email) {
		return "", "", errors.New("must be valid UTF-8")
	}
	for _, r := range email {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return "", "", fmt.Errorf("must not contain spaces, control, invisible or replacement characters, found %U", r)
		}
	}
	// Compatibility characters, such as full-width letters, look like
	// the plain ones they normalise to under NFKC.
	if norm.NFKC.String(email) != norm.NFC.String(email) {
		return "", "", errors.New("must not contain compatibility characters such as full-width letters; type the plain letters")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", "", errors.New("must be a plain address such as ana@example.com, without a display name or angle brackets")
	}
	local, domain, _ := strings.Cut(email, "@")
	if err := checkScripts(local); err != nil {
		return "", "", err
	}
	for _, label := range strings.Split(domain, ".") {
		if err := checkScripts(label); err != nil {
			return "", "", err
		}
	}
	return email, Key(email), nil
}

// checkScripts rejects a part of an address whose letters come from more
// than one script, such as a Latin "a" beside a Cyrillic "о", which is the
// usual trick of a look-alike address.
func checkScripts(part string) error {
	var first *unicode.RangeTable
	var firstName string
	for _, r := range part {
		name, table := scriptOf(r)
		if table == nil {
			continue
		}
		if first == nil {
			first, firstName = table, name
			continue
		}
		if table != first {
			return fmt.Errorf("must not mix %s and %s letters in one part of the address", firstName, name)
		}
	}
	return nil
}

// scriptOf returns the script of r, or nil for characters that every
// script shares, such as digits, punctuation and combining marks.
func scriptOf(r rune) (string, *unicode.RangeTable) {
	if r < utf8.RuneSelf && !unicode.IsLetter(r) {
		return "", nil
	}
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return "", nil
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name, table
		}
	}
	return "Unknown", nil
}

// NormalizeName trims s and checks that it is a usable display name: not
// empty, at most MaxNameRunes characters, without control or invisible
// format characters and without U+FFFD, which JSON decoders put in place
// of broken text. It returns the name in NFC form.
func NormalizeName(s string) (string, error) {
	name := strings.TrimSpace(s)
	if !utf8.ValidString(name) {
		return "", errors.New("must be valid UTF-8")
	}
	name = norm.NFC.String(name)
	if name == "" {
		return "", errors.New("must not be empty")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameRunes {
		return "", fmt.Errorf("must be at most %d characters, got %d", MaxNameRunes, n)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return "", fmt.Errorf("must not contain control, invisible or replacement characters, found %U", r)
		}
	}
	return name, nil
}

// NormalizeSearch trims a team list search and returns its comparison key,
// or "" for an empty search.
func NormalizeSearch(s string) (string, error) {
	q := strings.TrimSpace(s)
	if !utf8.ValidString(q) {
		return "", errors.New("must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(q); n > MaxSearchRunes {
		return "", fmt.Errorf("must be at most %d characters, got %d", MaxSearchRunes, n)
	}
	for _, r := range q {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("must not contain control characters, found %U", r)
		}
	}
	return Key(q), nil
}

// MatchesConfirmation reports whether typed confirms an action on the user
// with the given email key and name. After trimming and NFC normalisation,
// typed must equal the email by its key, or the name exactly.
func MatchesConfirmation(typed, emailKey, name string) bool {
	t := norm.NFC.String(strings.TrimSpace(typed))
	if t == "" || !utf8.ValidString(t) {
		return false
	}
	return Key(t) == emailKey || t == norm.NFC.String(name)
}

// Clean makes free text safe to store: invalid UTF-8 becomes U+FFFD,
// control characters are dropped (PostgreSQL text cannot hold NUL), and
// the result is cut to at most n bytes without splitting a character.
func Clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// IsStorable reports whether s is valid UTF-8 without NUL, which every
// store can keep. Keys that Roster computes always are; a forged cursor
// may carry one that is not.
func IsStorable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

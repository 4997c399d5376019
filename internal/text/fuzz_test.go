package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ana@example.com", " Ana@Example.COM ", "p\u0430ypal@example.com", "a\u200b@b.c", "<a@b.c>", "\"quoted local\"@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		email, key, err := NormalizeEmail(in)
		if err != nil {
			return
		}
		if len(email) > MaxEmailBytes {
			t.Fatalf("accepted %d bytes, over the maximum of %d", len(email), MaxEmailBytes)
		}
		if email != strings.TrimSpace(email) || !utf8.ValidString(email) {
			t.Fatalf("accepted untrimmed or invalid address %q", email)
		}
		if key != Key(email) {
			t.Fatalf("key %q is not Key(%q)", key, email)
		}
		again, againKey, err := NormalizeEmail(email)
		if err != nil || again != email || againKey != key {
			t.Fatalf("normalising %q again returned %q, %q, %v", email, again, againKey, err)
		}
	})
}

func FuzzMatchesConfirmation(f *testing.F) {
	f.Add("Ana@Example.com", "Ana López", "ana@example.com")
	f.Add("a@b.c", "A", "")
	f.Add("a@b.c", "Jo\u0308rg", "J\u00f6rg")
	f.Fuzz(func(t *testing.T, email, name, typed string) {
		key := Key(email)
		if !MatchesConfirmation(typed, key, name) {
			return
		}
		clean := norm.NFC.String(strings.TrimSpace(typed))
		if clean == "" {
			t.Fatalf("the blank confirmation %q matched", typed)
		}
		if Key(clean) != key && clean != norm.NFC.String(name) {
			t.Fatalf("%q matched neither email key %q nor name %q", typed, key, name)
		}
	})
}

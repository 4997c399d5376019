package activity

import (
	"testing"

	"github.com/rosterkit/roster"
)

func FuzzParseRange(f *testing.F) {
	f.Add("2026-03-01", "2026-03-07", "")
	f.Add("2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z", "UTC")
	f.Add("", "2026-03-08", "America/New_York")
	f.Add("0000-01-01", "9999-12-31", "Pacific/Kiritimati")
	f.Fuzz(func(t *testing.T, from, to, tz string) {
		r, err := ParseRange(from, to, tz)
		if err != nil {
			if k := roster.KindOf(err); k != roster.KindInvalid {
				t.Fatalf("error of kind %v, want invalid: %v", k, err)
			}
			return
		}
		if !r.From.IsZero() && !r.Until.IsZero() && !r.From.Before(r.Until) {
			t.Fatalf("accepted a range from %v until %v", r.From, r.Until)
		}
		if from == "" && !r.From.IsZero() {
			t.Fatalf("an empty from gave %v", r.From)
		}
		if to == "" && !r.Until.IsZero() {
			t.Fatalf("an empty to gave %v", r.Until)
		}
	})
}

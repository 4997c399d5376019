package httpadapter

import (
	"encoding/json"
	"net/http"
	"time"
)

// timeLayout is RFC 3339 with microseconds, the precision the stores keep.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// formatTime returns t in UTC as RFC 3339 with microseconds, or nil for
// the zero time, which the routes send as null.
func formatTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(timeLayout)
	return &s
}

// optionalString returns nil for "", which the routes send as null.
func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeJSON sends v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// An encoding error here means the client went away; the status line
	// is sent already, so nothing more can be reported to it.
	_ = json.NewEncoder(w).Encode(v)
}

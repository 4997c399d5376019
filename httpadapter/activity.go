package httpadapter

import (
	"net/http"
	"net/netip"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
)

type seatsJSON struct {
	Limit     int `json:"limit"`
	Used      int `json:"used"`
	Available int `json:"available"`
}

func toSeatsJSON(u seats.Usage) seatsJSON {
	return seatsJSON{Limit: u.Limit, Used: u.Used, Available: u.Available()}
}

// GET /seats
func (h *Handler) getSeats(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	usage, err := h.seats.Usage(r.Context(), c.actor.CompanyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSeatsJSON(usage))
	return nil
}

// entryJSON is an activity entry as the routes send it.
type entryJSON struct {
	ID   uuid.UUID     `json:"id"`
	Type activity.Type `json:"type"`
	// UserID is null for the host.
	UserID *uuid.UUID `json:"user_id"`
	// TargetUserID is null when the entry concerns no user.
	TargetUserID *uuid.UUID `json:"target_user_id"`
	// IPAddress is null when the address is unknown.
	IPAddress  *string          `json:"ip_address"`
	UserAgent  string           `json:"user_agent"`
	OccurredAt *string          `json:"occurred_at"`
	Details    activity.Details `json:"details"`
}

func toEntryJSON(e activity.Entry) entryJSON {
	return entryJSON{
		ID:           e.ID,
		Type:         e.Type,
		UserID:       optionalID(e.UserID),
		TargetUserID: optionalID(e.TargetUserID),
		IPAddress:    optionalAddr(e.IP),
		UserAgent:    e.UserAgent,
		OccurredAt:   formatTime(e.OccurredAt),
		Details:      e.Details,
	}
}

func optionalID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func optionalAddr(a netip.Addr) *string {
	if !a.IsValid() {
		return nil
	}
	s := a.String()
	return &s
}

type activityPageJSON struct {
	Entries    []entryJSON `json:"entries"`
	NextCursor *string     `json:"next_cursor"`
}

// GET /activity
func (h *Handler) queryActivity(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseQuery(r, []string{"user_id", "target_user_id", "from", "to", "tz", "limit", "cursor"}, []string{"type"})
	if err != nil {
		return err
	}
	aq, err := activityQuery(q)
	if err != nil {
		return err
	}
	page, err := h.activity.Query(r.Context(), c.actor.CompanyID, aq)
	if err != nil {
		return err
	}
	out := activityPageJSON{
		Entries:    make([]entryJSON, 0, len(page.Entries)),
		NextCursor: optionalString(page.NextCursor),
	}
	for _, e := range page.Entries {
		out.Entries = append(out.Entries, toEntryJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// activityQuery reads the activity filter from q and reports every
// malformed or invalid parameter at once.
func activityQuery(q query) (activity.Query, error) {
	var fields fieldErrors
	aq := activity.Query{
		UserID:       fields.optionalID(q, "user_id"),
		TargetUserID: fields.optionalID(q, "target_user_id"),
		Limit:        fields.limit(q, activity.MaxPageSize),
		Cursor:       q.get("cursor"),
	}
	for _, name := range q.all("type") {
		t, err := activity.ParseType(name)
		if err := fields.addErr(err); err != nil {
			return activity.Query{}, err
		}
		if t != "" {
			aq.Types = append(aq.Types, t)
		}
	}
	rng, err := activity.ParseRange(q.get("from"), q.get("to"), q.get("tz"))
	if err := fields.addErr(err); err != nil {
		return activity.Query{}, err
	}
	aq.Range = rng
	if err := fields.err(); err != nil {
		return activity.Query{}, err
	}
	return aq, nil
}

type typesJSON struct {
	Types []activity.Type `json:"types"`
}

// GET /activity/types
func (h *Handler) activityTypes(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, typesJSON{Types: h.activity.Types()})
	return nil
}

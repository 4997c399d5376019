package httpadapter

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/users"
)

// userJSON is a user as the routes send it.
type userJSON struct {
	ID                   uuid.UUID `json:"id"`
	Email                string    `json:"email"`
	Name                 string    `json:"name"`
	Role                 string    `json:"role"`
	VerificationStatus   string    `json:"verification_status"`
	CanAccessPhoneCalls  bool      `json:"can_access_phone_calls"`
	CanAccessAIAssistant bool      `json:"can_access_ai_assistant"`
	ConversationLimit    int       `json:"conversation_limit"`
	OpenConversations    int       `json:"open_conversations"`
	Status               string    `json:"status"`
	InvitedAt            *string   `json:"invited_at"`
	VerifiedAt           *string   `json:"verified_at"`
	ArchivedAt           *string   `json:"archived_at"`
	Version              int64     `json:"version"`
}

func toUserJSON(u users.User) userJSON {
	return userJSON{
		ID:                   u.ID,
		Email:                u.Email,
		Name:                 u.Name,
		Role:                 string(u.Role),
		VerificationStatus:   string(u.Verification),
		CanAccessPhoneCalls:  u.CanAccessPhoneCalls,
		CanAccessAIAssistant: u.CanAccessAIAssistant,
		ConversationLimit:    u.ConversationLimit,
		OpenConversations:    u.OpenConversations,
		Status:               string(u.Status),
		InvitedAt:            formatTime(u.InvitedAt),
		VerifiedAt:           formatTime(u.VerifiedAt),
		ArchivedAt:           formatTime(u.ArchivedAt),
		Version:              u.Version,
	}
}

type listUsersJSON struct {
	Users      []userJSON `json:"users"`
	Seats      seatsJSON  `json:"seats"`
	NextCursor *string    `json:"next_cursor"`
}

// writeUser sends one user with its ETag.
func writeUser(w http.ResponseWriter, status int, u users.User) {
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, status, toUserJSON(u))
}

// GET /users
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseQuery(r, []string{"status", "role", "verification_status", "search", "limit", "cursor"}, nil)
	if err != nil {
		return err
	}
	var fields fieldErrors
	lq := users.ListQuery{
		Status:       users.Status(q.get("status")),
		Role:         users.Role(q.get("role")),
		Verification: users.VerificationStatus(q.get("verification_status")),
		Search:       q.get("search"),
		Limit:        fields.limit(q, users.MaxPageSize),
		Cursor:       q.get("cursor"),
	}
	if err := fields.err(); err != nil {
		return err
	}
	page, err := h.users.List(r.Context(), c.actor.CompanyID, lq)
	if err != nil {
		return err
	}
	out := listUsersJSON{
		Users:      make([]userJSON, 0, len(page.Users)),
		Seats:      toSeatsJSON(page.Seats),
		NextCursor: optionalString(page.NextCursor),
	}
	for _, u := range page.Users {
		out.Users = append(out.Users, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type inviteBody struct {
	Email                string  `json:"email"`
	Name                 string  `json:"name"`
	Role                 *string `json:"role"`
	ConversationLimit    *int    `json:"conversation_limit"`
	CanAccessPhoneCalls  bool    `json:"can_access_phone_calls"`
	CanAccessAIAssistant bool    `json:"can_access_ai_assistant"`
}

// POST /users
func (h *Handler) inviteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	var body inviteBody
	if err := h.decodeBody(w, r, &body, "email", "name"); err != nil {
		return err
	}
	in := users.Invite{
		Email:                body.Email,
		Name:                 body.Name,
		Role:                 users.RoleUser,
		ConversationLimit:    users.DefaultConversationLimit,
		CanAccessPhoneCalls:  body.CanAccessPhoneCalls,
		CanAccessAIAssistant: body.CanAccessAIAssistant,
	}
	if body.Role != nil {
		in.Role = users.Role(*body.Role)
	}
	if body.ConversationLimit != nil {
		in.ConversationLimit = *body.ConversationLimit
	}
	u, err := h.users.Invite(r.Context(), c.actor, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", userLocation(r, u.ID))
	writeUser(w, http.StatusCreated, u)
	return nil
}

// userLocation returns the path of a new user's resource: the path the
// client sent, which includes any prefix the host mounted the routes
// under, followed by the id.
func userLocation(r *http.Request, id uuid.UUID) string {
	path := r.URL.EscapedPath()
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && r.RequestURI != "" {
		path = u.EscapedPath()
	}
	return strings.TrimSuffix(path, "/") + "/" + id.String()
}

// GET /users/{id}
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := h.users.User(r.Context(), c.actor.CompanyID, id)
	if err != nil {
		return err
	}
	writeUser(w, http.StatusOK, u)
	return nil
}

type updateBody struct {
	Role                 *string `json:"role"`
	ConversationLimit    *int    `json:"conversation_limit"`
	CanAccessPhoneCalls  *bool   `json:"can_access_phone_calls"`
	CanAccessAIAssistant *bool   `json:"can_access_ai_assistant"`
}

// changes returns the users.Changes of the body, or a KindInvalid error
// when the body sets no field.
func (b updateBody) changes(ifVersion int64) (users.Changes, error) {
	if b.Role == nil && b.ConversationLimit == nil && b.CanAccessPhoneCalls == nil && b.CanAccessAIAssistant == nil {
		return users.Changes{}, roster.Errorf(roster.KindInvalid,
			"The request body changes nothing; set at least one of role, conversation_limit, can_access_phone_calls and can_access_ai_assistant.")
	}
	c := users.Changes{
		ConversationLimit:    b.ConversationLimit,
		CanAccessPhoneCalls:  b.CanAccessPhoneCalls,
		CanAccessAIAssistant: b.CanAccessAIAssistant,
		IfVersion:            ifVersion,
	}
	if b.Role != nil {
		role := users.Role(*b.Role)
		c.Role = &role
	}
	return c, nil
}

// PATCH /users/{id}
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}

	var body updateBody
	if err := h.decodeBody(w, r, &body); err != nil {
		return err
	}
	changes, err := body.changes(version)
	if err != nil {
		return err
	}

	u, err := h.users.Update(r.Context(), c.actor, id, changes)
	if err != nil {
		return err
	}
	writeUser(w, http.StatusOK, u)
	return nil
}

type archiveBody struct {
	Confirmation string `json:"confirmation"`
}

// POST /users/{id}/archive
func (h *Handler) archiveUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	var body archiveBody
	if err := h.decodeBody(w, r, &body, "confirmation"); err != nil {
		return err
	}
	u, err := h.users.Archive(r.Context(), c.actor, id, body.Confirmation, version)
	if err != nil {
		return err
	}
	writeUser(w, http.StatusOK, u)
	return nil
}

// POST /users/{id}/verification takes no body; any body is ignored.
func (h *Handler) resendVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.decodeEmptyBody(w, r); err != nil {
		return err
	}
	u, err := h.users.ResendVerification(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeUser(w, http.StatusOK, u)
	return nil
}

type columnsJSON struct {
	Columns users.ColumnVisibility `json:"columns"`
}

// GET /users/columns
func (h *Handler) getColumns(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	v, err := h.users.Columns(r.Context(), c.actor.CompanyID, c.actor.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, columnsJSON{Columns: v})
	return nil
}

type columnsBody struct {
	Columns map[string]json.RawMessage `json:"columns"`
}

// PUT /users/columns
func (h *Handler) putColumns(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noQuery(r); err != nil {
		return err
	}
	var body columnsBody
	if err := h.decodeBody(w, r, &body, "columns"); err != nil {
		return err
	}
	v, err := columnVisibility(body.Columns)
	if err != nil {
		return err
	}
	saved, err := h.users.SetColumns(r.Context(), c.actor, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, columnsJSON{Columns: saved})
	return nil
}

// columnVisibility checks that every value of raw is true or false. The
// service checks the column names.
func columnVisibility(raw map[string]json.RawMessage) (users.ColumnVisibility, error) {
	var fields fieldErrors
	v := make(users.ColumnVisibility, len(raw))
	for _, name := range sortedKeys(raw) {
		switch string(raw[name]) {
		case "true":
			v[users.Column(name)] = true
		case "false":
			v[users.Column(name)] = false
		default:
			fields.addMalformed("columns."+name, "must be true or false, got "+truncateUTF8(string(raw[name]), 40))
		}
	}
	if err := fields.err(); err != nil {
		return nil, err
	}
	return v, nil
}

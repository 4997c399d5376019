package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

// bareUserJSON has the fields, tags and order of the adapter's user
// object, so that the bare handler writes the same bytes.
type bareUserJSON struct {
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

func formatBareTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	return &s
}

// bareHandler serves GET /users/{id} from a map, with nothing of Roster
// but its data: no authentication, no role check, no store.
func bareHandler(byID map[uuid.UUID]users.User) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", bareUserHandler(byID, func(r *http.Request) string { return r.PathValue("id") }))
	return mux
}

// bareMuxHandler is bareHandler on a gorilla/mux router, as the adapter
// uses, to tell the router's share of the difference.
func bareMuxHandler(byID map[uuid.UUID]users.User) http.Handler {
	router := mux.NewRouter()
	router.Handle("/users/{id}", bareUserHandler(byID, func(r *http.Request) string { return mux.Vars(r)["id"] })).
		Methods(http.MethodGet)
	return router
}

func bareUserHandler(byID map[uuid.UUID]users.User, pathID func(*http.Request) string) http.Handler {
	var mu sync.RWMutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(pathID(r))
		if err != nil {
			http.Error(w, "invalid id", http.StatusBadRequest)
			return
		}
		mu.RLock()
		u, ok := byID[id]
		mu.RUnlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `W/"`+strconv.FormatInt(u.Version, 10)+`"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(bareUserJSON{
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
			InvitedAt:            formatBareTime(u.InvitedAt),
			VerifiedAt:           formatBareTime(u.VerifiedAt),
			ArchivedAt:           formatBareTime(u.ArchivedAt),
			Version:              u.Version,
		})
	})
}

// BenchmarkHTTPGetUser serves GET /users/{id} through httpadapter on the
// memory store, with an Authenticator that returns a fixed admin, and
// through a bare handler that writes the same JSON, on net/http's
// ServeMux (bare) and on gorilla/mux (bare-mux). All run through
// ServeHTTP with httptest, without a network connection.
func BenchmarkHTTPGetUser(b *testing.B) {
	ctx := context.Background()
	store := memory.New()
	usvc := users.NewService(store, nil)
	company, admin, err := usvc.CreateCompany(ctx, users.NewCompany{
		Name: "HTTP company", SeatLimit: 10, AdminEmail: "admin@http.example", AdminName: "Http Admin",
	}, activity.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	actor := activity.Actor{CompanyID: company.ID, UserID: admin.ID, IP: benchIP, UserAgent: benchUserAgent}
	target, err := usvc.Invite(ctx, actor, users.Invite{
		Email: "target@http.example", Name: "Target User", Role: users.RoleUser, ConversationLimit: 8, CanAccessPhoneCalls: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	identity := httpadapter.Identity{CompanyID: company.ID, UserID: admin.ID}
	adapter := httpadapter.New(httpadapter.Services{
		Users:    usvc,
		Seats:    seats.NewService(store, nil),
		Activity: activity.NewService(store, nil),
	}, func(*http.Request) (httpadapter.Identity, error) { return identity, nil }, nil)
	byID := map[uuid.UUID]users.User{admin.ID: admin, target.ID: target}
	bare, bareMux := bareHandler(byID), bareMuxHandler(byID)

	request := httptest.NewRequest(http.MethodGet, "/users/"+target.ID.String(), nil)
	request.Header.Set("User-Agent", benchUserAgent)
	request.Header.Set("Authorization", "Bearer benchmark")
	serve := func(h http.Handler) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request)
		return w
	}
	want := serve(adapter)
	for _, h := range []http.Handler{bare, bareMux} {
		got := serve(h)
		if want.Code != http.StatusOK || !bytes.Equal(want.Body.Bytes(), got.Body.Bytes()) || want.Header().Get("ETag") != got.Header().Get("ETag") {
			b.Fatalf("the bare handler's response differs from the adapter's:\nadapter %d %s\nbare    %d %s",
				want.Code, want.Body.Bytes(), got.Code, got.Body.Bytes())
		}
	}

	for _, impl := range []struct {
		name    string
		handler http.Handler
	}{{"roster", adapter}, {"bare", bare}, {"bare-mux", bareMux}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(impl.handler); w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
				}
			}
		})
	}
}

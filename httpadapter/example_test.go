package httpadapter_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

// This example mounts the adapter under /api on a host's router. The
// host's Authenticator maps a session token to the signed-in user; a real
// host would look the token up in its session store.
func Example() {
	ctx := context.Background()
	store := memory.New()
	services := httpadapter.Services{
		Users:    users.NewService(store, nil),
		Seats:    seats.NewService(store, nil),
		Activity: activity.NewService(store, nil),
	}
	company, admin, err := services.Users.CreateCompany(ctx, users.NewCompany{
		Name: "Acme Support", SeatLimit: 10, AdminEmail: "admin@acme.test", AdminName: "Ada Admin",
	}, activity.Actor{})
	if err != nil {
		panic(err)
	}

	sessions := map[string]httpadapter.Identity{
		"session-ada": {CompanyID: company.ID, UserID: admin.ID},
	}
	authenticate := func(r *http.Request) (httpadapter.Identity, error) {
		cookie, err := r.Cookie("session")
		if err != nil {
			return httpadapter.Identity{}, err
		}
		id, ok := sessions[cookie.Value]
		if !ok {
			return httpadapter.Identity{}, errors.New("unknown session")
		}
		return id, nil
	}

	adapter := httpadapter.New(services, authenticate, &httpadapter.Options{
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	router := mux.NewRouter()
	adapter.Register(router.PathPrefix("/api").Subrouter())

	req := httptest.NewRequest(http.MethodGet, "/api/seats", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: "session-ada"})
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))

	req = httptest.NewRequest(http.MethodGet, "/api/users/"+uuid.NewString(), nil)
	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output:
	// 200 {"limit":10,"used":1,"available":9}
	// 401 application/problem+json
}

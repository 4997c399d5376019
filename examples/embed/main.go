// Command embed is the smallest host of Roster's HTTP adapter: it mounts
// the adapter under /api on a gorilla/mux router and maps a session cookie
// to the signed-in user. The README shows the body of newRouter.
//
//	go run ./examples/embed
//
// serves on 127.0.0.1:8081 (-addr) and prints a cookie to try it with.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/gorilla/mux"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "TCP address to listen on")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	sessions := map[string]httpadapter.Identity{}
	router, services := newRouter(sessions, mailer{logger})
	company, admin, err := services.Users.CreateCompany(context.Background(), users.NewCompany{
		Name: "Acme Support", SeatLimit: 10, AdminEmail: "admin@acme.test", AdminName: "Ada Admin",
	}, activity.Actor{})
	if err != nil {
		logger.Error("creating the demo company failed", "err", err)
		os.Exit(1)
	}
	sessions["demo"] = httpadapter.Identity{CompanyID: company.ID, UserID: admin.ID}

	fmt.Printf("try: curl -b session=demo http://%s/api/users\n", *addr)
	server := &http.Server{Addr: *addr, Handler: router, ReadHeaderTimeout: 5 * time.Second}
	if err := server.ListenAndServe(); err != nil {
		logger.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// newRouter builds the services on one store and mounts the adapter. A
// real host keeps sessions in its own store and guards the map with a
// lock, because requests run concurrently.
func newRouter(sessions map[string]httpadapter.Identity, mailer users.Notifier) (*mux.Router, httpadapter.Services) {
	store := memory.New() // in production: postgres.Open, then postgres.Migrate
	services := httpadapter.Services{
		Users:    users.NewService(store, &users.Options{Notifier: mailer}),
		Seats:    seats.NewService(store, nil),
		Activity: activity.NewService(store, nil),
	}

	// The host's own session lookup turns a request into a company and user.
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
	return router, services
}

// mailer is a development notifier that logs verification tokens.
type mailer struct{ logger *slog.Logger }

// NotifyVerification logs the invitee's email address and token.
func (m mailer) NotifyVerification(ctx context.Context, inv users.Invitation) error {
	m.logger.InfoContext(ctx, "verification token issued", "email", inv.User.Email, "token", inv.Token)
	return nil
}

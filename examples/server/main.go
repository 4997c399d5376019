// Command server is a small help-desk host around Roster. It keeps the team
// in memory or in PostgreSQL, seeds two demo companies unless they exist,
// serves Roster's HTTP adapter under /api and adds the routes that Roster
// leaves to its hosts: POST /login, POST /logout and POST /verify.
//
// Run it from the repository root:
//
//	go run ./examples/server
//
// then log in as admin@acme.test with the password roster-demo:
//
//	curl --json '{"email":"admin@acme.test","password":"roster-demo"}' http://127.0.0.1:8080/login
//
// The flags are:
//
//	-addr           listen address (default 127.0.0.1:8080); port 0 picks a free port
//	-dsn            PostgreSQL connection string (default $DATABASE_URL); empty keeps everything in memory
//	-demo-password  password of every seeded user (default roster-demo)
//	-bcrypt-cost    bcrypt work factor of new password hashes (default 10)
//	-log-level      debug, info, warn or error (default info)
//
// With a connection string, the server migrates Roster's schema and
// creates its own tables example_credentials and example_sessions unless
// they exist. It then keeps all state in that database. Roster stores the
// users, seats, activity and column choices there, and the host stores the
// bcrypt hashes of the passwords and the SHA-256 hashes of the session
// tokens. A restart on the same database keeps every change and every open
// session, and seeds nothing again:
//
//	go run ./examples/server -dsn 'postgres://postgres@127.0.0.1:5432/roster?sslmode=disable'
//
// The server logs to stderr with log/slog. Each verification token is
// logged with email= and token= attributes instead of being mailed.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/crypto/bcrypt"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/examples/server/web"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// Server timeouts. The write timeout bounds the slowest handler, which is a
// bcrypt hash in POST /verify, with ample margin at the default -bcrypt-cost.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 10 * time.Second
)

// maxBodyBytes bounds every request body, the adapter's and the host's.
const maxBodyBytes = 64 << 10

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	var usage usageError
	switch {
	case err == nil:
	case errors.As(err, &usage):
		// The flag package has printed the problem and the usage already.
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// usageError is a command line that the flag package rejected.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// config is the parsed command line.
type config struct {
	addr         string
	dsn          string
	demoPassword string
	bcryptCost   int
	logLevel     slog.Level
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080",
		"TCP address to listen on; port 0 picks a free port, which the start log line reports")
	// The default stays empty, so that the usage text never prints a
	// password from DATABASE_URL.
	fs.StringVar(&cfg.dsn, "dsn", "",
		"PostgreSQL connection string (default $DATABASE_URL); empty keeps everything in memory")
	fs.StringVar(&cfg.demoPassword, "demo-password", "roster-demo",
		"password of every seeded user, 8 to 72 bytes")
	fs.IntVar(&cfg.bcryptCost, "bcrypt-cost", bcrypt.DefaultCost,
		fmt.Sprintf("bcrypt work factor of new password hashes, %d to %d; each step doubles the hashing time", bcrypt.MinCost, bcrypt.MaxCost))
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "minimum log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, usageError{err}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q; the server takes flags only\n", fs.Arg(0))
		fs.Usage()
		return config{}, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := validatePassword(cfg.demoPassword); err != nil {
		return config{}, fmt.Errorf("invalid -demo-password: it %v", err)
	}
	if cfg.bcryptCost < bcrypt.MinCost || cfg.bcryptCost > bcrypt.MaxCost {
		return config{}, fmt.Errorf("invalid -bcrypt-cost %d: use %d to %d, or leave the default %d",
			cfg.bcryptCost, bcrypt.MinCost, bcrypt.MaxCost, bcrypt.DefaultCost)
	}
	if cfg.dsn == "" {
		cfg.dsn = os.Getenv("DATABASE_URL")
	}
	return cfg, nil
}

// run starts the server and blocks until ctx is done or SIGINT or SIGTERM
// arrives, then shuts the server down gracefully. It returns nil after a
// clean shutdown and after -h.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	st, err := openStores(ctx, cfg.dsn, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.close(); err != nil {
			logger.Error("closing the stores failed", "err", err)
		}
	}()

	app, err := newApp(st, logger, cfg.bcryptCost)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := seed(ctx, app, cfg.demoPassword); err != nil {
		return fmt.Errorf("seeding the demo companies failed: %w", err)
	}
	logger.Info("demo companies ready", "duration", time.Since(started).Round(time.Millisecond))

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on -addr %s failed: %w; pick a free port or use port 0", cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           app.routes(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	addr := ln.Addr().String()
	logger.Info("server started", "addr", addr, "store", st.name)
	fmt.Fprintf(stdout, "Roster example server on http://%s\n", addr)
	fmt.Fprintln(stdout, "Seeded users, such as admin@acme.test and admin@globex.test, share the password set by -demo-password (default roster-demo).")

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving on %s failed: %w", addr, err)
	case <-ctx.Done():
	}
	// A second signal now ends the process at once.
	stopSignals()
	logger.Info("server stopping", "reason", context.Cause(ctx))

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("graceful shutdown timed out; closing open connections", "timeout", shutdownTimeout, "err", err)
		srv.Close()
		return fmt.Errorf("shutting down within %s failed: %w", shutdownTimeout, err)
	}
	logger.Info("server stopped", "addr", addr)
	return nil
}

// app is the host: Roster's services, the adapter and the host's own
// credential and session tables on the host store.
type app struct {
	logger   *slog.Logger
	clock    *clock
	users    *users.Service
	seats    *seats.Service
	activity *activity.Service
	adapter  *httpadapter.Handler
	mailer   *devMailer
	host     hostStore
	creds    *credentials
	sessions *sessions
}

func newApp(st stores, logger *slog.Logger, bcryptCost int) (*app, error) {
	// A fresh key per process makes cursors unforgeable. Hosts that run
	// several processes on one database give all of them the same key.
	cursorKey := make([]byte, 32)
	rand.Read(cursorKey)

	creds, err := newCredentials(st.host, bcryptCost)
	if err != nil {
		return nil, err
	}
	a := &app{
		logger:   logger,
		clock:    &clock{},
		mailer:   &devMailer{logger: logger},
		host:     st.host,
		creds:    creds,
		sessions: newSessions(st.host, sessionTTL),
	}
	a.users = users.NewService(st.users, &users.Options{
		Notifier:  a.mailer,
		Now:       a.clock.Now,
		Logger:    logger,
		CursorKey: cursorKey,
		Hooks:     users.Hooks{Archived: a.endSessions},
	})
	a.seats = seats.NewService(st.seats, &seats.Options{Now: a.clock.Now})
	a.activity = activity.NewService(st.activity, &activity.Options{CursorKey: cursorKey})
	a.adapter = httpadapter.New(httpadapter.Services{
		Users:    a.users,
		Seats:    a.seats,
		Activity: a.activity,
	}, a.authenticate, &httpadapter.Options{
		Logger:       logger,
		MaxBodyBytes: maxBodyBytes,
	})
	return a, nil
}

// routes returns the host's router: the adapter under /api and the host's
// own routes beside it.
func (a *app) routes() http.Handler {
	r := mux.NewRouter()
	a.adapter.Register(r.PathPrefix("/api").Subrouter())
	r.HandleFunc("/login", a.handleLogin).Methods(http.MethodPost)
	r.HandleFunc("/logout", a.handleLogout).Methods(http.MethodPost)
	r.HandleFunc("/verify", a.handleVerify).Methods(http.MethodPost)
	r.HandleFunc("/healthz", handleHealth).Methods(http.MethodGet, http.MethodHead)
	// The admin page: GET / and its assets under /static/.
	r.Handle("/", web.Handler()).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/static/").Handler(web.Handler()).Methods(http.MethodGet, http.MethodHead)
	r.NotFoundHandler = http.HandlerFunc(handleNotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(handleMethodNotAllowed)
	return a.logRequests(r)
}

// logRequests logs each request's method, path, status and duration at
// the info level.
func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		a.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start).Round(time.Microsecond)),
			slog.String("ip", a.adapter.ClientIP(r).String()),
		)
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func handleNotFound(w http.ResponseWriter, r *http.Request) {
	httpadapter.WriteProblem(w, httpadapter.Problem{
		Status: http.StatusNotFound,
		Code:   "not_found",
		Detail: fmt.Sprintf("No route matches %s %s; the API is under /api, and the host serves POST /login, /logout and /verify.",
			r.Method, truncateForMessage(r.URL.Path)),
	})
}

// hostRouteMethods lists the methods of the host's own routes, for the
// Allow header of a 405 response.
var hostRouteMethods = map[string]string{
	"/login":   http.MethodPost,
	"/logout":  http.MethodPost,
	"/verify":  http.MethodPost,
	"/healthz": "GET, HEAD",
	"/":        "GET, HEAD",
}

func handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if allow, ok := hostRouteMethods[r.URL.Path]; ok {
		w.Header().Set("Allow", allow)
	}
	httpadapter.WriteProblem(w, httpadapter.Problem{
		Status: http.StatusMethodNotAllowed,
		Code:   "method_not_allowed",
		Detail: fmt.Sprintf("%s is not allowed on %s.", r.Method, truncateForMessage(r.URL.Path)),
	})
}

// truncateForMessage cuts a client-supplied string to a length that is
// safe to echo in an error message.
func truncateForMessage(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/internal/text"
)

// Password rules. bcrypt reads at most 72 bytes, so a longer password is
// rejected rather than silently cut.
const (
	minPasswordBytes = 8
	maxPasswordBytes = 72
)

// sessionTTL is how long a bearer token stays valid after login.
const sessionTTL = 12 * time.Hour

// validatePassword checks the length rules of a new password.
func validatePassword(p string) error {
	if len(p) < minPasswordBytes || len(p) > maxPasswordBytes {
		return fmt.Errorf("must be %d to %d bytes, got %d", minPasswordBytes, maxPasswordBytes, len(p))
	}
	return nil
}

// emailKey returns the form in which the host compares email addresses:
// trimmed, then Roster's own comparison key.
func emailKey(email string) string {
	return text.Key(strings.TrimSpace(email))
}

// credential is one person's sign-in: who they are in Roster and the
// bcrypt hash of their password.
type credential struct {
	companyID uuid.UUID
	userID    uuid.UUID
	hash      []byte
}

// credentials is the host's password table, keyed by email key, on a
// hostStore. Roster never receives passwords, because the host
// authenticates people and Roster only decides whether they may log in.
//
// NOTE: this demo host signs each email address in to one company. A
// verification of the same address in a second company moves the sign-in
// there, and the first company's user can no longer log in.
type credentials struct {
	store hostStore
	// cost is the bcrypt work factor of new hashes. A stored hash keeps
	// the cost it was made with.
	cost int
	// decoy is a hash that check compares for unknown emails.
	decoy []byte
}

func newCredentials(store hostStore, cost int) (*credentials, error) {
	c := &credentials{store: store, cost: cost}
	decoy, err := c.hashPassword("decoy password, never matches")
	if err != nil {
		return nil, err
	}
	c.decoy = decoy
	return c, nil
}

// hashPassword returns the bcrypt hash of password.
func (c *credentials) hashPassword(password string) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), c.cost)
	if err != nil {
		return nil, fmt.Errorf("hashing the password failed: %w", err)
	}
	return hash, nil
}

// set stores the credential of email, replacing any earlier one.
func (c *credentials) set(ctx context.Context, email string, cred credential) error {
	return c.store.putCredential(ctx, emailKey(email), cred)
}

// has reports whether email has a credential.
func (c *credentials) has(ctx context.Context, email string) (bool, error) {
	_, found, err := c.store.credential(ctx, emailKey(email))
	return found, err
}

// errInvalidCredentials is an unknown email or a wrong password.
var errInvalidCredentials = errors.New("invalid email or password")

// check returns the credential of email if password matches it. It returns
// found=false for an unknown email, errInvalidCredentials for both an
// unknown email and a wrong password, and the store's error when the
// credential could not be read.
func (c *credentials) check(ctx context.Context, email, password string) (cred credential, found bool, err error) {
	// An input that is no valid address, such as one with a NUL byte,
	// names no account, and never reaches the database.
	if _, _, invalid := text.NormalizeEmail(email); invalid == nil {
		cred, found, err = c.store.credential(ctx, emailKey(email))
	}
	if err != nil {
		return credential{}, false, err
	}
	if !found {
		// Compare against a decoy hash so that an unknown email takes as
		// long as a wrong password and does not reveal who has an account.
		_ = bcrypt.CompareHashAndPassword(c.decoy, []byte(password))
		return credential{}, false, errInvalidCredentials
	}
	if err := bcrypt.CompareHashAndPassword(cred.hash, []byte(password)); err != nil {
		return cred, true, errInvalidCredentials
	}
	return cred, true, nil
}

// session is an open login.
type session struct {
	identity  httpadapter.Identity
	expiresAt time.Time
}

// sessions maps bearer tokens to identities on a hostStore. Only the
// SHA-256 hash of a token is stored, so the store never holds a usable
// token.
type sessions struct {
	store hostStore
	ttl   time.Duration
}

func newSessions(store hostStore, ttl time.Duration) *sessions {
	return &sessions{store: store, ttl: ttl}
}

// open starts a session for id and returns its bearer token, 256 random
// bits in unpadded base64url.
func (s *sessions) open(ctx context.Context, id httpadapter.Identity, now time.Time) (token string, expiresAt time.Time, err error) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	expiresAt = now.Add(s.ttl).UTC().Truncate(time.Second)
	sess := session{identity: id, expiresAt: expiresAt}
	if err := s.store.putSession(ctx, sha256.Sum256([]byte(token)), sess, now); err != nil {
		return "", time.Time{}, err
	}
	return token, expiresAt, nil
}

// lookup returns the identity of an unexpired token.
func (s *sessions) lookup(ctx context.Context, token string, now time.Time) (httpadapter.Identity, bool, error) {
	sess, found, err := s.store.session(ctx, sha256.Sum256([]byte(token)), now)
	return sess.identity, found, err
}

// close ends the session of token and returns its identity, with
// found=false when the token is unknown, expired or logged out already.
func (s *sessions) close(ctx context.Context, token string, now time.Time) (httpadapter.Identity, bool, error) {
	sess, found, err := s.store.deleteSession(ctx, sha256.Sum256([]byte(token)), now)
	return sess.identity, found, err
}

// maxTokenLength bounds a bearer token. Issued tokens have 43 characters.
const maxTokenLength = 128

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header. The scheme is case-insensitive, as RFC 9110 defines.
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errors.New("missing Authorization header; send Authorization: Bearer <token> from POST /login")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("the Authorization header must use the Bearer scheme")
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > maxTokenLength {
		return "", errors.New("the bearer token is empty or too long")
	}
	return token, nil
}

// authenticate is the adapter's Authenticator: it maps the request's
// bearer token to the identity of its session. The adapter then loads the
// user's current record, so an archive or demotion applies to the next
// request whatever the session records.
func (a *app) authenticate(r *http.Request) (httpadapter.Identity, error) {
	token, err := bearerToken(r)
	if err != nil {
		return httpadapter.Identity{}, err
	}
	id, ok, err := a.sessions.lookup(r.Context(), token, a.clock.Now())
	if err != nil {
		// The adapter responds to every Authenticator error with 401, so
		// the store failure is logged here.
		a.logger.ErrorContext(r.Context(), "reading the session failed; responding with 401", "err", err)
		return httpadapter.Identity{}, err
	}
	if !ok {
		return httpadapter.Identity{}, errors.New("the bearer token is unknown, expired or logged out; log in again")
	}
	return id, nil
}

package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/rosterkit/roster/httpadapter"
)

// Password rules. bcrypt reads at most 72 bytes, so a longer password is
// rejected rather than silently cut.
const (
	minPasswordBytes = 8
	maxPasswordBytes = 72
	// bcryptCost is bcrypt's default work factor.
	bcryptCost = bcrypt.DefaultCost
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

var emailFolder = cases.Fold()

// emailKey returns the form in which the host compares email addresses:
// trimmed, NFC-normalised and case-folded, as Roster compares them.
func emailKey(email string) string {
	return emailFolder.String(norm.NFC.String(strings.TrimSpace(email)))
}

// credential is one person's sign-in: who they are in Roster and the
// bcrypt hash of their password.
type credential struct {
	companyID uuid.UUID
	userID    uuid.UUID
	hash      []byte
}

// credentials is the host's password table, keyed by email key. Roster
// never receives passwords, because the host authenticates people and
// Roster only decides whether they may log in.
//
// NOTE: this demo host signs each email address in to one company. A
// verification of the same address in a second company moves the sign-in
// there, and the first company's user can no longer log in.
type credentials struct {
	mu    sync.RWMutex
	byKey map[string]credential
	// decoy is a hash that check compares for unknown emails.
	decoy []byte
}

func newCredentials() (*credentials, error) {
	decoy, err := hashPassword("decoy password, never matches")
	if err != nil {
		return nil, err
	}
	return &credentials{byKey: make(map[string]credential), decoy: decoy}, nil
}

// hashPassword returns the bcrypt hash of password.
func hashPassword(password string) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hashing the password failed: %w", err)
	}
	return hash, nil
}

// set stores the credential of email, replacing any earlier one.
func (c *credentials) set(email string, cred credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[emailKey(email)] = cred
}

// has reports whether email has a credential.
func (c *credentials) has(email string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.byKey[emailKey(email)]
	return ok
}

// errInvalidCredentials is an unknown email or a wrong password.
var errInvalidCredentials = errors.New("invalid email or password")

// check returns the credential of email if password matches it. It returns
// found=false for an unknown email, and errInvalidCredentials for both an
// unknown email and a wrong password.
func (c *credentials) check(email, password string) (cred credential, found bool, err error) {
	c.mu.RLock()
	cred, found = c.byKey[emailKey(email)]
	c.mu.RUnlock()
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

// sessions maps bearer tokens to identities. Only the SHA-256 hash of a
// token is kept, so the table never holds a usable token.
type sessions struct {
	mu    sync.Mutex
	ttl   time.Duration
	byKey map[[sha256.Size]byte]session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, byKey: make(map[[sha256.Size]byte]session)}
}

// open starts a session for id and returns its bearer token, 256 random
// bits in unpadded base64url.
func (s *sessions) open(id httpadapter.Identity, now time.Time) (token string, expiresAt time.Time) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	expiresAt = now.Add(s.ttl).UTC().Truncate(time.Second)

	s.mu.Lock()
	defer s.mu.Unlock()
	// Drop expired sessions here, so the table stays bounded by the
	// logins of one TTL.
	for k, sess := range s.byKey {
		if !now.Before(sess.expiresAt) {
			delete(s.byKey, k)
		}
	}
	s.byKey[sha256.Sum256([]byte(token))] = session{identity: id, expiresAt: expiresAt}
	return token, expiresAt
}

// lookup returns the identity of an unexpired token.
func (s *sessions) lookup(token string, now time.Time) (httpadapter.Identity, bool) {
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byKey[key]
	if !ok {
		return httpadapter.Identity{}, false
	}
	if !now.Before(sess.expiresAt) {
		delete(s.byKey, key)
		return httpadapter.Identity{}, false
	}
	return sess.identity, true
}

// close ends the session of token, if any.
func (s *sessions) close(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, sha256.Sum256([]byte(token)))
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
// request whatever the session says.
func (a *app) authenticate(r *http.Request) (httpadapter.Identity, error) {
	token, err := bearerToken(r)
	if err != nil {
		return httpadapter.Identity{}, err
	}
	id, ok := a.sessions.lookup(token, a.clock.Now())
	if !ok {
		return httpadapter.Identity{}, errors.New("the bearer token is unknown, expired or logged out; log in again")
	}
	return id, nil
}

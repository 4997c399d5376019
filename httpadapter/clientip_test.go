package httpadapter_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
)

func clientIPOf(h *httpadapter.Handler, remote string, forwarded ...string) netip.Addr {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remote
	for _, v := range forwarded {
		r.Header.Add("X-Forwarded-For", v)
	}
	return h.ClientIP(r)
}

func TestClientIPWithoutTrustedProxies(t *testing.T) {
	f := newFixture(t)
	h := f.handler

	assert.Equal(t, addr("203.0.113.5"), clientIPOf(h, "203.0.113.5:1234"))
	assert.Equal(t, addr("203.0.113.5"), clientIPOf(h, "203.0.113.5:1234", "198.51.100.1"), "X-Forwarded-For must be ignored")
	assert.Equal(t, addr("10.0.0.2"), clientIPOf(h, "10.0.0.2:1234", "198.51.100.1"), "no peer is trusted by default")
	assert.Equal(t, addr("2001:db8::7"), clientIPOf(h, "[2001:db8::7]:443"))
	assert.Equal(t, addr("192.0.2.1"), clientIPOf(h, "[::ffff:192.0.2.1]:80"))
	assert.Equal(t, addr("fe80::1"), clientIPOf(h, "[fe80::1%eth0]:80"))
	assert.Equal(t, addr("192.0.2.9"), clientIPOf(h, "192.0.2.9"))
	assert.False(t, clientIPOf(h, "@pipe").IsValid())
	assert.False(t, clientIPOf(h, "").IsValid())
}

func TestClientIPWithTrustedProxies(t *testing.T) {
	f := newFixtureWith(t, &httpadapter.Options{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8:ffff::/48"),
	}})
	h := f.handler
	tests := []struct {
		name      string
		remote    string
		forwarded []string
		want      string
	}{
		{"untrusted peer ignores spoofed header", "203.0.113.5:1", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted peer without header", "10.0.0.2:1", nil, "10.0.0.2"},
		{"trusted peer with one hop", "10.0.0.2:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted hop", "10.0.0.2:1", []string{"6.6.6.6, 198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"several header lines", "10.0.0.2:1", []string{"6.6.6.6", "198.51.100.1 , 10.0.0.3"}, "198.51.100.1"},
		{"every hop trusted", "10.0.0.2:1", []string{"10.0.0.4, 10.0.0.3"}, "10.0.0.4"},
		{"malformed hop stops the walk", "10.0.0.2:1", []string{"198.51.100.1, unknown"}, "10.0.0.2"},
		{"malformed hop after trusted hop", "10.0.0.2:1", []string{"garbage, 10.0.0.3"}, "10.0.0.3"},
		{"empty header", "10.0.0.2:1", []string{""}, "10.0.0.2"},
		{"hop with port", "10.0.0.2:1", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"ipv6 proxy and client", "[2001:db8:ffff::1]:443", []string{"[2001:db8::5]:1234"}, "2001:db8::5"},
		{"mapped ipv4 peer is trusted", "[::ffff:10.0.0.2]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"mapped ipv4 hop", "10.0.0.2:1", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, addr(tt.want), clientIPOf(h, tt.remote, tt.forwarded...))
		})
	}
}

func TestActorCarriesIdentityAddressAndAgent(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "203.0.113.5:1234"
	r.Header.Set("User-Agent", "curl/8.5")
	id := httpadapter.Identity{CompanyID: f.acme.ID, UserID: f.admin.ID}

	actor := f.handler.Actor(r, id)

	assert.Equal(t, activity.Actor{CompanyID: f.acme.ID, UserID: f.admin.ID, IP: addr("203.0.113.5"), UserAgent: "curl/8.5"}, actor)
}

func TestActorBoundsUserAgent(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("User-Agent", strings.Repeat("a", httpadapter.MaxUserAgentBytes-1)+"é"+strings.Repeat("b", 100))

	ua := f.handler.Actor(r, httpadapter.Identity{}).UserAgent

	assert.Equal(t, strings.Repeat("a", httpadapter.MaxUserAgentBytes-1), ua, "a character is never split")

	r.Header.Set("User-Agent", "bad\xffbyte")
	assert.Equal(t, "bad\uFFFDbyte", f.handler.Actor(r, httpadapter.Identity{}).UserAgent)
}

func TestActivityRecordsForwardedClientOverLoopback(t *testing.T) {
	f := newFixtureWith(t, &httpadapter.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	server := httptest.NewServer(f.handler)
	t.Cleanup(server.Close)

	req, err := http.NewRequest(http.MethodPatch, server.URL+"/users/"+f.agent.ID.String(), strings.NewReader(`{"conversation_limit":4}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", bearer(f.admin))
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.23")
	resp, err := server.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	log, err := f.activity.Query(f.ctx, f.acme.ID, activity.Query{Types: []activity.Type{activity.TypeUserUpdated}})
	require.NoError(t, err)
	require.Len(t, log.Entries, 1)
	assert.Equal(t, addr("198.51.100.23"), log.Entries[0].IP)
}

func TestActivityIgnoresForwardedFromUntrustedPeer(t *testing.T) {
	f := newFixture(t)
	server := httptest.NewServer(f.handler)
	t.Cleanup(server.Close)

	req, err := http.NewRequest(http.MethodPatch, server.URL+"/users/"+f.agent.ID.String(), strings.NewReader(`{"conversation_limit":4}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", bearer(f.admin))
	req.Header.Set("X-Forwarded-For", "198.51.100.23")
	resp, err := server.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	log, err := f.activity.Query(f.ctx, f.acme.ID, activity.Query{Types: []activity.Type{activity.TypeUserUpdated}})
	require.NoError(t, err)
	require.Len(t, log.Entries, 1)
	assert.Equal(t, addr("127.0.0.1"), log.Entries[0].IP)
}

package httpadapter

import (
	"net/http"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/internal/text"
)

// MaxUserAgentBytes bounds the User-Agent that Actor records in the
// activity log; longer values are cut at a character boundary. It is the
// activity log's own bound.
const MaxUserAgentBytes = activity.MaxUserAgentBytes

// ClientIP returns the address of the client that sent r, which is the
// connection's peer address unless the peer is in Options.TrustedProxies.
// For a trusted peer it is the right-most X-Forwarded-For hop that is not a
// trusted proxy. Every hop to the right of that one was appended by a proxy
// the host trusts, while hops further left are whatever the client sent.
// When a hop cannot be parsed, the walk stops at the last trusted address.
// ClientIP returns the zero Addr when the peer address cannot be parsed,
// which the activity log records as unknown.
func (h *Handler) ClientIP(r *http.Request) netip.Addr {
	client := parseHop(r.RemoteAddr)
	if !client.IsValid() || !h.isTrusted(client) {
		return client
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseHop(hops[i])
		if !hop.IsValid() {
			return client
		}
		client = hop
		if !h.isTrusted(hop) {
			return hop
		}
	}
	return client
}

// Actor returns the activity actor of a request that id authenticated: the
// identity, the client address from ClientIP and the User-Agent header,
// cleaned as the activity log stores it: valid UTF-8, without control
// characters, cut to MaxUserAgentBytes.
func (h *Handler) Actor(r *http.Request, id Identity) activity.Actor {
	return activity.Actor{
		CompanyID: id.CompanyID,
		UserID:    id.UserID,
		IP:        h.ClientIP(r),
		UserAgent: text.Clean(r.UserAgent(), MaxUserAgentBytes),
	}
}

func (h *Handler) isTrusted(a netip.Addr) bool {
	for _, p := range h.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedHops splits X-Forwarded-For values into hops, left to right.
// Several header lines count as one comma-separated list.
func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for hop := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop parses an address with or without a port, such as
// "192.0.2.1", "192.0.2.1:8080", "2001:db8::1" or "[2001:db8::1]:8080".
// IPv4-mapped IPv6 addresses become IPv4 and zones are dropped, so that
// trusted prefixes match and stores can keep the address.
func parseHop(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone("")
}

// truncateUTF8 replaces invalid UTF-8 in s and cuts it to at most n bytes
// without splitting a character.
func truncateUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

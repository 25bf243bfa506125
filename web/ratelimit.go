package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// The sign-in limits are in the database (see proposals.BeginSignIn), shared
// by every process; the address they count by is found here.

// clientAddress is the address a request comes from: the peer's, or, when
// the peer is a trusted proxy, the nearest address its X-Forwarded-For names
// that is not itself a trusted proxy. Entries further left were written by
// the client and could say anything.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr().Unmap()
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0 && inPrefixes(trusted, addr); i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: the last trusted hop is the best we know
		}
		addr = hop.Unmap()
	}
	return addr.String()
}

func inPrefixes(prefixes []netip.Prefix, addr netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// waitText says a wait in words: "1 second", "40 seconds", "3 minutes".
func waitText(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 60:
		return fmt.Sprintf("%d seconds", secs)
	case secs < 120:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
}

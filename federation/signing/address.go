package signing

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrForbiddenAddress is returned when an outbound connection would reach a
// private or reserved address not in the allow-list.
var ErrForbiddenAddress = errors.New("signing: forbidden address")

// reservedPrefixes are ranges that netip's predicates (loopback, private,
// link-local, multicast, unspecified) do not cover but that must not be
// reachable from a federation fetch: they are internal, shared, reserved or
// translate to IPv4 addresses we cannot check.
var reservedPrefixes = mustPrefixes(
	"0.0.0.0/8",       // "this network"
	"100.64.0.0/10",   // carrier-grade NAT, often internal in clouds
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.88.99.0/24",  // 6to4 relay anycast
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"240.0.0.0/4",     // reserved, includes 255.255.255.255
	"::/96",           // IPv4-compatible (deprecated), hides an IPv4 address
	"64:ff9b::/96",    // NAT64: reaches an IPv4 address (maybe internal)
	"64:ff9b:1::/48",  // local-use NAT64
	"100::/64",        // discard-only
	"2001::/23",       // IETF protocol assignments, includes Teredo
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4: reaches an embedded IPv4 address
	"fec0::/10",       // site-local (deprecated)
)

// CheckAddress returns nil if an outbound connection may go to addr: it is
// inside allow, or it is a public unicast address. IPv4-mapped IPv6
// addresses are judged as the IPv4 address they carry.
func CheckAddress(addr netip.Addr, allow []netip.Prefix) error {
	addr = addr.WithZone("") // Prefix.Contains never matches a zoned address
	plain := addr.Unmap()
	if inAny(allow, addr) || inAny(allow, plain) {
		return nil
	}
	if reason := forbiddenReason(plain); reason != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, addr, reason)
	}
	return nil
}

// forbiddenReason names why addr must not be dialled, or returns "".
func forbiddenReason(addr netip.Addr) string {
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsMulticast():
		return "multicast"
	case addr.IsUnspecified():
		return "unspecified"
	case inAny(reservedPrefixes, addr):
		return "reserved"
	}
	return ""
}

func inAny(prefixes []netip.Prefix, addr netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParseAllowList parses comma-separated CIDRs or single addresses, such as
// "127.0.0.0/8,::1", into prefixes for ClientOptions.Allow. Empty entries are
// ignored, so "" gives nil.
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parseAllowEntry(entry)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parseAllowEntry(entry string) (netip.Prefix, error) {
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("signing: allow-list entry %q is not a CIDR: %w", entry, err)
		}
		return p.Masked(), nil
	}
	addr, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("signing: allow-list entry %q is not an IP address: %w", entry, err)
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// Package netguard keeps deliveries away from addresses that a public
// webhook hub must never reach: loopback, private, link-local (cloud
// metadata), multicast and unspecified addresses, in any spelling.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// extra blocked ranges that netip's predicates do not cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),        // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),    // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),     // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),    // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),      // reserved, broadcast
	netip.MustParsePrefix("168.63.129.16/32"), // Azure's platform endpoint: public, but answers VMs only
	netip.MustParsePrefix("64:ff9b:1::/48"),   // local NAT64
	netip.MustParsePrefix("2001::/32"),        // Teredo embeds IPv4
	netip.MustParsePrefix("::/96"),            // deprecated IPv4-compatible (::127.0.0.1)
	netip.MustParsePrefix("::ffff:0:0:0/96"),  // IPv4-translated (RFC 2765)
	netip.MustParsePrefix("fec0::/10"),        // deprecated site-local
}

// Translation prefixes that embed an IPv4 address: the address inside
// decides. An IPv6-only host with DNS64 reaches every IPv4-only receiver
// through NAT64.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // the IPv4 address in the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // the IPv4 address in bits 16 to 48
)

// Blocked reports whether ip is not a public unicast address.
func Blocked(ip netip.Addr) bool {
	// A zone ("%eth0") is no part of the address the kernel dials outside
	// link-local ranges, but netip.Prefix never contains a zoned address.
	ip = ip.Unmap().WithZone("")
	switch b := ip.As16(); {
	case nat64.Contains(ip):
		return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		return Blocked(netip.AddrFrom4([4]byte(b[2:6])))
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Guard checks hosts at registration time and addresses at dial time.
type Guard struct {
	Resolver *net.Resolver
}

// CheckHost resolves host and fails if any of its addresses is blocked.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if Blocked(ip) {
			return fmt.Errorf("%s is not a public address", host)
		}
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		var dnsErr *net.DNSError
		return &LookupError{Host: host, NotFound: errors.As(err, &dnsErr) && dnsErr.IsNotFound}
	}
	for _, a := range addrs {
		if Blocked(a) {
			return fmt.Errorf("host %q resolves to a non-public address", host)
		}
	}
	return nil
}

// LookupError is CheckHost's error for a host whose name did not resolve:
// no such name (NotFound), or a lookup that failed (a DNS server that timed
// out or failed), which a later one may not.
type LookupError struct {
	Host     string
	NotFound bool
}

func (e *LookupError) Error() string {
	if e.NotFound {
		return fmt.Sprintf("host %q does not resolve", e.Host)
	}
	return fmt.Sprintf("host %q could not be looked up (DNS failed)", e.Host)
}

// Temporary reports whether a later lookup may succeed.
func (e *LookupError) Temporary() bool { return !e.NotFound }

// Control is a net.Dialer Control hook that refuses to connect to a blocked
// address. It sees the address actually dialled, after DNS resolution, so
// DNS rebinding cannot slip past it.
func Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unsafe target: cannot parse %q", address)
	}
	if Blocked(ap.Addr()) {
		return &UnsafeTargetError{Addr: ap.Addr().String()}
	}
	return nil
}

// UnsafeTargetError is returned when a dial is refused. It is permanent.
type UnsafeTargetError struct{ Addr string }

func (e *UnsafeTargetError) Error() string {
	return "unsafe target: " + e.Addr + " is not a public address"
}

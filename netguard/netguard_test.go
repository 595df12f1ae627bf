package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/heraldhub/herald/netguard"
)

func TestBlocked(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		// Loopback, in every spelling netip accepts.
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		// Unspecified and "this network".
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		// RFC 1918 and unique local.
		{"10.0.0.1", true},
		{"172.16.5.4", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"::ffff:10.0.0.1", true},
		// Link-local: cloud metadata lives here.
		{"169.254.169.254", true},
		{"168.63.129.16", true}, // Azure's platform endpoint, a public address
		{"168.63.129.17", false},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"::ffff:169.254.169.254", true},
		// Carrier-grade NAT, IETF, benchmarking, reserved, broadcast.
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"192.0.0.8", true},
		{"198.18.0.1", true},
		{"240.0.0.1", true},
		{"255.255.255.255", true},
		// Multicast.
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		{"ff01::1", true},
		{"ff0e::1", true},
		// IPv6 forms that embed an IPv4 address.
		{"64:ff9b::a9fe:a9fe", true},                   // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", true},                      // NAT64 of 127.0.0.1
		{"64:ff9b:1::1", true},                         // local-use NAT64
		{"::127.0.0.1", true},                          // IPv4-compatible, deprecated
		{"::ffff:0:7f00:1", true},                      // IPv4-translated 127.0.0.1
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, // Teredo
		{"2001:4860:4860::8888", false},                // a public address in 2001::/16
		{"2002:7f00:1::1", true},                       // 6to4 of 127.0.0.1
		{"2002:a00:1::1", true},                        // 6to4 of 10.0.0.1
		{"64:ff9b::a00:1%eth0", true},                  // a zone changes nothing
		{"2002:a9fe:a9fe::1%x", true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2%1", true},
		{"::127.0.0.1%lo", true},
		// ... and pass when the IPv4 address inside is public: an
		// IPv6-only host with DNS64 reaches IPv4 receivers this way.
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", false},  // 6to4 of 8.8.8.8
		{"fec0::1", true},           // deprecated site-local
		// Public unicast passes, literals need no DNS.
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"93.184.215.14", false},
		{"100.63.255.255", false}, // just below CGNAT
		{"100.128.0.0", false},    // just above CGNAT
		{"172.15.255.255", false}, // just below 172.16/12
		{"172.32.0.0", false},     // just above 172.16/12
		{"2606:4700::1111", false},
		{"2001:4860:4860::8888", false},
		{"::ffff:8.8.8.8", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			if got := netguard.Blocked(ip); got != tt.want {
				t.Errorf("Blocked(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
	t.Run("zero Addr", func(t *testing.T) {
		if !netguard.Blocked(netip.Addr{}) {
			t.Error("the zero netip.Addr must be blocked")
		}
	})
}

// offlineResolver is the pure Go resolver with DNS switched off: it answers
// from /etc/hosts only, so these tests never send a packet beyond the machine.
func offlineResolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("DNS is disabled in this test")
		},
	}
}

// nxdomainResolver is the pure Go resolver asking a DNS server on loopback
// that answers every question with "no such name" (NXDOMAIN), as a real one
// does for names that do not exist.
func nxdomainResolver(t *testing.T) *net.Resolver {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionAvailable: true, RCode: dnsmessage.RCodeNameError})
			if b.StartQuestions() != nil || b.Question(q) != nil {
				continue
			}
			if answer, err := b.Finish(); err == nil {
				_, _ = conn.WriteTo(answer, from)
			}
		}
	}()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", conn.LocalAddr().String())
		},
	}
}

// A name that does not exist is refused for good; a lookup that failed
// (no DNS server answered) is marked temporary, for the API to answer 503
// rather than call the URL bad.
func TestCheckHostTellsMissingNamesFromFailedLookups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var lookup *netguard.LookupError
	err := (&netguard.Guard{Resolver: nxdomainResolver(t)}).CheckHost(ctx, "no-such-host.example")
	if !errors.As(err, &lookup) || lookup.Temporary() || !strings.Contains(err.Error(), "does not resolve") {
		t.Errorf("missing name: %v, want a LookupError that is not temporary", err)
	}
	err = (&netguard.Guard{Resolver: offlineResolver()}).CheckHost(ctx, "hooks.example")
	if !errors.As(err, &lookup) || !lookup.Temporary() {
		t.Errorf("failed lookup: %v, want a temporary LookupError", err)
	}
}

// TestCheckHostRefusesHostileHosts lists hosts an attacker could register to
// reach the hub's own network. Each must be refused; path records which
// branch of CheckHost refuses it:
//
//   - literal: netip parses the host and Blocked refuses it (no DNS at all);
//   - resolved: the resolver answers with a blocked address;
//   - unresolved: the DNS server knows no such name, so the host is
//     refused as "does not resolve".
//
// The inet_aton spellings ("2130706433", "0177.0.0.1", "0x7f.0.0.1") are not
// addresses to netip, and Go's own resolver does not parse them either, so they
// take the unresolved path here. A cgo build using the C library's getaddrinfo
// would resolve them to 127.0.0.1 instead; they would then take the resolved
// path and still be refused.
func TestCheckHostRefusesHostileHosts(t *testing.T) {
	const (
		literal    = "is not a public address"
		resolved   = "resolves to a non-public address"
		unresolved = "does not resolve"
	)
	tests := []struct {
		host string
		path string
	}{
		{"127.0.0.1", literal},
		{"127.1.2.3", literal},
		{"0.0.0.0", literal},
		{"10.0.0.1", literal},
		{"172.16.5.4", literal},
		{"192.168.1.1", literal},
		{"169.254.169.254", literal},
		{"100.64.0.1", literal},
		{"::1", literal},
		{"::", literal},
		{"fe80::1", literal},
		{"fe80::1%eth0", literal},
		{"fc00::1", literal},
		{"::ffff:127.0.0.1", literal},
		{"::ffff:169.254.169.254", literal},
		{"224.0.0.1", literal},
		{"ff02::1", literal},
		{"255.255.255.255", literal},
		{"64:ff9b::a9fe:a9fe", literal},
		// /etc/hosts maps localhost to 127.0.0.1, in any letter case.
		{"localhost", resolved},
		{"LOCALHOST", resolved},
		// Go's hosts lookup does not strip the trailing dot, so this one
		// goes to DNS, which knows no such name here.
		{"localhost.", unresolved},
		{"2130706433", unresolved}, // decimal 127.0.0.1
		{"0177.0.0.1", unresolved}, // octal
		{"0x7f.0.0.1", unresolved}, // hex
		{"127.1", unresolved},      // short form
		{"[::1]", unresolved},      // brackets belong to URLs, not hosts
		{"", unresolved},
	}
	g := &netguard.Guard{Resolver: nxdomainResolver(t)}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := g.CheckHost(ctx, tt.host)
			if err == nil {
				t.Fatalf("CheckHost(%q) = nil, want an error", tt.host)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("CheckHost(%q) = %q, want it refused as %q", tt.host, err, tt.path)
			}
		})
	}
}

func TestCheckHostAllowsPublicLiterals(t *testing.T) {
	// A nil Resolver means net.DefaultResolver; literals never reach it.
	g := &netguard.Guard{}
	for _, host := range []string{"8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"} {
		if err := g.CheckHost(context.Background(), host); err != nil {
			t.Errorf("CheckHost(%q) = %v, want nil", host, err)
		}
	}
}

func TestControlRefusesLoopbackDial(t *testing.T) {
	var conns, requests atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	d := net.Dialer{Control: netguard.Control, Timeout: 5 * time.Second}
	conn, err := d.DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	if err == nil {
		_ = conn.Close()
		t.Fatalf("dial %s succeeded, want it refused", srv.Listener.Addr())
	}
	var unsafe *netguard.UnsafeTargetError
	if !errors.As(err, &unsafe) {
		t.Fatalf("dial error = %v (%T), want a *netguard.UnsafeTargetError", err, err)
	}
	if unsafe.Addr != "127.0.0.1" {
		t.Errorf("UnsafeTargetError.Addr = %q, want 127.0.0.1", unsafe.Addr)
	}
	// Control runs before connect(2): the server never sees a connection.
	srv.Close()
	if n := conns.Load(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("server handled %d requests, want 0", n)
	}
}

func TestControl(t *testing.T) {
	tests := []struct {
		address    string
		wantUnsafe bool
		wantErr    bool
	}{
		{"127.0.0.1:80", true, true},
		{"[::1]:443", true, true},
		{"[fe80::1%eth0]:80", true, true},
		{"169.254.169.254:80", true, true},
		{"[::ffff:10.0.0.1]:80", true, true},
		{"8.8.8.8:443", false, false},
		{"[2606:4700::1111]:443", false, false},
		{"not-an-address", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := netguard.Control("tcp", tt.address, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Control(%q) = %v, want error: %v", tt.address, err, tt.wantErr)
			}
			var unsafe *netguard.UnsafeTargetError
			if got := errors.As(err, &unsafe); got != tt.wantUnsafe {
				t.Errorf("Control(%q) = %v, want *UnsafeTargetError: %v", tt.address, err, tt.wantUnsafe)
			}
		})
	}
}

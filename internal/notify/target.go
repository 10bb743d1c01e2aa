package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// targets decides which addresses webhooks may reach: public unicast
// addresses, plus what the operator allows (Options.Allow). A hook is a URL
// an agency chose and the service POSTs to: without this, a hook to
// http://127.0.0.1:6379/, http://169.254.169.254/ or a LAN host turns the
// worker into a probe of the service's own network (SSRF).
type targets struct {
	nets  []netip.Prefix
	hosts map[string]bool // lower-case host names allowed whatever they resolve to
}

func newTargets(allow []string) (targets, error) {
	t := targets{hosts: map[string]bool{}}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
		case strings.Contains(a, "/"):
			p, err := netip.ParsePrefix(a)
			if err != nil {
				return t, fmt.Errorf("webhook allow list: %q: %v", a, err)
			}
			t.nets = append(t.nets, p.Masked())
		default:
			if ip, err := netip.ParseAddr(a); err == nil {
				t.nets = append(t.nets, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			} else {
				t.hosts[strings.ToLower(a)] = true
			}
		}
	}
	return t, nil
}

// nonPublic are special-purpose ranges (RFC 6890 and successors) that the
// netip predicates do not name: shared address space, IETF protocol
// assignments, benchmarking, reserved, and IPv6 translation prefixes that
// embed an IPv4 address.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("::/96"),     // IPv4-compatible (deprecated): embeds an IPv4 address
	netip.MustParsePrefix("2001::/32"), // Teredo: embeds the client's IPv4 address
}

// public reports whether ip is a globally routable unicast address.
func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsGlobalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// allowedIP reports whether a hook may reach ip.
func (t targets) allowedIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t.nets {
		if p.Contains(ip) {
			return true
		}
	}
	return public(ip)
}

// Resolver looks host names up (*net.Resolver implements it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// check refuses a hook host that is, or resolves to, an address hooks may
// not reach, or that does not resolve. Every address it resolves to must
// be allowed: one internal address is enough to refuse.
func (t targets) check(ctx context.Context, r Resolver, host string) error {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if t.hosts[host] {
		return nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !t.allowedIP(ip) {
			return refusedTarget("the webhook URL names an internal address (loopback, private, link-local, multicast or reserved)")
		}
		return nil
	}
	if numericTLD(host) {
		// 127.1, 2130706433, 0177.0.0.1: IPv4 in a form some resolvers
		// accept and netip does not; no DNS name ends in a numeric label.
		return refusedTarget("the webhook URL names an address in a non-canonical form")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return apperr.New(apperr.Malformed, "the webhook host does not resolve / 无法解析 Webhook 主机名").WithCode(apperr.CodeHookUnresolvable)
	}
	for _, ip := range ips {
		if !t.allowedIP(ip) {
			return refusedTarget("the webhook host resolves to an internal address (loopback, private, link-local, multicast or reserved)")
		}
	}
	return nil
}

// numericTLD reports whether the last label of host is a number (in any
// base), which makes host an address, not a name.
func numericTLD(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if rest, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

func refusedTarget(detail string) error {
	return apperr.New(apperr.Malformed, "%s / Webhook 地址不得指向内部网络", detail).WithCode(apperr.CodeHookTargetRefused)
}

// errRefusedAddress is the dial error of an address hooks may not reach.
var errRefusedAddress = errors.New("webhook target address refused")

// guard returns a copy of client whose every connection is checked at
// dial time against the address actually dialled: a host that resolved to
// a public address at registration and to an internal one now (DNS
// rebinding), or a redirect to an internal address, never gets a
// connection. Proxies from the environment are not used (the check would
// see the proxy), and redirects are not followed (a 3xx is a failure).
func (t targets) guard(client *http.Client) *http.Client {
	base, ok := client.Transport.(*http.Transport)
	if !ok || base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	tr := base.Clone()
	tr.Proxy = nil
	checked := &net.Dialer{Timeout: 10 * time.Second, Control: t.control}
	plain := &net.Dialer{Timeout: 10 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && t.hosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
			return plain.DialContext(ctx, network, addr) // allowed by name, wherever it resolves
		}
		return checked.DialContext(ctx, network, addr)
	}
	out := *client
	out.Transport = tr
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// control runs after the name is resolved and before connecting: address
// is the IP actually dialled.
func (t targets) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !t.allowedIP(ap.Addr()) {
		return errRefusedAddress
	}
	return nil
}

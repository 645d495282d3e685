package clerkwebhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// svixSourceIPs is Svix's published list of the addresses webhooks come
// from, by region: the file public/webhook-ips.json of Svix's documentation
// (github.com/svix/svix-docs, as of its commit a3cf04a of 2026-07-02),
// which the "Static Source IP Addresses" page
// (docs.svix.com/receiving/source-ips) shows. Svix removed the India
// region's addresses on 2026-04-03 (svix-docs 3b32626); addresses a cloud
// provider has taken back can belong to someone else later, so they are
// gone from here too.
var svixSourceIPs = map[string][]string{
	"us":      {"44.228.126.217", "50.112.21.217", "52.24.126.164", "54.148.139.208", "2600:1f24:64:8000::/56"},
	"us-east": {"54.164.207.221", "54.90.7.123", "2600:1f28:37:4000::/56"},
	"eu":      {"52.215.16.239", "54.216.8.72", "63.33.109.123", "2a05:d028:17:8000::/56"},
	"au":      {"13.239.204.236", "54.66.246.217", "54.252.65.96", "2406:da2c:13:4000::/56"},
	"ca":      {"52.60.44.49", "3.98.68.230", "3.96.105.27", "2600:1f21:1c:4000::/56"},
}

// SvixSourceIPs returns the addresses Svix sends webhooks from, for
// WithAllowedSources: the public regions "us" and "eu", and the private
// regions "us-east", "au" and "ca" (Clerk's instances send from "us" unless
// Clerk says otherwise). With no argument it returns every region's. An
// unknown region panics, naming the known ones; "in" is one no longer: Svix
// withdrew its addresses in April 2026.
//
// The list is Svix's published one (its webhook-ips.json, as of 2026-07-02,
// unchanged through 2026-12); Svix can change it, and static source
// addresses are not guaranteed on every plan. An allowlist only
// narrows who can reach the endpoint: the signature, not the address, is
// what proves a delivery came from Clerk.
func SvixSourceIPs(regions ...string) []netip.Prefix {
	if len(regions) == 0 {
		for r := range svixSourceIPs {
			regions = append(regions, r)
		}
		slices.Sort(regions)
	}
	var out []netip.Prefix
	for _, r := range regions {
		addrs, ok := svixSourceIPs[r]
		if !ok {
			known := make([]string, 0, len(svixSourceIPs))
			for k := range svixSourceIPs {
				known = append(known, k)
			}
			slices.Sort(known)
			panic(fmt.Sprintf("clerkwebhook: SvixSourceIPs(%q): unknown region; the regions are %s", r, strings.Join(known, ", ")))
		}
		for _, a := range addrs {
			out = append(out, mustPrefix(a))
		}
	}
	return out
}

func mustPrefix(s string) netip.Prefix {
	if strings.Contains(s, "/") {
		return netip.MustParsePrefix(s)
	}
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen())
}

// WithAllowedSources makes the Handler answer 403 (ErrForbiddenSource),
// before reading the body, to a request whose client address is in none of
// prefixes. The client address is the connection's peer, or, when the peer
// is a proxy listed in WithTrustedProxies, the address the proxies forwarded.
// Behind a load balancer, list it with WithTrustedProxies, or every request
// seems to come from it. Use SvixSourceIPs for Svix's addresses. No prefix
// at all panics: an empty allowlist would refuse everything.
func WithAllowedSources(prefixes ...netip.Prefix) HandlerOption {
	if len(prefixes) == 0 {
		panic("clerkwebhook: WithAllowedSources(): no prefix")
	}
	allowed := normalizePrefixes("WithAllowedSources", prefixes)
	return func(h *Handler) { h.allowed = allowed }
}

// WithTrustedProxies names the proxies (load balancers, reverse proxies)
// whose forwarding headers the Handler believes. When the connection's peer
// is one of them, the client address is found by walking the
// X-Forwarded-For (or RFC 7239 Forwarded) header from the right, skipping
// the trusted hops: the first address that is not a trusted proxy is the
// client. A peer that is not trusted cannot set the client address: its
// headers are ignored, so a client cannot claim to be Svix by sending one.
// From a trusted proxy, a malformed header, or both headers at once (a
// proxy sets one; the other came from the client), is refused with 403.
// No prefix at all panics.
func WithTrustedProxies(prefixes ...netip.Prefix) HandlerOption {
	if len(prefixes) == 0 {
		panic("clerkwebhook: WithTrustedProxies(): no prefix")
	}
	trusted := normalizePrefixes("WithTrustedProxies", prefixes)
	return func(h *Handler) { h.trusted = trusted }
}

// normalizePrefixes unmaps IPv4-mapped IPv6 prefixes, so that an IPv4
// address compares the same in either form, and panics on an invalid one.
func normalizePrefixes(option string, prefixes []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, len(prefixes))
	for i, p := range prefixes {
		if !p.IsValid() {
			panic(fmt.Sprintf("clerkwebhook: %s: invalid prefix %v", option, p))
		}
		if a := p.Addr(); a.Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				panic(fmt.Sprintf("clerkwebhook: %s: prefix %v covers more than the IPv4-mapped range", option, p))
			}
			p = netip.PrefixFrom(a.Unmap(), bits)
		}
		out[i] = p.Masked()
	}
	return out
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr finds the client address of r: the peer, or, through trusted
// proxies, the forwarded address. An error wraps ErrForbiddenSource.
func (h *Handler) clientAddr(r *http.Request) (netip.Addr, error) {
	peer, err := remoteAddr(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: unusable peer address: %v", ErrForbiddenSource, err)
	}
	if !contains(h.trusted, peer) {
		return peer, nil // forwarding headers from anyone else are ignored
	}
	// The hops are what a client sent: every error below quotes at most
	// maxShownHop bytes of one, escaped (strconv.Quote), never the raw bytes.
	xff, fwd := r.Header.Values("X-Forwarded-For"), r.Header.Values("Forwarded")
	if len(xff) > 0 && len(fwd) > 0 {
		return netip.Addr{}, fmt.Errorf("%w: both X-Forwarded-For and Forwarded from a trusted proxy", ErrForbiddenSource)
	}
	var hops []string
	for _, v := range xff {
		for _, hop := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	if len(fwd) > 0 {
		if hops, err = forwardedFor(fwd); err != nil {
			return netip.Addr{}, fmt.Errorf("%w: malformed Forwarded header: %v", ErrForbiddenSource, err)
		}
	}
	// With neither header, the proxy itself made the request: the loop
	// below has no hop to walk, and the peer is the client.
	addr := peer
	for i := len(hops) - 1; i >= 0 && contains(h.trusted, addr); i-- {
		a, err := hopAddr(hops[i])
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%w: malformed forwarded address %s: %v", ErrForbiddenSource, shownHop(hops[i]), err)
		}
		addr = a
	}
	return addr, nil
}

// remoteAddr parses http.Request.RemoteAddr ("ip:port", or a bare ip),
// which the server sets, not the client. A link-local peer's zone (the
// interface it came in on) is dropped: a zoned address is in no prefix.
func remoteAddr(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, errors.New("not an IP address, with or without a port")
	}
	return a.Unmap().WithZone(""), nil
}

// maxShownHop bounds what an error quotes of a forwarded address.
const maxShownHop = 64

// shownHop quotes a forwarded address for an error message: at most
// maxShownHop bytes of it, escaped as strconv.Quote does (control bytes,
// invalid UTF-8 and quotes never leave raw), with "..." after a cut.
func shownHop(s string) string {
	if len(s) > maxShownHop {
		return strconv.Quote(s[:maxShownHop]) + "..."
	}
	return strconv.Quote(s)
}

// hopAddr parses one forwarded address: an IP, optionally with a port, and
// an IPv6 address in brackets when it has one. An address with a zone
// ("fe80::1%eth0"), bare or bracketed, is refused: a zone names an
// interface of the machine that wrote it, and means nothing here. The
// errors are fixed texts: none repeats s, which the client chose.
func hopAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, errors.New("empty")
	}
	host := s
	if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if strings.Contains(host, "%") {
		return netip.Addr{}, errors.New("an address with a zone")
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, errors.New("not an IP address, with or without a port")
	}
	return a.Unmap(), nil
}

// forwardedFor returns the for= values of RFC 7239 Forwarded header
// values, in order. Each element is one hop; a hop without for= is an
// error, as are obfuscated identifiers and "unknown", which name no address.
func forwardedFor(values []string) ([]string, error) {
	var hops []string
	for _, v := range values {
		for _, elem := range splitQuoted(v, ',') {
			found := false
			for _, pair := range splitQuoted(elem, ';') {
				name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok {
					if strings.TrimSpace(pair) == "" {
						continue
					}
					return nil, fmt.Errorf("%s is not name=value", shownHop(pair))
				}
				if !strings.EqualFold(name, "for") {
					continue
				}
				if found {
					return nil, fmt.Errorf("for= twice in one element")
				}
				found = true
				if strings.HasPrefix(value, `"`) && strings.HasSuffix(value[1:], `"`) {
					value = value[1 : len(value)-1] // a quoted-string
				}
				hops = append(hops, value)
			}
			if !found {
				return nil, fmt.Errorf("an element without for=")
			}
		}
	}
	return hops, nil
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && quoted {
			i++ // the escaped byte
		} else if s[i] == '"' {
			quoted = !quoted
		} else if s[i] == sep && !quoted {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

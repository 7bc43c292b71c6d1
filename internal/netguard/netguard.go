// Package netguard keeps newswatch from connecting, on a stranger's word,
// to addresses that are not on the public internet: loopback, private
// networks, link-local addresses (where cloud metadata services answer)
// and the like. A URL someone gives newswatch to fetch (`extract --url`)
// or to call (a watch's webhook) could otherwise reach services that
// trust the machine's own network (server-side request forgery).
//
// Addresses are checked where the connection is made (net.Dialer.Control),
// after name resolution and for every redirect, so a host name that
// resolves to a refused address, or a redirect to one, is refused too.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrPrivateAddress is wrapped by the errors of a refused address.
var ErrPrivateAddress = errors.New("refusing a non-public address")

// ErrPublicAddress is wrapped by the errors of a public address refused by
// the Local policy.
var ErrPublicAddress = errors.New("refusing a public address")

// Policy says which addresses connections may go to.
type Policy string

// Policies.
const (
	// Public allows public addresses only (the default).
	Public Policy = "public"
	// Any allows every address: the operator trusts the URLs.
	Any Policy = "any"
	// Local allows loopback and private addresses only, for a machine
	// that must not reach out (the offline demo); host names resolve only
	// from the hosts file.
	Local Policy = "local"
)

// Policies lists the policies.
var Policies = []Policy{Public, Any, Local}

// Validate reports an unknown policy ("" is Public).
func (p Policy) Validate() error {
	switch p {
	case "", Public, Any, Local:
		return nil
	}
	return fmt.Errorf("address policy %q: want %s, %s or %s", p, Public, Any, Local)
}

// Kind names what kind of non-public address ip is, or "" for a public
// one: loopback, private (RFC 1918, fc00::/7), shared (100.64.0.0/10),
// link-local, unspecified, multicast.
func Kind(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case sharedNet.Contains(ip):
		return "shared (carrier-grade NAT)"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast():
		return "multicast"
	}
	return ""
}

var sharedNet = netip.MustParsePrefix("100.64.0.0/10")

// Check reports whether p allows ip: an error wrapping ErrPrivateAddress
// (or ErrPublicAddress under Local) that says what kind of address it is.
func (p Policy) Check(ip netip.Addr) error {
	kind := Kind(ip)
	switch p {
	case Any:
		return nil
	case Local:
		if kind == "" {
			return fmt.Errorf("%w: %s is public", ErrPublicAddress, ip.Unmap())
		}
		return nil
	}
	if kind != "" {
		return fmt.Errorf("%w: %s is %s", ErrPrivateAddress, ip.Unmap(), kind)
	}
	return nil
}

// CheckHost checks a URL's host when it is an IP address (or "localhost",
// which is loopback by definition), so that a refused target is refused
// when it is given, before any connection; other names are checked when
// they are resolved (Dialer).
func (p Policy) CheckHost(host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.Check(ip)
	}
	if host == "localhost" || len(host) > 10 && host[len(host)-10:] == ".localhost" {
		return p.Check(netip.MustParseAddr("127.0.0.1"))
	}
	return nil
}

// Dialer returns d with its Control refusing what check refuses, at the
// moment of connecting (after name resolution). A nil check allows all.
func Dialer(d *net.Dialer, check func(netip.Addr) error) *net.Dialer {
	if check == nil {
		return d
	}
	d.Control = func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		return check(ap.Addr())
	}
	return d
}

// PolicyDialer returns a dialer that connects only where p allows; under
// Local it resolves names from the hosts file only, sending no DNS query.
func (p Policy) PolicyDialer(d *net.Dialer) *net.Dialer {
	if p == Local {
		d.Resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, fmt.Errorf("%w: no DNS under the local address policy", ErrPublicAddress)
		}}
	}
	if p == Any {
		return d
	}
	return Dialer(d, p.Check)
}

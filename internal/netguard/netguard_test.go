package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPolicies(t *testing.T) {
	for _, c := range []struct {
		ip, kind string
	}{
		{"127.0.0.1", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.0.0.1", "private"},
		{"172.16.5.4", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"100.64.0.1", "shared (carrier-grade NAT)"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"224.0.0.1", "link-local"},
		{"239.1.2.3", "multicast"},
		{"93.184.216.34", ""},
		{"2606:4700::1111", ""},
	} {
		ip := netip.MustParseAddr(c.ip)
		if got := Kind(ip); got != c.kind {
			t.Errorf("Kind(%s) = %q, want %q", c.ip, got, c.kind)
		}
		pub, local, anyErr := Public.Check(ip), Local.Check(ip), Any.Check(ip)
		if anyErr != nil {
			t.Errorf("Any refused %s: %v", c.ip, anyErr)
		}
		if c.kind == "" {
			if pub != nil || !errors.Is(local, ErrPublicAddress) {
				t.Errorf("public %s: Public %v, Local %v", c.ip, pub, local)
			}
			continue
		}
		if !errors.Is(pub, ErrPrivateAddress) || !strings.Contains(pub.Error(), c.kind) || local != nil {
			t.Errorf("%s %s: Public %v, Local %v", c.kind, c.ip, pub, local)
		}
	}
	for host, refused := range map[string]bool{"127.0.0.1": true, "localhost": true, "api.localhost": true, "10.0.0.1": true,
		"169.254.169.254": true, "::1": true, "example.com": false, "8.8.8.8": false} {
		if err := Public.CheckHost(host); (err != nil) != refused {
			t.Errorf("CheckHost(%s) = %v, want refused %v", host, err, refused)
		}
	}
	if err := Policy("open").Validate(); err == nil {
		t.Error("an unknown policy is valid")
	}
}

// The dialer refuses at the moment of connecting, after resolution: a name
// that resolves to loopback is refused under Public, allowed under Any.
func TestDialerRefusesResolvedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := Public.PolicyDialer(&net.Dialer{Timeout: 5 * time.Second})
	if c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("localhost", port)); err == nil || !errors.Is(err, ErrPrivateAddress) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial localhost under Public: %v, want %v", err, ErrPrivateAddress)
	}
	c, err := Any.PolicyDialer(&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial under Any: %v", err)
	}
	c.Close()
	c, err = Local.PolicyDialer(&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial loopback under Local: %v", err)
	}
	c.Close()
}

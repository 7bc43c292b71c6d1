package simsite

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// With Config.Domain the outlets keep their URLs across starts (the port
// of their listeners changes, their host names do not), the site's
// transport reaches them by name, and it dials nothing else.
func TestDomainStableAcrossStarts(t *testing.T) {
	cfg := Config{Seed: 4, Articles: 6, Domain: SeedDomain(4)}
	var urls [2][]string
	var addrs [2]string
	for run := 0; run < 2; run++ {
		s := startSite(t, cfg)
		for _, a := range s.Articles() {
			urls[run] = append(urls[run], a.URL)
		}
		o := s.Outlets()[0]
		addrs[run] = o.Addr
		if o.BaseURL != "http://caliber.seed4.simsite.test" || !strings.HasPrefix(o.Addr, "127.0.0.1:") {
			t.Fatalf("outlet %s: base %q, addr %q", o.ID, o.BaseURL, o.Addr)
		}
		client := &http.Client{Transport: s.Transport()}
		resp, err := client.Get(s.Articles()[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), s.Articles()[0].Title) {
			t.Fatalf("GET %s by host name: %d", s.Articles()[0].URL, resp.StatusCode)
		}
		// The listener address works too; anything else is refused.
		if c, err := s.DialContext(context.Background(), "tcp", o.Addr); err != nil {
			t.Errorf("dial the listener address: %v", err)
		} else {
			c.Close()
		}
		for _, addr := range []string{"caliber.az:80", "caliber.seed4.simsite.test:8080", "127.0.0.1:1", "nope.seed4.simsite.test:80"} {
			if _, err := s.DialContext(context.Background(), "tcp", addr); !errors.Is(err, ErrUnknownHost) {
				t.Errorf("dial %s: %v, want ErrUnknownHost", addr, err)
			}
		}
		s.Close()
	}
	if strings.Join(urls[0], " ") != strings.Join(urls[1], " ") {
		t.Errorf("article URLs changed between starts:\n%v\n%v", urls[0], urls[1])
	}
	if addrs[0] == addrs[1] {
		t.Logf("both starts listened on %s (possible, not required)", addrs[0])
	}
}

func TestDomainValidation(t *testing.T) {
	for d, ok := range map[string]bool{
		SeedDomain(1): true, SeedDomain(-7): true, "sim.test": true,
		"Sim.Test": false, "a..test": false, "-x.test": false, "x-.test": false, "a b.test": false, "x.test:80": false,
	} {
		_, err := New(Config{Articles: 1, Domain: d})
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("Domain %q: err %v, want ok=%v", d, err, ok)
		}
	}
}

package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
)

// connectWith connects to url with auth, sets up the streams and publishes
// one article: what every newswatch part does at start.
func connectWith(url string, auth bus.ClientAuth) error {
	opts, err := auth.Options()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := bus.Connect(ctx, url, nil, append(opts, nats.MaxReconnects(0))...)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.EnsureStreams(ctx); err != nil {
		return err
	}
	a, err := bustest.NewArticle("caliber", 1, 0)
	if err != nil {
		return err
	}
	_, err = c.Publish(ctx, a)
	return err
}

// Each way of authenticating and securing the connection, against a real
// nats-server process configured for it: the right credentials work, none
// or wrong ones are refused.
func TestClientAuthAgainstNATSServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nats-server processes")
	}
	t.Parallel()
	tlsFiles := bustest.NewTLS(t)
	op := bustest.NewOperator(t)
	pub, seed := bustest.NKeyUser(t)
	_, otherSeed := bustest.NKeyUser(t)
	const token = "auth-test-token-0123456789abcdef"
	cases := []struct {
		name      string
		cfg       bustest.ProcessConfig
		good      bus.ClientAuth
		bad       map[string]bus.ClientAuth
		wantError string
	}{
		{"token", bustest.ProcessConfig{Token: token}, bus.ClientAuth{Token: token},
			map[string]bus.ClientAuth{"none": {}, "wrong token": {Token: token + "x"}}, "Authorization Violation"},
		{"nkey", bustest.ProcessConfig{Auth: fmt.Sprintf("authorization {\n  users: [{nkey: %q}]\n}", pub)}, bus.ClientAuth{NKeySeedFile: seed},
			map[string]bus.ClientAuth{"none": {}, "other nkey": {NKeySeedFile: otherSeed}}, "Authorization Violation"},
		{"creds", bustest.ProcessConfig{Auth: op.ServerConfig}, bus.ClientAuth{CredsFile: op.UserCreds(t, "indexer")},
			map[string]bus.ClientAuth{"none": {}, "nkey not in the operator": {NKeySeedFile: seed}}, "Authorization Violation"},
		{"mutual tls + token", bustest.ProcessConfig{Token: token, TLS: tlsFiles},
			bus.ClientAuth{Token: token, CAFile: tlsFiles.CA, CertFile: tlsFiles.ClientCert, KeyFile: tlsFiles.ClientKey},
			map[string]bus.ClientAuth{
				"no client certificate": {Token: token, CAFile: tlsFiles.CA},
				"unknown server CA":     {Token: token, CAFile: tlsFiles.OtherCA, CertFile: tlsFiles.ClientCert, KeyFile: tlsFiles.ClientKey},
			}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := bustest.StartProcess(t, tc.cfg)
			if err := connectWith(p.URL(), tc.good); err != nil {
				t.Fatalf("right credentials: %v", err)
			}
			for what, auth := range tc.bad {
				err := connectWith(p.URL(), auth)
				if err == nil {
					t.Errorf("%s: connected", what)
					continue
				}
				t.Logf("%s: %v", what, err)
				if tc.wantError != "" && !errors.Is(err, nats.ErrAuthorization) {
					t.Errorf("%s: %v, want an authorization error", what, err)
				}
			}
		})
	}
	// Bad files are start-up errors naming the file.
	for _, a := range []bus.ClientAuth{{CredsFile: seed}, {NKeySeedFile: tlsFiles.CA}, {CAFile: "/nonexistent/ca.pem"},
		{Token: token, CredsFile: seed}, {CertFile: tlsFiles.ClientCert}} {
		if _, err := a.Options(); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

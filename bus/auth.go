package bus

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// ClientAuth says how a process authenticates to an external NATS server
// and secures the connection. The zero value: no credentials, no TLS
// beyond what a tls:// URL asks for. Files are read when Options is
// called, so a bad file is a clear start-up error.
type ClientAuth struct {
	// Token to present (from --nats-token-file).
	Token string
	// CredsFile is a NATS credentials file (a user JWT and its nkey
	// seed), for servers in operator/JWT mode.
	CredsFile string
	// NKeySeedFile holds a user nkey seed ("SU..."); the client signs the
	// server's nonce with it.
	NKeySeedFile string
	// CAFile is a PEM file of the certificate authorities that sign the
	// server's certificate (default: the system's). Setting it or CertFile
	// turns TLS on; the server's certificate is always verified.
	CAFile string
	// CertFile and KeyFile are the client's certificate and key (PEM), for
	// servers that verify clients (mutual TLS). Set both or neither.
	CertFile, KeyFile string
}

// ErrAuthConflict is returned by ClientAuth.Validate when more than one way
// of authenticating is set.
var ErrAuthConflict = errors.New("nats auth: set one of token, creds file and nkey seed file")

// Validate reports a configuration error.
func (a ClientAuth) Validate() error {
	n := 0
	for _, s := range []string{a.Token, a.CredsFile, a.NKeySeedFile} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return ErrAuthConflict
	}
	if (a.CertFile == "") != (a.KeyFile == "") {
		return errors.New("nats tls: set both the client certificate and its key, or neither")
	}
	return nil
}

// TLS reports whether the connection uses TLS because of a.
func (a ClientAuth) TLS() bool { return a.CAFile != "" || a.CertFile != "" }

// Options returns the nats.Options for a, after checking that its files
// exist and hold what they should (a seed in the seed file, a user JWT in
// the creds file).
func (a ClientAuth) Options() ([]nats.Option, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	var opts []nats.Option
	switch {
	case a.Token != "":
		opts = append(opts, nats.Token(a.Token))
	case a.CredsFile != "":
		b, err := os.ReadFile(a.CredsFile)
		if err != nil {
			return nil, fmt.Errorf("nats creds: %w", err)
		}
		tok, err := jwt.ParseDecoratedJWT(b)
		if err == nil {
			_, err = jwt.DecodeUserClaims(tok)
		}
		if err != nil {
			return nil, fmt.Errorf("nats creds %s: no user JWT: %w", a.CredsFile, err)
		}
		if _, err := jwt.ParseDecoratedNKey(b); err != nil {
			return nil, fmt.Errorf("nats creds %s: no nkey seed: %w", a.CredsFile, err)
		}
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	case a.NKeySeedFile != "":
		b, err := os.ReadFile(a.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed: %w", err)
		}
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed %s: %w", a.NKeySeedFile, err)
		}
		kp.Wipe()
		o, err := nats.NkeyOptionFromSeed(a.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed %s: %w", a.NKeySeedFile, err)
		}
		opts = append(opts, o)
	}
	for _, f := range []string{a.CAFile, a.CertFile, a.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("nats tls: %w", err)
		}
	}
	if a.CAFile != "" {
		opts = append(opts, nats.RootCAs(a.CAFile))
	}
	if a.CertFile != "" {
		opts = append(opts, nats.ClientCert(a.CertFile, a.KeyFile))
	}
	return opts, nil
}

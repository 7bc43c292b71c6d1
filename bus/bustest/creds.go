package bustest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// TLSFiles are PEM files of a test certificate authority made for one
// test: a server certificate for 127.0.0.1 and localhost and a client
// certificate, both signed by it.
type TLSFiles struct {
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	OtherCA               string // a second CA that signed nothing here
	dir                   string
}

// NewTLS generates a certificate authority, a server and a client
// certificate in Go (ECDSA P-256, valid for a day) under a new
// t.TempDir().
func NewTLS(t testing.TB) *TLSFiles {
	t.Helper()
	dir := t.TempDir()
	f := &TLSFiles{}
	caKey, caCert, caDER := newCA(t, "newswatch test CA")
	f.CA = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)
	_, _, otherDER := newCA(t, "unrelated test CA")
	f.OtherCA = writePEM(t, dir, "other-ca.pem", "CERTIFICATE", otherDER)
	f.ServerCert, f.ServerKey = leaf(t, dir, "server", caKey, caCert, x509.ExtKeyUsageServerAuth)
	f.ClientCert, f.ClientKey = leaf(t, dir, "client", caKey, caCert, x509.ExtKeyUsageClientAuth)
	return f
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newCA(t testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	return issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
}

func leaf(t testing.TB, dir, name string, caKey *ecdsa.PrivateKey, ca *x509.Certificate, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, _, der := issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "newswatch test " + name},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}, ca, caKey)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", kder)
}

// issue makes a new key and a certificate for it from tmpl, valid from an
// hour ago for a day, signed by parent (nil: self-signed).
func issue(t testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl.SerialNumber = serial(t)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	must(t, err)
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	return key, cert, der
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Operator is a NATS operator (JWT mode) made for one test: one account
// with JetStream and users of it, the account JWT preloaded in the
// server's memory resolver.
type Operator struct {
	// ServerConfig is the configuration text that puts a server in this
	// operator's mode (ProcessConfig.Auth).
	ServerConfig string

	opKP, accKP nkeys.KeyPair
	dir         string
}

// NewOperator creates an operator, a system account and an application
// account with unlimited JetStream, signed in Go.
func NewOperator(t testing.TB) *Operator {
	t.Helper()
	opKP, err := nkeys.CreateOperator()
	must(t, err)
	opPub, err := opKP.PublicKey()
	must(t, err)
	op := jwt.NewOperatorClaims(opPub)
	op.Name = "newswatch-test"

	sysKP, err := nkeys.CreateAccount()
	must(t, err)
	sysPub, err := sysKP.PublicKey()
	must(t, err)
	op.SystemAccount = sysPub
	opJWT, err := op.Encode(opKP)
	must(t, err)
	sys := jwt.NewAccountClaims(sysPub)
	sys.Name = "SYS"
	sysJWT, err := sys.Encode(opKP)
	must(t, err)

	accKP, err := nkeys.CreateAccount()
	must(t, err)
	accPub, err := accKP.PublicKey()
	must(t, err)
	acc := jwt.NewAccountClaims(accPub)
	acc.Name = "NEWSWATCH"
	acc.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	accJWT, err := acc.Encode(opKP)
	must(t, err)

	cfg := fmt.Sprintf("operator: %q\nsystem_account: %q\nresolver: MEMORY\nresolver_preload: {\n  %s: %q\n  %s: %q\n}\n",
		opJWT, sysPub, sysPub, sysJWT, accPub, accJWT)
	return &Operator{ServerConfig: cfg, opKP: opKP, accKP: accKP, dir: t.TempDir()}
}

// UserCreds creates a user of the application account and writes its
// credentials file (JWT and seed), returning its path.
func (o *Operator) UserCreds(t testing.TB, name string) string {
	t.Helper()
	ukp, err := nkeys.CreateUser()
	must(t, err)
	upub, err := ukp.PublicKey()
	must(t, err)
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	accPub, err := o.accKP.PublicKey()
	must(t, err)
	uc.IssuerAccount = accPub
	ujwt, err := uc.Encode(o.accKP)
	must(t, err)
	seed, err := ukp.Seed()
	must(t, err)
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	must(t, err)
	path := filepath.Join(o.dir, name+".creds")
	must(t, os.WriteFile(path, creds, 0o600))
	return path
}

// NKeyUser creates a user nkey and writes its seed to a file: the public
// key goes into the server's authorization block, the file to
// --nats-nkey-seed.
func NKeyUser(t testing.TB) (public, seedFile string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	must(t, err)
	public, err = kp.PublicKey()
	must(t, err)
	seed, err := kp.Seed()
	must(t, err)
	seedFile = filepath.Join(t.TempDir(), "user.nk")
	must(t, os.WriteFile(seedFile, seed, 0o600))
	return public, seedFile
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

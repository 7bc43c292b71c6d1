package main

import (
	"flag"

	"github.com/newswatch/newswatch/bus"
)

// natsAuthFlags are the credential and TLS flags for an external NATS
// (the token comes from --nats-token-file).
type natsAuthFlags struct {
	creds, nkeySeed, ca, cert, key string
}

func (f *natsAuthFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.creds, "nats-creds", "", "NATS credentials `file` (user JWT and seed) for --nats")
	fs.StringVar(&f.nkeySeed, "nats-nkey-seed", "", "`file` holding a user nkey seed (SU...) to authenticate to --nats with")
	fs.StringVar(&f.ca, "nats-ca", "", "PEM `file` of the CA(s) that sign the --nats server's certificate; turns TLS on")
	fs.StringVar(&f.cert, "nats-cert", "", "client certificate PEM `file` for --nats servers that verify clients (with --nats-key); turns TLS on")
	fs.StringVar(&f.key, "nats-key", "", "client key PEM `file` for --nats-cert")
}

func (f *natsAuthFlags) auth() bus.ClientAuth {
	return bus.ClientAuth{CredsFile: f.creds, NKeySeedFile: f.nkeySeed, CAFile: f.ca, CertFile: f.cert, KeyFile: f.key}
}

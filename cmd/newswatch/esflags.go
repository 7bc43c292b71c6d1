package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/newswatch/newswatch/store/elastic"
)

// esFlags are the flags of the Elasticsearch/OpenSearch store.
type esFlags struct {
	addresses    string
	apiKey       string
	user         string
	password     string
	passwordFile string
	caCert       string
	insecure     bool
	prefix       string
	replicas     int
	retention    time.Duration
}

func (e *esFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.addresses, "es", "", "Elasticsearch 8 / OpenSearch 2 node `URL`s, comma-separated (with --store elastic)")
	fs.StringVar(&e.apiKey, "es-api-key", "", "Elasticsearch API `key` (base64 id:key); prefer it to a user and password")
	fs.StringVar(&e.user, "es-user", "", "user `name` for HTTP basic authentication")
	fs.StringVar(&e.password, "es-password", "", "password for --es-user (visible to other local users in the process list: prefer --es-password-file)")
	fs.StringVar(&e.passwordFile, "es-password-file", "", "`file` holding the password for --es-user")
	fs.StringVar(&e.caCert, "es-ca-cert", "", "PEM `file` of the certificate authority that signed the cluster's https certificate")
	fs.BoolVar(&e.insecure, "es-insecure", false, "skip verifying the cluster's https certificate (test clusters only)")
	fs.StringVar(&e.prefix, "es-prefix", elastic.DefaultPrefix, "`prefix` of the index template, indices and aliases newswatch creates")
	fs.IntVar(&e.replicas, "es-replicas", 1, "replicas per shard of new indices (0 on a single-node cluster)")
	fs.DurationVar(&e.retention, "es-retention", 0, "delete articles dated longer ago than this `duration` (hourly delete-by-query; 0 keeps all)")
}

// config is the store config of the flags.
func (e *esFlags) config() (elastic.Config, error) {
	cfg := elastic.Config{
		Addresses: elastic.ParseAddresses(e.addresses), APIKey: e.apiKey, Username: e.user,
		Password: e.password, CACertFile: e.caCert, Insecure: e.insecure, Prefix: e.prefix, Replicas: e.replicas,
		Retention: e.retention,
	}
	if e.replicas == 0 {
		cfg.Replicas = -1 // Config's zero value means the default
	}
	if e.passwordFile != "" {
		if e.password != "" {
			return cfg, fmt.Errorf("--es-password and --es-password-file: give one")
		}
		b, err := os.ReadFile(e.passwordFile)
		if err != nil {
			return cfg, fmt.Errorf("--es-password-file: %w", err)
		}
		if cfg.Password = strings.TrimRight(string(b), "\r\n"); cfg.Password == "" {
			return cfg, fmt.Errorf("--es-password-file %s is empty", e.passwordFile)
		}
	}
	if len(cfg.Addresses) == 0 {
		return cfg, fmt.Errorf("--store %s needs --es URL", "elastic")
	}
	return cfg, cfg.Validate()
}

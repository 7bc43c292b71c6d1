package elastic

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/newswatch/newswatch/internal/backoff"
)

// Engines Open can talk to.
const (
	EngineElasticsearch = "elasticsearch"
	EngineOpenSearch    = "opensearch"
)

// ErrUnavailable is wrapped by the errors of requests the cluster could not
// take now: it is unreachable or answered 429 (too many requests) or
// 502/503/504 after every retry. The caller should back off and retry; the
// indexer holds its batch (see BackoffError.Temporary).
var ErrUnavailable = errors.New("elastic: cluster unavailable")

// ErrUnsupported is wrapped by Open's error when the cluster is neither
// Elasticsearch 8+ nor OpenSearch 2+.
var ErrUnsupported = errors.New("elastic: unsupported search engine")

// BackoffError is a request the cluster could not take now (ErrUnavailable).
type BackoffError struct {
	Op     string // what was tried: "bulk", "search", ...
	Status int    // HTTP status; 0 when the cluster was not reached
	Err    error  // the cause
}

func (e *BackoffError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("elastic: %s: cluster unreachable: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("elastic: %s: cluster busy (status %d): %v", e.Op, e.Status, e.Err)
}

// Unwrap gives ErrUnavailable and the cause.
func (e *BackoffError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Temporary is true: retry later (see indexer.Temporary).
func (e *BackoffError) Temporary() bool { return true }

// ResponseError is an error answer of the cluster that retrying will not fix.
type ResponseError struct {
	Op     string
	Status int
	Type   string // the engine's error type, e.g. "version_conflict_engine_exception"
	Reason string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("elastic: %s: status %d: %s: %s", e.Op, e.Status, e.Type, e.Reason)
}

// engineInfo is what GET / says about the cluster.
type engineInfo struct {
	Name    string // EngineElasticsearch or EngineOpenSearch
	Version string // e.g. "2.19.6"
	Major   int
}

// productHeader adds the X-Elastic-Product header that the v8 client
// insists on to the answers of a cluster detected as OpenSearch (which does
// not send it). It adds nothing until detection said OpenSearch, so an
// unknown server still fails the client's product check.
type productHeader struct {
	next       http.RoundTripper
	openSearch atomic.Bool
}

func (p *productHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := p.next.RoundTrip(req)
	if err == nil && p.openSearch.Load() && res.Header.Get("X-Elastic-Product") == "" {
		res.Header.Set("X-Elastic-Product", "Elasticsearch")
	}
	return res, err
}

// newClient builds the go-elasticsearch client of cfg (defaults applied).
func newClient(cfg Config) (*es.Client, *productHeader, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	tr.ResponseHeaderTimeout = cfg.RequestTimeout
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertFile != "" {
		pem, err := os.ReadFile(cfg.CACertFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: ca cert: %w", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("%w: ca cert %s: no PEM certificate", ErrConfig, cfg.CACertFile)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.Insecure {
		tlsCfg.InsecureSkipVerify = true //nolint:gosec // asked for with --es-insecure
	}
	tr.TLSClientConfig = tlsCfg
	ph := &productHeader{next: tr}
	retry := backoff.Policy{Initial: cfg.RetryBackoff, Max: maxBackoff, Jitter: 0.5}
	client, err := es.NewClient(es.Config{
		Addresses:         cfg.Addresses,
		APIKey:            cfg.APIKey,
		Username:          cfg.Username,
		Password:          cfg.Password,
		Transport:         ph,
		RetryOnStatus:     []int{429, 502, 503, 504},
		MaxRetries:        cfg.MaxRetries,
		RetryBackoff:      func(attempt int) time.Duration { return retry.Delay(attempt - 1) }, // attempt counts from 1
		DisableMetaHeader: false,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return client, ph, nil
}

// detect asks the cluster what it is, bypassing the client's product check,
// and turns the OpenSearch header shim on for OpenSearch.
func detect(ctx context.Context, client *es.Client, ph *productHeader) (engineInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return engineInfo{}, err
	}
	res, err := client.Transport.Perform(req)
	if err != nil {
		return engineInfo{}, &BackoffError{Op: "detect engine", Err: err}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return engineInfo{}, &ResponseError{Op: "detect engine", Status: res.StatusCode, Type: "authentication", Reason: "check --es-api-key / --es-user / --es-password"}
	}
	if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
		return engineInfo{}, &BackoffError{Op: "detect engine", Status: res.StatusCode, Err: errors.New(strings.TrimSpace(string(body)))}
	}
	var info struct {
		Version struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
		} `json:"version"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &info) != nil || info.Version.Number == "" {
		return engineInfo{}, fmt.Errorf("%w: GET / answered status %d without a version", ErrUnsupported, res.StatusCode)
	}
	major, _ := strconv.Atoi(strings.SplitN(info.Version.Number, ".", 2)[0])
	ei := engineInfo{Name: EngineElasticsearch, Version: info.Version.Number, Major: major}
	if info.Version.Distribution == EngineOpenSearch {
		ei.Name = EngineOpenSearch
	}
	switch {
	case ei.Name == EngineOpenSearch && major >= 2:
		ph.openSearch.Store(true)
	case ei.Name == EngineElasticsearch && major >= 8:
	default:
		return ei, fmt.Errorf("%w: %s %s (want Elasticsearch 8+ or OpenSearch 2+)", ErrUnsupported, ei.Name, ei.Version)
	}
	return ei, nil
}

// errorBody is the error part of an engine's error answer.
type errorBody struct {
	Error struct {
		Type      string `json:"type"`
		Reason    string `json:"reason"`
		RootCause []struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"root_cause"`
	} `json:"error"`
}

// do runs req and returns the body of a 2xx answer. A connection failure or
// a 429/5xx answer is a *BackoffError; other error answers are a
// *ResponseError.
func (s *Store) do(ctx context.Context, op string, req esapi.Request) ([]byte, error) {
	res, err := req.Do(ctx, s.es)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &BackoffError{Op: op, Err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &BackoffError{Op: op, Status: res.StatusCode, Err: err}
	}
	if !res.IsError() {
		return body, nil
	}
	return nil, responseError(op, res.StatusCode, body)
}

func responseError(op string, status int, body []byte) error {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	typ, reason := eb.Error.Type, eb.Error.Reason
	if len(eb.Error.RootCause) > 0 && eb.Error.RootCause[0].Reason != "" && typ == "search_phase_execution_exception" {
		typ, reason = eb.Error.RootCause[0].Type, eb.Error.RootCause[0].Reason
	}
	if typ == "" {
		reason = strings.TrimSpace(string(body))
		if len(reason) > 300 {
			reason = reason[:300]
		}
	}
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return &BackoffError{Op: op, Status: status, Err: fmt.Errorf("%s: %s", typ, reason)}
	}
	return &ResponseError{Op: op, Status: status, Type: typ, Reason: reason}
}

// jsonBody encodes v for a request body.
func jsonBody(v any) (*bytes.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

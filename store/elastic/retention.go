package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.uber.org/zap"
)

// DeleteBefore deletes, with delete-by-query on the read alias, every
// article whose sort date (published_at, else fetched_at) is before t, and
// reports how many it deleted. Retention jobs call it; version conflicts
// (an article rewritten during the deletion) are skipped, not fatal.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	body, err := jsonBody(dsl{"query": dsl{"range": dsl{fSortDate: dsl{"lt": t.UTC().Format(time.RFC3339Nano)}}}})
	if err != nil {
		return 0, err
	}
	refresh := s.cfg.Refresh != RefreshNone
	out, err := s.do(ctx, "delete by query", esapi.DeleteByQueryRequest{
		Index: []string{readAlias(s.cfg)}, Body: body, Conflicts: "proceed", Refresh: &refresh,
	})
	if err != nil {
		return 0, err
	}
	var res struct {
		Deleted  int64             `json:"deleted"`
		Failures []json.RawMessage `json:"failures"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, fmt.Errorf("elastic: delete by query answer: %w", err)
	}
	if len(res.Failures) > 0 {
		return res.Deleted, fmt.Errorf("elastic: delete by query: %d failures, first: %s", len(res.Failures), res.Failures[0])
	}
	s.log.Info("retention", zap.Time("before", t), zap.Int64("deleted", res.Deleted))
	return res.Deleted, nil
}

// Drop deletes every index, alias and the index template that a store with
// cfg's prefix created: all its articles. Tests and decommissioning use
// it; it refuses the default prefix so that production data is not dropped
// by a missing setting.
func Drop(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Prefix == "" || cfg.Prefix == DefaultPrefix {
		return fmt.Errorf("%w: Drop needs an explicit prefix other than %q", ErrConfig, DefaultPrefix)
	}
	client, _, _, err := NewClient(ctx, cfg)
	if err != nil {
		return fmt.Errorf("elastic: drop: %w", err)
	}
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, es: client, log: zap.NewNop()}
	if _, err := s.do(ctx, "delete indices", esapi.IndicesDeleteRequest{Index: []string{cfg.Prefix + "-articles-*"}}); err != nil {
		return err
	}
	_, err = s.do(ctx, "delete index template", esapi.IndicesDeleteIndexTemplateRequest{Name: templateName(cfg)})
	var re *ResponseError
	if errors.As(err, &re) && re.Status == 404 {
		return nil
	}
	return err
}

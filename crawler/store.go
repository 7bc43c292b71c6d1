package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler/health"
)

// ErrNoRecord is wrapped by OutletStore.Load when nothing is stored under
// the name.
var ErrNoRecord = errors.New("no outlet record")

// OutletStore keeps the crawler's memory of each outlet between passes,
// restarts and crawler processes: one JSON record per outlet and name
// ("src.<hash>" for a source's validators and pending items, "rechecks"
// for the edit-recheck schedule, "memory" for what health judgement needs,
// "health" for the outlet's health record). Only the crawler that holds an
// outlet's lease writes its records, so last write wins. Implementations
// are safe for concurrent use.
type OutletStore interface {
	// Load decodes the record into v, or fails with an error wrapping
	// ErrNoRecord.
	Load(ctx context.Context, outlet, name string, v any) error
	// Save stores v as the record.
	Save(ctx context.Context, outlet, name string, v any) error
}

// MemoryStore is an OutletStore in memory (the default of New): the
// memory lasts as long as the process.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ OutletStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string][]byte{}} }

// Load implements OutletStore.
func (s *MemoryStore) Load(_ context.Context, outlet, name string, v any) error {
	key, err := bus.OutletKey(outlet, name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	b, ok := s.m[key]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoRecord, key)
	}
	return json.Unmarshal(b, v)
}

// record returns the key and JSON of an outlet record.
func record(outlet, name string, v any) (string, []byte, error) {
	key, err := bus.OutletKey(outlet, name)
	if err != nil {
		return "", nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", nil, fmt.Errorf("outlet record %s: %w", key, err)
	}
	return key, b, nil
}

// Save implements OutletStore.
func (s *MemoryStore) Save(_ context.Context, outlet, name string, v any) error {
	key, b, err := record(outlet, name, v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.m[key] = b
	s.mu.Unlock()
	return nil
}

// KVStore is an OutletStore on the outlet_state bucket
// (bus.Conn.OutletState), keyed by bus.OutletKey: shared by every crawler
// process on the bus, and read by the API for outlet health.
type KVStore struct{ kv jetstream.KeyValue }

var _ OutletStore = KVStore{}

// NewKVStore returns an OutletStore on kv.
func NewKVStore(kv jetstream.KeyValue) KVStore { return KVStore{kv: kv} }

// Load implements OutletStore.
func (s KVStore) Load(ctx context.Context, outlet, name string, v any) error {
	key, err := bus.OutletKey(outlet, name)
	if err != nil {
		return err
	}
	_, err = bus.GetJSON(ctx, s.kv, key, v)
	if errors.Is(err, bus.ErrKeyNotFound) {
		return fmt.Errorf("%w: %w", ErrNoRecord, err)
	}
	return err
}

// Save implements OutletStore.
func (s KVStore) Save(ctx context.Context, outlet, name string, v any) error {
	key, b, err := record(outlet, name, v)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("kv %s put %s: %w", s.kv.Bucket(), key, err)
	}
	return nil
}

// ForgetSources removes what the crawler remembers of an outlet's
// discovery documents (validators, unfinished entries, child sitemap
// lastmods) from the outlet_state bucket kv, so that its next pass fetches
// every feed, sitemap and listing in full and sees every entry again. The
// audit uses it after resetting crawl state it found wrong. The poll
// schedule is reset too: every source is due at once.
func ForgetSources(ctx context.Context, kv jetstream.KeyValue, outlet string) (int, error) {
	prefix, err := bus.OutletKey(outlet, "src")
	if err != nil {
		return 0, err
	}
	kl, err := kv.ListKeysFiltered(ctx, prefix+".*")
	if err != nil {
		return 0, fmt.Errorf("kv %s list %s.*: %w", kv.Bucket(), prefix, err)
	}
	var keys []string
	for k := range kl.Keys() {
		keys = append(keys, k)
	}
	kl.Stop()
	for _, k := range keys {
		if err := kv.Purge(ctx, k); err != nil {
			return 0, fmt.Errorf("kv %s purge %s: %w", kv.Bucket(), k, err)
		}
	}
	return len(keys), nil
}

// HealthRecords reads the outlet health records crawlers keep in the
// outlet_state bucket ("<outlet>.health"), for the API.
type HealthRecords struct{ kv jetstream.KeyValue }

// NewHealthRecords returns a reader of the records in kv.
func NewHealthRecords(kv jetstream.KeyValue) HealthRecords { return HealthRecords{kv: kv} }

// Outlets returns every outlet's health record.
func (h HealthRecords) Outlets(ctx context.Context) ([]health.Outlet, error) {
	kl, err := h.kv.ListKeysFiltered(ctx, "*.health")
	if err != nil {
		return nil, fmt.Errorf("kv %s list: %w", h.kv.Bucket(), err)
	}
	var keys []string
	for k := range kl.Keys() {
		keys = append(keys, k)
	}
	kl.Stop()
	out := make([]health.Outlet, 0, len(keys))
	for _, k := range keys {
		var o health.Outlet
		if _, err := bus.GetJSON(ctx, h.kv, k, &o); err != nil {
			if errors.Is(err, bus.ErrKeyNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Outlet returns one outlet's health record, or an error wrapping
// ErrNoRecord.
func (h HealthRecords) Outlet(ctx context.Context, id string) (health.Outlet, error) {
	var o health.Outlet
	err := KVStore{kv: h.kv}.Load(ctx, id, "health", &o)
	return o, err
}

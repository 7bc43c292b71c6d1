package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// ErrLeaseHeld is returned by AcquireLease when another crawler process
// holds the outlet's lease.
var ErrLeaseHeld = errors.New("outlet lease held by another crawler")

// leaseConfig is the lease set-up of WithLeases.
type leaseConfig struct {
	kv     jetstream.KeyValue
	holder string
}

// WithLeases makes Run share the outlets with the other crawler processes
// on the same bus through kv, the crawl_leases bucket (bus.Conn.Leases),
// whose entries expire after the bucket's TTL unless renewed. Each process
// registers itself, holds a fair share of the enabled outlets
// (ceil(outlets / processes)) and renews its leases every third of the
// TTL; an outlet is polled only by the holder of its lease. When a
// process joins, the others hand over outlets beyond their share after
// the pass in progress; when one dies, its leases expire and the others
// take its outlets (within the TTL plus a renewal period). holder names
// this process; a process with the same holder name (the same deployment
// restarted on the same data) takes over its leases at once.
func WithLeases(kv jetstream.KeyValue, holder string) Option {
	return func(c *Crawler) {
		c.leases = &leaseConfig{kv: kv, holder: holder}
		if c.name == "" {
			c.name = holder
		}
	}
}

// leaseRecord is the value of a lease or membership key.
type leaseRecord struct {
	Holder string    `json:"holder"`
	Since  time.Time `json:"since"`
}

func leaseKey(outlet string) string { return "outlet." + outlet }

func memberKey(holder string) string {
	h := sha256.Sum256([]byte(holder))
	return "member." + hex.EncodeToString(h[:12])
}

// heldLease is an outlet this process monitors.
type heldLease struct {
	o    *outlet
	rev  uint64
	stop chan struct{}
	done chan struct{}
}

// acquire takes the lease of outlet id: it creates the key, or takes it
// over when its holder is this process's own name. It returns the
// revision.
func (lc *leaseConfig) acquire(ctx context.Context, id string) (uint64, error) {
	val, _ := json.Marshal(leaseRecord{Holder: lc.holder, Since: time.Now().UTC()})
	rev, err := lc.kv.Create(ctx, leaseKey(id), val)
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, err
	}
	e, gerr := lc.kv.Get(ctx, leaseKey(id))
	if gerr != nil {
		return 0, fmt.Errorf("%w: %w", ErrLeaseHeld, err)
	}
	var rec leaseRecord
	if json.Unmarshal(e.Value(), &rec) != nil || rec.Holder != lc.holder {
		return 0, fmt.Errorf("%w: %s holds %s", ErrLeaseHeld, rec.Holder, id)
	}
	return lc.kv.Update(ctx, leaseKey(id), val, e.Revision())
}

// renew keeps a lease; an error means it is lost.
func (lc *leaseConfig) renew(ctx context.Context, id string, rev uint64) (uint64, error) {
	val, _ := json.Marshal(leaseRecord{Holder: lc.holder, Since: time.Now().UTC()})
	return lc.kv.Update(ctx, leaseKey(id), val, rev)
}

// release gives a lease up.
func (lc *leaseConfig) release(ctx context.Context, id string, rev uint64) {
	lc.kv.Delete(ctx, leaseKey(id), jetstream.LastRevision(rev)) //nolint:errcheck // it expires anyway
}

// members counts the live crawler processes (this one included).
func (lc *leaseConfig) members(ctx context.Context) int {
	kl, err := lc.kv.ListKeysFiltered(ctx, "member.*")
	if err != nil {
		return 1
	}
	n := 0
	for range kl.Keys() {
		n++
	}
	kl.Stop()
	return max(n, 1)
}

// runLeased is Run with leases: it keeps this process's fair share of the
// outlets and monitors those it holds.
func (c *Crawler) runLeased(ctx context.Context) error {
	lc := c.leases
	st, err := lc.kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("crawl leases: %w", err)
	}
	ttl := st.TTL()
	if ttl <= 0 {
		return fmt.Errorf("crawl leases: bucket %s has no TTL: a dead crawler's outlets would never be taken over", st.Bucket())
	}
	tick := ttl / 3
	log := c.log.With(zap.String("holder", lc.holder))
	var enabled []*outlet
	for _, o := range c.outlets {
		if !o.cfg.Disabled {
			enabled = append(enabled, o)
		}
	}
	held := map[string]*heldLease{}
	// Outlets whose lease was lost while a pass of theirs was under way:
	// not taken again before that pass ends (one monitor per outlet).
	ending := map[string]*heldLease{}
	var order []string // outlets in the order acquired
	var wg sync.WaitGroup
	stopOne := func(id string, wait bool) {
		h := held[id]
		close(h.stop)
		if wait {
			<-h.done
		} else {
			ending[id] = h
		}
		delete(held, id)
		for i, x := range order {
			if x == id {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
	}
	me, _ := json.Marshal(leaseRecord{Holder: lc.holder, Since: time.Now().UTC()})
	for {
		if _, err := lc.kv.Put(ctx, memberKey(lc.holder), me); err != nil && ctx.Err() == nil {
			log.Warn("crawl membership not renewed", zap.Error(err))
		}
		members := lc.members(ctx)
		share := (len(enabled) + members - 1) / members
		for id, h := range held {
			rev, err := lc.renew(ctx, id, h.rev)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				log.Warn("crawl lease lost; another crawler polls the outlet now", zap.String("outlet", id), zap.Error(err))
				stopOne(id, false)
				continue
			}
			h.rev = rev
		}
		for len(held) > share && len(order) > 0 && ctx.Err() == nil {
			id := order[len(order)-1]
			rev := held[id].rev
			stopOne(id, true) // after the pass in progress
			lc.release(ctx, id, rev)
			log.Info("crawl lease handed over to share the outlets", zap.String("outlet", id), zap.Int("share", share))
		}
		for _, i := range rand.Perm(len(enabled)) {
			if len(held) >= share || ctx.Err() != nil {
				break
			}
			o := enabled[i]
			if held[o.cfg.ID] != nil {
				continue
			}
			if h := ending[o.cfg.ID]; h != nil {
				select {
				case <-h.done:
					delete(ending, o.cfg.ID)
				default:
					continue
				}
			}
			rev, err := lc.acquire(ctx, o.cfg.ID)
			if err != nil {
				if !errors.Is(err, ErrLeaseHeld) && !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
					log.Debug("crawl lease not taken", zap.String("outlet", o.cfg.ID), zap.Error(err))
				}
				continue
			}
			h := &heldLease{o: o, rev: rev, stop: make(chan struct{}), done: make(chan struct{})}
			held[o.cfg.ID] = h
			order = append(order, o.cfg.ID)
			log.Info("crawl lease taken", zap.String("outlet", o.cfg.ID), zap.Int("share", share))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(h.done)
				// What another crawler did with the outlet since this
				// process last held it (its poll schedule, rechecks,
				// health) is read afresh: a stale schedule would
				// recheck what the other already rechecked and
				// overwrite the rechecks it added.
				h.o.mu.Lock()
				h.o.sched.loaded = false
				h.o.mu.Unlock()
				c.monitor(ctx, h.o, h.stop)
			}()
		}
		t := time.NewTimer(tick)
		select {
		case <-ctx.Done():
			t.Stop()
			wg.Wait()
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			for id, h := range held {
				lc.release(rctx, id, h.rev)
			}
			lc.kv.Delete(rctx, memberKey(lc.holder)) //nolint:errcheck // it expires anyway
			cancel()
			return nil
		case <-t.C:
		}
	}
}

// AcquireLease takes the lease of one outlet for a job outside Run (a
// backfill) and keeps it renewed until the returned release function is
// called. It fails with ErrLeaseHeld when another crawler process polls
// the outlet.
func AcquireLease(ctx context.Context, kv jetstream.KeyValue, holder, outletID string) (release func(), err error) {
	lc := &leaseConfig{kv: kv, holder: holder}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("crawl leases: %w", err)
	}
	rev, err := lc.acquire(ctx, outletID)
	if err != nil {
		return nil, err
	}
	tick := max(st.TTL()/3, time.Second)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if r, err := lc.renew(context.WithoutCancel(ctx), outletID, rev); err == nil {
					rev = r
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		lc.release(rctx, outletID, rev)
		cancel()
	}, nil
}

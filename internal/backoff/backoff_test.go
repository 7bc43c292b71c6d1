package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		if got := p.Delay(attempt); got != want*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", attempt, got, want*time.Millisecond)
		}
	}
	if got := p.Delay(-3); got != 100*time.Millisecond {
		t.Errorf("Delay(-3) = %v", got)
	}
	// No cap: doubling stops short of overflow.
	huge := Policy{Initial: time.Hour}.Delay(1000)
	if huge <= 0 {
		t.Errorf("uncapped Delay(1000) = %v, overflowed", huge)
	}
	if d := (Policy{}).Delay(5); d != 0 {
		t.Errorf("zero policy delay = %v", d)
	}
	// Jitter adds up to the given share, never less than the delay.
	j := Policy{Initial: 100 * time.Millisecond, Jitter: 0.5}
	varied := false
	for i := 0; i < 200; i++ {
		d := j.Delay(1)
		if d < 200*time.Millisecond || d > 300*time.Millisecond {
			t.Fatalf("jittered Delay(1) = %v, want 200ms..300ms", d)
		}
		varied = varied || d != j.Delay(1)
	}
	if !varied {
		t.Error("jitter never varied the delay")
	}
}

func TestBackoffSequence(t *testing.T) {
	b := Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond}.Start()
	var got []time.Duration
	for i := 0; i < 4; i++ {
		got = append(got, b.Next())
	}
	if got[0] != time.Millisecond || got[1] != 2*time.Millisecond || got[3] != 4*time.Millisecond {
		t.Errorf("sequence = %v", got)
	}
	b.Reset()
	if d := b.Next(); d != time.Millisecond {
		t.Errorf("after Reset: %v", d)
	}
	if !b.Wait(context.Background()) {
		t.Error("Wait with a live context returned false")
	}
}

func TestSleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on a done context returned true")
	}
	if Sleep(ctx, 0) {
		t.Error("Sleep(0) on a done context returned true")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep outlived its context")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancelled sleeps took %v", time.Since(start))
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("a full sleep returned false")
	}
}

package bucket

import (
	"sync"
	"testing"
	"time"
)

type fakeClock struct{ now time.Time }

func (f *fakeClock) Now() time.Time          { return f.now }
func (f *fakeClock) Advance(d time.Duration) { f.now = f.now.Add(d) }

func TestStartsFullAndEmpties(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	b := New(3, 1, c.Now)
	for i := 0; i < 3; i++ {
		if !b.Allow() {
			t.Fatalf("token %d refused", i)
		}
	}
	if b.Allow() {
		t.Fatal("empty bucket allowed")
	}
}

func TestRefillsOverTimeUpToCapacity(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	b := New(2, 2, c.Now)
	b.AllowN(2)
	c.Advance(250 * time.Millisecond)
	if got := b.Tokens(); got < 0.49 || got > 0.51 {
		t.Fatalf("tokens after 250ms = %v, want 0.5", got)
	}
	c.Advance(10 * time.Second)
	if got := b.Tokens(); got != 2 {
		t.Fatalf("tokens = %v, want capped at 2", got)
	}
}

func TestAllowNIsAllOrNothing(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	b := New(5, 1, c.Now)
	if b.AllowN(6) {
		t.Fatal("took more than capacity")
	}
	if !b.AllowN(5) || b.AllowN(1) {
		t.Fatal("AllowN(5) then AllowN(1)")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	b := New(100, 0, c.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.Allow() {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 100 {
		t.Fatalf("allowed %d, want 100", allowed)
	}
}

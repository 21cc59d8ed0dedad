package bucket

import (
	"sync"
	"time"
)

// Bucket is a token bucket.
type Bucket struct {
	mu       sync.Mutex
	capacity float64
	rate     float64
	tokens   float64
	last     time.Time
	clock    func() time.Time
}

// New makes a full bucket.
func New(capacity int, refillPerSecond float64, clock func() time.Time) *Bucket {
	return &Bucket{
		capacity: float64(capacity),
		rate:     refillPerSecond,
		tokens:   float64(capacity),
		last:     clock(),
		clock:    clock,
	}
}

func (b *Bucket) refill() {
	now := b.clock()
	elapsed := now.Sub(b.last).Seconds()
	b.last = now
	if elapsed > 0 {
		b.tokens += elapsed * b.rate
		if b.tokens > b.capacity {
			b.tokens = b.capacity
		}
	}
}

// Allow takes one token.
func (b *Bucket) Allow() bool { return b.AllowN(1) }

// AllowN takes n tokens or none.
func (b *Bucket) AllowN(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if float64(n) > b.tokens {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// Tokens returns the tokens available now.
func (b *Bucket) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return b.tokens
}

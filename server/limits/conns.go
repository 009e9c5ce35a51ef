package limits

import (
	"errors"
	"net/netip"
	"sync"
)

// Connection cap errors.
var (
	ErrTooManyTotal   = errors.New("limits: server connection cap reached")
	ErrTooManyAddress = errors.New("limits: connection cap for this address reached")
)

// Conns counts open connections per address and in total. Safe for
// concurrent use.
type Conns struct {
	perAddr, total int
	mu             sync.Mutex
	n              int
	m              map[netip.Prefix]int
}

// NewConns caps connections at perAddr for one address key and total overall.
func NewConns(perAddr, total int) *Conns {
	return &Conns{perAddr: perAddr, total: total, m: make(map[netip.Prefix]int)}
}

// Acquire reserves a connection slot for key, or returns ErrTooManyTotal or
// ErrTooManyAddress. Every successful Acquire must be paired with Release.
func (c *Conns) Acquire(key netip.Prefix) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n >= c.total {
		return ErrTooManyTotal
	}
	if c.m[key] >= c.perAddr {
		return ErrTooManyAddress
	}
	c.n++
	c.m[key]++
	return nil
}

// Release frees a slot taken by Acquire.
func (c *Conns) Release(key netip.Prefix) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.m[key]--; c.m[key] <= 0 {
		delete(c.m, key)
	}
}

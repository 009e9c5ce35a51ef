package conn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
)

// Queue sizes.
const (
	// eventQueue holds frames between the reader and Update. At 60 frames
	// a second and at most 20 Deltas a second, it only fills when the game
	// stops running (a hidden tab); the reader then blocks, the server
	// sees a slow client and resyncs or drops it: memory stays bounded.
	eventQueue = 256
	// sendQueue holds outgoing frames. The game sends at most one Set per
	// frame; if the socket cannot take 64 of them, the network is gone and
	// dropping Sets is right (their boxes settle by timeout).
	sendQueue = 64
	// healthyAfter is how long a connection must last before its close
	// resets the backoff, so a server that accepts and at once drops us is
	// still retried slowly.
	healthyAfter = 5 * time.Second
	// writeTimeout bounds one write, so a dead socket is noticed.
	writeTimeout = 10 * time.Second
)

// ErrDropped is the reason given when the client itself dropped a
// connection (Drop) to reconnect.
var ErrDropped = errors.New("conn: dropped by the client")

// Conn is a self-healing connection to one server URL.
type Conn struct {
	url    string
	events chan link.Event
	out    chan []byte
	drop   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open starts connecting to url (ws:// or wss://) and returns at once.
func Open(url string) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{
		url:    url,
		events: make(chan link.Event, eventQueue),
		out:    make(chan []byte, sendQueue),
		drop:   make(chan struct{}, 1),
		cancel: cancel,
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.run(ctx)
	}()
	return c
}

// Events delivers state changes and frames, in order. Read it from one
// goroutine.
func (c *Conn) Events() <-chan link.Event { return c.events }

// Send queues frame for the current connection and reports whether it was
// queued. It never blocks; frame belongs to the Conn afterwards.
func (c *Conn) Send(frame []byte) bool {
	select {
	case c.out <- frame:
		return true
	default:
		return false
	}
}

// Drop closes the current connection (the client received bytes it cannot
// use) and reconnects. It never blocks.
func (c *Conn) Drop() {
	select {
	case c.drop <- struct{}{}:
	default:
	}
}

// Close stops the connection and waits for its goroutines.
func (c *Conn) Close() {
	c.cancel()
	c.wg.Wait()
}

// emit delivers e, blocking while the queue is full (see eventQueue).
func (c *Conn) emit(ctx context.Context, e link.Event) bool {
	select {
	case c.events <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Conn) run(ctx context.Context) {
	var b Backoff
	state := link.Connecting
	if !c.emit(ctx, link.Event{State: state}) {
		return
	}
	for {
		started := time.Now()
		err := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		code := protocol.CloseCode(closeStatus(err))
		if closeStatus(err) != -1 && !code.Reconnect() {
			c.emit(ctx, link.Event{State: link.Failed, Err: err})
			return
		}
		switch code {
		case protocol.CloseTooMany, protocol.CloseOverloaded, protocol.CloseAbuse:
			b.Later()
		}
		if time.Since(started) >= healthyAfter {
			b.Reset()
		}
		if !c.emit(ctx, link.Event{State: link.Reconnecting, Err: err}) {
			return
		}
		select {
		case <-time.After(b.Next(rand.Float64())):
		case <-ctx.Done():
			return
		}
	}
}

// session dials once and serves the connection until it ends, returning
// why.
func (c *Conn) session(ctx context.Context) error {
	ws, err := dial(ctx, c.url, protocol.MaxServerMessage)
	if err != nil {
		return fmt.Errorf("conn: dial %s: %w", c.url, err)
	}
	defer ws.closeNow()
	// Frames queued for an earlier connection are stale: their boxes
	// settle by timeout, and the new Snapshot is the truth.
	for len(c.out) > 0 {
		<-c.out
	}
	for len(c.drop) > 0 {
		<-c.drop
	}
	if !c.emit(ctx, link.Event{State: link.Connected}) {
		return ctx.Err()
	}

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	var dropped atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		dropped.Store(c.write(sctx, ws))
		cancel()
	}()

	for {
		binary, b, err := ws.read(sctx)
		if err != nil {
			// Let the writer finish so dropped is final.
			cancel()
			wg.Wait()
			if dropped.Load() {
				return ErrDropped
			}
			return err
		}
		if !binary {
			err := fmt.Errorf("conn: %w: text message", protocol.ErrType)
			ws.close(protocol.CloseProtocol, "text message")
			return err
		}
		if !c.emit(sctx, link.Event{Frame: b}) {
			return ErrDropped
		}
	}
}

// write sends queued frames until ctx ends, and closes the connection on
// Drop or on a failed write, which ends the reader too. It reports whether
// it closed because of Drop.
func (c *Conn) write(ctx context.Context, ws socket) (dropped bool) {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-c.drop:
			// Closing without waiting for the server's echo: we reconnect
			// at once and the reader ends on the cancelled context.
			ws.closeNow()
			return true
		case f := <-c.out:
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := ws.write(wctx, f)
			cancel()
			if err != nil {
				ws.closeNow()
				return false
			}
		}
	}
}

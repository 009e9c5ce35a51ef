package hub

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/metrics"
	"checkgrid/server/pipeline"
	"checkgrid/server/wsframe"
)

// memConn is an in-memory Conn: the test plays the client on the other
// side of two channels. It is a second implementation of the hub's port
// (server/wsconn is the first), so hub logic runs in-process in
// milliseconds.
type memConn struct {
	in  chan []byte // client → hub messages
	out chan []byte // hub → client payloads; a full channel blocks Write like a full socket

	// gate, if not nil, must yield a token before each Write: a reader
	// that stops reading.
	gate chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
	mu        sync.Mutex
	code      protocol.CloseCode // 0 until Close, guarded by mu
	writes    [][]byte           // the data frame types of each write, guarded by mu
}

// writeTypes returns the data frame types of each write so far.
func (c *memConn) writeTypes() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.writes...)
}

var errMemClosed = errors.New("memconn: closed")

func newMemConn(outFrames int) *memConn {
	return &memConn{in: make(chan []byte, 64), out: make(chan []byte, outFrames), closed: make(chan struct{})}
}

func (c *memConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case m := <-c.in:
		if m == nil {
			return nil, PeerClose{Code: 1000}
		}
		return m, nil
	case <-c.closed:
		return nil, errMemClosed
	}
}

// TryWrite takes a write (one frame or several in one buffer, as the hub
// writes them) whole or not at all: the "socket" has room when the gate
// (if any) yields a token without waiting and out has space for each data
// frame.
func (c *memConn) TryWrite(wire []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, errMemClosed
	default:
	}
	payloads, err := dataPayloads(wire)
	if err != nil {
		return 0, err
	}
	if len(payloads) == 0 {
		return len(wire), nil // pings and pongs: not the test's business
	}
	if c.gate != nil {
		select {
		case <-c.gate:
		default:
			return 0, nil
		}
	}
	c.mu.Lock() // one writer's frames stay together in out
	defer c.mu.Unlock()
	if cap(c.out)-len(c.out) < len(payloads) {
		return 0, nil
	}
	for _, p := range payloads {
		c.out <- p
	}
	c.writes = append(c.writes, frameTypes(payloads))
	return len(wire), nil
}

func frameTypes(payloads [][]byte) []byte {
	ts := make([]byte, len(payloads))
	for i, p := range payloads {
		ts[i] = p[0]
	}
	return ts
}

func (c *memConn) WriteAll(wire []byte) error {
	payloads, err := dataPayloads(wire)
	if err != nil || len(payloads) == 0 {
		return err
	}
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-c.closed:
			return errMemClosed
		}
	}
	for _, p := range payloads {
		select {
		case c.out <- p:
		case <-c.closed:
			return errMemClosed
		}
	}
	c.mu.Lock()
	c.writes = append(c.writes, frameTypes(payloads))
	c.mu.Unlock()
	return nil
}

// dataPayloads splits a write into its data frames' payloads.
func dataPayloads(wire []byte) ([][]byte, error) {
	var ps [][]byte
	for len(wire) > 0 {
		frame, rest, err := wsframe.Next(wire)
		if err != nil {
			return nil, err
		}
		if !wsframe.IsControl(frame) {
			p, err := wsframe.Payload(frame)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		wire = rest
	}
	return ps, nil
}

func (c *memConn) SetControl(func(Control, []byte)) {}

func (c *memConn) Close(code protocol.CloseCode, reason string) error {
	c.mu.Lock()
	c.code = code
	c.mu.Unlock()
	return c.CloseNow()
}

func (c *memConn) CloseNow() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// closeCode is the code the hub closed with, 0 if none (yet, or a bare close).
func (c *memConn) closeCode() protocol.CloseCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

// testHub is a running Hub following a Sequencer with no log, on a fresh
// grid (or following a test's memUpstream, with seq nil).
type testHub struct {
	*Hub
	seq    *pipeline.Sequencer
	m      *metrics.Metrics
	stopUp func() // stops the Sequencer and waits for it
	cancel context.CancelFunc
	done   chan error
}

func startHub(t *testing.T, cfg Config) *testHub {
	t.Helper()
	if cfg.Tick == 0 {
		cfg.Tick = 5 * time.Millisecond
	}
	m := metrics.New()
	seq := pipeline.New(pipeline.Config{Tick: cfg.Tick}, new(protocol.Bitset), 0, nil, 99, 0, m, nil)
	h := New(cfg, seq, 99, m, nil)
	ctx, cancel := context.WithCancel(context.Background())
	sctx, stopSeq := context.WithCancel(context.Background())
	seqDone := make(chan struct{})
	th := &testHub{Hub: h, seq: seq, m: m, cancel: cancel, done: make(chan error, 1),
		stopUp: func() { stopSeq(); <-seqDone }}
	go func() {
		defer close(seqDone)
		_ = seq.Run(sctx, h)
	}()
	go func() { th.done <- h.Run(ctx) }()
	t.Cleanup(func() { th.stop(t) })
	return th
}

// stop ends the sequencer, then the loop (once), and waits for every
// connection.
func (th *testHub) stop(t *testing.T) {
	t.Helper()
	if th.stopUp != nil {
		th.stopUp() // its last Delta is in the hub's feed before the hub stops
	}
	th.cancel()
	select {
	case <-th.done:
		th.done <- nil // for a second stop
	case <-time.After(5 * time.Second):
		t.Fatal("hub did not stop")
	}
	th.Wait()
}

// player is the test's client of one memConn: it follows the frames into
// a Replica through protocol.Follower, exactly as the real client does.
type player struct {
	t      *testing.T
	conn   *memConn
	rep    protocol.Replica
	follow *protocol.Follower // of rep
	ended  chan struct{}

	resyncs []protocol.ResyncReason
	rejects int
	deltas  int
}

// join connects a player whose socket holds outFrames frames; with gate,
// each Write waits for a token from it (close it to read freely again).
func (th *testHub) join(t *testing.T, key string, outFrames int, gate ...chan struct{}) *player {
	t.Helper()
	p := &player{t: t, conn: newMemConn(outFrames), ended: make(chan struct{})}
	p.follow = protocol.NewFollower(&p.rep)
	if len(gate) > 0 {
		p.conn.gate = gate[0]
	}
	th.Go(p.conn, key, netip.MustParsePrefix("192.0.2.1/32"), Admission{Version: protocol.Version1}, func() { close(p.ended) })
	return p
}

// next returns the next frame's payload, failing the test after a while.
func (p *player) next() []byte {
	p.t.Helper()
	select {
	case f := <-p.conn.out:
		return f
	case <-time.After(5 * time.Second):
		p.t.Fatal("no frame from the hub")
		return nil
	}
}

// apply follows one frame through the client's protocol.Follower. A gap,
// a bad frame or a Delta between a Resync and its Snapshot fails the
// test: the hub must never send one.
func (p *player) apply(f []byte) protocol.FrameType {
	p.t.Helper()
	st, err := p.follow.Handle(f)
	if err != nil || st.Skipped {
		p.t.Fatalf("%v: %v (skipped %v)", st.Head.Type, err, st.Skipped)
	}
	switch st.Head.Type {
	case protocol.TypeDelta:
		p.deltas++
	case protocol.TypeResync:
		p.resyncs = append(p.resyncs, protocol.ResyncReason(st.Head.Reason))
	case protocol.TypeReject:
		p.rejects++
	}
	return st.Head.Type
}

// until applies frames until one of type want arrives.
func (p *player) until(want protocol.FrameType) []byte {
	p.t.Helper()
	for {
		f := p.next()
		if p.apply(f) == want {
			return f
		}
	}
}

// untilSeq applies frames until the replica reaches seq.
func (p *player) untilSeq(seq uint64) {
	p.t.Helper()
	for !p.rep.Synced() || p.rep.Seq < seq {
		p.apply(p.next())
	}
}

func (p *player) set(changes ...protocol.Change) {
	p.t.Helper()
	f, err := protocol.AppendSet(nil, changes)
	if err != nil {
		p.t.Fatal(err)
	}
	p.conn.in <- f
}

// waitEnded waits for the hub to finish with the connection: its reader
// has ended and its socket is closed (after the handshake, if any).
func (p *player) waitEnded() {
	p.t.Helper()
	for _, ch := range []chan struct{}{p.ended, p.conn.closed} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			p.t.Fatal("connection did not end")
		}
	}
}

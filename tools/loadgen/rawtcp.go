package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The raw-TCP ceiling: the same fan-out shape as the server (one writer
// goroutine per socket fed by a bounded queue, one write syscall per frame,
// the same 256 KB send buffer) with nothing else — no WebSocket framing, no
// hub, no durability — driven as fast as the sockets take it. What it
// delivers is what this machine can do; the server's delivered frames/s
// divided by it is the fan-out ratio.
const (
	rawQueue   = 64        // frames per socket, like the server's outbox
	rawSndBuf  = 256 << 10 // the server's -sndbuf default
	rawReadBuf = 4096      // like the WebSocket client's bufio.Reader
)

// rawResult is what a raw-TCP run measured.
type rawResult struct {
	conns, frame int
	tick         time.Duration // 0: saturated
	window       time.Duration
	frames       int64 // whole frames delivered to readers in the window
	bytes        int64
	self         usage   // the whole fan-out (server and readers) is this process
	machine      float64 // cores busy on the whole box over the window
}

// framesPerSec is frames delivered per second.
func (r rawResult) framesPerSec() float64 {
	if r.window <= 0 {
		return 0
	}
	return float64(r.frames) / r.window.Seconds()
}

// runRaw opens conns loopback sockets to an in-process fan-out server and
// measures delivery of frame-byte writes over the window.
func runRaw(ctx context.Context, cfg config, conns, frame int, progress io.Writer) (rawResult, error) {
	logf := func(format string, a ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", a...)
		}
	}
	res := rawResult{conns: conns, frame: frame, tick: cfg.rawTick}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, rawSndBuf)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return res, fmt.Errorf("rawtcp listen: %w", err)
	}
	defer ln.Close()
	rctx, stop := context.WithCancel(ctx)
	defer stop()

	var wg, acceptWG, bcastWG sync.WaitGroup
	var mu sync.Mutex
	var queues []chan []byte
	var serverSide []net.Conn
	acceptWG.Add(1)
	go func() { // accept: one writer goroutine per socket
		defer acceptWG.Done()
		for range conns {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			q := make(chan []byte, rawQueue)
			mu.Lock()
			queues = append(queues, q)
			serverSide = append(serverSide, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range q {
					if _, err := c.Write(f); err != nil {
						for range q { // drain so the broadcaster never blocks on a dead socket
						}
						return
					}
				}
			}()
		}
	}()

	var delivered atomic.Int64
	d := newDialer(cfg.sources, ln.Addr().String())
	var clientSide []net.Conn
	start := time.Now()
	logf("rawtcp: ramping %d sockets over %v, %d-byte frames", conns, cfg.ramp, frame)
	for i := range conns {
		if !sleepCtx(rctx, time.Until(start.Add(cfg.ramp*time.Duration(i)/time.Duration(conns)))) {
			break
		}
		c, err := d.tcp(rctx, i, ln.Addr().String())
		if err != nil {
			return res, fmt.Errorf("rawtcp dial %d: %w", i, err)
		}
		clientSide = append(clientSide, c)
		wg.Add(1)
		go func() { // reader: count bytes, like a watcher counts frames
			defer wg.Done()
			buf := make([]byte, rawReadBuf)
			for {
				n, err := c.Read(buf)
				delivered.Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
	}
	for { // wait for every socket to be accepted
		mu.Lock()
		n := len(queues)
		mu.Unlock()
		if n == len(clientSide) || rctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	qs := queues
	mu.Unlock()

	bcastWG.Add(1)
	go func() { // broadcaster: the same bytes to every queue, as fast as they drain
		defer bcastWG.Done()
		f := make([]byte, frame)
		f[0] = 0x82 // looks like a WebSocket binary frame; content is irrelevant
		var tick <-chan time.Time
		if cfg.rawTick > 0 {
			t := time.NewTicker(cfg.rawTick)
			defer t.Stop()
			tick = t.C
		}
		for rctx.Err() == nil {
			if tick != nil {
				select {
				case <-tick:
				case <-rctx.Done():
					return
				}
			}
			for _, q := range qs {
				select {
				case q <- f:
				case <-rctx.Done():
					return
				}
			}
		}
	}()
	sleepCtx(ctx, cfg.settle)
	b0 := delivered.Load()
	s0, _ := sampleProc(os.Getpid())
	m0, _ := machineBusy()
	res.self.rssHeld = s0.rss
	sleepCtx(ctx, cfg.duration)
	b1 := delivered.Load()
	s1, _ := sampleProc(os.Getpid())
	m1, _ := machineBusy()
	res.machine = cores(m0, m1)
	res.window = s1.at.Sub(s0.at)
	res.bytes = b1 - b0
	res.frames = res.bytes / int64(frame)
	res.self.cores, res.self.rssEnd, res.self.pid = cores(s0, s1), s1.rss, os.Getpid()
	logf("rawtcp: %.0f frames/s, %.1f MB/s, %.2f cores", res.framesPerSec(), float64(res.bytes)/res.window.Seconds()/1e6, res.self.cores)

	// Teardown order: no more accepts, no more sends, then close the
	// queues (ending the writers) and the sockets (ending the readers).
	ln.Close()
	acceptWG.Wait()
	stop()
	bcastWG.Wait()
	for _, c := range clientSide {
		c.Close()
	}
	for i, q := range queues {
		close(q)
		serverSide[i].Close()
	}
	wg.Wait()
	return res, ctx.Err()
}

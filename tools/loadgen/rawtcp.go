package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/server/pause"
)

// The raw-TCP ceiling: the same fan-out as the server (one goroutine per
// core writing the same bytes to each socket, one write syscall per frame,
// the same 256 KB send buffer) with nothing else: no WebSocket framing, no
// hub, no durability. The sender is a process of its own (rawsend.go) and
// the receivers are this one, so the sender's CPU per frame is measured
// alone, like the server's. Unpaced, what it delivers is what this machine
// can do; paced like the server's ticks, its CPU per frame is the fair
// baseline for the server's.
const (
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
	sender       usage   // the sender process
	self         usage   // the receivers: this process
	machine      float64 // cores busy on the whole box over the window
}

// framesPerSec is frames delivered per second.
func (r rawResult) framesPerSec() float64 {
	if r.window <= 0 {
		return 0
	}
	return float64(r.frames) / r.window.Seconds()
}

// runRaw starts the raw sender, opens conns loopback sockets to it and
// measures delivery of frame-byte writes over the window.
func runRaw(ctx context.Context, cfg config, conns, frame int, progress io.Writer) (rawResult, error) {
	logf := func(format string, a ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", a...)
		}
	}
	res := rawResult{conns: conns, frame: frame, tick: cfg.rawTick}
	snd, err := startRawSender(conns, frame, cfg.rawTick)
	if err != nil {
		return res, err
	}
	defer snd.stop()
	rctx, stop := context.WithCancel(ctx)
	defer stop()

	var wg sync.WaitGroup
	var delivered atomic.Int64
	d := newDialer(cfg.sources, snd.addr, nil)
	var clientSide []net.Conn
	defer func() {
		for _, c := range clientSide {
			c.Close()
		}
		wg.Wait()
	}()
	start := time.Now()
	logf("rawtcp: ramping %d sockets over %v, %d-byte frames", conns, cfg.ramp, frame)
	for i := range conns {
		if !pause.For(rctx, time.Until(start.Add(cfg.ramp*time.Duration(i)/time.Duration(conns)))) {
			return res, ctx.Err()
		}
		c, err := d.tcp(rctx, i, snd.addr)
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
	pause.For(ctx, cfg.settle)
	b0 := delivered.Load()
	s0, _ := sampleProc(os.Getpid())
	p0, _ := sampleProc(snd.pid())
	m0, _ := machineBusy()
	res.self.rssHeld = s0.rss
	res.sender.rssHeld = p0.rss
	pause.For(ctx, cfg.duration)
	b1 := delivered.Load()
	s1, _ := sampleProc(os.Getpid())
	p1, _ := sampleProc(snd.pid())
	m1, _ := machineBusy()
	res.machine = cores(m0, m1)
	res.window = s1.at.Sub(s0.at)
	res.bytes = b1 - b0
	res.frames = res.bytes / int64(frame)
	res.self.cores, res.self.rssEnd, res.self.pid = cores(s0, s1), s1.rss, os.Getpid()
	res.sender.cores, res.sender.rssEnd, res.sender.pid = cores(p0, p1), p1.rss, snd.pid()
	logf("rawtcp: %.0f frames/s, %.1f MB/s, sender %.2f cores, receivers %.2f", res.framesPerSec(), float64(res.bytes)/res.window.Seconds()/1e6, res.sender.cores, res.self.cores)
	return res, ctx.Err()
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The raw sender is the fan-out with nothing else, in a process of its own
// so that its CPU per frame is measured alone, as the server's is: it
// accepts the loadgen's sockets, then from one goroutine per core (like the
// server's sender pool) writes the same frame to each of its sockets with
// one write each, paced like the server's ticks or as fast as they drain.
// The loadgen starts it as `loadgen rawsend …` (its own binary).

// rawSendArg is the first argument that makes loadgen the raw sender.
const rawSendArg = "rawsend"

// rawSendMain is the raw sender's main: it prints "listening ADDR", serves
// until stdin closes (the loadgen is done or gone), and exits.
func rawSendMain(args []string) error {
	fs := flag.NewFlagSet(rawSendArg, flag.ContinueOnError)
	conns := fs.Int("conns", 0, "sockets to accept before sending")
	frame := fs.Int("frame", 64, "frame size in bytes")
	tick := fs.Duration("tick", 0, "one frame per socket per tick (0: as fast as they drain)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, rawSndBuf)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	ctx, stop := context.WithCancel(context.Background())
	go func() { // the parent's end of stdin closes when it is done or dies
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
		ln.Close()
	}()
	shards := make([][]net.Conn, runtime.GOMAXPROCS(0))
	for i := range *conns {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		shards[i%len(shards)] = append(shards[i%len(shards)], c)
	}
	f := make([]byte, *frame)
	f[0] = 0x82 // looks like a WebSocket binary frame; content is irrelevant
	var wg sync.WaitGroup
	for _, shard := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var t *time.Ticker
			if *tick > 0 {
				t = time.NewTicker(*tick)
				defer t.Stop()
			}
			for ctx.Err() == nil {
				if t != nil {
					select {
					case <-t.C:
					case <-ctx.Done():
						return
					}
				}
				for _, c := range shard {
					if _, err := c.Write(f); err != nil {
						return
					}
				}
			}
		}()
	}
	<-ctx.Done()
	for _, shard := range shards {
		for _, c := range shard {
			c.Close()
		}
	}
	wg.Wait()
	return nil
}

// rawSender is a running raw sender process.
type rawSender struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
}

// startRawSender runs this binary as the raw sender and waits for its
// address.
func startRawSender(conns, frame int, tick time.Duration) (*rawSender, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("rawtcp: find own binary: %w", err)
	}
	cmd := exec.Command(self, rawSendArg, "-conns", fmt.Sprint(conns), "-frame", fmt.Sprint(frame), "-tick", tick.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rawtcp: start sender: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("rawtcp: sender said %q: %v", line, err)
	}
	return &rawSender{cmd: cmd, stdin: in, addr: addr}, nil
}

func (s *rawSender) pid() int { return s.cmd.Process.Pid }

// stop ends the sender and waits for it.
func (s *rawSender) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

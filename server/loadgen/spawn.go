package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Spawned-server budgets: startup includes recovering an empty data dir;
// shutdown flushes, checkpoints and closes every client with 1001.
const (
	spawnStartTimeout = 30 * time.Second
	spawnStopTimeout  = 20 * time.Second
)

// ErrSpawn means the server binary could not be started or did not say
// where it listens.
var ErrSpawn = errors.New("loadgen: spawning server")

// spawned is a server process this tool started and owns.
type spawned struct {
	cmd      *exec.Cmd
	dir      string // temp data dir, removed by stop
	addr     string // public host:port
	admin    string // admin host:port (/debug/pprof, /metrics)
	logPath  string
	waitErr  chan error
	stopOnce sync.Once
	stopErr  error
}

var (
	reListening = regexp.MustCompile(`msg=listening addr=(\S+)`)
	reAdmin     = regexp.MustCompile(`msg="admin listening" addr=(\S+)`)
)

// spawnServer starts bin on 127.0.0.1:0 with its own temp data dir and the
// caps a load test from few addresses needs raised; extra flags come last
// and win. The server's log goes to a file in the data dir's parent.
func spawnServer(bin string, tick time.Duration, extra []string) (*spawned, error) {
	dir, err := os.MkdirTemp("", "checkgrid-loadgen-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	args := []string{
		"-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-data", filepath.Join(dir, "data"),
		"-tick", tick.String(),
		// The loadgen's players share a few source addresses: lift the
		// per-address caps, keep the per-player ones (abusers test them).
		"-max-conns", strconv.Itoa(MaxConns + 1000), "-max-conns-per-addr", strconv.Itoa(MaxConns + 1000),
		"-addr-rate", "1000000", "-addr-burst", "1000000",
	}
	args = append(args, extra...)
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	s := &spawned{dir: dir, logPath: filepath.Join(dir, "server.log"), waitErr: make(chan error, 1)}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = os.Environ()
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	s.cmd.Stdout = logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrSpawn, bin, err)
	}
	found := make(chan struct{})
	go func() {
		// Tee the log to the file, noting the addresses as they appear.
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if m := reAdmin.FindStringSubmatch(line); m != nil {
				s.admin = m[1]
			} else if m := reListening.FindStringSubmatch(line); m != nil && s.addr == "" {
				s.addr = m[1]
				close(found)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
		logf.Close()
	}()
	go func() {
		err := s.cmd.Wait()
		pw.Close()
		s.waitErr <- err
	}()
	select {
	case <-found:
		return s, nil
	case err := <-s.waitErr:
		s.waitErr <- err
		return nil, fmt.Errorf("%w: server exited: %v (log %s)", ErrSpawn, err, s.logPath)
	case <-time.After(spawnStartTimeout):
		_ = s.cmd.Process.Kill()
		return nil, fmt.Errorf("%w: no \"listening\" line in %v (log %s)", ErrSpawn, spawnStartTimeout, s.logPath)
	}
}

// pid is the server's process id.
func (s *spawned) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM, waits for a clean exit (killing it after the budget),
// and removes the data dir, keeping it (and the log) only on failure. Only
// the first call acts; later ones return its result.
func (s *spawned) stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.doStop(ctx) })
	return s.stopErr
}

func (s *spawned) doStop(ctx context.Context) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-s.waitErr:
	case <-time.After(spawnStopTimeout):
		_ = s.cmd.Process.Kill()
		err = <-s.waitErr
		err = fmt.Errorf("%w: server did not stop in %v, killed: %v", ErrSpawn, spawnStopTimeout, err)
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		err = <-s.waitErr
	}
	if err == nil {
		_ = os.RemoveAll(s.dir)
	}
	return err
}

package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"checkgrid/server/certs/testcert"
	"checkgrid/tools/serverproc"
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
	proc     *serverproc.Proc
	dir      string         // temp data dir, removed by stop
	addr     string         // public host:port
	admin    string         // admin host:port (/debug/pprof, /metrics)
	roots    *x509.CertPool // with -tls: the CA of the server's certificate
	logPath  string
	logf     *os.File
	stopOnce sync.Once
	stopErr  error
}

// spawnServer starts bin on 127.0.0.1:0 with its own temp data dir and the
// caps a load test from few addresses needs raised; extra flags come last
// and win. The server's log goes to a file in the data dir's parent. With
// withTLS the server serves TLS with a certificate for 127.0.0.1 made for
// this run by a CA that exists only for it.
func spawnServer(bin string, tick time.Duration, withTLS bool, extra []string) (*spawned, error) {
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
		"-addr-rate", "65535", "-addr-burst", "65535",
	}
	s := &spawned{dir: dir, logPath: filepath.Join(dir, "server.log")}
	if withTLS {
		cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if s.roots, err = makeCert(cert, key); err != nil {
			return nil, fmt.Errorf("%w: certificate: %v", ErrSpawn, err)
		}
		args = append(args, "-tls-cert", cert, "-tls-key", key)
	}
	args = append(args, extra...)
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	if s.logf, err = os.Create(s.logPath); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	p, err := serverproc.Start(bin, args, s.logf, spawnStartTimeout)
	if err != nil {
		s.logf.Close()
		return nil, fmt.Errorf("%w: %v (log %s)", ErrSpawn, err, s.logPath)
	}
	s.proc, s.addr, s.admin = p, p.Addr, p.Admin
	return s, nil
}

// makeCert writes a certificate for 127.0.0.1 and its key, and returns
// the pool that trusts it.
func makeCert(certPath, keyPath string) (*x509.CertPool, error) {
	ca, err := testcert.NewCA("checkgrid loadgen CA")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Leaf("127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	return ca.Pool(), leaf.Write(certPath, keyPath)
}

// pid is the server's process id.
func (s *spawned) pid() int { return s.proc.Pid() }

// stop sends SIGTERM, waits for a clean exit (killing it after the budget),
// and removes the data dir, keeping it (and the log) only on failure. Only
// the first call acts; later ones return its result.
func (s *spawned) stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.doStop(ctx) })
	return s.stopErr
}

func (s *spawned) doStop(ctx context.Context) error {
	stopped := make(chan error, 1)
	go func() { stopped <- s.proc.Stop(spawnStopTimeout) }()
	var err error
	select {
	case err = <-stopped:
	case <-ctx.Done():
		s.proc.Kill()
		err = <-stopped
	}
	s.logf.Close()
	if errors.Is(err, serverproc.ErrKilled) {
		err = fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	if err == nil {
		_ = os.RemoveAll(s.dir)
	}
	return err
}

package serverproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"syscall"
	"time"
)

// Errors. ErrStart: the server exited, or said nothing about listening,
// before Start's timeout. ErrKilled: Stop's grace ran out and the server
// was killed.
var (
	ErrStart  = errors.New("serverproc: server did not start")
	ErrKilled = errors.New("serverproc: server did not stop after SIGTERM and was killed")
)

// The lines run.go logs (log/slog text) once its listeners are open; the
// admin line comes first.
var (
	listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)
	adminRE     = regexp.MustCompile(`msg="admin listening" addr=(\S+)`)
)

// Proc is a running server.
type Proc struct {
	Addr  string // public host:port
	Admin string // admin host:port, "" without -admin

	cmd    *exec.Cmd
	exited chan struct{} // closed once the log is drained and the process reaped
	err    error         // Wait's result, valid once exited is closed
}

// Start runs bin with args. Every line the server logs is written, with its
// newline, to logw, from one goroutine at a time for the life of the
// process. Start returns once the server logs its listening address; if the
// server exits first or timeout passes, it returns ErrStart (and kills the
// process in the second case).
func Start(bin string, args []string, logw io.Writer, timeout time.Duration) (*Proc, error) {
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStart, bin, err)
	}
	p := &Proc{cmd: cmd, exited: make(chan struct{})}
	addrs := make(chan [2]string, 1)
	go func() {
		// Read the log for the process's whole life so it never blocks on
		// a full pipe; reap it only after the pipe is drained (exec's rule).
		var admin string
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = io.WriteString(logw, line+"\n")
			if m := adminRE.FindStringSubmatch(line); m != nil {
				admin = m[1]
			} else if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addrs <- [2]string{m[1], admin}:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	select {
	case a := <-addrs:
		p.Addr, p.Admin = a[0], a[1]
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%w: exited before listening: %v", ErrStart, p.err)
	case <-time.After(timeout):
		p.Kill()
		return nil, fmt.Errorf("%w: no listening line in %v", ErrStart, timeout)
	}
}

// Pid is the server's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stop asks the server to shut down gracefully (SIGTERM: flush, checkpoint,
// close every client with 1001) and waits; after grace it kills it. It
// returns the process's exit error, wrapped with a note if it was killed.
func (p *Proc) Stop(grace time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%w (after %v): %v", ErrKilled, grace, p.err)
	}
}

// Kill ends the server at once with SIGKILL, as a crash would, and waits.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

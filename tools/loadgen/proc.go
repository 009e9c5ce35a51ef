package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// 100 on every Linux build Go supports (reading it needs sysconf, i.e. cgo).
const clockTicks = 100

// ErrNoProcess means no process could be found or read for a measurement.
var ErrNoProcess = errors.New("loadgen: process not found")

// procSample is one reading of a process's CPU time and resident memory.
type procSample struct {
	at  time.Time
	cpu time.Duration // utime + stime
	rss int64         // bytes (VmRSS)
}

// sampleProc reads /proc/<pid>/stat and /proc/<pid>/status.
func sampleProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNoProcess, err)
	}
	if s.cpu, err = parseStatCPU(string(b)); err != nil {
		return s, err
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNoProcess, err)
	}
	s.rss, err = parseVmRSS(string(st))
	return s, err
}

// parseStatCPU returns utime+stime from a /proc/<pid>/stat line. Fields
// are counted after the last ')', since the command name may hold spaces.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: malformed stat", ErrNoProcess)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: short stat", ErrNoProcess)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%w: stat: %v", ErrNoProcess, err)
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// parseVmRSS returns VmRSS in bytes from /proc/<pid>/status.
func parseVmRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("%w: no VmRSS", ErrNoProcess)
}

// cores is CPU time used between two samples divided by wall time.
func cores(a, b procSample) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return float64(b.cpu-a.cpu) / float64(wall)
}

// pidListening finds the process with a TCP socket listening on port, from
// /proc/net/tcp{,6} (the socket's inode) and /proc/*/fd (who holds it).
func pidListening(port int) (int, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// sl local_address rem_address st ... inode (field 9)
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 || fs[3] != "0A" { // 0A = LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil && int(p) == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
		fh.Close()
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("%w: nothing listens on port %d", ErrNoProcess, port)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
			if err == nil && pid != os.Getpid() {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: no process holds the socket listening on port %d (try -pid)", ErrNoProcess, port)
}

// machineBusy returns the CPU time all processes used so far (every CPU's
// non-idle time from /proc/stat). Its rate over a window, minus the server's
// and the loadgen's, is what other work on the box took from the run.
func machineBusy() (procSample, error) {
	s := procSample{at: time.Now()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNoProcess, err)
	}
	s.cpu, err = parseProcStatBusy(string(b))
	return s, err
}

// parseProcStatBusy sums user, nice, system, irq, softirq and steal from
// the aggregate "cpu" line; idle and iowait are not busy.
func parseProcStatBusy(stat string) (time.Duration, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("%w: malformed /proc/stat", ErrNoProcess)
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: /proc/stat: %v", ErrNoProcess, err)
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}

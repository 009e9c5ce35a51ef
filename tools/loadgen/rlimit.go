package main

import (
	"fmt"
	"syscall"
)

// fdsPerConn: each connection costs one descriptor here and, spawned
// server included, one in the child, which inherits this limit. The slack
// covers listeners, pipes, /proc reads and the Go runtime.
const (
	fdsPerConn = 1
	fdSlack    = 1024
)

// raiseNoFile raises this process's open-file limit, in-process only, to
// at least need: the soft limit to the hard one, and, where the hard one is
// too low and we may (CAP_SYS_RESOURCE), the hard one too, up to
// /proc/sys/fs/nr_open. A spawned server inherits it. It returns the
// resulting soft limit.
func raiseNoFile(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	want := lim
	want.Cur = max(lim.Cur, lim.Max)
	if need > lim.Max {
		want = syscall.Rlimit{Cur: need, Max: need}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		// No privilege to raise the hard limit: take what we are allowed.
		want = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return lim.Cur, fmt.Errorf("setrlimit: %w", err)
		}
	}
	return want.Cur, nil
}

//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// foreground moves this process into a process group of its own and, if
// stdin is a terminal, makes that group the terminal's foreground, so the
// terminal's Ctrl-C (SIGINT to the foreground group) reaches this command
// and its children but not the make or go run that started it, which
// would otherwise report an interrupt however cleanly this one stops. The
// returned func gives the terminal back. Without a terminal it only
// returns a no-op.
func foreground() (restore func()) {
	tty := int(os.Stdin.Fd())
	parent, err := unix.IoctlGetInt(tty, unix.TIOCGPGRP)
	if err != nil {
		return func() {}
	}
	if err := unix.Setpgid(0, 0); err != nil {
		return func() {}
	}
	// A process outside the foreground group that sets it gets SIGTTOU.
	signal.Ignore(syscall.SIGTTOU)
	if err := unix.IoctlSetPointerInt(tty, unix.TIOCSPGRP, unix.Getpgrp()); err != nil {
		return func() {}
	}
	return func() { _ = unix.IoctlSetPointerInt(tty, unix.TIOCSPGRP, parent) }
}

package wsconn

import (
	"syscall"
	"unsafe"
)

// Socket calls without the scheduler's bookkeeping.
//
// syscall.Read and syscall.Write tell the scheduler the call may block
// (entersyscall, exitsyscall), and the first such call after the process
// went idle wakes the runtime's sysmon thread with a futex. Every socket
// this package reads or writes is non-blocking (Go's net sets O_NONBLOCK),
// so these calls cannot block, and a raw syscall skips both costs. A
// server that goes idle between clicks paid the wake-up on nearly every
// click's read (BENCHMARKS.md, "Staggered pacing and raw socket calls").
//
// Only for non-blocking fds: a raw call that blocked would hold its P.

// sysRead is read(2) on a non-blocking fd.
func sysRead(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno
}

// sysWrite is write(2) on a non-blocking fd.
func sysWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno
}

// sysPeek is recvfrom(2) of one byte with MSG_PEEK|MSG_DONTWAIT into *b:
// whether the socket holds anything, without taking it. (recvfrom itself,
// not syscall.Recvfrom: its address buffer would make the frame, the
// deepest a waiting reader reaches, 112 bytes bigger.)
func sysPeek(fd uintptr, b *byte) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(b)), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return errno
}

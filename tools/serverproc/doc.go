// Package serverproc runs the server binary as a child process, for the
// tools and tests that need a real one: the crash test, the end-to-end
// tests and the load generator.
//
// Entry point: Start runs the binary, copies every line it logs to a
// writer of the caller's, and returns once the server has logged the
// address it listens on (run.go's "listening" line; the admin address too,
// when -admin was given). Stop ends it gracefully (SIGTERM, then SIGKILL
// after a grace period); Kill ends it at once, as a crash does.
//
// A Proc's methods may be called from any goroutine; Stop and Kill wait for
// the process and its log to be fully read.
package serverproc

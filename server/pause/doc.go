// Package pause is the one context-aware sleep: For waits a duration
// unless a context ends first. The server's retry loops (history,
// cluster) and the load generator wait with it, so none of them outlives
// its context by a retry's delay.
//
// Entry point: For. No goroutines.
package pause

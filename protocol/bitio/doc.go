// Package bitio packs and unpacks bit streams in checkgrid's convention:
// most significant bit first, unary as one-bits and a terminating zero,
// the last byte padded with zero bits (PROTOCOL.md, "Packed index set").
//
// Entry points: NewWriter appends bits to a caller's buffer (Write, Unary,
// Gamma, then Flush); NewReader reads them back (Read, Unary, Gamma,
// Remaining, RestZero). A Reader never fails mid-stream: a read past the end
// returns zeros and sets a sticky flag (Over), so a decoder's hot loop tests
// once per value, not once per bit, and names its own error.
//
// It is the one implementation both the wire format (protocol/) and the
// store's run-coded sets (server/store) use, so the two cannot drift apart.
// It imports only the standard library (arch_test.go), has no state beyond
// each value, and is safe for concurrent use of distinct values.
package bitio

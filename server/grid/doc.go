// Package grid holds the live state of the 1,000,000 boxes.
//
// Entry points: New or FromBitset make a Grid; any goroutine calls Set; the
// one tick goroutine calls Collector.Collect to learn what flipped since the
// previous tick.
//
// Flow: Set does one atomic Or/And on the box's 64-bit word and, only if the
// old bits show the box changed, one atomic Or on a dirty summary (one bit per
// word). Collect swaps each non-zero summary word to zero and compares the
// words it names with its own copy of the last published state, so its cost
// follows the number of changed words, never the grid's size, and a box
// flipped twice within a tick is not reported. No lock is taken anywhere.
package grid

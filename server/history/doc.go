// Package history serves, verifies and exports the grid's kept history
// (issue 21): the HTTP API of PROTOCOL.md, History, over a Source: a
// store.History (the data directory's keyframes and log, read while the
// store appends) or, in cluster mode, a Stream (the JetStream stream of
// record and its keyframe bucket, through a Log such as
// cluster.HistoryLog).
//
// Stream.Run (one goroutine per node, started by the server's wiring)
// follows the stream: the grid, chain and commit time at its tail are the
// Head, and after every 2 MiB of frames it writes a keyframe, the same
// bytes on every node (stream.go says why they agree).
//
// Entry points: NewHandler (the /api/history routes, wired by web.Config);
// BuildExtent (the extent); playback.go (/api/history/playback: the net
// change between sampled points, jumping keyframes so a point costs at
// most two keyframe intervals of replay); boxes.go (/api/history/box: when
// a box last changed and how often, from a per-box index built on first
// use in bounded steps and brought up to the head by each request);
// NextEntry (decodes the entries of a deltas
// answer); Export / ExportFile (the export file, from a data directory or
// a server's API: the same bytes either way) and ReadExport (reads one
// back, checking every byte); ImportFile (an export file into a new data
// directory, through store.NewImport); Main (`checkgrid history verify <dir | file
// | URL>`: a directory with store.History.Verify, an export file with
// ReadExport, a server with VerifyURL (a single server or any cluster
// node); `checkgrid history export` and `import`).
// testdata/export-reader.mjs is a second reader of the export file, in
// Node, written from PROTOCOL.md alone (run by the server's
// TestExportNodeReader).
//
// Flow of a request: parse the query (query.go; every malformed query is
// ErrQuery, a 400 with the reason), wait for one of two turns (a grid at a
// seq costs a keyframe read and up to 2 MiB of replay; the game's tick
// loop shares the cores), read from store.History, answer with a strong
// ETag and, for closed parts of history, Cache-Control immutable.
//
// No goroutines of its own but Stream.Run; a Handler is safe for
// concurrent use.
package history

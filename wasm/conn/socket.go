package conn

import (
	"context"

	"checkgrid/protocol"
)

// socket is one WebSocket connection: github.com/coder/websocket on the
// desktop (socket_notjs.go), the browser's WebSocket in the page
// (socket_js.go). The page does not use coder/websocket: its browser build
// imports net/http for its types, and net/http's imports bring package
// initialisers (crypto/tls's and the curves and keys they set up) into
// the wasm: 2 MB raw, 0.42 MB brotli (BENCHMARKS.md, Client).
//
// dial(ctx, url, limit) connects, with messages over limit bytes refused;
// closeStatus(err) is the close code err carries, -1 for none.
type socket interface {
	// read returns the next message and whether it is binary.
	read(ctx context.Context) (binary bool, b []byte, err error)
	// write sends b as one binary message.
	write(ctx context.Context, b []byte) error
	// close closes with code and reason.
	close(code protocol.CloseCode, reason string)
	// closeNow closes without waiting for the server's echo.
	closeNow()
}

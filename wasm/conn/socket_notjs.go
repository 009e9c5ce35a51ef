//go:build !js

package conn

import (
	"context"

	"github.com/coder/websocket"

	"checkgrid/protocol"
)

// coderSocket is a coder/websocket connection.
type coderSocket struct{ ws *websocket.Conn }

func dial(ctx context.Context, url string, limit int64) (socket, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(limit)
	return coderSocket{ws}, nil
}

func closeStatus(err error) int { return int(websocket.CloseStatus(err)) }

func (s coderSocket) read(ctx context.Context) (bool, []byte, error) {
	typ, b, err := s.ws.Read(ctx)
	return typ == websocket.MessageBinary, b, err
}

func (s coderSocket) write(ctx context.Context, b []byte) error {
	return s.ws.Write(ctx, websocket.MessageBinary, b)
}

func (s coderSocket) close(code protocol.CloseCode, reason string) {
	s.ws.Close(websocket.StatusCode(code), reason)
}

func (s coderSocket) closeNow() { s.ws.CloseNow() }

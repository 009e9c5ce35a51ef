package web

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
)

// Buffer sizes for hijacked WebSocket connections. net/http hands a
// hijacker 4 KB for reading and 4 KB for writing, kept for the connection's
// life: 8 KB of an idle player's memory budget. Client frames are at most a
// few KB and mostly tens of bytes, so 512 B of read buffer is plenty; 2 KB of
// write buffer keeps a typical Delta (frame header plus payload) in one
// write syscall, while larger frames go straight to the socket.
const (
	hijackReadBuf  = 512
	hijackWriteBuf = 2048
)

// smallBuffers wraps a ResponseWriter so that Hijack returns smaller
// buffers, carrying over any bytes net/http had already read. It keeps the
// hijacked socket, which the hub writes pre-encoded frames to.
type smallBuffers struct {
	http.ResponseWriter
	conn net.Conn // set by Hijack
}

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = c
	if err := brw.Writer.Flush(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("web: flushing before hijack: %w", err)
	}
	var r io.Reader = c
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(b)), c)
	}
	return c, bufio.NewReadWriter(bufio.NewReaderSize(r, hijackReadBuf), bufio.NewWriterSize(c, hijackWriteBuf)), nil
}

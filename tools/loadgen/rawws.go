package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Reading frames cheaply. Every player receives every Delta, so what the
// load generator spends per frame decides how much of the box is left for
// the server. Players speak WebSocket by hand (rawConn): one read buffer,
// the 2–10-byte server header parsed in place, the head of the payload kept
// and the rest skipped, pings answered; no per-message reader, context or
// lock. Only abusers, which send what no client should, use coder/websocket
// (libConn).

// frameConn is what readOne needs from a connection.
type frameConn interface {
	// readFrame reads the next data message: its first bytes (up to
	// len(buf), or the whole message with keep, growing buf) and its size.
	readFrame(buf []byte, keep bool) (newBuf, head []byte, size int, err error)
	// writeBinary sends one binary message.
	writeBinary(b []byte) error
}

// libConn is a coder/websocket connection.
type libConn struct{ c *websocket.Conn }

func (l libConn) readFrame(buf []byte, keep bool) ([]byte, []byte, int, error) {
	// Background, not the run's context: a cancellable context costs a
	// registration per read; the run closes every connection at the end.
	typ, rd, err := l.c.Reader(context.Background())
	if err != nil {
		return buf, nil, 0, err
	}
	buf, head, size, err := readFrame(rd, buf, keep)
	if err == nil && typ != websocket.MessageBinary {
		err = fmt.Errorf("loadgen: %v message of %d bytes", typ, size)
	}
	return buf, head, size, err
}

func (l libConn) writeBinary(b []byte) error {
	return l.c.Write(context.Background(), websocket.MessageBinary, b)
}

// rawReadBuf is a raw watcher's read buffer: a Delta frame and its header
// fit, so most frames cost one read(2); a big Snapshot streams through it.
const rawWatchBuf = 2048

// rawConn is a hand-spoken client WebSocket. One goroutine reads; writes
// (Sets from a clicker's goroutine, pongs and ResyncRequests from the
// reader) are whole frames under wmu.
type rawConn struct {
	c   net.Conn
	br  *bufio.Reader
	wmu sync.Mutex
}

// errRawClose is a server close frame; its code is in the error.
var errRawClose = errors.New("loadgen: server closed")

// rawDial dials u from source i and upgrades by hand.
func (d *dialer) rawWS(ctx context.Context, i int, u string) (*rawConn, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	c, err := d.tcp(ctx, i, pu.Host)
	if err != nil {
		return nil, err
	}
	if pu.Scheme == "wss" {
		cfg := d.tls.Clone()
		cfg.ServerName = pu.Hostname()
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + pu.RequestURI() + " HTTP/1.1\r\nHost: " + pu.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, rawWatchBuf)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	resp.Body.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		return nil, fmt.Errorf("%w: http %d", errRefused, resp.StatusCode)
	}
	if !stop() {
		c.Close()
		return nil, ctx.Err()
	}
	_ = c.SetDeadline(time.Time{})
	return &rawConn{c: c, br: br}, nil
}

func (r *rawConn) readFrame(buf []byte, keep bool) ([]byte, []byte, int, error) {
	for {
		h, err := wsframe.ReadHeader(r.br)
		if err != nil {
			return buf, nil, 0, err
		}
		if !h.Fin() {
			return buf, nil, 0, errors.New("loadgen: fragmented server frame")
		}
		if h.Len > protocol.MaxServerMessage {
			return buf, nil, 0, fmt.Errorf("loadgen: server frame of %d bytes", h.Len)
		}
		size := int(h.Len)
		switch op := h.Opcode(); op {
		case 0x2: // binary
			keepN := min(size, len(buf))
			if keep && size > len(buf) {
				buf = make([]byte, size)
				keepN = size
			}
			if _, err := io.ReadFull(r.br, buf[:keepN]); err != nil {
				return buf, nil, 0, err
			}
			if _, err := r.br.Discard(size - keepN); err != nil {
				return buf, nil, 0, err
			}
			return buf, buf[:keepN], size, nil
		case 0x9, 0xa: // ping (answered), pong
			var p [125]byte
			if size > len(p) {
				return buf, nil, 0, errors.New("loadgen: control frame too long")
			}
			if _, err := io.ReadFull(r.br, p[:size]); err != nil {
				return buf, nil, 0, err
			}
			if op == 0x9 {
				if err := r.write(0xa, p[:size]); err != nil {
					return buf, nil, 0, err
				}
			}
		case 0x8:
			var p [125]byte
			code := 1005
			if size >= 2 && size <= len(p) {
				if _, err := io.ReadFull(r.br, p[:size]); err == nil {
					code = int(binary.BigEndian.Uint16(p[:2]))
				}
			}
			return buf, nil, 0, fmt.Errorf("%w: %w", errRawClose, websocket.CloseError{Code: websocket.StatusCode(code)})
		default:
			return buf, nil, 0, fmt.Errorf("loadgen: server frame with opcode %d", op)
		}
	}
}

func (r *rawConn) writeBinary(b []byte) error { return r.write(0x2, b) }

// write sends one masked frame (mask key zero: XOR with it is the payload
// itself, which the server must accept like any key).
func (r *rawConn) write(op byte, p []byte) error {
	f := wsframe.AppendMasked(make([]byte, 0, 14+len(p)), op, [4]byte{}, p)
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_, err := r.c.Write(f)
	return err
}

func (r *rawConn) close() { _ = r.c.Close() }

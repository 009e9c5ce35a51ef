//go:build js

package conn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"

	"checkgrid/protocol"
)

// Errors of the page's socket.
var (
	// errClosed: the socket closed (the browser's close event); read
	// returns it wrapped in a closeError with the code.
	errClosed = errors.New("conn: websocket closed")
	// errTooBig: a message over the read limit; the socket is closed.
	errTooBig = errors.New("conn: message over the read limit")
)

// pageSocket is the browser's WebSocket: its events queue messages and
// signal the close, and read waits on them.
type pageSocket struct {
	ws     js.Value
	limit  int64
	signal chan struct{} // a message was queued (capacity 1)
	closed chan struct{} // the close event came
	mu     sync.Mutex
	queue  []pageMessage
	funcs  []js.Func
	shut   closeError // the close event's, set before closed is closed
}

// closeError is the close the browser reported: the server's code and
// reason (1006 when the connection broke without one).
type closeError struct {
	code   int
	reason string
}

func (e *closeError) Error() string {
	return fmt.Sprintf("%v: %d %s", errClosed, e.code, e.reason)
}

func (e *closeError) Unwrap() error { return errClosed }

// closeStatus is the close code err carries, -1 for none.
func closeStatus(err error) int {
	var ce *closeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return -1
}

type pageMessage struct {
	binary bool
	b      []byte
}

func dial(ctx context.Context, url string, limit int64) (socket, error) {
	url = strings.Replace(url, "http://", "ws://", 1)
	url = strings.Replace(url, "https://", "wss://", 1)
	ws, err := jsCall(func() js.Value { return js.Global().Get("WebSocket").New(url) })
	if err != nil {
		return nil, err
	}
	ws.Set("binaryType", "arraybuffer")
	s := &pageSocket{ws: ws, limit: limit, signal: make(chan struct{}, 1), closed: make(chan struct{})}
	opened := make(chan struct{})
	s.on("open", func(js.Value) { close(opened) })
	s.on("message", s.message)
	s.on("close", func(e js.Value) {
		s.shut = closeError{code: e.Get("code").Int(), reason: e.Get("reason").String()}
		close(s.closed)
		for _, f := range s.funcs { // after this event, none comes
			f.Release()
		}
	})
	select {
	case <-opened:
		return s, nil
	case <-s.closed:
		return nil, errClosed
	case <-ctx.Done():
		s.closeNow()
		return nil, ctx.Err()
	}
}

// on calls fn with each event of kind.
func (s *pageSocket) on(kind string, fn func(e js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	s.funcs = append(s.funcs, f)
	s.ws.Call("addEventListener", kind, f)
}

// message queues a message event's data (an ArrayBuffer, or a string).
func (s *pageSocket) message(e js.Value) {
	m := pageMessage{binary: true}
	if d := e.Get("data"); d.Type() == js.TypeString {
		m.b = []byte(d.String())
		m.binary = false
	} else {
		u := js.Global().Get("Uint8Array").New(d)
		m.b = make([]byte, u.Length())
		js.CopyBytesToGo(m.b, u)
	}
	s.mu.Lock()
	s.queue = append(s.queue, m)
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// read returns the queued messages in order, then errClosed once closed.
func (s *pageSocket) read(ctx context.Context) (bool, []byte, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			m := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			if int64(len(m.b)) > s.limit {
				s.closeNow()
				return false, nil, fmt.Errorf("%w: %d bytes, at most %d", errTooBig, len(m.b), s.limit)
			}
			return m.binary, m.b, nil
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-s.closed:
			s.mu.Lock()
			n := len(s.queue)
			s.mu.Unlock()
			if n == 0 {
				return false, nil, &closeError{code: s.shut.code, reason: s.shut.reason}
			}
		case <-ctx.Done():
			return false, nil, ctx.Err()
		}
	}
}

func (s *pageSocket) write(_ context.Context, b []byte) error {
	select {
	case <-s.closed:
		return errClosed
	default:
	}
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	_, err := jsCall(func() js.Value { return s.ws.Call("send", u) })
	return err
}

// close closes with code if a page may send it (1000, or 3000 to 4999:
// the browser refuses the others), else without one.
func (s *pageSocket) close(code protocol.CloseCode, reason string) {
	if code != protocol.CloseNormal && (code < 3000 || code > 4999) {
		s.closeNow()
		return
	}
	jsCall(func() js.Value { return s.ws.Call("close", int(code), reason) })
}

func (s *pageSocket) closeNow() {
	jsCall(func() js.Value { return s.ws.Call("close") })
}

// jsCall runs fn, turning a JavaScript exception into an error.
func jsCall(fn func() js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			jsErr, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("conn: %w", jsErr)
		}
	}()
	return fn(), nil
}

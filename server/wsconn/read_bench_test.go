package wsconn

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"checkgrid/protocol"
)

// BenchmarkReadClick: one click (a one-box Set in its own frame) from a
// real client socket to the server's reader and back to the client as a
// signal, over loopback: the per-click read path with its wake-ups, for
// each way the hub reads (blocking in Read, waiting in WaitReadable, or
// parked and read by the Poller, as it does for plain sockets now). Not a CPU figure: both
// ends and the wake-ups are in it, the same for both modes.
func BenchmarkReadClick(b *testing.B) {
	for _, mode := range readerModes {
		b.Run(mode.String(), func(b *testing.B) { benchReadClick(b, mode) })
	}
}

func benchReadClick(b *testing.B, mode readerMode) {
	set, err := protocol.AppendSet(nil, []protocol.Change{{Index: 12345, Value: true}})
	if err != nil {
		b.Fatal(err)
	}
	click := maskedFrame(2, set)
	got := make(chan struct{}, 1)
	opt := options(b, mode)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opt)
		if err != nil {
			b.Error(err)
			return
		}
		_ = readAll(c, mode, nil, nil, func([]byte, bool) { got <- struct{}{} })
	}))
	defer ts.Close()
	nc, _ := dial(b, ts.Listener.Addr().String(), nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := nc.Write(click); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

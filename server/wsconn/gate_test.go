package wsconn

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// header64 is a masked binary frame header claiming n bytes (64-bit form),
// without its payload.
func header64(n uint64) []byte {
	b := []byte{0x82, 0x80 | 127}
	b = binary.BigEndian.AppendUint64(b, n)
	return append(b, 1, 2, 3, 4)
}

// TestGateRefusesBadFrames: over a real socket, each header the server must
// refuse stops the stream with the right close code, at the header; frames
// before it in the same packet are still read.
func TestGateRefusesBadFrames(t *testing.T) {
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 9, Value: true}})
	unmasked := []byte{0x82, byte(len(set))}
	unmasked = append(unmasked, set...)
	for _, tc := range []struct {
		name  string
		bytes []byte
		code  protocol.CloseCode
	}{
		{"unmasked", unmasked, protocol.CloseFraming},
		{"length top bit", header64(1 << 63), protocol.CloseFraming},
		{"claims 2^62 bytes", header64(1 << 62)[:10], protocol.CloseMessageLimit}, // not even the mask key follows
		{"over the read limit", header64(protocol.MaxClientMessage + 1), protocol.CloseMessageLimit},
		{"16-bit over the limit", append([]byte{0x82, 0x80 | 126}, 0xff, 0xff, 1, 2, 3, 4), protocol.CloseMessageLimit},
		{"long ping", append([]byte{0x89, 0x80 | 126, 0, 200}, 1, 2, 3, 4), protocol.CloseFraming},
		{"fragmented ping", []byte{0x09, 0x80, 1, 2, 3, 4}, protocol.CloseFraming},
		{"reserved bit", []byte{0xc2, 0x80, 1, 2, 3, 4}, protocol.CloseFraming},
		{"reserved opcode", []byte{0x83, 0x80, 1, 2, 3, 4}, protocol.CloseFraming},
	} {
		for _, mode := range readerModes {
			for _, later := range []bool{false, true} {
				name := tc.name + "/" + mode.String()
				if later {
					name += "/later"
				}
				t.Run(name, func(t *testing.T) { testGateRefuses(t, mode, later, set, tc.bytes, tc.code) })
			}
		}
	}
}

// testGateRefuses sends a good frame and then bad in the packet of the
// upgrade, or (later) the bad bytes once the good frame was read, when a
// parked connection is read by its Poller; the reader must get the good
// message and then a FrameError with code.
func testGateRefuses(t *testing.T, mode readerMode, later bool, set, bad []byte, code protocol.CloseCode) {
	ts, msgs, errs, _ := server(t, mode)
	first := [][]byte{maskedFrame(2, set), bad}
	if later {
		first = first[:1]
	}
	nc, _ := dial(t, ts.Listener.Addr().String(), nil, first...)
	// The reader hands over the message before it reads on.
	select {
	case got := <-msgs:
		if string(got) != string(set) {
			t.Fatalf("first message %x, want %x", got, set)
		}
	case <-time.After(within):
		select {
		case err := <-errs:
			t.Fatalf("the good frame before the bad one was lost: %v", err)
		default:
			t.Fatal("the good frame never arrived")
		}
	}
	if later {
		if _, err := nc.Write(bad); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-errs:
		var fe hub.FrameError
		if !errors.As(err, &fe) || fe.Code != code {
			t.Fatalf("read: %v, want a FrameError with %d", err, code)
		}
	case m := <-msgs:
		t.Fatalf("the bad frame was read as a message: %x", m)
	case <-time.After(within):
		t.Fatal("no error within 5 s: the connection waits on a frame it should refuse")
	}
}

// gateOutcome runs data through a fresh gate in chunks of the given sizes
// (cycled; none means one piece) and returns how many bytes passed.
func gateOutcome(data []byte, chunks []int) (int, error) {
	var g gate
	passed := 0
	for c := 0; passed < len(data); c++ {
		n := len(data) - passed
		if len(chunks) > 0 {
			n = min(n, max(1, chunks[c%len(chunks)]))
		}
		k := g.scan(data[passed : passed+n])
		if g.err != nil {
			return passed + k, g.err
		}
		passed += k
	}
	return passed, nil
}

// FuzzGate: for any stream, the gate's verdict does not depend on how the
// stream is split into reads: the same error, and in one piece it passes
// exactly the bytes before the refused header; split, at most that
// header's first bytes more (those that came in earlier reads).
func FuzzGate(f *testing.F) {
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 9, Value: true}})
	f.Add(maskedFrame(2, set), []byte{1})
	f.Add(append(maskedFrame(9, []byte("ping")), maskedFrame(2, set)...), []byte{3, 1, 7})
	f.Add(header64(1<<63), []byte{2})
	f.Add(header64(1<<62), []byte{5})
	f.Add([]byte{0x82, 0x05, 1, 2, 3, 4, 5}, []byte{1})
	f.Add(append(maskedFrame(2, make([]byte, 300)), 0x89, 0xfe), []byte{100, 1})
	f.Fuzz(func(t *testing.T, data, split []byte) {
		chunks := make([]int, len(split))
		for i, s := range split {
			chunks[i] = int(s)
		}
		whole, werr := gateOutcome(data, nil)
		parts, perr := gateOutcome(data, chunks)
		if (werr == nil) != (perr == nil) || werr != nil && werr.Error() != perr.Error() {
			t.Fatalf("whole: %v; in chunks %v: %v", werr, chunks, perr)
		}
		if werr == nil && (whole != len(data) || parts != len(data)) {
			t.Fatalf("no error, but passed %d (whole) and %d (chunked) of %d bytes", whole, parts, len(data))
		}
		if werr != nil && (parts < whole || parts >= whole+maxHeader || parts > len(data)) {
			t.Fatalf("refused: passed %d whole, %d in chunks %v", whole, parts, chunks)
		}
	})
}

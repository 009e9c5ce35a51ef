//go:build js

package host

import (
	"strconv"
	"syscall/js"
)

// seenKey is the localStorage item that keeps the last seq the player saw
// on this device (this origin: one server).
const seenKey = "checkgrid.seen"

// LastSeen returns the last seq SetSeen recorded on this device, if any. A
// page without storage (blocked, private mode that throws) has none.
func (p *Page) LastSeen() (seq uint64, ok bool) {
	defer func() {
		if recover() != nil { // a js.Error: storage is refused
			seq, ok = 0, false
		}
	}()
	ls := js.Global().Get("localStorage")
	if !ls.Truthy() {
		return 0, false
	}
	v := ls.Call("getItem", seenKey)
	if v.Type() != js.TypeString {
		return 0, false
	}
	n, err := strconv.ParseUint(v.String(), 10, 64)
	return n, err == nil
}

// SetSeen records seq as the last the player saw.
func (p *Page) SetSeen(seq uint64) {
	defer func() { _ = recover() }() // storage refused: the next visit has no "while you were away"
	if ls := js.Global().Get("localStorage"); ls.Truthy() {
		ls.Call("setItem", seenKey, strconv.FormatUint(seq, 10))
	}
}

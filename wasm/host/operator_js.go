//go:build js

package host

import (
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"time"
)

// The operator console's page side (index.html: #oppanel with #opselect,
// #opwhen, #oppreview, #oprollback, #opclear, #opfill, #opfreeze,
// #opunfreeze). The token arrives once in the fragment (#admin=<token>,
// on the admin listener): it is taken out of the address bar at once, by
// index.html's first script, or here if that could not store it (so
// it is not in a shared link, the history list or a screenshot) and kept
// in the tab's sessionStorage, which survives a reload of this tab only,
// is never sent anywhere by the browser (unlike a cookie), and is gone
// when the tab closes.

// adminKey is the sessionStorage key holding the operator token.
const adminKey = "checkgrid.admin"

// adminToken takes the token out of the fragment hash (returning the
// fragment without it) or else reads the tab's sessionStorage.
func adminToken(hash string) (token, rest string) {
	rest = hash
	if q, err := url.ParseQuery(strings.TrimPrefix(hash, "#")); err == nil && q.Has("admin") {
		token = q.Get("admin")
		q.Del("admin")
		rest = ""
		if len(q) > 0 {
			rest = "#" + q.Encode()
		}
		loc := js.Global().Get("location")
		js.Global().Get("history").Call("replaceState", nil, "", loc.Get("pathname").String()+loc.Get("search").String()+rest)
		storage(func(s js.Value) { s.Call("setItem", adminKey, token) })
		return token, rest
	}
	storage(func(s js.Value) {
		if v := s.Call("getItem", adminKey); v.Type() == js.TypeString {
			token = v.String()
		}
	})
	return token, rest
}

// storage calls f with sessionStorage, if the page may use it (a
// sandboxed or storage-blocked page throws; the console then lasts until
// a reload).
func storage(f func(js.Value)) {
	defer func() { _ = recover() }()
	if s := js.Global().Get("sessionStorage"); s.Truthy() {
		f(s)
	}
}

// opUI is the operator panel's elements.
type opUI struct {
	panel, selectB, when js.Value
	last                 OperatorStatus
	height               float64 // CSS pixels the panel takes at the top right
}

// wireOperator connects the operator panel, if the page has one.
func (p *Page) wireOperator(doc js.Value, on func(js.Value, string, func(js.Value)), send func(Command)) {
	byID := func(id string) js.Value { return doc.Call("getElementById", id) }
	o := &p.op
	o.panel = byID("oppanel")
	if o.panel.IsNull() {
		return
	}
	o.selectB, o.when = byID("opselect"), byID("opwhen")
	for id, action := range map[string]string{
		"opselect": "select", "oppreview": "preview", "oprollback": "rollback",
		"opclear": "clear", "opfill": "fill", "opfreeze": "freeze", "opunfreeze": "unfreeze",
	} {
		on(byID(id), "click", func(js.Value) {
			seq, _ := strconv.ParseUint(strings.TrimSpace(o.when.Get("value").String()), 10, 64)
			send(Command{Kind: CommandOperator, Text: action, Value: int64(seq)})
		})
	}
}

// OperatorCSS is the height, in CSS pixels, the operator panel takes at
// the top right (and its gap): the console's figures go under it.
func (p *Page) OperatorCSS() float64 { return p.op.height }

// publishOperator shows the panel once the token is accepted and says
// each action's outcome in the live region.
func (p *Page) publishOperator(s OperatorStatus) {
	o := &p.op
	ob := js.Global().Get("Object").New()
	ob.Set("on", s.On)
	ob.Set("refused", s.Refused)
	ob.Set("selecting", s.Selecting)
	ob.Set("area", s.Area)
	ob.Set("preview", s.Preview)
	ob.Set("to", float64(s.To))
	ob.Set("busy", s.Busy)
	ob.Set("done", s.Done)
	ob.Set("said", s.Said)
	ob.Set("seq", float64(s.Seq))
	p.obj.Set("op", ob)
	if o.panel.Truthy() && s.On != o.last.On {
		o.panel.Set("hidden", !s.On)
		o.height = 0
		if s.On {
			o.height = o.panel.Call("getBoundingClientRect").Get("bottom").Float() + toolbarGapCSS
		}
	}
	if o.selectB.Truthy() && s.Selecting != o.last.Selecting {
		o.selectB.Call("setAttribute", "aria-pressed", strconv.FormatBool(s.Selecting))
	}
	if s.Said != "" && s.Said != o.last.Said && p.live.Truthy() {
		p.announced, p.spoken = s.Said, time.Now() // the counters wait their turn
		p.live.Set("textContent", s.Said)
	}
	o.last = s
}

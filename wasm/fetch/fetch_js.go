//go:build js

package fetch

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"
	"time"
)

// New returns the page's fetch, each request with its answer bounded by
// timeout (like http.Client.Timeout).
func New(timeout time.Duration) Doer { return page{timeout: timeout} }

// page sends requests with the browser's fetch: same-origin credentials
// (what net/http's fetch path sends), aborted when the context ends.
type page struct{ timeout time.Duration }

// Do sends r and reads its answer's body stream up to r.Max bytes, then
// cancels the rest.
func (p page) Do(ctx context.Context, r Request) (Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	ac := js.Global().Get("AbortController").New()
	stop := context.AfterFunc(ctx, func() { ac.Call("abort") })
	defer stop()

	opt := js.Global().Get("Object").New()
	opt.Set("method", r.Method)
	opt.Set("credentials", "same-origin")
	opt.Set("signal", ac.Get("signal"))
	headers := js.Global().Get("Headers").New()
	for k, v := range r.Header {
		headers.Call("append", k, v)
	}
	opt.Set("headers", headers)
	if len(r.Body) > 0 {
		buf := js.Global().Get("Uint8Array").New(len(r.Body))
		js.CopyBytesToJS(buf, r.Body)
		opt.Set("body", buf)
	}
	res, err := await(ctx, js.Global().Call("fetch", r.URL, opt))
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", r.Method, r.URL, err)
	}
	a := Answer{Status: res.Get("status").Int(), Header: map[string]string{}}
	it := res.Get("headers").Call("entries")
	for n := it.Call("next"); !n.Get("done").Bool(); n = it.Call("next") {
		kv := n.Get("value")
		a.Header[strings.ToLower(kv.Index(0).String())] = kv.Index(1).String()
	}
	stream := res.Get("body")
	if stream.IsNull() || stream.IsUndefined() {
		return a, nil
	}
	rd := stream.Call("getReader")
	for {
		chunk, err := await(ctx, rd.Call("read"))
		if err != nil {
			return Answer{}, fmt.Errorf("%s %s: body: %w", r.Method, r.URL, err)
		}
		if chunk.Get("done").Bool() {
			return a, nil
		}
		v := chunk.Get("value")
		n := v.Get("byteLength").Int()
		if int64(len(a.Body)+n) > r.Max {
			n = int(r.Max) - len(a.Body)
			a.Over = true
		}
		a.Body = append(a.Body, make([]byte, n)...)
		js.CopyBytesToGo(a.Body[len(a.Body)-n:], v.Call("subarray", 0, n))
		if a.Over {
			rd.Call("cancel")
			return a, nil
		}
	}
}

// await waits for promise pr to settle, or for ctx to end (the abort then
// settles it: the callbacks release themselves, whichever runs).
func await(ctx context.Context, pr js.Value) (js.Value, error) {
	ok, fail := make(chan js.Value, 1), make(chan error, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		then.Release()
		catch.Release()
		ok <- args[0]
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		then.Release()
		catch.Release()
		fail <- fmt.Errorf("%w: %s", ErrFetch, args[0].Call("toString").String())
		return nil
	})
	pr.Call("then", then, catch)
	select {
	case v := <-ok:
		return v, nil
	case err := <-fail:
		return js.Undefined(), err
	case <-ctx.Done():
		return js.Undefined(), fmt.Errorf("%w: %w", ErrFetch, ctx.Err())
	}
}

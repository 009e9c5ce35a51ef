package fetch

import (
	"context"
	"errors"
	"strings"
)

// ErrFetch means the request could not be sent or its answer not read
// (the page's fetch rejected, or net/http's client failed).
var ErrFetch = errors.New("fetch: request failed")

// The HTTP methods and statuses the client uses: net/http's names, which
// the page's packages cannot import without bringing its initialisers
// into the wasm (doc.go).
const (
	MethodGet    = "GET"
	MethodPost   = "POST"
	MethodDelete = "DELETE"

	StatusOK           = 200
	StatusUnauthorized = 401
	StatusNotFound     = 404
)

// Request is one HTTP request.
type Request struct {
	Method string
	URL    string
	// Header is the request's header fields, one value each.
	Header map[string]string
	Body   []byte // nil: none
	// Max bounds the answer's body read: at most Max bytes are kept, and
	// Answer.Over says there was more.
	Max int64
}

// Answer is a request's answer.
type Answer struct {
	Status int // the HTTP status code
	// Header is the answer's header fields by lower-case name, several
	// values joined by ", " (the browser's Headers.get).
	Header map[string]string
	Body   []byte
	Over   bool // the body was longer than Request.Max; Body is cut there
}

// Get is the header field named key (any case), "" if absent.
func (a Answer) Get(key string) string { return a.Header[strings.ToLower(key)] }

// Doer sends a request and reads its answer. The context bounds both.
type Doer interface {
	Do(ctx context.Context, r Request) (Answer, error)
}

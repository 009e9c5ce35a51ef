package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Encoding is a content coding the static server can send.
type Encoding uint8

// Encodings, in order of preference: brotli is about 20% smaller than gzip
// on the wasm.
const (
	Identity Encoding = iota
	Gzip
	Brotli
)

func (e Encoding) String() string {
	switch e {
	case Gzip:
		return "gzip"
	case Brotli:
		return "br"
	}
	return "identity"
}

// asset is one file in every encoding we have for it.
type asset struct {
	ctype   string
	etag    string // of the raw bytes; the encoding is appended per variant
	raw     []byte
	enc     [3][]byte // by Encoding; nil where absent
	maxAge  int
	rawSize string
}

// Static serves a read-only set of files, each with its .br and .gz
// siblings when present (written by `make wasm`), compressing small text
// files with gzip itself once at start when no sibling exists.
type Static struct{ files map[string]*asset }

// minGzip is the size below which compressing is not worth a header.
const minGzip = 512

// NewStatic reads every file of fsys once.
func NewStatic(fsys fs.FS) (*Static, error) {
	s := &Static{files: make(map[string]*asset)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
			return err
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		a := &asset{raw: raw, etag: hex.EncodeToString(sum[:12]), rawSize: strconv.Itoa(len(raw)), maxAge: 0}
		a.ctype = mime.TypeByExtension(path.Ext(name))
		if path.Ext(name) == ".wasm" {
			a.ctype = "application/wasm"
		}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		if strings.HasSuffix(name, ".svg") || strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".ico") {
			a.maxAge = 86400 // icons change rarely; stale ones are harmless
		}
		a.enc[Identity] = raw
		if b, err := fs.ReadFile(fsys, name+".br"); err == nil {
			a.enc[Brotli] = b
		}
		if b, err := fs.ReadFile(fsys, name+".gz"); err == nil {
			a.enc[Gzip] = b
		} else if len(raw) >= minGzip && compressible(a.ctype) {
			a.enc[Gzip] = gzipBytes(raw)
		}
		s.files[name] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: indexing static files: %w", err)
	}
	return s, nil
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg") || ctype == "application/wasm"
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	return buf.Bytes()
}

// Has reports whether name is served.
func (s *Static) Has(name string) bool { return s.files[name] != nil }

// Serve writes file name for r, choosing the best encoding the client
// accepts, and answering conditional requests with 304.
func (s *Static) Serve(w http.ResponseWriter, r *http.Request, name string) {
	a := s.files[name]
	if a == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	e := negotiate(r.Header.Get("Accept-Encoding"), a)
	h := w.Header()
	etag := `"` + a.etag + "-" + e.String() + `"`
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Content-Type", a.ctype)
	h.Set("X-Raw-Length", a.rawSize)
	if a.maxAge > 0 {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(a.maxAge))
	} else {
		// Names are not content-hashed, so always revalidate; the ETag
		// makes that a 304 when nothing changed.
		h.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if e != Identity {
		h.Set("Content-Encoding", e.String())
	}
	body := a.enc[e]
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// negotiate picks the smallest encoding that the client accepts and we have.
func negotiate(accept string, a *asset) Encoding {
	ok := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			continue
		}
		ok[strings.ToLower(strings.TrimSpace(name))] = true
	}
	if (ok["br"] || ok["*"]) && a.enc[Brotli] != nil {
		return Brotli
	}
	if (ok["gzip"] || ok["*"]) && a.enc[Gzip] != nil {
		return Gzip
	}
	return Identity
}

package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
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

// asset is one file in every encoding we have for it. Variants are read
// in place from the embedded files (no copy at start: the wasm and its
// siblings are ~18 MB, and copying and hashing them took 55 ms of every
// restart); the ETag is computed on first use.
type asset struct {
	ctype   string
	enc     [3]variant // by Encoding; zero where absent
	maxAge  int
	rawSize string

	etagOnce sync.Once
	etag     string // of the raw bytes; the encoding is appended per variant

	// selfBr: a small text file without a .br sibling (the page) is
	// brotli-compressed by the server itself, on first request: at the
	// quality browsers deserve (11) that costs ~30 ms, which would be part
	// of every restart if done at start. brOnce guards br, which is read
	// only through variant.
	selfBr bool
	brOnce sync.Once
	br     variant
}

// has reports whether the asset can be sent in encoding e.
func (a *asset) has(e Encoding) bool { return a.enc[e].ok() || e == Brotli && a.selfBr }

// variant returns the asset in encoding e (which it has), compressing the
// brotli variant on first use if it makes its own.
func (a *asset) variant(e Encoding) variant {
	if e != Brotli || a.enc[Brotli].ok() {
		return a.enc[e]
	}
	a.brOnce.Do(func() {
		raw := a.enc[Identity]
		b := make([]byte, raw.n)
		_, _ = raw.r.ReadAt(b, 0) // in memory: embedded or read at start
		z := brotliBytes(b)
		a.br = variant{bytes.NewReader(z), int64(len(z))}
	})
	return a.br
}

// variant is one encoding of a file, readable at any offset.
type variant struct {
	r io.ReaderAt
	n int64
}

func (v variant) ok() bool { return v.r != nil }

// tag returns the asset's ETag: CRC-32C and size of the raw bytes. CRC-32C
// runs in hardware at several GB/s, so even the wasm costs a few ms, once.
func (a *asset) tag() string {
	a.etagOnce.Do(func() {
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		_, _ = io.Copy(h, io.NewSectionReader(a.enc[Identity].r, 0, a.enc[Identity].n))
		a.etag = fmt.Sprintf("%08x-%s", h.Sum32(), a.rawSize)
	})
	return a.etag
}

// Static serves a read-only set of files, each with its .br and .gz
// siblings when present (written by `make wasm`), compressing small text
// files (the page) itself when no sibling exists: gzip once at start,
// brotli on the first request that accepts it.
type Static struct{ files map[string]*asset }

// minGzip is the size below which compressing is not worth a header.
const minGzip = 512

// NewStatic indexes every file of fsys. Files whose fs.File implements
// io.ReaderAt (embed.FS and fstest.MapFS do) are served in place.
func NewStatic(fsys fs.FS) (*Static, error) {
	s := &Static{files: make(map[string]*asset)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
			return err
		}
		raw, err := open(fsys, name)
		if err != nil {
			return err
		}
		a := &asset{rawSize: strconv.FormatInt(raw.n, 10)}
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
		if v, err := open(fsys, name+".br"); err == nil {
			a.enc[Brotli] = v
		}
		if v, err := open(fsys, name+".gz"); err == nil {
			a.enc[Gzip] = v
		} else if raw.n >= minGzip && raw.n <= maxSelfGzip && compressible(a.ctype) {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			z := gzipBytes(b)
			a.enc[Gzip] = variant{bytes.NewReader(z), int64(len(z))}
		}
		a.selfBr = !a.enc[Brotli].ok() && selfCompressible(a.ctype, raw.n)
		s.files[name] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: indexing static files: %w", err)
	}
	return s, nil
}

// maxSelfGzip bounds what NewStatic compresses itself; anything larger
// must come with .gz and .br siblings (make wasm writes them).
const maxSelfGzip = 256 << 10

// selfCompressible reports whether the server compresses a file of this
// type and size itself.
func selfCompressible(ctype string, n int64) bool {
	return n >= minGzip && n <= maxSelfGzip && compressible(ctype)
}

// open returns name as a variant, in place when the FS allows it.
func open(fsys fs.FS, name string) (variant, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return variant{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return variant{}, err
	}
	if ra, ok := f.(io.ReaderAt); ok {
		return variant{ra, st.Size()}, nil // kept open for the server's life
	}
	f.Close()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return variant{}, err
	}
	return variant{bytes.NewReader(b), int64(len(b))}, nil
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg") || ctype == "application/wasm"
}

func brotliBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	_, _ = zw.Write(b) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	return buf.Bytes()
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
	etag := `"` + a.tag() + "-" + e.String() + `"`
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
	body := a.variant(e)
	h.Set("Content-Length", strconv.FormatInt(body.n, 10))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, io.NewSectionReader(body.r, 0, body.n))
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
	if (ok["br"] || ok["*"]) && a.has(Brotli) {
		return Brotli
	}
	if (ok["gzip"] || ok["*"]) && a.has(Gzip) {
		return Gzip
	}
	return Identity
}

// Bytes returns the raw content of name, or nil if it is not served.
func (s *Static) Bytes(name string) []byte {
	a := s.files[name]
	if a == nil {
		return nil
	}
	b := make([]byte, a.enc[Identity].n)
	_, _ = a.enc[Identity].r.ReadAt(b, 0) // in memory: embedded or read at start
	return b
}

// Stamp replaces every placeholder in file name with value, at start
// (before serving), and re-derives its gzip variant; files with
// precompressed siblings cannot be stamped. It is how the page shows the
// server's version without a request of its own.
func (s *Static) Stamp(name, placeholder, value string) error {
	a := s.files[name]
	if a == nil {
		return fmt.Errorf("web: stamping %s: not served", name)
	}
	if a.enc[Brotli].ok() {
		return fmt.Errorf("web: stamping %s: it has a precompressed sibling", name)
	}
	b := bytes.ReplaceAll(s.Bytes(name), []byte(placeholder), []byte(value))
	stamped := &asset{ctype: a.ctype, maxAge: a.maxAge, rawSize: strconv.Itoa(len(b))}
	stamped.enc[Identity] = variant{bytes.NewReader(b), int64(len(b))}
	if len(b) >= minGzip && compressible(a.ctype) {
		z := gzipBytes(b)
		stamped.enc[Gzip] = variant{bytes.NewReader(z), int64(len(z))}
	}
	stamped.selfBr = selfCompressible(a.ctype, int64(len(b)))
	s.files[name] = stamped
	return nil
}

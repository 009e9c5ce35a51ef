package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

// brotliQuality 9 with a 16 MB window gets within about 2% of quality 11 on
// the wasm at a tenth of the time, which keeps `make wasm` quick.
const (
	brotliQuality = 9
	brotliWindow  = 24
)

func main() {
	for _, name := range os.Args[1:] {
		if err := compress(name); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

func compress(name string) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := write(name+".gz", src, func(w io.Writer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(w, gzip.BestCompression)
	}); err != nil {
		return err
	}
	return write(name+".br", src, func(w io.Writer) (io.WriteCloser, error) {
		return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: brotliQuality, LGWin: brotliWindow}), nil
	})
}

// write compresses src into a temporary file and renames it over name, so a
// server never embeds a half-written file.
func write(name string, src []byte, open func(io.Writer) (io.WriteCloser, error)) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".precompress-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	zw, err := open(f)
	if err == nil {
		_, err = zw.Write(src)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.Rename(f.Name(), name)
}

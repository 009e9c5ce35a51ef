package identity

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeySize is the length of the signing key file, in bytes.
const KeySize = 32

// ErrBadKey means the key file exists but is not a key this server wrote.
var ErrBadKey = errors.New("identity: bad key file")

// LoadKey reads the signing key from path, creating it on first start.
// A file of the wrong length is refused, not replaced: replacing it would
// silently sign every player out (their cookies stop verifying), so the
// operator must decide (restore it, or delete it to start afresh). A new
// key is written atomically: a temporary file in the same directory,
// fsynced, renamed into place, and the directory fsynced, so a crash
// leaves either no key or the whole key.
func LoadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil && len(key) == KeySize:
		return key, nil
	case err == nil:
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d: restore the original, or delete it to issue a new key (every player gets a new identity)",
			ErrBadKey, path, len(key), KeySize)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("identity: reading key: %w", err)
	}
	key = make([]byte, KeySize)
	_, _ = rand.Read(key) // never fails (crypto/rand contract since Go 1.24)
	if err := writeAtomic(path, key); err != nil {
		return nil, fmt.Errorf("identity: writing new key: %w", err)
	}
	return key, nil
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

package identity

import (
	"checkgrid/server/atomicfile"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
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
	if err := atomicfile.Write(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("identity: writing new key: %w", err)
	}
	return key, nil
}

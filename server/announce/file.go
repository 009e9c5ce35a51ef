package announce

import (
	"encoding/json"
	"fmt"

	"checkgrid/server/atomicfile"
)

// Decode parses a stored record (the file's, or a KV value) and checks
// it (ErrFile).
func Decode(b []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrFile, err)
	}
	if err := r.check(); err != nil {
		return Record{}, err
	}
	return r, nil
}

// Encode is a record as stored.
func Encode(r Record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	return b, nil
}

// writeFile replaces the file at path with r, atomically and durably.
func writeFile(path string, r Record) error {
	b, err := Encode(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("announce: writing %s: %w", path, err)
	}
	return nil
}

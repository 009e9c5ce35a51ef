//go:build !js

package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// While you were away on the desktop (issue 21): the last seq the player
// saw is kept in a small file per server in the user's config directory
// ($XDG_CONFIG_HOME/checkgrid/seen/<server>, ~/.config on Linux,
// %AppData% on Windows, ~/Library/Application Support on macOS), as the
// browser keeps it in the origin's localStorage: one decimal number. It is
// written to a temporary file and renamed over the old one, so a crash
// mid-write leaves the old value, never half a number.

// ErrSeen means the desktop has nowhere to keep the seq seen (no config
// directory): "while you were away" is off for the run.
var ErrSeen = errors.New("host: no place to keep the seq seen")

// seenDir is the directory under the user's config directory.
const seenDir = "checkgrid/seen"

// maxSeenBytes bounds what is read of a seen file: 20 digits and a newline.
const maxSeenBytes = 32

// seenPath names the file that keeps the seq seen on server (a WebSocket
// URL) under configDir: the URL with every byte other than a letter, a
// digit, '.' or '-' replaced by '_', so it is one file name on every
// system (ws://127.0.0.1:8080/ws → ws___127.0.0.1_8080_ws).
func seenPath(configDir, server string) (string, error) {
	if configDir == "" || server == "" {
		return "", ErrSeen
	}
	name := []byte(server)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			name[i] = '_'
		}
	}
	return filepath.Join(configDir, filepath.FromSlash(seenDir), string(name)), nil
}

// readSeen returns the seq kept at path; none if the file is missing or
// does not hold one decimal number.
func readSeen(path string) (uint64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	b := make([]byte, maxSeenBytes)
	n, _ := f.Read(b)
	seq, err := strconv.ParseUint(strings.TrimSpace(string(b[:n])), 10, 64)
	return seq, err == nil
}

// writeSeen keeps seq at path: a temporary file beside it, renamed over it.
func writeSeen(path string, seq uint64) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrSeen, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSeen, err)
	}
	_, err = f.WriteString(strconv.FormatUint(seq, 10) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("%w: %w", ErrSeen, err)
	}
	return nil
}

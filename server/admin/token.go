package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"checkgrid/server/atomicfile"
)

// TokenFile is the operator token's file in the data directory, made at
// first start (0600) unless a token is given by flag.
const TokenFile = "admin.token"

// tokenBytes is the random part of a made token: 256 bits, far past
// guessing at the admin rate limit.
const tokenBytes = 32

// minTokenLen bounds a token given by flag: shorter is guessable.
const minTokenLen = 16

// Token errors.
var (
	ErrTokenFile  = errors.New("admin: bad token file")
	ErrTokenShort = fmt.Errorf("admin: a token must be at least %d characters", minTokenLen)
)

// Token is the operator's secret: whoever sends it in the Authorization
// header of a request on the admin listener may act as the operator.
type Token struct{ secret string }

// NewToken returns given as the token, checking its length.
func NewToken(given string) (Token, error) {
	if len(given) < minTokenLen || strings.ContainsAny(given, " \t\r\n") {
		return Token{}, ErrTokenShort
	}
	return Token{given}, nil
}

// LoadToken reads the token from path, making one (hex of 32 random
// bytes, written atomically, mode 0600) on first start.
func LoadToken(path string) (Token, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		t, err := NewToken(strings.TrimSpace(string(b)))
		if err != nil {
			return Token{}, fmt.Errorf("%w: %s: %w", ErrTokenFile, path, err)
		}
		return t, nil
	case !errors.Is(err, os.ErrNotExist):
		return Token{}, fmt.Errorf("admin: reading token: %w", err)
	}
	raw := make([]byte, tokenBytes)
	_, _ = rand.Read(raw) // never fails (crypto/rand contract since Go 1.24)
	secret := hex.EncodeToString(raw)
	if err := atomicfile.Write(path, []byte(secret+"\n"), 0o600); err != nil {
		return Token{}, fmt.Errorf("admin: writing new token: %w", err)
	}
	return Token{secret}, nil
}

// Matches reports, in constant time, whether s is the token.
func (t Token) Matches(s string) bool {
	return t.secret != "" && subtle.ConstantTimeCompare([]byte(s), []byte(t.secret)) == 1
}

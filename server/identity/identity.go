package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// ErrBadIdentity means a player cookie is missing, malformed or not signed by
// this server's key.
var ErrBadIdentity = errors.New("identity: invalid player identity")

// Cookie is the cookie that carries the signed player ID.
const Cookie = "cg_player"

// Identity issues and verifies player IDs of the form "<id>.<mac>", where
// mac = HMAC-SHA256(key, id) truncated to 16 bytes: enough that forging one
// is hopeless, short enough for a cookie. Safe for concurrent use.
type Identity struct{ key []byte }

// New returns an Identity signing with key (at least 32 bytes,
// kept secret and stable across restarts so players keep their IDs).
func New(key []byte) *Identity { return &Identity{key: append([]byte(nil), key...)} }

// Issue returns a new random player token.
func (i *Identity) Issue() string {
	var id [12]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails on Linux
	s := base64.RawURLEncoding.EncodeToString(id[:])
	return s + "." + i.mac(s)
}

// Verify returns the player ID inside token, or ErrBadIdentity.
func (i *Identity) Verify(token string) (string, error) {
	id, mac, ok := strings.Cut(token, ".")
	if !ok || len(id) != 16 || !hmac.Equal([]byte(mac), []byte(i.mac(id))) {
		return "", ErrBadIdentity
	}
	return id, nil
}

func (i *Identity) mac(id string) string {
	h := hmac.New(sha256.New, i.key)
	h.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

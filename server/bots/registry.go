package bots

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"checkgrid/server/atomicfile"
)

// File is the tokens' file in the data directory.
const File = "bots.json"

const fileVersion = 1

// Quota bounds, in boxes: a bot may be given more than a player (20/s,
// bursts of 300) but not a grid's worth in a burst, nor more a second than
// the tick loop is sized for.
const (
	MaxRate  = 10_000
	MaxBurst = 100_000
	// DefaultRate and DefaultBurst are a player's budget.
	DefaultRate  = 20
	DefaultBurst = 300
	// maxName bounds a token's name.
	maxName = 64
)

// tokenPrefix starts every token, so a leaked one is recognisable (and
// secret scanners can be taught it).
const tokenPrefix = "cgbot_"

// Errors. Authenticate's say what is wrong with a token in words a
// program's author can act on.
var (
	ErrFile      = errors.New("bots: bad tokens file")
	ErrBad       = errors.New("bots: bad token request")
	ErrUnknown   = errors.New("bots: no such token")
	ErrMalformed = errors.New("bots: malformed token: want cgbot_<id>_<64 hex digits> as issued by the operator")
	ErrRejected  = errors.New("bots: unknown bot token: not issued by this server, or mistyped")
	ErrRevoked   = errors.New("bots: bot token revoked by the operator")
)

// Token is one issued token, as listed (never its secret).
type Token struct {
	ID        uint64     `json:"id"`
	Name      string     `json:"name"`
	Rate      int        `json:"rate"`  // boxes a second, sustained
	Burst     int        `json:"burst"` // boxes
	SHA256    string     `json:"sha256,omitempty"`
	At        time.Time  `json:"at"`
	By        string     `json:"by,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// List is the file's content (and, in cluster mode, the shared KV value).
type List struct {
	Version int     `json:"version"`
	NextID  uint64  `json:"next_id"`
	Tokens  []Token `json:"tokens"`
}

// Registry is the issued tokens and their live lanes.
type Registry struct {
	path  string
	store Store // shared tokens (cluster mode); nil: the file at path
	mu    sync.Mutex
	list  List
	lanes map[uint64]*Lane // one per valid token, made at first use
}

// Open loads the tokens from dir's File, or starts with none.
func Open(dir string) (*Registry, error) {
	r := &Registry{path: filepath.Join(dir, File), list: List{Version: fileVersion, NextID: 1}, lanes: map[uint64]*Lane{}}
	b, err := os.ReadFile(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("bots: reading %s: %w", r.path, err)
	}
	if err := json.Unmarshal(b, &r.list); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFile, r.path, err)
	}
	if err := check(r.list); err != nil {
		return nil, fmt.Errorf("%s: %w", r.path, err)
	}
	return r, nil
}

// check validates a list read from the file or the store.
func check(l List) error {
	if l.Version != fileVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrFile, l.Version, fileVersion)
	}
	for _, t := range l.Tokens {
		if t.ID == 0 || t.ID >= l.NextID || len(t.SHA256) != 64 || t.Rate < 1 || t.Burst < 1 {
			return fmt.Errorf("%w: token %d is invalid", ErrFile, t.ID)
		}
	}
	return nil
}

// Issue makes a token named name with quota rate boxes a second and burst
// boxes (0: the defaults), and returns it with its secret, which is not
// kept and cannot be shown again.
func (r *Registry) Issue(name string, rate, burst int, by string, now time.Time) (Token, string, error) {
	rate, burst = cmpOr(rate, DefaultRate), cmpOr(burst, DefaultBurst)
	switch {
	case name == "" || len(name) > maxName || strings.ContainsFunc(name, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		return Token{}, "", fmt.Errorf("%w: name: 1 to %d printable bytes", ErrBad, maxName)
	case rate < 1 || rate > MaxRate:
		return Token{}, "", fmt.Errorf("%w: rate %d boxes a second, want 1 to %d", ErrBad, rate, MaxRate)
	case burst < 1 || burst > MaxBurst:
		return Token{}, "", fmt.Errorf("%w: burst %d boxes, want 1 to %d", ErrBad, burst, MaxBurst)
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return Token{}, "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var t Token
	var tok string
	err := r.change(func(l *List) error {
		id := l.NextID
		tok = tokenPrefix + strconv.FormatUint(id, 10) + "_" + hex.EncodeToString(secret[:])
		t = Token{ID: id, Name: name, Rate: rate, Burst: burst, SHA256: digest(tok), At: now.UTC(), By: by}
		l.NextID++
		l.Tokens = append(l.Tokens, t)
		return nil
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, tok, nil
}

// List returns every token issued, revoked ones included, without their
// digests.
func (r *Registry) List() []Token {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.list.Tokens)
	for i := range out {
		out[i].SHA256 = ""
	}
	return out
}

// Revoke revokes token id and cuts off every connection using it; it
// returns the token and how many connections were cut.
func (r *Registry) Revoke(id uint64, now time.Time) (Token, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t Token
	err := r.change(func(l *List) error {
		i := slices.IndexFunc(l.Tokens, func(t Token) bool { return t.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: %d", ErrUnknown, id)
		}
		t = l.Tokens[i]
		if t.RevokedAt == nil {
			at := now.UTC()
			t.RevokedAt = &at
			l.Tokens[i] = t
		}
		return nil
	})
	if err != nil {
		return Token{}, 0, err
	}
	cut := 0
	if l := r.lanes[id]; l != nil {
		cut = l.revoke()
		delete(r.lanes, id)
	}
	t.SHA256 = ""
	return t, cut, nil
}

// Authenticate returns the lane of the token tok (ErrMalformed,
// ErrRejected or ErrRevoked if it gives none).
func (r *Registry) Authenticate(tok string) (*Lane, error) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	idS, secret, ok2 := strings.Cut(rest, "_")
	id, err := strconv.ParseUint(idS, 10, 64)
	if !ok || !ok2 || err != nil || len(secret) != 64 || strings.Trim(secret, "0123456789abcdef") != "" {
		return nil, ErrMalformed
	}
	sum := digest(tok)
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.list.Tokens, func(t Token) bool { return t.ID == id })
	if i < 0 || subtle.ConstantTimeCompare([]byte(r.list.Tokens[i].SHA256), []byte(sum)) != 1 {
		return nil, ErrRejected
	}
	t := r.list.Tokens[i]
	if t.RevokedAt != nil {
		return nil, fmt.Errorf("%w at %s", ErrRevoked, t.RevokedAt.Format(time.RFC3339))
	}
	l := r.lanes[id]
	if l == nil {
		l = newLane(t)
		r.lanes[id] = l
	}
	return l, nil
}

// change makes the list edit makes of the newest one (the store's, or
// this registry's, written to the file) the registry's, under r.mu. edit
// gets a copy it may change.
func (r *Registry) change(edit func(l *List) error) error {
	copied := func(l *List) error {
		if l.Version == 0 {
			*l = List{Version: fileVersion, NextID: 1}
		}
		l.Tokens = slices.Clone(l.Tokens)
		return edit(l)
	}
	if r.store != nil {
		l, err := r.store.Update(copied)
		if err != nil {
			return err
		}
		r.list = l
		return nil
	}
	next := r.list
	if err := copied(&next); err != nil {
		return err
	}
	if err := r.save(next); err != nil {
		return err
	}
	r.list = next
	return nil
}

// save writes l to the file before it takes effect.
func (r *Registry) save(l List) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(r.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("bots: writing %s: %w", r.path, err)
	}
	return nil
}

func digest(tok string) string {
	s := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(s[:])
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

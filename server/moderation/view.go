package moderation

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"checkgrid/protocol"
)

// view is an immutable form of a List that Screen reads without a lock.
type view struct {
	empty   bool
	whole   bool
	frozen  *protocol.Bitset // nil: no frozen area
	players map[string]time.Time
	// prefixes holds the banned prefixes by length, only the lengths in use
	// (a Set costs one lookup per length, not per ban).
	prefixes []prefixBans
}

type prefixBans struct {
	bits int
	v6   bool
	bans map[netip.Prefix]time.Time // the latest expiry of the bans on it; zero: none
}

// build makes the view of l; bans expired at now are left out.
func build(l List, now time.Time) (*view, error) {
	v := &view{players: map[string]time.Time{}}
	for _, f := range l.Freezes {
		if f.Area == "" {
			v.whole = true
			continue
		}
		a, err := ParseArea(f.Area)
		if err != nil {
			return nil, fmt.Errorf("freeze %d: %w", f.ID, err)
		}
		if v.frozen == nil {
			v.frozen = new(protocol.Bitset)
		}
		for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
			for x := uint32(a.X); x < uint32(a.X)+uint32(a.W); x++ {
				v.frozen.Put(y*protocol.GridWidth+x, true)
			}
		}
	}
	for _, b := range l.Bans {
		if expired(b, now) {
			continue
		}
		until := time.Time{}
		if b.Until != nil {
			until = *b.Until
		}
		if b.Player != "" {
			v.players[b.Player] = later(v.players, b.Player, until)
			continue
		}
		p, err := ParsePrefix(b.Prefix)
		if err != nil {
			return nil, fmt.Errorf("ban %d: %w", b.ID, err)
		}
		i := slices.IndexFunc(v.prefixes, func(s prefixBans) bool { return s.bits == p.Bits() && s.v6 == p.Addr().Is6() })
		if i < 0 {
			v.prefixes = append(v.prefixes, prefixBans{bits: p.Bits(), v6: p.Addr().Is6(), bans: map[netip.Prefix]time.Time{}})
			i = len(v.prefixes) - 1
		}
		v.prefixes[i].bans[p] = later(v.prefixes[i].bans, p, until)
	}
	v.empty = !v.whole && v.frozen == nil && len(v.players) == 0 && len(v.prefixes) == 0
	return v, nil
}

// later is the later of m[k]'s expiry and until, zero (none) winning.
func later[K comparable](m map[K]time.Time, k K, until time.Time) time.Time {
	old, ok := m[k]
	if !ok {
		return until
	}
	if old.IsZero() || until.IsZero() {
		return time.Time{}
	}
	if until.After(old) {
		return until
	}
	return old
}

// banned reports whether player or addr (an address key: IPv4 /32, IPv6
// /64) is banned at now, and until when (zero: no expiry).
func (v *view) banned(player string, addr netip.Prefix, now time.Time) (time.Time, bool) {
	if until, ok := v.players[player]; ok && (until.IsZero() || now.Before(until)) {
		return until, true
	}
	ip := addr.Addr()
	for _, s := range v.prefixes {
		if s.v6 != ip.Is6() || s.bits > addr.Bits() {
			continue
		}
		p, err := ip.Prefix(s.bits)
		if err != nil {
			continue
		}
		if until, ok := s.bans[p]; ok && (until.IsZero() || now.Before(until)) {
			return until, true
		}
	}
	return time.Time{}, false
}

// Address ban bounds: an IPv4 /16 is a large provider's pool, an IPv6 /32
// a whole provider; anything wider would ban a country.
const (
	minV4Bits = 16
	minV6Bits = 32
	maxV6Bits = 64 // the hub keys IPv6 by /64: narrower cannot be told apart
)

// ParsePrefix reads an address ban's prefix: an IPv4 /16–/32 or IPv6
// /32–/64, or a bare address (IPv4 /32, IPv6 /64). The result is masked.
func ParsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, fmt.Errorf("%w: prefix %q: %w", ErrRule, s, err)
		}
	} else {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return p, fmt.Errorf("%w: address %q: %w", ErrRule, s, err)
		}
		bits := 32
		if ip.Is6() && !ip.Is4In6() {
			bits = maxV6Bits
		}
		p = netip.PrefixFrom(ip, bits)
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%w: prefix %q has a zone", ErrRule, s)
	}
	switch {
	case p.Addr().Is4() && (p.Bits() < minV4Bits || p.Bits() > 32):
		return netip.Prefix{}, fmt.Errorf("%w: prefix %q: IPv4 bans are /%d to /32", ErrRule, s, minV4Bits)
	case p.Addr().Is6() && (p.Bits() < minV6Bits || p.Bits() > maxV6Bits):
		return netip.Prefix{}, fmt.Errorf("%w: prefix %q: IPv6 bans are /%d to /%d", ErrRule, s, minV6Bits, maxV6Bits)
	}
	return p.Masked(), nil
}

// checkBan validates b and puts its prefix in canonical form.
func checkBan(b *Ban, now time.Time) error {
	if (b.Player == "") == (b.Prefix == "") {
		return fmt.Errorf("%w: a ban names exactly one of player and prefix", ErrRule)
	}
	if len(b.Player) > maxPlayer || len(b.Reason) > maxReason {
		return fmt.Errorf("%w: player id or reason too long (%d, %d bytes)", ErrRule, maxPlayer, maxReason)
	}
	if b.Prefix != "" {
		p, err := ParsePrefix(b.Prefix)
		if err != nil {
			return err
		}
		b.Prefix = p.String()
	}
	if b.Until != nil && !b.Until.After(now) {
		return fmt.Errorf("%w: the ban would have expired already (%s)", ErrRule, b.Until.Format(time.RFC3339))
	}
	return nil
}

// Bounds on free text in a rule: a player id is 32 characters today, a
// reason a sentence.
const (
	maxPlayer = 128
	maxReason = 500
)

// ParseArea reads "x,y,w,h" (decimal columns and rows: the rectangle of
// columns x … x+w-1 of rows y … y+h-1), which must lie inside the grid:
// the form of an area in the rules file and in the admin API.
func ParseArea(s string) (protocol.Area, error) {
	parts := strings.Split(s, ",")
	var f [4]uint16
	if len(parts) != len(f) {
		return protocol.Area{}, fmt.Errorf("%w: area %q, want x,y,w,h", ErrRule, s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return protocol.Area{}, fmt.Errorf("%w: area %q, want x,y,w,h", ErrRule, s)
		}
		f[i] = uint16(n)
	}
	a := protocol.Area{X: f[0], Y: f[1], W: f[2], H: f[3]}
	if err := a.Valid(); err != nil {
		return protocol.Area{}, fmt.Errorf("%w: %w", ErrRule, err)
	}
	return a, nil
}

// FormatArea is ParseArea's inverse.
func FormatArea(a protocol.Area) string { return fmt.Sprintf("%d,%d,%d,%d", a.X, a.Y, a.W, a.H) }

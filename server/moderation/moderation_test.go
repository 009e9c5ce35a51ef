package moderation

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"checkgrid/protocol"
)

func key(s string) netip.Prefix {
	ip := netip.MustParseAddr(s)
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	return netip.PrefixFrom(ip, 64).Masked()
}

// TestPrefixBansMatchTheAddressKey: an address ban holds for every address
// key inside its prefix, and only there, in both families; expiry ends it.
func TestPrefixBansMatchTheAddressKey(t *testing.T) {
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	soon := now.Add(time.Minute)
	for _, b := range []Ban{{Prefix: "192.0.2.0/24"}, {Prefix: "198.51.0.0/16", Until: &soon}, {Prefix: "2001:db8:aa::/48"}, {Prefix: "203.0.113.7"}, {Player: "p1"}} {
		if _, err := r.Ban(b, now); err != nil {
			t.Fatal(err)
		}
	}
	v := r.view.Load()
	for addr, want := range map[string]bool{
		"192.0.2.1": true, "192.0.2.255": true, "192.0.3.1": false, "198.51.200.9": true, "198.52.0.1": false,
		"203.0.113.7": true, "203.0.113.8": false, "2001:db8:aa:1::5": true, "2001:db8:ab::1": false, "::ffff:192.0.2.1": false,
	} {
		if _, got := v.banned("p2", key(addr), now); got != want {
			t.Errorf("%s banned %v, want %v", addr, got, want)
		}
	}
	if _, got := v.banned("p2", key("198.51.200.9"), soon); got {
		t.Error("an expired ban still holds")
	}
	if until, got := v.banned("p1", key("10.0.0.1"), now); !got || !until.IsZero() {
		t.Error("player ban")
	}
}

// TestRulesPersist: rules survive Open, expired bans are dropped at the
// next change, ids are not reused, a broken file fails Open.
func TestRulesPersist(t *testing.T) {
	dir := t.TempDir()
	r, _ := Open(dir)
	now := time.Now()
	f, _ := r.Freeze(protocol.Area{X: 1, Y: 1, W: 2, H: 2}, false, "x", "op", now)
	short := now.Add(time.Second)
	if _, err := r.Ban(Ban{Player: "p", Until: &short}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Unfreeze(f.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Freeze(protocol.Area{}, true, "", "op", now.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := r2.List(now)
	if len(l.Freezes) != 1 || l.Freezes[0].ID != 3 || l.Freezes[0].Area != "" || len(l.Bans) != 0 || l.NextID != 4 {
		t.Fatalf("reopened: %+v", l)
	}
	if n, refused, reason, _ := r2.Screen("q", key("10.0.0.1"), []protocol.Change{{Index: 5, Value: true}}, now); n != 0 || len(refused) != 1 || reason != protocol.RejectFrozen {
		t.Fatal("whole freeze not in force after Open")
	}
	if err := os.WriteFile(filepath.Join(dir, File), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrFile) {
		t.Fatalf("broken file: %v", err)
	}
}

// TestScreenKeepsOrder: allowed changes stay in order at the front, refused
// ones come back in order.
func TestScreenKeepsOrder(t *testing.T) {
	r, _ := Open(t.TempDir())
	now := time.Now()
	if _, err := r.Freeze(protocol.Area{X: 0, Y: 0, W: 10, H: 1}, false, "", "", now); err != nil {
		t.Fatal(err)
	}
	ch := []protocol.Change{{Index: 1}, {Index: 11}, {Index: 5}, {Index: 12}, {Index: 9}}
	n, refused, reason, retry := r.Screen("p", key("10.0.0.1"), ch, now)
	if n != 2 || ch[0].Index != 11 || ch[1].Index != 12 || len(refused) != 3 || refused[0].Index != 1 || refused[2].Index != 9 || reason != protocol.RejectFrozen || retry != 0 {
		t.Fatalf("n %d, kept %v, refused %v %v %v", n, ch[:n], refused, reason, retry)
	}
}

// FuzzParsePrefix: any string is a masked prefix within the ban bounds,
// or ErrRule; never a panic.
func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.0.0/16", "1.2.3.4/8", "::1", "2001:db8::/32", "2001:db8::/65", "::ffff:1.2.3.4/120", "fe80::1%eth0", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if err != nil {
			if !errors.Is(err, ErrRule) {
				t.Fatalf("%q: %v is not ErrRule", s, err)
			}
			return
		}
		if p != p.Masked() || p.Addr().Is4In6() || (p.Addr().Is4() && p.Bits() < minV4Bits) || (p.Addr().Is6() && (p.Bits() < minV6Bits || p.Bits() > maxV6Bits)) {
			t.Fatalf("%q parsed to %v", s, p)
		}
	})
}

// BenchmarkScreen is the moderation cost on the Set path: a Set of one
// box (a click) and of 256 (a stroke) with no rules, and with 10,000 bans
// (players, IPv4 /24 and /32, IPv6 /48 and /64) and 100 frozen areas the
// Set misses.
func BenchmarkScreen(b *testing.B) {
	for _, rules := range []string{"none", "10000bans+100freezes"} {
		r, _ := Open(b.TempDir())
		if rules != "none" {
			now := time.Now()
			var l List
			l.Version, l.NextID = fileVersion, 1
			for i := range 10000 {
				ban := Ban{ID: uint64(i + 1)}
				switch i % 5 {
				case 0:
					ban.Player = fmt.Sprintf("player%d", i)
				case 1:
					ban.Prefix = fmt.Sprintf("10.%d.%d.0/24", i>>8&255, i&255)
				case 2:
					ban.Prefix = fmt.Sprintf("11.%d.%d.%d/32", i>>16&255, i>>8&255, i&255)
				case 3:
					ban.Prefix = fmt.Sprintf("2001:db8:%x::/48", i)
				case 4:
					ban.Prefix = fmt.Sprintf("2001:db9:%x:%x::/64", i>>8, i&255)
				}
				l.Bans = append(l.Bans, ban)
			}
			for i := range 100 {
				l.Freezes = append(l.Freezes, Freeze{ID: uint64(20000 + i), Area: fmt.Sprintf("%d,%d,20,20", (i%10)*100, (i/10)*100)})
			}
			v, err := build(l, now)
			if err != nil {
				b.Fatal(err)
			}
			r.view.Store(v)
		}
		for _, k := range []int{1, 256} {
			b.Run(fmt.Sprintf("%s/boxes=%d", rules, k), func(b *testing.B) {
				ch := make([]protocol.Change, k)
				addr := key("192.0.2.77")
				now := time.Now()
				b.ReportAllocs()
				for b.Loop() {
					for j := range ch {
						ch[j] = protocol.Change{Index: uint32(50_050 + j), Value: true} // between the frozen areas
					}
					if n, _, _, _ := r.Screen("player7", addr, ch, now); n != k {
						b.Fatal("refused")
					}
				}
			})
		}
	}
}

package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDiskFull fills a real 256 KiB tmpfs under a running store: Append
// fails with a wrapped ENOSPC and leaves the log byte-for-byte as it was, a
// checkpoint fails without leaving debris, and once space is freed the same
// seq is appended and everything recovers. Where mounting is not permitted
// the same scenario runs on the fault-injecting segment file instead.
func TestDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		if !errors.Is(err, unix.EPERM) {
			t.Fatalf("mount tmpfs: %v", err)
		}
		t.Logf("mount not permitted (%v): injecting ENOSPC in the segment file layer instead", err)
		faultyDiskFull(t, mnt, false)
		return
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	filler := filepath.Join(mnt, "filler")
	fill := func() {
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 4096)
		for n := len(buf); n > 0; n /= 2 {
			for {
				if _, err := f.Write(buf[:n]); err != nil {
					if !errors.Is(err, unix.ENOSPC) {
						t.Fatalf("fill: %v", err)
					}
					break
				}
			}
		}
	}
	free := func() {
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}
	diskFull(t, filepath.Join(mnt, "data"), openHooks{}, fill, free, true)
}

// TestWriteAndFsyncFaults runs the disk-full scenario with failures
// injected in the segment file: a partial write, and (what tmpfs cannot
// produce) an fsync error after a successful write.
func TestWriteAndFsyncFaults(t *testing.T) {
	faultyDiskFull(t, t.TempDir(), false)
	faultyDiskFull(t, t.TempDir(), true)
}

func faultyDiskFull(t *testing.T, dir string, syncOnly bool) {
	var ff *faultFile
	hooks := openHooks{wrapSegment: func(f segmentFile) segmentFile { ff = &faultFile{segmentFile: f}; return ff }}
	fail := func(on bool) {
		if syncOnly {
			ff.failSync = on
		} else {
			ff.full, ff.failSync = on, on
		}
	}
	diskFull(t, filepath.Join(dir, "data"), hooks, func() { fail(true) }, func() { fail(false) }, false)
}

func diskFull(t *testing.T, dir string, hooks openHooks, fill, free func(), realFS bool) {
	rng := rand.New(rand.NewPCG(20, 20))
	s, st, err := open(dir, Options{}, hooks)
	if err != nil {
		t.Fatal(err)
	}
	m := &model{st: *st}
	m.appendN(t, s, rng, 20, 50)
	seg := filepath.Join(dir, segmentName(1))
	before := readFile(t, seg)

	fill()
	// 5,000 flips make a record of several KB, more than the slack in the
	// segment's last page, so the write really needs new blocks.
	prev := m.st
	seq, tg, frame := m.nextDelta(t, rng, 5000)
	for try := range 3 {
		err := s.Append(seq, tg, frame)
		if !errors.Is(err, unix.ENOSPC) {
			t.Fatalf("append %d on a full disk (try %d): %v, want a wrapped ENOSPC", seq, try, err)
		}
		if after := readFile(t, seg); string(after) != string(before) {
			t.Fatalf("failed append changed the log: %d bytes, was %d", len(after), len(before))
		}
	}
	if realFS {
		if err := s.Checkpoint(&prev); !errors.Is(err, unix.ENOSPC) {
			t.Fatalf("checkpoint on a full disk: %v, want a wrapped ENOSPC", err)
		}
		if _, err := os.Stat(filepath.Join(dir, checkpointName(seq-1)+tmpSuffix)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("failed checkpoint left its temp file: %v", err)
		}
	}

	free()
	if err := s.Append(seq, tg, frame); err != nil {
		t.Fatalf("append %d after freeing space: %v", seq, err)
	}
	if err := s.Checkpoint(&m.st); err != nil {
		t.Fatal(err)
	}
	m.appendN(t, s, rng, 5, 50)
	closeT(t, s)
	s, got := openT(t, dir, Options{})
	sameState(t, got, &m.st)
	closeT(t, s) // before the unmount
}

// faultFile fails every write with ENOSPC while full, after writing part
// of the bytes, as a real full disk can; and every fsync while failSync.
type faultFile struct {
	segmentFile
	full, failSync bool
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	if f.full {
		n, _ := f.segmentFile.WriteAt(b[:len(b)/2], off)
		return n, &os.PathError{Op: "write", Path: "segment", Err: unix.ENOSPC}
	}
	return f.segmentFile.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	if f.failSync {
		return &os.PathError{Op: "fsync", Path: "segment", Err: unix.ENOSPC}
	}
	return f.segmentFile.Sync()
}

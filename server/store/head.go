package store

// Head is where the log is: the last committed record and its place in
// history. A Store publishes a new Head after every Append and Checkpoint;
// Store.Head may be called from any goroutine.
type Head struct {
	Epoch   uint64
	Seq     uint64 // last record durable in the log (readers read up to it)
	Toggles uint64
	Time    int64   // commit time of record Seq, unix ns; 0 if unknown
	Chain   Chain   // the hash chain at Seq
	First   uint64  // seq of the oldest kept keyframe: history starts there
	Dropped Dropped // what was dropped to keep within the bounds, since Open
}

func (s *Store) publishHead() {
	first := uint64(0)
	if len(s.ckpts) > 0 {
		first = s.ckpts[0]
	}
	s.head.Store(&Head{Epoch: s.epoch, Seq: s.seq, Toggles: s.toggles, Time: s.time, Chain: s.chain,
		First: first, Dropped: s.dropped})
}

// Head returns the log's current head. Safe for concurrent use.
func (s *Store) Head() Head { return *s.head.Load() }

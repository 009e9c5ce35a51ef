package store

// AppendKeyframe appends the keyframe of st, committed at unixNano with
// chain value c, to dst: the bytes of a version-2 checkpoint file (doc.go,
// "Checkpoint file"). For keyframes kept outside a data directory (a
// cluster's keyframe bucket): one format, one checker.
func AppendKeyframe(dst []byte, st *State, unixNano int64, c Chain) []byte {
	return encodeCheckpoint(dst, st, unixNano, c)
}

// DecodeKeyframe checks keyframe bytes b (named name in errors, a
// *CorruptError on any failure) and returns its header and state.
func DecodeKeyframe(name string, b []byte) (Keyframe, *State, error) {
	var kf keyframe
	if err := decodeCheckpoint(name, b, &kf); err != nil {
		return Keyframe{}, nil, err
	}
	st := kf.State
	return Keyframe{Epoch: st.Epoch, Seq: st.Seq, Toggles: st.Toggles, Time: kf.time, Chain: kf.chain, Chained: kf.chainKnown}, &st, nil
}

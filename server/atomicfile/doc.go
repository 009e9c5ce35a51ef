// Package atomicfile replaces a file so that a crash leaves either the old
// contents or the new, never a mix, and the new one survives power loss once
// Write returns: write path+".tmp", fsync it, rename it over path, fsync the
// directory. The store's checkpoints and the identity key both use it.
//
// Entry points: Write, and SyncDir for callers that create or rename files
// themselves. Neither keeps anything; concurrent Writes of one path must be
// serialised by the caller (they share the temp name).
package atomicfile

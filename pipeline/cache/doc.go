// Package cache is pipe's content-addressed store: objects, action
// entries, run records, per-key locks and garbage collection, all kept
// under one directory (by default ".pipe").
//
// Two kinds of hash meet here, as in the Go build cache. An object is
// stored under the SHA-256 of its uncompressed bytes (its ID). An entry
// maps an action key (the hash of everything that went into a stage,
// computed by the caller) to a manifest of the object IDs it produced.
// A hit needs an intact manifest and intact objects; objects are
// re-hashed whenever they are read, so a truncated or altered object is
// reported as ErrCorrupt and removed, never returned.
//
// Every file is written to a temporary name in its destination
// directory, synced and renamed into place, so a killed process leaves
// at most a ".tmp-*" file that GC later removes. Objects are compressed
// with zstd unless their content is already compressed.
//
// Layout of the directory:
//
//	objects/ab/<id>        24-byte header, then the zstd or raw payload
//	entries/ab/<key>.json  manifest of one action
//	runs/<id>.json         run records, opaque bytes to this package
//	stat/ab/<hash>.json    stat cache of external inputs (HashExternal)
//	locks/<key>.lock       flock files; locks/gc.lock guards collection
//
// The package knows nothing of stages, YAML or the command line: keys
// are computed by the caller, and run records are stored as given.
package cache

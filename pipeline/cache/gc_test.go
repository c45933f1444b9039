package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// gcFixture is a cache with two entries sharing one object, a third
// entry, an unreferenced object, an old and a new temporary file.
type gcFixture struct {
	c                  *Cache
	keep, drop, drop2  ID
	shared, kept, gone ID // objects
	orphan             ID
	oldTemp, newTemp   string
}

func newGCFixture(t *testing.T) *gcFixture {
	c := openTest(t)
	f := &gcFixture{c: c,
		keep: HashBytes(
			[]byte("keep"),
		), drop: HashBytes([]byte("drop")), drop2: HashBytes([]byte("drop2"))}
	put := func(b []byte) ID {
		id, err := c.PutBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.shared = put(testData(10000, 1, true))
	f.kept = put(testData(20000, 2, false))
	f.gone = put(testData(30000, 3, false))
	f.orphan = put(testData(40000, 4, false))
	entries := []*Entry{
		{Key: f.keep, Outputs: []Output{{Name: "a", ID: f.shared}, {Name: "b", ID: f.kept}}},
		{Key: f.drop, Outputs: []Output{{Name: "a", ID: f.shared}, {Name: "c", ID: f.gone}}},
		{Key: f.drop2, Outputs: []Output{{Name: "c", ID: f.gone}}},
	}
	for _, e := range entries {
		if err := c.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []ID{f.keep, f.drop} {
		u, err := c.Lock(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		u()
	}

	f.oldTemp = filepath.Join(c.Dir(), objectsDir, "ab", tmpPrefix+"killed")
	f.newTemp = filepath.Join(c.Dir(), entriesDir, tmpPrefix+"writing")
	os.MkdirAll(filepath.Dir(f.oldTemp), 0o755)
	os.WriteFile(f.oldTemp, make([]byte, 1000), 0o600)
	os.WriteFile(f.newTemp, make([]byte, 10), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(f.oldTemp, old, old)
	return f
}

func size(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestGC(t *testing.T) {
	for _, dry := range []bool{false, true} {
		t.Run(map[bool]string{false: "collect", true: "dry run"}[dry], func(t *testing.T) {
			f := newGCFixture(t)
			c := f.c
			before, err := c.Usage()
			if err != nil {
				t.Fatal(err)
			}
			if before.Objects != 4 || before.Entries != 3 || before.Temp != 2 {
				t.Fatalf("Usage before = %+v, want 4 objects, 3 entries, 2 temp", before)
			}
			wantFreed := size(t, c.entryPath(f.drop)) + size(t, c.entryPath(f.drop2)) +
				size(t, c.objectPath(f.gone)) + size(t, c.objectPath(f.orphan)) +
				size(t, f.oldTemp)

			res, err := c.GC(GCOptions{Keep: map[ID]bool{f.keep: true}, DryRun: dry})
			if err != nil {
				t.Fatal(err)
			}
			want := GCResult{EntriesRemoved: 2, ObjectsRemoved: 2, TempRemoved: 1,
				BytesFreed: wantFreed, EntriesKept: 1, ObjectsKept: 2,
				BytesKept: size(t, c.entryPath(f.keep)) + size(t, c.objectPath(f.shared)) +
					size(t, c.objectPath(f.kept))}
			if len(res.Removed) != 2 || slices.Contains(res.Removed, f.keep) {
				t.Errorf("GC removed keys %v: want the two not kept", res.Removed)
			}
			res.Removed = nil
			if !reflect.DeepEqual(res, want) {
				t.Errorf("GC = %+v\nwant %+v", res, want)
			}

			after, _ := c.Usage()
			if dry {
				if after != before {
					t.Errorf("dry run changed the cache: %+v, was %+v", after, before)
				}
				return
			}
			if after.Objects != 2 || after.Entries != 1 || after.Temp != 1 {
				t.Errorf("Usage after = %+v, want 2 objects, 1 entry, 1 temp", after)
			}
			if _, err := c.Get(f.keep); err != nil {
				t.Errorf("kept entry: Get error = %v", err)
			}
			for _, id := range []ID{f.shared, f.kept} {
				if _, err := c.ReadObject(id); err != nil {
					t.Errorf("kept object: %v", err)
				}
			}
			for _, id := range []ID{f.gone, f.orphan} {
				if c.HasObject(id) {
					t.Errorf("object %s survived GC", id.Short())
				}
			}
			if _, err := os.Stat(filepath.Join(c.Dir(), locksDir, f.drop.String()+".lock")); err == nil {
				t.Errorf("lock file of a removed entry survived GC")
			}
		})
	}
}

func TestGCKeepAll(t *testing.T) {
	f := newGCFixture(t)
	res, err := f.c.GC(GCOptions{KeepAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.EntriesRemoved != 0 || res.ObjectsRemoved != 1 || !f.c.HasObject(f.gone) ||
		f.c.HasObject(f.orphan) {
		t.Errorf("GC(KeepAll) = %+v; want only the orphan object removed", res)
	}
}

// While another process works on the cache, GC keeps recent work: a
// stage may have stored objects and not yet its entry.
func TestGCBusy(t *testing.T) {
	f := newGCFixture(t)
	c := f.c
	c2, err := Open(c.Dir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	unpin, err := c2.Pin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unpin()

	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(c.entryPath(f.drop2), old, old)
	os.Chtimes(c.objectPath(f.gone), old, old)

	res, err := c.GC(GCOptions{Keep: map[ID]bool{f.keep: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Busy || res.EntriesRemoved != 1 || res.ObjectsRemoved != 0 {
		t.Errorf("busy GC = %+v; want Busy, 1 old entry removed, objects kept", res)
	}
	if _, err := c.Get(f.drop); err != nil {
		t.Errorf("recent entry removed by a busy GC: %v", err)
	}
	if !c.HasObject(f.orphan) {
		t.Errorf("recent unreferenced object removed by a busy GC")
	}
	// The old object is referenced by the recent entry drop, so it stays.
	if !c.HasObject(f.gone) {
		t.Errorf("object of a kept entry removed")
	}
}

func TestUsageRawBytes(t *testing.T) {
	c := openTest(t)
	data := testData(1<<20, 9, true)
	if _, err := c.PutBytes(data); err != nil {
		t.Fatal(err)
	}
	u, err := c.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.RawBytes != int64(len(data)) || u.ObjectBytes >= u.RawBytes/2 {
		t.Errorf("Usage = %+v; want RawBytes %d and ObjectBytes well under it", u, len(data))
	}
}

func TestVerify(t *testing.T) {
	c := openTest(t)
	good, _ := c.PutBytes(testData(5000, 1, true))
	bad, _ := c.PutBytes(testData(5000, 2, false))
	c.Put(&Entry{Key: ID{1}, Outputs: []Output{{Name: "a", ID: good}, {Name: "b", ID: bad}}})
	os.MkdirAll(filepath.Dir(c.entryPath(ID{2})), 0o755)
	os.WriteFile(c.entryPath(ID{2}), []byte("{"), 0o644)

	p := c.objectPath(bad)
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 0x80
	os.Chmod(p, 0o644)
	os.WriteFile(p, b, 0o644)

	res, err := c.Verify()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{p, c.entryPath(ID{2})}
	if res.Objects != 2 || res.Entries != 2 || len(res.Corrupt) != 2 ||
		res.Corrupt[0] != want[0] || res.Corrupt[1] != want[1] {
		t.Errorf("Verify = %+v, want 2 objects, 2 entries, corrupt %v", res, want)
	}
	if c.HasObject(bad) || !c.HasObject(good) {
		t.Errorf("after Verify: bad object present %v, good present %v; want false, true",
			c.HasObject(bad), c.HasObject(good))
	}
	if _, err := c.Get(ID{1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get of the entry naming the removed object: %v, want ErrCorrupt", err)
	}
}

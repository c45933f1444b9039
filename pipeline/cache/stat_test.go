package cache

import (
	"os"
	"testing"
	"time"
)

// countHashes makes c count the files it hashes, and shortens its racy
// window to testRacy.
func countHashes(c *Cache) *int {
	c.racyWindow = testRacy
	n := new(int)
	c.hashFile = func(path string) (ID, int64, error) {
		*n++
		return HashFile(path)
	}
	return n
}

// testRacy is the racy window in tests. A test waits testRacy+settle
// after changing a file so that its times are outside the window: then
// the hash is recorded, and the next change moves ctime past it.
const (
	testRacy = 20 * time.Millisecond
	settle   = 10 * time.Millisecond
)

func TestHashExternal(t *testing.T) {
	c := openTest(t)
	reads := countHashes(c)
	path := writeTemp(t, "data.bin", []byte("first content"))
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)

	steps := []struct {
		name      string
		change    func()
		wantData  string
		wantReads int
	}{
		{"first hash reads", func() {}, "first content", 1},
		{"unchanged is not re-read", func() {}, "first content", 1},
		{"same size, new mtime", func() {
			os.WriteFile(path, []byte("other content"), 0o644)
			when := old.Add(time.Minute)
			os.Chtimes(path, when, when)
		}, "other content", 2},
		{"unchanged again", func() {}, "other content", 2},
		{
			// tar and touch -d restore an mtime; ctime still moves.
			"same size, mtime restored", func() {
				when := old.Add(time.Minute)
				os.WriteFile(path, []byte("third content"), 0o644)
				os.Chtimes(path, when, when)
			}, "third content", 3,
		},
		{"replaced by rename", func() {
			tmp := path + ".new"
			os.WriteFile(tmp, []byte("fourth conten"), 0o644)
			os.Chtimes(tmp, old, old)
			os.Rename(tmp, path)
		}, "fourth conten", 4},
		{"grown", func() {
			os.WriteFile(path, []byte("fifth content, longer"), 0o644)
			os.Chtimes(path, old, old)
		}, "fifth content, longer", 5},
	}
	for _, s := range steps {
		s.change()
		time.Sleep(testRacy + settle)
		id, err := c.HashExternal(path)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if want := HashBytes([]byte(s.wantData)); id != want {
			t.Errorf("%s: HashExternal = %s, want %s", s.name, id.Short(), want.Short())
		}
		if *reads != s.wantReads {
			t.Errorf("%s: %d reads so far, want %d", s.name, *reads, s.wantReads)
		}
	}
}

// A file written just now may be written again within the same mtime
// tick; its hash is not recorded until its mtime is safely in the past.
func TestHashExternalRacy(t *testing.T) {
	c := openTest(t)
	reads := countHashes(c)
	c.racyWindow = time.Hour
	path := writeTemp(t, "fresh", []byte("abc"))
	for i := 1; i <= 2; i++ {
		if _, err := c.HashExternal(path); err != nil {
			t.Fatal(err)
		}
		if *reads != i {
			t.Errorf("call %d: %d reads, want %d (fresh file re-read)", i, *reads, i)
		}
	}
}

func TestHashExternalCorruptRecord(t *testing.T) {
	c := openTest(t)
	reads := countHashes(c)
	path := writeTemp(t, "f", []byte("abc"))
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	time.Sleep(testRacy + settle)
	if _, err := c.HashExternal(path); err != nil {
		t.Fatal(err)
	}
	recs, err := c.Usage()
	if err != nil || recs.MetaBytes == 0 {
		t.Fatalf("no stat record written (%v)", err)
	}

	// Flip a hex digit of the recorded ID.
	rec := c.shardPath(statDir, HashBytes([]byte("stat\x00"+path)), ".json")
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	i := len(`{"path":"`) + len(path) + 5
	for ; b[i] != '"' || string(b[i-5:i]) != `"id":`; i++ {
	}
	b[i+1] ^= 1
	os.WriteFile(rec, b, 0o644)

	id, err := c.HashExternal(path)
	if err != nil || id != HashBytes([]byte("abc")) || *reads != 2 {
		t.Errorf("after damaging the record: %s, %v, %d reads; want %s, 2 reads",
			id.Short(), err, *reads, HashBytes([]byte("abc")).Short())
	}
}

func TestHashExternalErrors(t *testing.T) {
	c := openTest(t)
	for _, p := range []string{"/dev/null", "/nonexistent/file"} {
		if _, err := c.HashExternal(p); err == nil {
			t.Errorf("HashExternal(%q) succeeded, want an error", p)
		}
	}
}

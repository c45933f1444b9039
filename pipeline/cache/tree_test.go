package cache

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return got
}

func TestPutTree(t *testing.T) {
	c := openTest(t)
	src := t.TempDir()
	files := map[string]string{"model.bin": "weights", "samples/0001.png": "p1",
		"samples/0002.png": "p2", "b/a": "x", "b.txt": ""}
	writeTree(t, src, files)

	outs, err := c.PutTree(src)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range outs {
		names = append(names, o.Name)
	}
	want := []string{"b.txt", "b/a", "model.bin", "samples/0001.png", "samples/0002.png"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("PutTree names = %v, want %v", names, want)
	}
	if err := c.Put(&Entry{Key: ID{1}, Outputs: outs}); err != nil {
		t.Fatal(err)
	}

	dst := t.TempDir()
	if err := c.MaterializeTree(outs, dst); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dst); !reflect.DeepEqual(got, files) {
		t.Errorf("MaterializeTree wrote %v, want %v", got, files)
	}

	os.Symlink("/etc/hostname", filepath.Join(src, "link"))
	if _, err := c.PutTree(src); err == nil {
		t.Errorf("PutTree with a symlink succeeded, want an error")
	}
}

func TestHashExternalTree(t *testing.T) {
	c := openTest(t)
	reads := countHashes(c)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.png": "1", "sub/b.png": "2"})
	time.Sleep(testRacy + settle)

	first, err := c.HashExternal(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.HashExternal(dir)
	if err != nil || again != first || *reads != 2 {
		t.Errorf(
			"unchanged tree: %s, %v, %d reads; want %s, 2 reads",
			again.Short(),
			err,
			*reads,
			first.Short(),
		)
	}

	// Each change gives a new ID, except that removing the file added
	// brings back the listing, and so the ID, of "content".
	ids := map[string]ID{"initial": first}
	seen := map[ID]string{first: "initial"}
	changes := []struct {
		name   string
		change func()
	}{
		{"content", func() { writeTree(t, dir, map[string]string{"a.png": "3"}) }},
		{"added", func() { writeTree(t, dir, map[string]string{"c.png": "4"}) }},
		{"renamed", func() { os.Rename(filepath.Join(dir, "c.png"), filepath.Join(dir, "d.png")) }},
		{"moved", func() {
			os.Rename(filepath.Join(dir, "d.png"), filepath.Join(dir, "sub", "d.png"))
		}},
		{"removed", func() { os.Remove(filepath.Join(dir, "sub", "d.png")) }},
	}
	for _, ch := range changes {
		ch.change()
		time.Sleep(testRacy + settle)
		id, err := c.HashExternal(dir)
		if err != nil {
			t.Fatal(err)
		}
		ids[ch.name] = id
		if prev, ok := seen[id]; ok && ch.name != "removed" {
			t.Errorf("after %s: tree ID %s equals the one after %s", ch.name, id.Short(), prev)
		}
		seen[id] = ch.name
	}
	if ids["removed"] != ids["content"] {
		t.Errorf("tree ID after removing the added file = %s, want %s as before it was added",
			ids["removed"].Short(), ids["content"].Short())
	}
}

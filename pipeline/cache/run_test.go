package cache

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRuns(t *testing.T) {
	c := openTest(t)

	// Find records whose IDs share leading digits: run IDs are hashes,
	// so search a few hundred small records for a shared first digit
	// and keep one with a different digit.
	byFirst := map[byte][]ID{}
	records := map[ID][]byte{}
	for i := 0; len(records) < 40; i++ {
		rec := []byte(fmt.Sprintf(`{"run":%d}`, i))
		id, err := c.PutRun(rec)
		if err != nil {
			t.Fatal(err)
		}
		if id != HashBytes(rec) {
			t.Fatalf("PutRun id = %s, want the record's hash", id.Short())
		}
		records[id] = rec
		byFirst[id.String()[0]] = append(byFirst[id.String()[0]], id)
		// Distinct mtimes so "newest first" has one answer.
		when := time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)
		os.Chtimes(c.runPath(id), when, when)
	}

	runs, err := c.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(records) {
		t.Fatalf("Runs() = %d runs, want %d", len(runs), len(records))
	}
	for i := 1; i < len(runs); i++ {
		if runs[i].ModTime.After(runs[i-1].ModTime) {
			t.Fatalf("Runs() not newest first at %d", i)
		}
	}

	var shared []ID
	for _, ids := range byFirst {
		if len(ids) >= 2 {
			shared = ids
			break
		}
	}
	if shared == nil {
		t.Fatal("no two run IDs share a first digit among 40")
	}
	prefix := shared[0].String()[:1]
	_, _, err = c.ReadRun(prefix)
	if !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("ReadRun(%q) error = %v, want ErrAmbiguous", prefix, err)
	}
	for _, id := range shared {
		if !strings.Contains(err.Error(), id.String()[:16]) {
			t.Errorf("ambiguity error %q does not list candidate %s", err, id.Short())
		}
	}

	for id, rec := range records {
		for _, p := range []string{id.String()[:10], strings.ToUpper(id.String()[:12]), id.String()} {
			gotID, got, err := c.ReadRun(p)
			if err != nil || gotID != id || string(got) != string(rec) {
				t.Errorf("ReadRun(%q) = %s, %q, %v; want %s, %q", p, gotID.Short(), got, err, id.Short(), rec)
			}
		}
		break
	}

	for _, p := range []string{"", "xyz", strings.Repeat("a", 65)} {
		if _, _, err := c.ReadRun(p); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("ReadRun(%q) error = %v, want a bad-prefix error", p, err)
		}
	}
	unknown := "0123456789abcdef"
	for _, r := range runs {
		if strings.HasPrefix(r.ID.String(), unknown) {
			t.Skip("improbable: a run ID starts with the unknown prefix")
		}
	}
	if _, _, err := c.ReadRun(unknown); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadRun(%q) error = %v, want ErrNotFound", unknown, err)
	}
}

func TestReadRunCorrupt(t *testing.T) {
	c := openTest(t)
	id, err := c.PutRun([]byte(`{"run":1}`))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(c.runPath(id), []byte(`{"run":2}`), 0o644)
	if _, _, err := c.ReadRun(id.String()[:8]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadRun of an altered record: error = %v, want ErrCorrupt", err)
	}
	if err := c.RemoveRun(id); err != nil {
		t.Errorf("RemoveRun: %v", err)
	}
	if _, _, err := c.ReadRun(id.String()); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadRun after RemoveRun: error = %v, want ErrNotFound", err)
	}
}

func TestPutRunRepairs(t *testing.T) {
	c := openTest(t)
	rec := []byte(`{"run":1}`)
	id, _ := c.PutRun(rec)
	os.WriteFile(c.runPath(id), []byte(`{"run":1`), 0o644)
	if _, err := c.PutRun(rec); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadRun(id.String()); err != nil || string(got) != string(rec) {
		t.Errorf("ReadRun after re-storing a damaged record = %q, %v", got, err)
	}
}

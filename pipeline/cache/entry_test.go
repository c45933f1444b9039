package cache

import (
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
	"time"
)

// putOutputs stores contents as objects and returns them as outputs.
func putOutputs(t *testing.T, c *Cache, files map[string]string) []Output {
	t.Helper()
	var outs []Output
	for name, content := range files {
		id, err := c.PutBytes([]byte(content))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, Output{Name: name, ID: id, Size: int64(len(content))})
	}
	return outs
}

func TestEntryRoundTrip(t *testing.T) {
	c := openTest(t)
	key := HashBytes([]byte("stage key"))
	e := &Entry{
		Key:  key,
		Kind: "train/gan",
		Outputs: putOutputs(t, c, map[string]string{
			"weights.safetensors": "w", "samples/0001.png": "p", "losses.csv": "l",
		}),
		Metrics: map[string]float64{"fid": 31.5, "loss": math.Inf(1), "kl": math.NaN()},
		Seconds: 12.25,
		Created: time.Date(2026, 12, 3, 20, 0, 0, 123, time.UTC),
	}
	if err := c.Put(e); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(key)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, o := range got.Outputs {
		names = append(names, o.Name)
	}
	if want := []string{"losses.csv", "samples/0001.png", "weights.safetensors"}; !reflect.DeepEqual(
		names,
		want,
	) {
		t.Errorf("Get outputs = %v, want sorted %v", names, want)
	}
	if got.Kind != e.Kind || got.Seconds != e.Seconds || !got.Created.Equal(e.Created) {
		t.Errorf("Get = %+v, want %+v", got, e)
	}
	if got.Metrics["fid"] != 31.5 || !math.IsInf(got.Metrics["loss"], 1) ||
		!math.IsNaN(got.Metrics["kl"]) {
		t.Errorf("Get metrics = %v", got.Metrics)
	}
}

func TestGetMisses(t *testing.T) {
	key := HashBytes([]byte("k"))
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *Cache)
		want    error
	}{
		{"nothing stored", func(t *testing.T, c *Cache) {}, ErrNotFound},
		{
			// A process killed after storing objects, before the
			// manifest: nothing looks complete.
			"objects but no manifest",
			func(t *testing.T, c *Cache) { putOutputs(t, c, map[string]string{"a": "1", "b": "2"}) },
			ErrNotFound,
		},
		{"garbled manifest", func(t *testing.T, c *Cache) {
			os.MkdirAll(c.shardPath(entriesDir, key, "/.."), 0o755)
			os.WriteFile(c.entryPath(key), []byte(`{"version":1,"key":`), 0o644)
		}, ErrCorrupt},
		{"manifest of another key", func(t *testing.T, c *Cache) {
			other := HashBytes([]byte("other"))
			c.Put(&Entry{Key: other})
			data, _ := os.ReadFile(c.entryPath(other))
			os.MkdirAll(c.shardPath(entriesDir, key, "/.."), 0o755)
			os.WriteFile(c.entryPath(key), data, 0o644)
		}, ErrCorrupt},
		{"object missing", func(t *testing.T, c *Cache) {
			outs := putOutputs(t, c, map[string]string{"a": "1"})
			c.Put(&Entry{Key: key, Outputs: outs})
			os.Remove(c.objectPath(outs[0].ID))
		}, ErrCorrupt},
		{"object truncated", func(t *testing.T, c *Cache) {
			outs := putOutputs(t, c, map[string]string{"a": "some content"})
			c.Put(&Entry{Key: key, Outputs: outs})
			os.Truncate(c.objectPath(outs[0].ID), headerSize+2)
		}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			tt.prepare(t, c)
			if _, err := c.Get(key); !errors.Is(err, tt.want) {
				t.Errorf("Get error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPutRejects(t *testing.T) {
	c := openTest(t)
	ok := putOutputs(t, c, map[string]string{"a": "1"})[0]
	unstored := Output{Name: "b", ID: HashBytes([]byte("never")), Size: 5}
	tests := []struct {
		name string
		e    Entry
	}{
		{"zero key", Entry{Outputs: []Output{ok}}},
		{"unstored object", Entry{Key: ID{1}, Outputs: []Output{ok, unstored}}},
		{"absolute name", Entry{Key: ID{1}, Outputs: []Output{{Name: "/etc/passwd", ID: ok.ID}}}},
		{"escaping name", Entry{Key: ID{1}, Outputs: []Output{{Name: "../x", ID: ok.ID}}}},
		{"unclean name", Entry{Key: ID{1}, Outputs: []Output{{Name: "a//b", ID: ok.ID}}}},
		{"empty name", Entry{Key: ID{1}, Outputs: []Output{{Name: "", ID: ok.ID}}}},
		{"duplicate name", Entry{Key: ID{1}, Outputs: []Output{ok, ok}}},
	}
	for _, tt := range tests {
		if err := c.Put(&tt.e); err == nil {
			t.Errorf("Put(%s) succeeded, want an error", tt.name)
		}
		if _, err := c.Get(ID{1}); !errors.Is(err, ErrNotFound) {
			t.Errorf("after Put(%s): Get error = %v, want ErrNotFound", tt.name, err)
		}
	}
}

// FuzzDecodeEntry: a manifest on disk is outside input (a crash, a disk,
// a hand edit). Whatever it holds, decoding must not panic, and what it
// accepts must keep the invariants Get promises.
func FuzzDecodeEntry(f *testing.F) {
	c, err := Open(f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	id, _ := c.PutBytes([]byte("x"))
	c.Put(&Entry{Key: ID{7}, Kind: "k", Outputs: []Output{{Name: "a/b", ID: id, Size: 1}},
		Metrics: map[string]float64{"m": math.NaN()}})
	seed, _ := os.ReadFile(c.entryPath(ID{7}))
	f.Add(seed)
	f.Add([]byte(`{"version":1,"outputs":[{"name":"../x"}]}`))
	f.Add([]byte(`{"version":1,"metrics":{"a":"+Inf","b":1e308}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntry(data)
		if err != nil {
			return
		}
		if err := checkOutputs(e.Outputs); err != nil {
			t.Errorf("decodeEntry accepted bad outputs: %v", err)
		}
		for i := 1; i < len(e.Outputs); i++ {
			if e.Outputs[i-1].Name >= e.Outputs[i].Name {
				t.Errorf("decodeEntry accepted unsorted outputs")
			}
		}
	})
}

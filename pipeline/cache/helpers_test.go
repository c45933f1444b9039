package cache

import (
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
)

// testData returns n deterministic bytes: text-like and compressible, or
// random and not.
func testData(n int, seed uint64, compressible bool) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	if !compressible {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	words := []string{"loss ", "epoch ", "0.125 ", "generator ", "fid\n", "beta ", "3 "}
	for i := 0; i < n; {
		i += copy(b[i:], words[r.IntN(len(words))])
	}
	return b
}

// openTest opens a cache in a fresh temporary directory. Warnings go to
// the test log.
func openTest(t testing.TB) *Cache {
	t.Helper()
	c, err := Open(t.TempDir(), slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// writeTemp writes data to a new file in t's temporary directory.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

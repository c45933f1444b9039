package cache

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		in      string
		wantErr bool
	}{
		{good, false},
		{strings.ToUpper(good), false},
		{good[:63], true},
		{good + "0", true},
		{good[:62] + "zz", true},
		{"", true},
	}
	for _, tt := range tests {
		id, err := ParseID(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseID(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && id.String() != strings.ToLower(tt.in) {
			t.Errorf("ParseID(%q).String() = %q", tt.in, id.String())
		}
	}
}

func TestIDText(t *testing.T) {
	id := HashBytes([]byte("abc"))
	// SHA-256("abc") from FIPS 180-2, appendix B.1.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if id.String() != want {
		t.Fatalf("HashBytes(abc) = %s, want %s", id, want)
	}
	if id.Short() != want[:12] {
		t.Errorf("Short() = %s, want %s", id.Short(), want[:12])
	}
	b, _ := id.MarshalText()
	var back ID
	if err := back.UnmarshalText(b); err != nil || back != id {
		t.Errorf("UnmarshalText(MarshalText) = %v, %v; want %v", back, err, id)
	}
}

func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, hashBufSize - 1, hashBufSize, 3*hashBufSize + 17} {
		data := testData(n, 7, true)
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		id, size, err := HashFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := ID(sha256.Sum256(data)); id != want || size != int64(n) {
			t.Errorf("HashFile(%d bytes) = %s, %d; want %s, %d", n, id.Short(), size, want.Short(), n)
		}
	}
	if _, _, err := HashFile(filepath.Join(dir, "missing")); err == nil ||
		!strings.Contains(err.Error(), "missing") {
		t.Errorf("HashFile(missing) error = %v, want one naming the file", err)
	}
}

package stages

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitDocuments(t *testing.T) {
	for _, tc := range []struct {
		in, sep string
		want    []string
	}{
		{"a\nb", "", []string{"a\nb\n"}},
		{" \n\n", "", nil},
		{"one\n%\ntwo\nlines\n%\n", "%", []string{"one\n", "two\nlines\n"}},
		{"%\r\nx\r\n%\r\n\n%\ny", "%", []string{"x\r\n", "y\n"}},
		{"50%\n%%\n", "%", []string{"50%\n%%\n"}},
	} {
		var got []string
		for _, d := range splitDocuments([]byte(tc.in), tc.sep) {
			got = append(got, string(d))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("splitDocuments(%q, %q) = %q, want %q", tc.in, tc.sep, got, tc.want)
		}
	}
}

func TestReadUTF8Error(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(path, []byte("fine\nstill fine\nbad \xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := readUTF8(path)
	if err == nil ||
		!strings.Contains(err.Error(), "bad.txt:3: not UTF-8 text (invalid byte 0xff at offset 20)") {
		t.Errorf("readUTF8(bad.txt) = %v, want the file, line 3 and offset 20", err)
	}
}

func TestPickHeldout(t *testing.T) {
	a, err := pickHeldout(100, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pickHeldout(100, 0.2, 1)
	c, _ := pickHeldout(100, 0.2, 2)
	n, same, sameC := 0, true, true
	for i := range a {
		if a[i] {
			n++
		}
		same = same && a[i] == b[i]
		sameC = sameC && a[i] == c[i]
	}
	if n != 20 || !same || sameC {
		t.Errorf(
			"pickHeldout(100, 0.2): %d held out, same seed same split %v, "+
				"other seed same split %v; want 20, true, false",
			n,
			same,
			sameC,
		)
	}
	if _, err := pickHeldout(1, 0.5, 1); err == nil {
		t.Errorf("pickHeldout(1, 0.5) holds out the only document without an error")
	}
}

package stages

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/tensor"
)

// writeCIFAR writes n synthetic CIFAR-10 records: label i%10, pixel p of
// record i equal to (i*7 + p) % 256. It returns the file's path.
func writeCIFAR(t *testing.T, dir, name string, first, n int) string {
	t.Helper()
	var buf bytes.Buffer
	for i := first; i < first+n; i++ {
		buf.WriteByte(byte(i % 10))
		for p := 0; p < cifarPixels; p++ {
			buf.WriteByte(byte((i*7 + p) % 256))
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readResultDataset reads the dataset a stage of runSpec wrote.
func readResultDataset(t *testing.T, dir string) *Dataset {
	t.Helper()
	ts, meta, err := tensor.ReadSafetensorsFile(filepath.Join(dir, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	return &Dataset{Images: ts["images"], Labels: ts["labels"], Meta: meta}
}

func TestDatasetCIFAR10(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir, "data_batch_1.bin", 0, 3)
	writeCIFAR(t, dir, "data_batch_2.bin", 3, 4)
	res := runSpec(t, dir, `name: cifar-test
stages:
  all:
    uses: dataset/cifar10
    with: {files: [`+filepath.Join(dir, "data_batch_*.bin")+`]}
  some:
    uses: dataset/cifar10
    with: {files: [`+filepath.Join(dir, "data_batch_*.bin")+`], limit: 5}
`)
	d := readResultDataset(t, res["all"].Dir)
	if got := d.Images.Shape; len(got) != 4 || got[0] != 7 || got[1] != 3 || got[2] != 32 ||
		got[3] != 32 {
		t.Fatalf("images shape %v, want [7 3 32 32]", got)
	}
	if d.Images.DType != tensor.Uint8 {
		t.Errorf("images dtype %s, want U8", d.Images.DType)
	}
	labels := d.Labels.Int64s()
	for i := 0; i < 7; i++ {
		if labels[i] != int64(i%10) {
			t.Errorf("label %d = %d, want %d", i, labels[i], i%10)
		}
		// Record i's bytes are CHW already: channel 1, row 2, column 5
		// is pixel byte 1024 + 2*32 + 5.
		p := 1024 + 2*32 + 5
		if got, want := d.Images.Data[i*cifarPixels+p], byte((i*7+p)%256); got != want {
			t.Errorf("image %d, G(2, 5) = %d, want %d", i, got, want)
		}
	}
	if !strings.HasPrefix(d.Meta["classes"], `["airplane","automobile",`) {
		t.Errorf("meta classes = %q, want CIFAR-10's names", d.Meta["classes"])
	}
	if some := readResultDataset(t, res["some"].Dir); some.Images.Shape[0] != 5 ||
		some.Labels.Shape[0] != 5 {
		t.Errorf(
			"limit 5: shapes %v and %v, want 5 images and labels",
			some.Images.Shape,
			some.Labels.Shape,
		)
	}
}

func TestReadCIFARErrors(t *testing.T) {
	good := bytes.Repeat([]byte{3}, cifarRecord)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no records"},
		{
			"truncated",
			append(append([]byte{}, good...), good[:100]...),
			"record 1 is truncated: 100 of 3073 bytes",
		},
		{"cifar100 label", append([]byte{57}, good[1:]...), "record 0 has label 57"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readCIFAR(bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("readCIFAR(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "bad.bin")
	if err := os.WriteFile(path, good[:10], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readCIFARFile(path); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("readCIFARFile(bad.bin) = %v, want an error starting with the file name", err)
	}
}

// FuzzReadCIFAR: any input is either rejected or gives one label in 0..9
// and 3072 pixels per record.
func FuzzReadCIFAR(f *testing.F) {
	f.Add(bytes.Repeat([]byte{1}, cifarRecord))
	f.Add(bytes.Repeat([]byte{9}, 2*cifarRecord-1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		pix, labels, err := readCIFAR(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(data) != len(labels)*cifarRecord || len(pix) != len(labels)*cifarPixels {
			t.Fatalf("%d bytes gave %d labels and %d pixels", len(data), len(labels), len(pix))
		}
		for _, l := range labels {
			if l < 0 || l > 9 {
				t.Fatalf("label %d", l)
			}
		}
	})
}

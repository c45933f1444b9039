package stages

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
)

func writePNG(t *testing.T, path string, m image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
}

// grayRows makes an 8-bit gray image from rows of values.
func grayRows(rows [][]uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, r := range rows {
		for x, v := range r {
			m.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return m
}

func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// TestDatasetImagesResize checks the resize against torchvision 0.14.1's
// F.resize of the same uint8 tensors:
//
//	t = torch.tensor([[[10, 200, 30], [40, 50, 250]]], dtype=torch.uint8)
//	F.resize(t, [3, 5], antialias=False)                 # bilinear
//	F.resize(t, [3, 5], interpolation=InterpolationMode.BICUBIC, antialias=...)
//	d = (torch.arange(48).reshape(1, 6, 8) * 37 % 256).to(torch.uint8)
//	F.resize(d, [3, 3], antialias=...)
func TestDatasetImagesResize(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "img", "a.png"), grayRows([][]uint8{{10, 200, 30}, {40, 50, 250}}))
	var rows [][]uint8
	for y := 0; y < 6; y++ {
		rows = append(rows, nil)
		for x := 0; x < 8; x++ {
			rows[y] = append(rows[y], uint8((y*8+x)*37%256))
		}
	}
	writePNG(t, filepath.Join(dir, "big", "d.png"), grayRows(rows))
	res := runSpec(t, dir, `name: images-test
stages:
  bilinear:
    uses: dataset/images
    with: {dir: img, size: [3, 5], channels: gray, antialias: false}
  bicubic:
    uses: dataset/images
    with: {dir: img, size: [3, 5], channels: gray, interpolation: bicubic, antialias: false}
  bicubic_aa:
    uses: dataset/images
    with: {dir: img, size: [3, 5], channels: gray, interpolation: bicubic}
  shrink:
    uses: dataset/images
    with: {dir: big, size: [3], channels: gray, antialias: false}
  shrink_aa:
    uses: dataset/images
    with: {dir: big, size: [3], channels: gray}
  rgb:
    uses: dataset/images
    with: {dir: img, size: [3, 5]}
`)
	for _, tt := range []struct {
		stage string
		want  []uint8
	}{
		{"bilinear", []uint8{10, 86, 200, 98, 30, 25, 65, 125, 134, 140, 40, 44, 50, 170, 250}},
		{"bicubic", []uint8{0, 102, 213, 104, 0, 15, 63, 125, 141, 141, 43, 24, 37, 179, 255}},
		{"bicubic_aa", []uint8{0, 88, 210, 93, 1, 17, 59, 125, 139, 141, 42, 31, 40, 186, 255}},
		{"shrink", []uint8{51, 150, 99, 131, 165, 72, 211, 54, 152}},
		{"shrink_aa", []uint8{69, 148, 106, 138, 137, 80, 169, 87, 134}},
	} {
		d := readResultDataset(t, res[tt.stage].Dir)
		shape := []int{1, 1, 3, 5}
		if len(tt.want) == 9 {
			shape = []int{1, 1, 3, 3}
		}
		if !slices.Equal(d.Images.Shape, shape) || !slices.Equal(d.Images.Data, tt.want) {
			t.Errorf("%s: images %v %v, want %v %v", tt.stage, d.Images.Shape, d.Images.Data, shape, tt.want)
		}
		if d.Labels != nil {
			t.Errorf("%s: labels without class folders", tt.stage)
		}
	}
	// A gray file read as RGB repeats its channel.
	d := readResultDataset(t, res["rgb"].Dir)
	want := []uint8{10, 86, 200, 98, 30, 25, 65, 125, 134, 140, 40, 44, 50, 170, 250}
	if !slices.Equal(d.Images.Shape, []int{1, 3, 3, 5}) ||
		!slices.Equal(d.Images.Data, slices.Concat(want, want, want)) {
		t.Errorf(
			"rgb of a gray file: %v %v, want the gray plane three times",
			d.Images.Shape,
			d.Images.Data,
		)
	}
}

// TestDatasetImagesFolders: class subfolders give labels in sorted order,
// colour converts to gray as PIL's convert('L') does (red 76, green 150,
// blue 29, (10, 200, 30) 124), alpha is dropped, and JPEG files load.
func TestDatasetImagesFolders(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "b_dog", "1.png"), solid(4, 4, color.NRGBA{255, 0, 0, 255}))
	writePNG(t, filepath.Join(dir, "b_dog", "2.PNG"), solid(6, 3, color.NRGBA{0, 255, 0, 40}))
	writePNG(t, filepath.Join(dir, "a_cat", "x.png"), solid(2, 2, color.NRGBA{0, 0, 255, 255}))
	writePNG(t, filepath.Join(dir, "a_cat", "y.png"), solid(3, 3, color.NRGBA{10, 200, 30, 255}))
	os.WriteFile(filepath.Join(dir, "a_cat", "notes.txt"), []byte("not an image"), 0o644)
	if err := os.MkdirAll(filepath.Join(dir, "c_owl"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "c_owl", "z.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, solid(8, 8, color.NRGBA{200, 100, 50, 255}),
		&jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	rc, out := directContext(t, pipeline.Values{"dir": dir, "size": []int64{2},
		"channels": "gray", "interpolation": "nearest", "antialias": true}, nil, 0, 2)
	if err := (datasetImages{}).Run(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	d := readResultDataset(t, out)
	if !slices.Equal(d.Images.Shape, []int{5, 1, 2, 2}) {
		t.Fatalf("shape %v, want [5 1 2 2]", d.Images.Shape)
	}
	if got := d.Labels.Int64s(); !slices.Equal(got, []int64{0, 0, 1, 1, 2}) {
		t.Errorf("labels %v, want [0 0 1 1 2]", got)
	}
	if want := `["a_cat","b_dog","c_owl"]`; d.Meta["classes"] != want {
		t.Errorf("classes %s, want %s", d.Meta["classes"], want)
	}
	for i, want := range []uint8{29, 124, 76, 150} {
		if got := d.Images.Data[4*i]; got != want {
			t.Errorf("image %d: gray %d, want %d", i, got, want)
		}
	}
	// JPEG is lossy and its decoders round differently: near, not exact.
	jpegGray := int(luma(200, 100, 50))
	if got := int(d.Images.Data[16]); got < jpegGray-3 || got > jpegGray+3 {
		t.Errorf("jpeg image: gray %d, want %d ± 3", got, jpegGray)
	}
}

func TestDatasetImagesErrors(t *testing.T) {
	dir := t.TempDir()
	mixed := filepath.Join(dir, "mixed")
	writePNG(t, filepath.Join(mixed, "cls", "a.png"), solid(2, 2, color.NRGBA{1, 2, 3, 255}))
	writePNG(t, filepath.Join(mixed, "loose.png"), solid(2, 2, color.NRGBA{1, 2, 3, 255}))
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o755)
	broken := filepath.Join(dir, "broken")
	writePNG(t, filepath.Join(broken, "a.png"), solid(2, 2, color.NRGBA{1, 2, 3, 255}))
	os.WriteFile(filepath.Join(broken, "b.png"), []byte("\x89PNG\r\n\x1a\nshort"), 0o644)

	for _, tt := range []struct{ dir, want string }{
		{mixed, "loose.png lies beside the class folders [cls]"},
		{empty, "no .png, .jpg or .jpeg files"},
		{broken, "decode " + filepath.Join(broken, "b.png") + ": "},
		{filepath.Join(dir, "missing"), "no such file"},
	} {
		rc, _ := directContext(t, pipeline.Values{"dir": tt.dir, "size": []int64{4, 4},
			"channels": "rgb", "interpolation": "bilinear", "antialias": true}, nil, 0, 2)
		err := (datasetImages{}).Run(context.Background(), rc)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf(
				"dataset/images of %s: error %v, want it to contain %q",
				filepath.Base(tt.dir),
				err,
				tt.want,
			)
		}
	}
}

// directContext returns a RunContext for calling a stage's Run directly,
// and its output directory.
func directContext(t *testing.T, params pipeline.Values, inputs map[string]*pipeline.Artifact,
	seed int64, threads int) (*pipeline.RunContext, string) {
	t.Helper()
	out := t.TempDir()
	return &pipeline.RunContext{
		Name:    "test",
		Params:  params,
		Inputs:  inputs,
		Out:     out,
		Work:    t.TempDir(),
		Seed:    seed,
		Threads: threads,
		Log:     slog.New(slog.DiscardHandler),
	}, out
}

// FuzzDecodeImage: any bytes are either rejected with an error or decoded
// into an image whose shape matches its pixels; never a panic.
func FuzzDecodeImage(f *testing.F) {
	var buf bytes.Buffer
	png.Encode(&buf, solid(3, 2, color.NRGBA{9, 8, 7, 255}))
	f.Add(buf.Bytes(), true)
	buf.Reset()
	png.Encode(&buf, grayRows([][]uint8{{1, 2}, {3, 4}}))
	f.Add(buf.Bytes(), false)
	buf.Reset()
	jpeg.Encode(&buf, solid(9, 5, color.NRGBA{200, 8, 7, 255}), nil)
	f.Add(buf.Bytes(), true)
	f.Add(
		[]byte(
			"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00",
		),
		true,
	)
	f.Fuzz(func(t *testing.T, data []byte, rgb bool) {
		c := 1
		if rgb {
			c = 3
		}
		m, err := decodeImage(data, c)
		if err != nil {
			return
		}
		if m.C != c || m.H <= 0 || m.W <= 0 || len(m.Pix) != m.C*m.H*m.W {
			t.Fatalf("decoded %dx%dx%d with %d bytes", m.C, m.H, m.W, len(m.Pix))
		}
	})
}

package stages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder with image.Decode
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pipe-ml/pipe/augment"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(datasetImages{}) }

// datasetImages reads a folder of PNG and JPEG files into a U8 image
// dataset, every image resized to one size. Laid out as torchvision's
// ImageFolder (one subfolder per class), the images get labels.
//
// Decoding is Go's image/png and image/jpeg: PNG pixels are exact, JPEG
// pixels may differ from libjpeg's (PIL's) by a level or two, as the
// decoders' inverse DCTs and colour conversions round differently.
type datasetImages struct{}

func (datasetImages) Kind() string { return "dataset/images" }
func (datasetImages) Version() int { return 1 }

func (datasetImages) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "images",
		Doc: "PNG and JPEG files of a folder (with one subfolder per class: labelled), " +
			"resized to size as torchvision's F.resize on a uint8 tensor",
		Params: []pipeline.Param{
			{Name: "dir", Type: pipeline.Path, Required: true,
				Doc: "folder of .png/.jpg/.jpeg files, or of class subfolders holding them"},
			{Name: "size", Type: pipeline.Ints, Required: true, Check: checkImageSize,
				Doc: "[height, width], or [side] for a square"},
			{Name: "channels", Type: pipeline.String, Default: "rgb", Enum: []string{"rgb", "gray"},
				Doc: "rgb: 3 channels (alpha dropped); gray: 1 channel, PIL's convert('L') luma"},
			{Name: "interpolation", Type: pipeline.String, Default: "bilinear",
				Enum: []string{"nearest", "bilinear", "bicubic"}},
			// On by default, unlike F.resize on tensors in torchvision 0.14:
			// files loaded through PIL, as ImageFolder loads them, are
			// resized with antialiasing, and shrinking photos without it
			// aliases badly.
			{Name: "antialias", Type: pipeline.Bool, Default: true,
				Doc: "widen the filter when shrinking (F.resize's antialias=True); ignored for nearest"},
		},
		Unseeded: true,
	}
}

func checkImageSize(v any) error {
	s := v.([]int64)
	if len(s) != 1 && len(s) != 2 {
		return fmt.Errorf("size %v: want [height, width] or [side]", s)
	}
	for _, x := range s {
		if x <= 0 || x > 1<<14 {
			return fmt.Errorf("size %v: sides must be between 1 and 16384", s)
		}
	}
	return nil
}

func (datasetImages) Run(ctx context.Context, rc *pipeline.RunContext) error {
	dir := rc.Params.String("dir")
	files, labels, classes, err := listImages(dir)
	if err != nil {
		return err
	}
	size := rc.Params.Ints("size")
	h, w := int(size[0]), int(size[len(size)-1])
	c := 3
	if rc.Params.String("channels") == "gray" {
		c = 1
	}
	interp := augment.Interpolation(rc.Params.String("interpolation"))
	antialias := rc.Params.Bool("antialias") && interp != augment.Nearest

	per := c * h * w
	out := tensor.New(tensor.Uint8, len(files), c, h, w)
	rc.Progress.Start(int64(len(files)), "images")
	err = forEachIndex(ctx, len(files), rc.Threads, func(i int) error {
		img, err := loadImage(files[i], c)
		if err != nil {
			return err
		}
		resizeU8(out.Data[i*per:(i+1)*per], img, h, w, interp, antialias)
		rc.Progress.Add(1)
		return nil
	})
	if err != nil {
		return err
	}

	d := &Dataset{Images: out, Meta: map[string]string{"source": filepath.Base(dir)}}
	if classes != nil {
		d.Labels = tensor.FromInt64(labels, len(labels))
		d.Meta["classes"] = jsonList(classes)
	}
	rc.Log.Info("dataset read", "images", len(files), "classes", len(classes),
		"shape", fmt.Sprint([]int{c, h, w}))
	rc.Metric("count", float64(len(files)))
	return d.Write(rc.Out)
}

// jsonList writes names as a JSON list, for a dataset's "classes" entry:
// folder names may hold commas.
func jsonList(names []string) string {
	b, _ := json.Marshal(names) // a []string always marshals
	return string(b)
}

func isImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return !strings.HasPrefix(name, ".")
	}
	return false
}

// listImages returns the image files of dir sorted by path. If dir has
// subfolders, they are the classes (sorted by name, as ImageFolder does),
// each file is labelled with its folder's index, and images directly in
// dir are an error rather than silently left out.
func listImages(dir string) (files []string, labels []int64, classes []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	var loose []string
	for _, e := range entries {
		switch {
		case e.IsDir() && !strings.HasPrefix(e.Name(), "."):
			classes = append(classes, e.Name())
		case !e.IsDir() && isImageFile(e.Name()):
			loose = append(loose, filepath.Join(dir, e.Name()))
		}
	}
	if classes == nil {
		if len(loose) == 0 {
			return nil, nil, nil, fmt.Errorf("%s: no .png, .jpg or .jpeg files", dir)
		}
		return loose, nil, nil, nil
	}
	if len(loose) > 0 {
		return nil, nil, nil, fmt.Errorf("%s: %s lies beside the class folders %v; "+
			"move it into one of them", dir, filepath.Base(loose[0]), classes)
	}
	for k, cl := range classes {
		sub, err := os.ReadDir(filepath.Join(dir, cl))
		if err != nil {
			return nil, nil, nil, err
		}
		n := len(files)
		for _, e := range sub {
			if !e.IsDir() && isImageFile(e.Name()) {
				files = append(files, filepath.Join(dir, cl, e.Name()))
				labels = append(labels, int64(k))
			}
		}
		if len(files) == n {
			return nil, nil, nil, fmt.Errorf("%s: class folder %s has no .png, .jpg or .jpeg files", dir, cl)
		}
	}
	return files, labels, classes, nil
}

// loadImage decodes a PNG or JPEG file into a channel-first 8-bit image of
// c channels (3: RGB with any alpha dropped, as PIL's convert('RGB'); 1:
// PIL's convert('L') luma for colour files).
func loadImage(path string, c int) (augment.ImageU8, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return augment.ImageU8{}, err
	}
	m, err := decodeImage(b, c)
	if err != nil {
		return augment.ImageU8{}, fmt.Errorf("decode %s: %w", path, err)
	}
	return m, nil
}

// maxImagePixels bounds the size a file may declare, so that a corrupt or
// hostile header cannot make the decoder allocate gigabytes: 2^28 pixels
// is a 16384 x 16384 image.
const maxImagePixels = 1 << 28

func decodeImage(b []byte, c int) (augment.ImageU8, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return augment.ImageU8{}, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return augment.ImageU8{}, fmt.Errorf("image size %dx%d: want 1 to %d pixels",
			cfg.Width, cfg.Height, maxImagePixels)
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return augment.ImageU8{}, err
	}
	return toCHW(m, c), nil
}

// toCHW converts a decoded image to channel-first bytes.
func toCHW(m image.Image, c int) augment.ImageU8 {
	b := m.Bounds()
	h, w := b.Dy(), b.Dx()
	out := augment.ImageU8{C: c, H: h, W: w, Pix: make([]uint8, c*h*w)}
	n := h * w
	rgb := pixelReader(m)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if g, ok := m.(*image.Gray); ok {
				v := g.Pix[g.PixOffset(b.Min.X+x, b.Min.Y+y)]
				for k := 0; k < c; k++ {
					out.Pix[k*n+i] = v
				}
				continue
			}
			r, g, bl := rgb(b.Min.X+x, b.Min.Y+y)
			if c == 1 {
				out.Pix[i] = luma(r, g, bl)
			} else {
				out.Pix[i], out.Pix[n+i], out.Pix[2*n+i] = r, g, bl
			}
		}
	}
	return out
}

// pixelReader returns a function reading the 8-bit RGB of a pixel, direct
// for the types the decoders usually return, through NRGBA otherwise.
// NRGBA is not premultiplied, so colours under partial transparency keep
// their values, as PIL's convert('RGB') keeps them.
func pixelReader(m image.Image) func(x, y int) (r, g, b uint8) {
	switch t := m.(type) {
	case *image.YCbCr:
		return func(x, y int) (uint8, uint8, uint8) {
			p := t.YCbCrAt(x, y)
			return color.YCbCrToRGB(p.Y, p.Cb, p.Cr)
		}
	case *image.NRGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			p := t.Pix[t.PixOffset(x, y):]
			return p[0], p[1], p[2]
		}
	}
	return func(x, y int) (uint8, uint8, uint8) {
		p := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
		return p.R, p.G, p.B
	}
}

// luma is PIL's RGB to L conversion: ITU-R 601-2 weights in 16-bit fixed
// point, rounded.
func luma(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// resizeU8 resizes img to h x w into dst as torchvision's F.resize does a
// uint8 tensor: interpolate in float32, then round half to even and clamp
// to 0..255. Nearest sampling needs no rounding.
func resizeU8(
	dst []uint8,
	img augment.ImageU8,
	h, w int,
	interp augment.Interpolation,
	antialias bool,
) {
	src := augment.NewImage(img.C, img.H, img.W)
	for i, v := range img.Pix {
		src.Pix[i] = float32(v)
	}
	resize := augment.ResizeImage
	if antialias {
		resize = augment.ResizeAntialias
	}
	res, err := resize(src, h, w, interp)
	if err != nil {
		panic(err) // sizes and interpolation were validated with the parameters
	}
	for i, v := range res.Pix {
		dst[i] = uint8(min(max(math.RoundToEven(float64(v)), 0), 255))
	}
}

// forEachIndex calls fn(i) for i in [0, n) on up to workers goroutines
// and returns the error of the lowest index that failed, so the error does
// not depend on scheduling.
func forEachIndex(ctx context.Context, n, workers int, fn func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if errs[i] = fn(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if i := slices.IndexFunc(errs, func(e error) bool { return e != nil }); i >= 0 {
		return errs[i]
	}
	return nil
}

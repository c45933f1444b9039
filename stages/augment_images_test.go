package stages

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/pipelinetest"
	"github.com/pipe-ml/pipe/tensor"
	"gopkg.in/yaml.v3"
)

// TestAugmentImagesPipeline runs CIFAR-10 records through dataset/cifar10
// and augment/images with the executor: two copies of each image, labels
// repeated, F32 output normalised per channel.
func TestAugmentImagesPipeline(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir, "data_batch_1.bin", 0, 6)
	res := runSpec(t, dir, `name: augment-test
seed: 3
stages:
  data:
    uses: dataset/cifar10
    with: {files: [data_batch_1.bin]}
  aug:
    uses: augment/images
    inputs: [data]
    with:
      copies: 2
      ops:
        - random_crop: {size: 32, padding: 4, padding_mode: reflect}
        - horizontal_flip
        - color_jitter: {brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1}
        - normalize: {mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261]}
`)
	d := readResultDataset(t, res["aug"].Dir)
	if d.Images.DType != tensor.Float32 || !slices.Equal(d.Images.Shape, []int{12, 3, 32, 32}) {
		t.Fatalf("images %s %v, want F32 [12 3 32 32]", d.Images.DType, d.Images.Shape)
	}
	if got := d.Labels.Int64s(); !slices.Equal(got, []int64{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}) {
		t.Errorf("labels %v, want 0..5 twice", got)
	}
	v := d.Images.Float32s()
	per := 3 * 32 * 32
	if bytes.Equal(d.Images.Data[:per*4], d.Images.Data[6*per*4:7*per*4]) {
		t.Error("copy 0 and copy 1 of image 0 are identical")
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	// Normalised [0, 1] data lies within [-0.4914/0.247, (1-0.4822)/0.243].
	if lo < -1.99 || hi > 2.131 || lo > -1 || hi < 1 {
		t.Errorf("values span [%g, %g], want most of [-1.99, 2.131]", lo, hi)
	}
	if d.Meta["classes"] == "" || !strings.Contains(d.Meta["augment_ops"], "random_crop") {
		t.Errorf("meta %v: want the input's classes and the ops", d.Meta)
	}
}

// TestAugmentImagesJobs: the executor's -j (stages at once) and threads per
// stage do not change what augment/images writes: the output IDs, hashes
// of the bytes, are equal.
func TestAugmentImagesJobs(t *testing.T) {
	spec := `name: jobs-test
seed: 5
stages:
  data:
    uses: dataset/cifar10
    with: {files: [b.bin]}
  aug:
    uses: augment/images
    inputs: [data]
    with:
      ops: [{random_crop: {size: 30}}, {rotation: {degrees: 45, interpolation: bilinear}},
            {color_jitter: {brightness: 0.3, saturation: 0.3, hue: 0.05}}]
  aug2:
    uses: augment/images
    inputs: [data]
    with: {ops: [vertical_flip], copies: 3}
`
	var ids []string
	for _, run := range []struct{ jobs, threads int }{{1, 1}, {4, 3}, {2, 16}} {
		dir := t.TempDir()
		writeCIFAR(t, dir, "b.bin", 0, 50)
		res, err := pipelinetest.Try(
			t,
			dir,
			spec,
			pipelinetest.Options{Jobs: run.jobs, Threads: run.threads},
		)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res {
			got = append(got, r.Name+" "+r.OutputID.String())
		}
		slices.Sort(got)
		ids = append(ids, strings.Join(got, "\n"))
	}
	if ids[1] != ids[0] || ids[2] != ids[0] {
		t.Errorf("output IDs differ between -j 1 (1 thread), -j 4 (3 threads) and -j 2 (16 threads):\n%s",
			strings.Join(ids, "\n--\n"))
	}
}

// TestAugmentImagesBytes: crops and flips of U8 images are stored as U8,
// and read back as exactly the F32 values dtype f32 stores; a bilinear
// rotation makes values no byte holds, so the output stays F32.
func TestAugmentImagesBytes(t *testing.T) {
	// The stage's seed comes from its name, so both runs name it aug.
	run := func(dtype, ops string) *Dataset {
		dir := t.TempDir()
		writeCIFAR(t, dir, "b.bin", 0, 20)
		res := runSpec(t, dir, `name: bytes-test
stages:
  data:
    uses: dataset/cifar10
    with: {files: [b.bin]}
  aug:
    uses: augment/images
    inputs: [data]
    with: {dtype: `+dtype+`, ops: `+ops+`}
`)
		return readResultDataset(t, res["aug"].Dir)
	}
	ops := "[{random_crop: {size: 30, padding: 2, padding_mode: edge}}, horizontal_flip, " +
		"{rotation: {degrees: [90, 90]}}]"
	auto, f32 := run("auto", ops), run("f32", ops)
	if auto.Images.DType != tensor.Uint8 || f32.Images.DType != tensor.Float32 {
		t.Fatalf("dtypes %s and %s, want U8 (auto) and F32", auto.Images.DType, f32.Images.DType)
	}
	if !slices.Equal(auto.Images.Shape, f32.Images.Shape) ||
		!slices.Equal(auto.Float01(), f32.Float01()) {
		t.Error("the U8 output does not read back as the F32 output")
	}
	if d := run("auto",
		"[{rotation: {degrees: 10, interpolation: bilinear}}]"); d.Images.DType != tensor.Float32 {
		t.Errorf("bilinear rotation: dtype %s, want F32", d.Images.DType)
	}
}

// writeInput writes a dataset where the stage under test can read it.
func writeInput(t *testing.T, d *Dataset) map[string]*pipeline.Artifact {
	t.Helper()
	dir := t.TempDir()
	if err := d.Write(dir); err != nil {
		t.Fatal(err)
	}
	return map[string]*pipeline.Artifact{"data": {Stage: "data", Kind: "dataset/test", Dir: dir,
		Files: []string{DataFile}}}
}

// opsParam decodes ops written in YAML the way the spec loader hands them
// to a stage: ints as int64.
func opsParam(t *testing.T, src string) pipeline.Values {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	var fix func(any) any
	fix = func(v any) any {
		switch x := v.(type) {
		case int:
			return int64(x)
		case []any:
			for i := range x {
				x[i] = fix(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = fix(x[k])
			}
		}
		return v
	}
	return pipeline.Values{"ops": fix(v), "copies": int64(1)}
}

func runAugment(t *testing.T, params pipeline.Values, in map[string]*pipeline.Artifact,
	seed int64, threads int) []byte {
	t.Helper()
	rc, out := directContext(t, params, in, seed, threads)
	if err := (augmentImages{}).Run(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAugmentImagesThreads: the output file is the same bytes for any
// number of threads and OS threads, and changes with the seed.
func TestAugmentImagesThreads(t *testing.T) {
	dir := t.TempDir()
	pix, labels, err := readCIFARFile(writeCIFAR(t, dir, "b.bin", 0, 300))
	if err != nil {
		t.Fatal(err)
	}
	in := writeInput(t, &Dataset{
		Images: &tensor.Tensor{DType: tensor.Uint8, Shape: []int{300, 3, 32, 32}, Data: pix},
		Labels: tensor.FromInt64(labels, 300)})
	params := opsParam(t, `
- random_crop: {size: [28, 30], padding: [2, 3], pad_if_needed: true, padding_mode: symmetric}
- horizontal_flip: {p: 0.5}
- vertical_flip: {p: 0.2}
- rotation: {degrees: 20, interpolation: bilinear, fill: [0.1, 0.2, 0.3]}
- color_jitter: {brightness: [0.7, 1.2], contrast: 0.3, saturation: 0.5, hue: [-0.05, 0.1]}
- resize: {size: 24, antialias: true}
- center_crop: {size: 20}
- normalize: {mean: 0.5, std: 0.25}
`)
	want := runAugment(t, params, in, 42, 1)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, threads := range []int{2, 7} {
			if got := runAugment(t, params, in, 42, threads); !bytes.Equal(got, want) {
				t.Errorf("GOMAXPROCS %d, %d threads: output differs from 1 thread", procs, threads)
			}
		}
	}
	if got := runAugment(t, params, in, 43, 2); bytes.Equal(got, want) {
		t.Error("seeds 42 and 43 gave the same output")
	}
}

// refcase is one case of the augment package's copy of the shared
// torchvision references.
type refcase struct {
	Name   string
	Input  refArray
	Expect refArray `json:"expected"`
	Tol    float64  `json:"abs_tolerance"`
}

type refArray struct {
	Shape []int
	Data  []float32
}

func (a *refArray) UnmarshalJSON(b []byte) error {
	var raw struct {
		Shape []int `json:"shape"`
		Data  any   `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	a.Shape = raw.Shape
	var flat func(v any)
	flat = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				flat(e)
			}
		case float64:
			a.Data = append(a.Data, float32(x))
		}
	}
	flat(raw.Data)
	return nil
}

// TestAugmentImagesCollapsed: a random op whose range is one value is the
// fixed op, whatever the seed, and gives torchvision's answer.
func TestAugmentImagesCollapsed(t *testing.T) {
	b, err := os.ReadFile("../augment/testdata/augment_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Cases []refcase }
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	cases := map[string]refcase{}
	for _, c := range file.Cases {
		cases[c.Name] = c
	}
	for _, tt := range []struct{ ref, ops string }{
		{"rotate_90_square_nearest", "[{rotation: {degrees: [90, 90]}}]"},
		{"rotate_90_square_bilinear", "[{rotation: {degrees: [90, 90], interpolation: bilinear}}]"},
		{"adjust_brightness_1.3_float32", "[{color_jitter: {brightness: [1.3, 1.3]}}]"},
		{"adjust_hue_-0.25_float32", "[{color_jitter: {hue: [-0.25, -0.25]}}]"},
		{"normalize_imagenet_float32",
			"[{normalize: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}}]"},
	} {
		t.Run(tt.ref, func(t *testing.T) {
			c, ok := cases[tt.ref]
			if !ok {
				t.Fatalf("no reference case %s", tt.ref)
			}
			// Three copies of the case's image: each gets its own draws.
			n := 3
			all := slices.Concat(c.Input.Data, c.Input.Data, c.Input.Data)
			in := writeInput(
				t,
				&Dataset{Images: tensor.FromFloat32(all, append([]int{n}, c.Input.Shape...)...)},
			)
			params := opsParam(t, tt.ops)
			first := runAugment(t, params, in, 1, 2)
			if again := runAugment(t, params, in, 99, 1); !bytes.Equal(first, again) {
				t.Error("seeds 1 and 99 gave different output for a fixed op")
			}
			ts, _, err := tensor.ReadSafetensors(bytes.NewReader(first))
			if err != nil {
				t.Fatal(err)
			}
			got := ts["images"].Float32s()
			var maxErr float64
			for i := range got {
				maxErr = max(maxErr, math.Abs(float64(got[i]-c.Expect.Data[i%len(c.Expect.Data)])))
			}
			if maxErr > c.Tol {
				t.Errorf("max error %g against torchvision, tolerance %g", maxErr, c.Tol)
			}
		})
	}
}

// TestAugmentImagesBadOps: bad ops are reported when the experiment is
// resolved, before anything runs, at the position of the ops parameter;
// both description errors (augment.ParseOps) and parameter errors
// (augment.NewPipeline) come out.
func TestAugmentImagesBadOps(t *testing.T) {
	for _, tt := range []struct{ ops, want string }{
		{"[{random_crop: {size: 28, paddding: 4}}, twirl]",
			`exp.yaml:10:12: stages.aug.with.ops: ops[0]: unknown parameter "paddding"`},
		{"[{color_jitter: {hue: [-0.6, 0]}}]",
			"color jitter hue [-0.6 0]: want -0.5 <= min <= max <= 0.5"},
	} {
		path := filepath.Join(t.TempDir(), "exp.yaml")
		spec := `name: bad-ops
stages:
  data:
    uses: dataset/cifar10
    with: {files: [b.bin]}
  aug:
    uses: augment/images
    inputs: [data]
    with:
      ops: ` + tt.ops + "\n"
		if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := pipeline.Load(path)
		if err == nil {
			_, err = pipeline.Resolve(s, nil)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ops %s: error %v, want it to contain %q", tt.ops, err, tt.want)
		}
	}
}

// TestAugmentImagesSizeMismatch: rotation with expand gives each image its
// own size; the stage says so instead of writing ragged data.
func TestAugmentImagesSizeMismatch(t *testing.T) {
	in := writeInput(t, &Dataset{Images: tensor.New(tensor.Uint8, 20, 1, 8, 12)})
	rc, _ := directContext(t, opsParam(t, "[{rotation: {degrees: 40, expand: true}}]"), in, 1, 2)
	err := (augmentImages{}).Run(context.Background(), rc)
	if err == nil || !strings.Contains(err.Error(), "add resize or center_crop") {
		t.Errorf("rotation with expand: error %v, want a hint to add resize or center_crop", err)
	}
}

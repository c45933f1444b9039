package augment

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// testBatch returns n deterministic images of shape c×h×w with values in
// [0, 1].
func testBatch(n, c, h, w int) []Image {
	r := NewRand(99, 0)
	imgs := make([]Image, n)
	for i := range imgs {
		imgs[i] = NewImage(c, h, w)
		for k := range imgs[i].Pix {
			imgs[i].Pix[k] = float32(r.Float64())
		}
	}
	return imgs
}

func batchBytes(imgs []Image) []byte {
	var buf bytes.Buffer
	for _, m := range imgs {
		binary.Write(&buf, binary.LittleEndian, [3]int32{int32(m.C), int32(m.H), int32(m.W)})
		binary.Write(&buf, binary.LittleEndian, m.Pix)
	}
	return buf.Bytes()
}

// everyOp exercises every op with random parameters, including rotation
// with expand (whose output size varies per image).
func everyOp(t *testing.T) *Pipeline {
	t.Helper()
	p, err := NewPipeline(
		RandomCrop{Size: [2]int{30, 30}, Padding: []int{4}, PadIfNeeded: true, PaddingMode: PadReflect},
		HFlip{P: 0.5},
		VFlip{P: 0.3},
		ColorJitter{Brightness: FactorRange(0.4), Contrast: FactorRange(0.4),
			Saturation: FactorRange(0.4), Hue: Symmetric(0.1)},
		Rotation{Degrees: Symmetric(30), Interpolation: Bilinear, Expand: true},
		Resize{Size: []int{24}},
		CenterCrop{Size: [2]int{22, 22}},
		Normalize{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.25, 0.25, 0.25}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCollapsedRanges: a random op whose range is a single value gives
// exactly torchvision's functional op at that value, as the references
// record it.
func TestCollapsedRanges(t *testing.T) {
	cases, err := loadFixtures("testdata/augment_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]fixtureCase{}
	for _, c := range cases {
		byName[c.Name] = c
	}
	tests := []struct {
		ref string
		op  Op
	}{
		{"rotate_90_square_nearest", Rotation{Degrees: [2]float64{90, 90}}},
		{"rotate_180_square_nearest", Rotation{Degrees: [2]float64{180, 180}}},
		{"rotate_90_square_bilinear", Rotation{Degrees: [2]float64{90, 90}, Interpolation: Bilinear}},
		{
			"rotate_90_rect4x6_expand_false_fill",
			Rotation{Degrees: [2]float64{90, 90}, Fill: []float64{-1}},
		},
		{"adjust_brightness_1.3_float32", ColorJitter{Brightness: [2]float64{1.3, 1.3}}},
		{"adjust_contrast_1.5_float32", ColorJitter{Contrast: [2]float64{1.5, 1.5}}},
		{"adjust_saturation_1.8_float32", ColorJitter{Saturation: [2]float64{1.8, 1.8}}},
		{"adjust_hue_-0.25_float32", ColorJitter{Hue: [2]float64{-0.25, -0.25}}},
		{"hflip_uint8", HFlip{P: 1}},
		{"normalize_imagenet_float32", Normalize{Mean: []float64{0.485, 0.456, 0.406},
			Std: []float64{0.229, 0.224, 0.225}}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			c, ok := byName[tt.ref]
			if !ok {
				t.Fatalf("no reference case %s", tt.ref)
			}
			p, err := NewPipeline(tt.op)
			if err != nil {
				t.Fatal(err)
			}
			in := c.Input.image()
			for seed := uint64(0); seed < 5; seed++ {
				got, err := p.Apply(in, seed, 3)
				if err != nil {
					t.Fatal(err)
				}
				for i, w := range c.Expected.Data {
					if got.Pix[i] != float32(w) {
						t.Fatalf("seed %d: value %d = %v, want %v", seed, i, got.Pix[i], w)
					}
				}
			}
		})
	}
}

func TestNewPipelineErrors(t *testing.T) {
	_, err := NewPipeline(
		RandomCrop{Size: [2]int{0, 3}},
		HFlip{P: 1.5},
		ColorJitter{Hue: [2]float64{-0.7, 0.1}},
		Normalize{Mean: []float64{0.5}, Std: []float64{0}},
		Pad{Padding: []int{1, 2, 3}},
		Rotation{Degrees: [2]float64{10, -10}},
		Resize{Size: []int{3, 4}, MaxSize: 9},
		RandomCrop{Size: [2]int{3, 3}, PaddingMode: "wrap"},
	)
	if err == nil {
		t.Fatal("NewPipeline accepted bad parameters")
	}
	for i, want := range []string{"op 0 (RandomCrop)", "op 1 (HFlip)", "op 2 (ColorJitter)",
		"op 3 (Normalize)", "op 4 (Pad)", "op 5 (Rotation)", "op 6 (Resize)", `"wrap"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %d: %q does not mention %s", i, err, want)
		}
	}
}

// TestDrawStatistics checks the sampling: flip rate near p, angles inside
// and spread over their range, crop offsets covering 0..slack inclusive,
// all 24 jitter orders.
func TestDrawStatistics(t *testing.T) {
	const n = 20000
	flips, counts := 0, map[[2]int]int{}
	orders := map[[4]int]int{}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for i := uint64(0); i < n; i++ {
		r := NewRand(5, i)
		if r.Float64() < 0.3 {
			flips++
		}
		a := r.Uniform(-30, 10)
		lo, hi, sum = min(lo, a), max(hi, a), sum+a
		counts[[2]int{r.IntN(9), r.IntN(9)}]++
		orders[r.perm4()]++
	}
	if rate := float64(flips) / n; math.Abs(rate-0.3) > 0.015 {
		t.Errorf("flip rate %.4f, want 0.3 ± 0.015", rate)
	}
	if lo < -30 || hi >= 10 || lo > -29.9 || hi < 9.9 {
		t.Errorf("angles span [%.3f, %.3f], want nearly all of [-30, 10)", lo, hi)
	}
	if mean := sum / n; math.Abs(mean+10) > 0.5 {
		t.Errorf("mean angle %.3f, want -10 ± 0.5", mean)
	}
	if len(counts) != 81 {
		t.Errorf("crop offsets: %d of 81 (top, left) pairs seen", len(counts))
	}
	for k, c := range counts {
		if c < n/81/2 {
			t.Errorf("crop offset %v seen %d times, want about %d", k, c, n/81)
		}
	}
	if len(orders) != 24 {
		t.Errorf("jitter orders: %d of 24 seen", len(orders))
	}
	for k, c := range orders {
		if c < n/24/2 {
			t.Errorf("jitter order %v seen %d times, want about %d", k, c, n/24)
		}
	}
}

// TestRandomCropDrawsNothingWhenExact: like torchvision's get_params, a
// crop of the padded image's own size consumes no draws, so the ops after
// it see the same stream as without it.
func TestRandomCropDrawsNothingWhenExact(t *testing.T) {
	img := testBatch(1, 1, 6, 6)[0]
	with, err := NewPipeline(
		RandomCrop{Size: [2]int{6, 6}},
		HFlip{P: 0.5},
		Rotation{Degrees: Symmetric(45)},
	)
	if err != nil {
		t.Fatal(err)
	}
	without, err := NewPipeline(HFlip{P: 0.5}, Rotation{Degrees: Symmetric(45)})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 20; i++ {
		a, _ := with.Apply(img, 1, i)
		b, _ := without.Apply(img, 1, i)
		if !bytes.Equal(batchBytes([]Image{a}), batchBytes([]Image{b})) {
			t.Fatalf("image %d: an exact-size crop changed the later draws", i)
		}
	}
}

// The two workloads of bench/augment.sh, one image per iteration, on one
// goroutine: Fashion-MNIST-sized crop+flip+normalize, and CIFAR-sized
// crop+flip+jitter+normalize.

func benchPipeline(b *testing.B, imgs []Image, ops ...Op) {
	p, err := NewPipeline(ops...)
	if err != nil {
		b.Fatal(err)
	}
	var w worker
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.apply(&w, imgs[i%len(imgs)], 1, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFashionCropFlipNormalize(b *testing.B) {
	benchPipeline(b, testBatch(64, 1, 28, 28),
		RandomCrop{Size: [2]int{28, 28}, Padding: []int{4}},
		HFlip{P: 0.5},
		Normalize{Mean: []float64{0.5}, Std: []float64{0.5}})
}

func BenchmarkCIFARJitter(b *testing.B) {
	benchPipeline(b, testBatch(64, 3, 32, 32),
		RandomCrop{Size: [2]int{32, 32}, Padding: []int{4}},
		HFlip{P: 0.5},
		ColorJitter{Brightness: FactorRange(0.4), Contrast: FactorRange(0.4),
			Saturation: FactorRange(0.4), Hue: Symmetric(0.1)},
		Normalize{Mean: []float64{0.4914, 0.4822, 0.4465}, Std: []float64{0.247, 0.243, 0.261}})
}

func BenchmarkRotateBilinear28(b *testing.B) {
	benchPipeline(b, testBatch(64, 1, 28, 28),
		Rotation{Degrees: Symmetric(30), Interpolation: Bilinear})
}

func BenchmarkHue32(b *testing.B) {
	benchPipeline(b, testBatch(64, 3, 32, 32), ColorJitter{Hue: Symmetric(0.1)})
}

// FuzzPipeline builds ops from fuzzed parameters and applies them to a
// fuzzed-size image: every combination must either be rejected with an
// error or produce an image whose shape matches its data, never panic, and
// give the same bytes twice.
func FuzzPipeline(f *testing.F) {
	f.Add(
		uint8(3),
		uint8(5),
		uint8(7),
		uint8(4),
		uint8(6),
		uint8(2),
		uint8(1),
		uint8(0),
		int16(30),
		uint8(9),
		true,
	)
	f.Add(
		uint8(1),
		uint8(1),
		uint8(1),
		uint8(3),
		uint8(3),
		uint8(0),
		uint8(2),
		uint8(1),
		int16(-90),
		uint8(2),
		false,
	)
	f.Add(
		uint8(3),
		uint8(2),
		uint8(9),
		uint8(9),
		uint8(2),
		uint8(5),
		uint8(3),
		uint8(3),
		int16(180),
		uint8(30),
		true,
	)
	f.Fuzz(
		func(t *testing.T, c, h, w, ch, cw, pad, mode, interp uint8, angle int16, size uint8,
			expand bool) {
			c = 1 + c%4
			h, w = 1+h%24, 1+w%24
			modes := []PadMode{PadConstant, PadEdge, PadReflect, PadSymmetric}
			interps := []Interpolation{Nearest, Bilinear, Bicubic}
			ops := []Op{
				RandomCrop{Size: [2]int{1 + int(ch%30), 1 + int(cw%30)}, Padding: []int{int(pad % 6)},
					PadIfNeeded: true, PaddingMode: modes[mode%4], Fill: 0.25},
				HFlip{P: 0.5},
				VFlip{P: 0.5},
				Rotation{Degrees: [2]float64{float64(angle) / 3, float64(angle)/3 + 1},
					Interpolation: interps[interp%2], Expand: expand},
				Resize{Size: []int{1 + int(size%40)}, Interpolation: interps[interp%3],
					Antialias: expand && interp%3 != 0},
				CenterCrop{Size: [2]int{1 + int(size%17), 1 + int(ch%13)}},
				Pad{Padding: []int{int(pad % 3), int(mode % 3)}, Mode: modes[interp%4]},
			}
			if c == 1 || c == 3 {
				ops = append(ops, ColorJitter{Brightness: FactorRange(0.3), Contrast: FactorRange(0.3),
					Saturation: FactorRange(0.3), Hue: Symmetric(0.2)})
			}
			ops = append(ops, Normalize{Mean: []float64{0.5}, Std: []float64{0.25}})
			p, err := NewPipeline(ops...)
			if err != nil {
				t.Fatalf("NewPipeline: %v", err)
			}
			img := NewImage(int(c), int(h), int(w))
			for i := range img.Pix {
				img.Pix[i] = float32(i%7) / 6
			}
			a, errA := p.Apply(img, 1, 2)
			b, errB := p.Apply(img, 1, 2)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("errors differ between runs: %v, %v", errA, errB)
			}
			if errA != nil {
				return // reflect padding larger than the image is an error, as in torch
			}
			if err := a.Check(); err != nil {
				t.Fatalf("result: %v", err)
			}
			if !sameImage(a, b) {
				t.Fatal("two runs gave different images")
			}
			for _, v := range a.Pix {
				if math.IsNaN(float64(v)) {
					t.Fatal("NaN in the result")
				}
			}
		},
	)
}

// TestResizeOpAntialias: the Resize op with Antialias gives
// ResizeAntialias's result, which the fixtures check against torchvision,
// and refuses nearest.
func TestResizeOpAntialias(t *testing.T) {
	img := testBatch(1, 3, 40, 52)[0]
	p, err := NewPipeline(Resize{Size: []int{13, 11}, Antialias: true, Interpolation: Bicubic})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Apply(img, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ResizeAntialias(img, 13, 11, Bicubic)
	if err != nil {
		t.Fatal(err)
	}
	if !sameImage(got, want) {
		t.Error("Resize{Antialias} differs from ResizeAntialias")
	}
	if _, err := NewPipeline(Resize{Size: []int{8}, Antialias: true,
		Interpolation: Nearest}); err == nil {
		t.Error("NewPipeline accepted an antialiased nearest resize")
	}
}

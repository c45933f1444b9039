package audio

import (
	"image/color"
	"math"
	"testing"
)

func TestSpectrogramImageLayout(t *testing.T) {
	// 2 channels of 2 rows x 3 frames. Channel 0 is loud only in row 0
	// (lowest bin), frame 2; channel 1 only in row 1, frame 0.
	s := []float32{
		0, 0, 1, // ch 0, row 0
		0, 0, 0, // ch 0, row 1
		0, 0, 0, // ch 1, row 0
		1, 0, 0, // ch 1, row 1
	}
	img, err := SpectrogramImage(s, 2, 2, 3, ImageOptions{Zoom: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Height: (2 channels x 2 rows + one 2-pixel gap) x zoom 2.
	if b := img.Bounds(); b.Dx() != 6 || b.Dy() != 12 {
		t.Fatalf("image is %dx%d, want 6x12", b.Dx(), b.Dy())
	}
	bright := color.NRGBA{252, 250, 190, 255}
	black := color.NRGBA{0, 0, 0, 255}
	tests := []struct {
		x, y int
		want color.NRGBA
	}{
		{5, 3, bright}, // ch 0 row 0 is the lower row of channel 0: y 2-3
		{4, 2, bright},
		{5, 1, black},  // ch 0 row 1, drawn above
		{0, 6, black},  // the gap between channels
		{0, 8, bright}, // ch 1 row 1: the upper row of channel 1, y 8-9
		{1, 9, bright},
		{0, 10, black}, // ch 1 row 0
	}
	for _, tt := range tests {
		if got := img.NRGBAAt(tt.x, tt.y); got != tt.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
}

func TestSpectrogramImageScale(t *testing.T) {
	tests := []struct {
		name string
		s    []float32
		o    ImageOptions
		want []uint8 // red component of each pixel, left to right
	}{
		// Power: 1 is 0 dB, 1e-4 is -40 dB (half of 80), 1e-8 is -80 dB.
		{"power", []float32{1, 1e-4, 1e-8, 0}, ImageOptions{}, []uint8{252, 185, 0, 0}},
		// Magnitude: 1e-2 is -40 dB.
		{"magnitude", []float32{1, 1e-2, 1e-4, 0}, ImageOptions{Magnitude: true},
			[]uint8{252, 185, 0, 0}},
		// Decibels as given, 40 dB shown: -10 is a quarter down the map.
		{"decibels", []float32{-10, -20, -30, -100}, ImageOptions{Decibels: true, RangeDB: 40},
			[]uint8{252, 245, 185, 0}},
		{"nan", []float32{float32(math.NaN()), 3, -77, float32(math.NaN())},
			ImageOptions{Decibels: true}, []uint8{0, 252, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := SpectrogramImage(tt.s, 1, 1, len(tt.s), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			for x, want := range tt.want {
				if got := img.NRGBAAt(x, 0).R; got != want {
					t.Errorf("pixel %d red = %d, want %d", x, got, want)
				}
			}
		})
	}
}

func TestSpectrogramImageErrors(t *testing.T) {
	tests := []struct {
		name              string
		n, ch, rows, cols int
		o                 ImageOptions
	}{
		{"count", 5, 1, 2, 3, ImageOptions{}},
		{"empty", 0, 1, 0, 3, ImageOptions{}},
		{"range", 6, 1, 2, 3, ImageOptions{RangeDB: -1}},
		{"zoom", 6, 1, 2, 3, ImageOptions{Zoom: 65}},
	}
	for _, tt := range tests {
		if _, err := SpectrogramImage(make([]float32, tt.n), tt.ch, tt.rows, tt.cols, tt.o); err == nil {
			t.Errorf("%s: SpectrogramImage(%d values, %d x %d x %d, %+v) = nil error",
				tt.name, tt.n, tt.ch, tt.rows, tt.cols, tt.o)
		}
	}
}

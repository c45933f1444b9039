package audio

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// ImageOptions configures SpectrogramImage.
type ImageOptions struct {
	// Decibels says the values are already decibels (AmplitudeToDB's
	// output). Otherwise they are a power spectrogram, or a magnitude one if
	// Magnitude is set, and are converted to decibels for display with
	// torchaudio's floor (amin 1e-10).
	Decibels  bool
	Magnitude bool
	// RangeDB is the span shown, down from the maximum: the maximum is the
	// brightest colour, RangeDB below it and anything lower black. 0 means
	// 80 dB, the top_db most log-mel recipes use.
	RangeDB float64
	// Zoom repeats every value Zoom x Zoom times, since one pixel per frame
	// and mel bin makes a short clip a thumbnail. 0 means 1.
	Zoom int
}

// channelGap is the black band, in pixels before zooming, between the
// channels of a multi-channel spectrogram.
const channelGap = 2

// SpectrogramImage renders a spectrogram as a heat map: s holds channels
// blocks of rows x cols values, row-major as MelSpectrogram returns them
// (row 0 the lowest frequency). Time runs left to right and frequency
// bottom to top, as spectrograms are usually drawn; channel 0 is on top.
// The colour map runs from black through purple, red and orange to pale
// yellow, so loudness reads as brightness in colour and in grey print alike.
// NaN values are black.
func SpectrogramImage(s []float32, channels, rows, cols int, o ImageOptions) (*image.NRGBA, error) {
	switch {
	case channels <= 0 || rows <= 0 || cols <= 0:
		return nil, fmt.Errorf("spectrogram image: %d x %d x %d values, want each positive",
			channels, rows, cols)
	case len(s) != channels*rows*cols:
		return nil, fmt.Errorf("spectrogram image: %d values for %d x %d x %d",
			len(s), channels, rows, cols)
	case o.RangeDB < 0 || math.IsNaN(o.RangeDB) || math.IsInf(o.RangeDB, 0):
		return nil, fmt.Errorf("spectrogram image: range %g dB, want positive (0: 80)", o.RangeDB)
	case o.Zoom < 0 || o.Zoom > 64:
		return nil, fmt.Errorf("spectrogram image: zoom %d, want 1 to 64 (0: 1)", o.Zoom)
	}
	span := o.RangeDB
	if span == 0 {
		span = 80
	}
	zoom := max(o.Zoom, 1)
	h := (channels*rows + (channels-1)*channelGap) * zoom
	w := cols * zoom
	if int64(w)*int64(h) > 1<<28 {
		return nil, errors.New("spectrogram image: too large for one PNG")
	}

	db := s
	if !o.Decibels {
		var err error
		db, err = AmplitudeToDB(s, DBOptions{Magnitude: o.Magnitude, Amin: 1e-10, Ref: 1})
		if err != nil {
			return nil, err
		}
	}
	top := math.Inf(-1)
	for _, v := range db {
		if f := float64(v); f > top { // false for NaN, which max would propagate
			top = f
		}
	}
	if math.IsInf(top, 0) {
		top = 0 // all NaN or -Inf: everything is drawn black
	}
	lo := top - span

	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255 // opaque, gaps included
	}
	for c := 0; c < channels; c++ {
		y0 := c * (rows + channelGap) * zoom
		for r := 0; r < rows; r++ {
			// Row 0 is the lowest frequency: draw it at the bottom.
			y := y0 + (rows-1-r)*zoom
			src := db[(c*rows+r)*cols : (c*rows+r+1)*cols]
			for t, v := range src {
				rgb := heat((float64(v) - lo) / span)
				for dy := 0; dy < zoom; dy++ {
					p := img.Pix[(y+dy)*img.Stride+t*zoom*4:]
					for dx := 0; dx < zoom; dx++ {
						copy(p[dx*4:dx*4+3], rgb[:])
					}
				}
			}
		}
	}
	return img, nil
}

// heatStops are the colour map's anchors, evenly spaced over [0, 1]:
// black, violet, crimson, orange, pale yellow. Chosen so that perceived
// lightness rises steadily from one to the next.
var heatStops = [...][3]float64{
	{0, 0, 0},
	{70, 20, 115},
	{185, 45, 80},
	{245, 140, 35},
	{252, 250, 190},
}

// heat maps f in [0, 1] (clamped; NaN as 0) to a colour by linear
// interpolation between heatStops.
func heat(f float64) [3]uint8 {
	if !(f > 0) {
		f = 0
	}
	f = min(f, 1) * float64(len(heatStops)-1)
	i := min(int(f), len(heatStops)-2)
	frac := f - float64(i)
	var out [3]uint8
	for k := range out {
		a, b := heatStops[i][k], heatStops[i+1][k]
		out[k] = uint8(math.Round(a + (b-a)*frac))
	}
	return out
}

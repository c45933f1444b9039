package audio

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
)

// DBOptions configures AmplitudeToDB; the fields are those of
// torchaudio.transforms.AmplitudeToDB plus its fixed amin and ref.
type DBOptions struct {
	// Magnitude says the input is a magnitude spectrogram (Power 1): 20·log10.
	// Otherwise it is a power spectrogram: 10·log10.
	Magnitude bool
	// Amin is the floor applied before the logarithm: 1e-10 in torchaudio
	// (for both kinds) and in librosa's power_to_db; librosa's amplitude_to_db
	// uses 1e-5.
	Amin float64
	// Ref is the value that maps to 0 dB (torchaudio: 1).
	Ref float64
	// TopDB, when positive, raises every value to at least the array's maximum
	// minus TopDB (torchaudio: off by default; librosa's power_to_db: 80).
	TopDB float64
}

// DefaultDBOptions returns torchaudio.transforms.AmplitudeToDB's defaults:
// power input, amin 1e-10, ref 1, no top_db clamp.
func DefaultDBOptions() DBOptions {
	return DBOptions{Amin: 1e-10, Ref: 1}
}

// Validate reports every invalid field at once.
func (o DBOptions) Validate() error {
	var bad []string
	if !(o.Amin > 0) {
		bad = append(bad, fmt.Sprintf("amin %g: must be positive", o.Amin))
	}
	if !(o.Ref > 0) {
		bad = append(bad, fmt.Sprintf("ref %g: must be positive", o.Ref))
	}
	if o.TopDB < 0 || math.IsNaN(o.TopDB) {
		bad = append(bad, fmt.Sprintf("top_db %g: must be positive, or 0 for none", o.TopDB))
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New("invalid dB options: " + strings.Join(bad, "; "))
}

// AmplitudeToDB converts a spectrogram to decibels:
// mult·log10(max(s, Amin)) - mult·log10(max(Amin, Ref)), mult 10 for power
// and 20 for magnitude, then, with TopDB, max(v, max(all v) - TopDB). The
// maximum is taken over the whole slice, as torchaudio takes it over one
// batch item. It returns a new slice.
func AmplitudeToDB(s []float32, o DBOptions) ([]float32, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	mult := 10.0
	if o.Magnitude {
		mult = 20
	}
	offset := mult * math.Log10(math.Max(o.Amin, o.Ref))

	// Split like frames: the logarithms are most of the cost.
	out := make([]float32, len(s))
	var mu sync.Mutex
	peak := math.Inf(-1)
	parallelFrames(len(s), func(i0, i1 int) {
		p := math.Inf(-1)
		for i := i0; i < i1; i++ {
			db := mult*math.Log10(max(float64(s[i]), o.Amin)) - offset
			out[i] = float32(db)
			p = max(p, db)
		}
		mu.Lock()
		peak = max(peak, p)
		mu.Unlock()
	})
	if o.TopDB > 0 {
		floor := float32(peak - o.TopDB)
		for i, v := range out {
			out[i] = max(v, floor)
		}
	}
	return out, nil
}

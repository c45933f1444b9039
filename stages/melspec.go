package stages

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/audio"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() { pipeline.Register(melSpec{}) }

// melSpec computes each clip's mel spectrogram as
// torchaudio.transforms.MelSpectrogram does, with its parameter names and
// defaults, optionally in decibels as AmplitudeToDB gives them, and draws
// each as a PNG.
//
// The sample rate is each clip's own (resample in dataset/audio to change
// it), where torchaudio takes it as an argument defaulting to 16000: a
// filter bank built for another rate than the signal's is never wanted.
// Not offered: torchaudio's pad, window_fn (always periodic Hann),
// normalized and onesided arguments.
type melSpec struct{}

func (melSpec) Kind() string { return "audio/melspec" }
func (melSpec) Version() int { return 1 }

func (melSpec) Schema() pipeline.Schema {
	positive := func(v any) error {
		if f := v.(float64); !(f > 0) {
			return fmt.Errorf("%g: must be positive (2 power, 1 magnitude)", f)
		}
		return nil
	}
	return pipeline.Schema{
		Produces: "mel",
		Doc: "mel spectrograms of an audio dataset's clips as torchaudio's MelSpectrogram " +
			"(same parameters and defaults), channels x n_mels x frames in " + MelFile +
			", and one <clip>.png heat map each",
		Params: []pipeline.Param{
			{Name: "n_fft", Type: pipeline.Int, Default: int64(400), Min: pipeline.AtLeast(1),
				Doc: "FFT size: n_fft/2+1 frequency bins"},
			{Name: "win_length", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "Hann window length, at most n_fft (zero-padded centred); 0: n_fft"},
			{Name: "hop_length", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "samples between frames; 0: win_length / 2"},
			{Name: "f_min", Type: pipeline.Float, Default: 0.0, Min: pipeline.AtLeast(0),
				Doc: "lowest filter edge in Hz"},
			{Name: "f_max", Type: pipeline.Float, Default: 0.0, Min: pipeline.AtLeast(0),
				Doc: "highest filter edge in Hz; 0: sample_rate // 2 (torchaudio's None)"},
			{Name: "n_mels", Type: pipeline.Int, Default: int64(128), Min: pipeline.AtLeast(1),
				Doc: "number of mel filters; 80 is the usual choice for speech models"},
			{Name: "power", Type: pipeline.Float, Default: 2.0, Check: positive,
				Doc: "exponent of |STFT|: 2 power, 1 magnitude"},
			{Name: "center", Type: pipeline.Bool, Default: true,
				Doc: "pad n_fft/2 samples on both sides so frame t is centred on sample t*hop"},
			{Name: "pad_mode", Type: pipeline.String, Default: "reflect",
				Enum: []string{"reflect", "constant"}, Doc: "how center pads"},
			{Name: "norm", Type: pipeline.String, Default: "none", Enum: []string{"none", "slaney"},
				Doc: "filter normalisation; slaney: unit area (torchaudio's norm=None is none)"},
			{Name: "mel_scale", Type: pipeline.String, Default: "htk", Enum: []string{"htk", "slaney"},
				Doc: "htk: 2595 log10(1 + f/700); slaney: linear below 1 kHz (librosa's default)"},
			{Name: "db", Type: pipeline.Bool, Default: false,
				Doc: "decibels as AmplitudeToDB gives them (amin 1e-10, ref 1): stype " +
					"magnitude (20 log10) when power is 1, else power (10 log10)"},
			{Name: "top_db", Type: pipeline.Float, Default: 0.0, Min: pipeline.AtLeast(0),
				Doc: "with db, raise values to at least the clip's maximum minus top_db; 0: no floor"},
			{Name: "png", Type: pipeline.Bool, Default: true,
				Doc: "draw each clip as <clip>.png: time left to right, low frequencies at " +
					"the bottom, the top 80 dB (or top_db) in colour"},
			{Name: "png_zoom", Type: pipeline.Int, Default: int64(1), Min: zoomMin, Max: zoomMax,
				Doc: "pixels per frame and per mel bin in the PNGs"},
		},
		Inputs: []pipeline.Input{
			{Name: "audio", Doc: "a dataset/audio stage", Accepts: []string{"audio"}},
		},
		Unseeded: true,
	}
}

var zoomMin, zoomMax = pipeline.Bounds(1, 16)

// melParams are the stage's parameters in the audio package's terms.
type melParams struct {
	mel  audio.MelOptions // SampleRate set per clip
	db   *audio.DBOptions // nil: no dB conversion
	png  bool
	zoom int
}

func newMelParams(v pipeline.Values) melParams {
	p := melParams{
		mel: audio.MelOptions{
			NFFT:      v.Int("n_fft"),
			WinLength: v.Int("win_length"),
			HopLength: v.Int("hop_length"),
			FMin:      v.Float("f_min"),
			FMax:      v.Float("f_max"),
			NMels:     v.Int("n_mels"),
			Power:     v.Float("power"),
			Center:    v.Bool("center"),
			PadMode:   v.String("pad_mode"),
			Norm:      v.String("norm"),
			MelScale:  v.String("mel_scale"),
		},
		png:  v.Bool("png"),
		zoom: v.Int("png_zoom"),
	}
	if v.Bool("db") {
		o := audio.DefaultDBOptions()
		o.Magnitude = p.mel.Power == 1
		o.TopDB = v.Float("top_db")
		p.db = &o
	}
	return p
}

func (melSpec) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("audio")
	if err != nil {
		return err
	}
	clips, err := ReadClips(in, AudioFile, 2)
	if err != nil {
		return err
	}
	p := newMelParams(rc.Params)

	out := make([]Clip, len(clips))
	frames := 0
	rc.Progress.Start(int64(len(clips)), "clips")
	for i, c := range clips {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The STFT already spreads each clip's frames over every core.
		m, err := clipMel(c, p)
		if err != nil {
			return err
		}
		out[i] = m
		frames += m.Data.Shape[2]
		if p.png {
			if err := writeMelPNG(filepath.Join(rc.Out, c.Name+".png"), m, p); err != nil {
				return err
			}
		}
		rc.Log.Debug("mel", "clip", c.Name, "shape", fmt.Sprint(m.Data.Shape))
		rc.Progress.Add(1)
	}
	rc.Log.Info("mel spectrograms", "clips", len(out), "frames", frames)
	rc.Metric("count", float64(len(out)))
	rc.Metric("frames", float64(frames))
	return writeClips(filepath.Join(rc.Out, MelFile), out)
}

// clipMel computes one clip's mel spectrogram, channel by channel, and its
// dB conversion over all channels at once, as torchaudio's AmplitudeToDB
// takes the top_db maximum over a whole channels x n_mels x frames item.
func clipMel(c Clip, p melParams) (Clip, error) {
	o := p.mel
	o.SampleRate = c.SampleRate
	if err := o.Validate(); err != nil {
		return Clip{}, fmt.Errorf("clip %s (%s, %d Hz): %w", c.Name, c.Source, c.SampleRate, err)
	}
	chans, n := c.Data.Shape[0], c.Data.Shape[1]
	x := c.Data.Float32s()
	var data []float32
	var nMels, nFrames int
	for ch := 0; ch < chans; ch++ {
		m, nm, nf, err := audio.MelSpectrogram(x[ch*n:(ch+1)*n], o)
		if err != nil {
			return Clip{}, fmt.Errorf("clip %s (%s, %d samples): %w", c.Name, c.Source, n, err)
		}
		data = append(data, m...)
		nMels, nFrames = nm, nf
	}
	if p.db != nil {
		var err error
		if data, err = audio.AmplitudeToDB(data, *p.db); err != nil {
			return Clip{}, err
		}
	}
	return Clip{Name: c.Name, Source: c.Source, SampleRate: c.SampleRate,
		Data: tensor.FromFloat32(data, chans, nMels, nFrames)}, nil
}

// writeMelPNG draws a clip's spectrogram over its top 80 dB, or top_db
// when the stage floors its output there.
func writeMelPNG(path string, m Clip, p melParams) error {
	o := audio.ImageOptions{Magnitude: p.mel.Power == 1, Zoom: p.zoom}
	if p.db != nil {
		o.Decibels = true
		o.Magnitude = p.db.Magnitude
		o.RangeDB = p.db.TopDB
	}
	s := m.Data.Shape
	img, err := audio.SpectrogramImage(m.Data.Float32s(), s[0], s[1], s[2], o)
	if err != nil {
		return fmt.Errorf("clip %s: %w", m.Name, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

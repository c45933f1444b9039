package stages

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/audio"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

// Files the audio stages write. Both are safetensors holding one float32
// tensor per clip, named after the clip, with the list of clips (name,
// source file, sample rate) as JSON in the metadata key "clips":
// AudioFile holds waveforms, channels x samples, as torchaudio.load returns
// them; MelFile holds spectrograms, channels x n_mels x frames, as
// torchaudio's MelSpectrogram returns them for such a waveform.
const (
	AudioFile = "audio.safetensors"
	MelFile   = "mel.safetensors"
)

// Clip is one audio file's tensor as the audio stages pass it along.
type Clip struct {
	Name       string // unique in its file: the source's base name without extension
	Source     string // base name of the WAV file it came from
	SampleRate int    // Hz of the waveform (for a spectrogram: of the waveform it came from)
	Data       *tensor.Tensor
}

// clipMeta is a clip's entry in the "clips" metadata.
type clipMeta struct {
	Name       string `json:"name"`
	Source     string `json:"source"`
	SampleRate int    `json:"sample_rate"`
}

// writeClips stores clips, in order, as one safetensors file.
func writeClips(path string, clips []Clip) error {
	ts := make(map[string]*tensor.Tensor, len(clips))
	meta := make([]clipMeta, len(clips))
	for i, c := range clips {
		ts[c.Name] = c.Data
		meta[i] = clipMeta{Name: c.Name, Source: c.Source, SampleRate: c.SampleRate}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return tensor.WriteSafetensorsFile(path, ts, map[string]string{"clips": string(b)})
}

// ReadClips reads the clips an upstream audio stage wrote to file
// (AudioFile or MelFile), in the order the stage listed them, checking
// that each tensor has rank dims.
func ReadClips(a *pipeline.Artifact, file string, dims int) ([]Clip, error) {
	if !a.Has(file) {
		return nil, fmt.Errorf("input from stage %q (%s) has no %s: is it an audio stage?",
			a.Stage, a.Kind, file)
	}
	ts, meta, err := tensor.ReadSafetensorsFile(a.Path(file))
	if err != nil {
		return nil, err
	}
	var list []clipMeta
	if err := json.Unmarshal([]byte(meta["clips"]), &list); err != nil {
		return nil, fmt.Errorf("%s from stage %q: clip list: %w", file, a.Stage, err)
	}
	clips := make([]Clip, len(list))
	for i, m := range list {
		t := ts[m.Name]
		switch {
		case t == nil:
			return nil, fmt.Errorf("%s from stage %q lists clip %q but holds no such tensor",
				file, a.Stage, m.Name)
		case len(t.Shape) != dims || t.DType != tensor.Float32:
			return nil, fmt.Errorf("%s from stage %q: clip %q is %s %v, want float32 of rank %d",
				file, a.Stage, m.Name, t.DType, t.Shape, dims)
		}
		clips[i] = Clip{Name: m.Name, Source: m.Source, SampleRate: m.SampleRate, Data: t}
	}
	return clips, nil
}

func init() { pipeline.Register(datasetAudio{}) }

// datasetAudio reads WAV files into waveforms, optionally resampled and
// mixed down to mono.
type datasetAudio struct{}

func (datasetAudio) Kind() string { return "dataset/audio" }
func (datasetAudio) Version() int { return 1 }

func (datasetAudio) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "audio",
		Doc: "WAV files (globs allowed) as float32 waveforms, channels x samples, in " +
			AudioFile + ", decoded as torchaudio.load decodes them",
		Params: []pipeline.Param{
			{Name: "files", Type: pipeline.Paths, Required: true,
				Doc: "WAV files: PCM 8/16/24/32-bit or float 32/64-bit, any channel count"},
			{Name: "sample_rate", Type: pipeline.Int, Default: int64(0), Min: pipeline.AtLeast(0),
				Doc: "resample every clip to this rate with torchaudio.functional.resample's " +
					"default (Hann-windowed sinc, 6 zero crossings, rolloff 0.99); 0 keeps each file's"},
			{Name: "mono", Type: pipeline.Bool, Default: false,
				Doc: "average the channels into one"},
		},
		Unseeded: true,
	}
}

func (datasetAudio) Run(ctx context.Context, rc *pipeline.RunContext) error {
	files := rc.Params.Strings("files")
	names := clipNames(files)
	rate := rc.Params.Int("sample_rate")
	mono := rc.Params.Bool("mono")

	clips := make([]Clip, len(files))
	rc.Progress.Start(int64(len(files)), "files")
	err := forEachIndex(ctx, len(files), rc.Threads, func(i int) error {
		c, err := loadClip(files[i], rate, mono)
		if err != nil {
			return err
		}
		c.Name = names[i]
		clips[i] = c
		rc.Progress.Add(1)
		return nil
	})
	if err != nil {
		return err
	}

	var seconds float64
	for _, c := range clips {
		seconds += float64(c.Data.Shape[1]) / float64(c.SampleRate)
		rc.Log.Debug("clip", "name", c.Name, "rate", c.SampleRate, "shape", fmt.Sprint(c.Data.Shape))
	}
	rc.Log.Info("audio read", "files", len(clips), "seconds", fmt.Sprintf("%.2f", seconds))
	rc.Metric("count", float64(len(clips)))
	rc.Metric("seconds", seconds)
	return writeClips(filepath.Join(rc.Out, AudioFile), clips)
}

// loadClip reads one WAV file, resampling it to rate unless rate is 0 and
// averaging its channels if mono is set. Errors name the file.
func loadClip(path string, rate int, mono bool) (Clip, error) {
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		return Clip{}, err
	}
	if a.Len() == 0 {
		return Clip{}, fmt.Errorf("%s: no samples", path)
	}
	chans := a.Channels
	if mono {
		chans = [][]float32{a.Mono()}
	}
	out := a.Rate
	if rate > 0 && rate != a.Rate {
		for i, ch := range chans {
			if chans[i], err = audio.Resample(ch, a.Rate, rate); err != nil {
				return Clip{}, fmt.Errorf("%s: %w", path, err)
			}
		}
		out = rate
	}
	n := len(chans[0])
	flat := make([]float32, 0, len(chans)*n)
	for _, ch := range chans {
		flat = append(flat, ch...)
	}
	return Clip{
		Source:     filepath.Base(path),
		SampleRate: out,
		Data:       tensor.FromFloat32(flat, len(chans), n),
	}, nil
}

// clipNames names each file's clip after its base name without extension.
// Files of the same name in different folders get -2, -3, ... in the order
// given, so that every name is unique and stable.
func clipNames(files []string) []string {
	names := make([]string, len(files))
	// safetensors reserves __metadata__ for itself.
	used := map[string]bool{"__metadata__": true}
	for i, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		name := base
		for k := 2; used[name]; k++ {
			name = base + "-" + strconv.Itoa(k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}

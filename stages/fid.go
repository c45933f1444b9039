package stages

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/pipe-ml/pipe/metrics"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

func init() {
	pipeline.Register(featureStats{})
	pipeline.Register(evalFID{})
}

// The artifacts of feature vectors and of their statistics. features/images
// (package neural) writes FeaturesFile; stats/features writes StatsFile.
// Both carry the extractor's name in their metadata under ExtractorKey, so
// a distance between features of two different networks is refused and the
// metric is named after the network.
const (
	FeaturesFile   = "features.safetensors"
	FeaturesTensor = "features"
	StatsFile      = "stats.safetensors"
	ExtractorKey   = "extractor"
)

// inceptionExtractor is the one extractor whose distance may be called FID
// without qualification: the network of Heusel et al.
const inceptionExtractor = "inception"

type featureStats struct{}

func (featureStats) Kind() string { return "stats/features" }
func (featureStats) Version() int { return 1 }

func (featureStats) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "stats",
		Doc: "mean and covariance of feature vectors (float64, two-pass), cached once per " +
			"dataset and extractor for eval/fid",
		Inputs: []pipeline.Input{
			{Name: "features", Doc: "a features/images stage", Accepts: []string{"features"}},
		},
		Unseeded: true,
	}
}

func (featureStats) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("features")
	if err != nil {
		return err
	}
	feats, name, err := readFeatures(in)
	if err != nil {
		return err
	}
	s, err := metrics.ComputeStats(feats.Float32s(), feats.Shape[0], feats.Shape[1])
	if err != nil {
		return fmt.Errorf("features of stage %q: %w", in.Stage, err)
	}
	rc.Metric("count", float64(s.N))
	rc.Metric("dim", float64(s.Dim()))
	d := s.Dim()
	cov := make([]float64, d*d)
	for i := range d {
		for j := range d {
			cov[i*d+j] = s.Cov.At(i, j)
		}
	}
	meta := map[string]string{ExtractorKey: name, "count": strconv.Itoa(s.N)}
	return tensor.WriteSafetensorsFile(rc.Out+"/"+StatsFile, map[string]*tensor.Tensor{
		"mean": tensor.FromFloat64(s.Mean, d),
		"cov":  tensor.FromFloat64(cov, d, d),
	}, meta)
}

type evalFID struct{}

func (evalFID) Kind() string { return "eval/fid" }
func (evalFID) Version() int { return 1 }

func (evalFID) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "metrics",
		Doc: "Fréchet distance between real and generated feature sets; the metric is fid_<extractor> " +
			"(plain fid only for the Inception network)",
		Params: []pipeline.Param{
			{Name: "count", Type: pipeline.Int, Default: int64(10000), Min: pipeline.AtLeast(2),
				Doc: "feature vectors used from a features input (the first N); fewer is an error"},
			{Name: "allow_rank_deficient", Type: pipeline.Bool, Default: false,
				Doc: "compute even with no more samples than features (biased; a warning says so)"},
		},
		Inputs: []pipeline.Input{
			{
				Name:    "real",
				Doc:     "a stats/features or features/images stage of the real data",
				Accepts: []string{"features", "stats"},
			},
			{
				Name:    "generated",
				Doc:     "a stats/features or features/images stage of the samples",
				Accepts: []string{"features", "stats"},
			},
		},
		Unseeded: true,
	}
}

func (evalFID) Run(ctx context.Context, rc *pipeline.RunContext) error {
	count := rc.Params.Int("count")
	var (
		sets  [2]metrics.Stats
		names [2]string
	)
	for i, slot := range []string{"real", "generated"} {
		in, err := rc.Input(slot)
		if err != nil {
			return err
		}
		if sets[i], names[i], err = readStats(in, count); err != nil {
			return fmt.Errorf("input %s: %w", slot, err)
		}
	}
	if names[0] != names[1] {
		return fmt.Errorf("real features come from extractor %q, generated from %q: "+
			"a distance between different networks means nothing", names[0], names[1])
	}
	d, err := metrics.FrechetDistance(sets[0], sets[1],
		metrics.FDOptions{AllowRankDeficient: rc.Params.Bool("allow_rank_deficient")})
	if errors.Is(err, metrics.ErrRankDeficient) {
		return fmt.Errorf(
			"%w; use more samples (count), or set allow_rank_deficient to get a biased value",
			err,
		)
	}
	if err != nil {
		return err
	}
	for _, w := range d.Warnings {
		rc.Log.Warn("fid: " + w)
	}
	metric := "fid_" + names[0]
	if names[0] == inceptionExtractor {
		metric = "fid"
	}
	rc.Metric(metric, d.Value)
	rc.Log.Info("frechet distance", "metric", metric, "value", d.Value,
		"real", sets[0].N, "generated", sets[1].N, "dim", sets[0].Dim())
	return nil
}

// readFeatures reads a features/images artifact: the F32 [N, D] matrix and
// the extractor's name.
func readFeatures(a *pipeline.Artifact) (*tensor.Tensor, string, error) {
	if !a.Has(FeaturesFile) {
		return nil, "", fmt.Errorf(
			"stage %q (%s) has no %s: want a features/images stage",
			a.Stage,
			a.Kind,
			FeaturesFile,
		)
	}
	ts, meta, err := tensor.ReadSafetensorsFile(a.Path(FeaturesFile))
	if err != nil {
		return nil, "", err
	}
	f, ok := ts[FeaturesTensor]
	if !ok || len(f.Shape) != 2 || f.Shape[0] < 1 {
		return nil, "", fmt.Errorf(
			"%s: want a 2-D tensor %q of feature vectors",
			a.Path(FeaturesFile),
			FeaturesTensor,
		)
	}
	if f.DType != tensor.Float32 {
		return nil, "", fmt.Errorf("%s: features are %v, want F32", a.Path(FeaturesFile), f.DType)
	}
	name := meta[ExtractorKey]
	if name == "" {
		return nil, "", fmt.Errorf("%s: no %q in its metadata", a.Path(FeaturesFile), ExtractorKey)
	}
	return f, name, nil
}

// readStats gives the statistics of a stats/features artifact, or computes
// them from the first count vectors of a features/images artifact.
func readStats(a *pipeline.Artifact, count int) (metrics.Stats, string, error) {
	if a.Has(FeaturesFile) {
		f, name, err := readFeatures(a)
		if err != nil {
			return metrics.Stats{}, "", err
		}
		n, d := f.Shape[0], f.Shape[1]
		if n < count {
			return metrics.Stats{}, "", fmt.Errorf("stage %q has %d feature vectors, fewer than count %d: "+
				"make more samples or lower count", a.Stage, n, count)
		}
		s, err := metrics.ComputeStats(f.Float32s()[:count*d], count, d)
		return s, name, err
	}
	if !a.Has(StatsFile) {
		return metrics.Stats{}, "", fmt.Errorf(
			"stage %q (%s) has neither %s nor %s",
			a.Stage,
			a.Kind,
			FeaturesFile,
			StatsFile,
		)
	}
	path := a.Path(StatsFile)
	ts, meta, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		return metrics.Stats{}, "", err
	}
	mean, cov := ts["mean"], ts["cov"]
	if mean == nil || cov == nil || len(mean.Shape) != 1 || len(cov.Shape) != 2 ||
		cov.Shape[0] != mean.Shape[0] || cov.Shape[1] != mean.Shape[0] {
		return metrics.Stats{}, "", fmt.Errorf("%s: want mean [D] and cov [D, D]", path)
	}
	n, err := strconv.Atoi(meta["count"])
	if err != nil {
		return metrics.Stats{}, "", fmt.Errorf("%s: metadata count %q: %w", path, meta["count"], err)
	}
	name := meta[ExtractorKey]
	if name == "" {
		return metrics.Stats{}, "", fmt.Errorf("%s: no %q in its metadata", path, ExtractorKey)
	}
	d := mean.Shape[0]
	return metrics.Stats{
		Mean: mean.Float64s(),
		Cov:  mat.NewSymDense(d, cov.Float64s()),
		N:    n,
	}, name, nil
}

package stages

import (
	"context"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/metrics"
	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
)

// featureArtifact writes n Gaussian feature vectors of dimension d (mean
// shift, scale) as a features/images stage would, and returns it.
func featureArtifact(
	t *testing.T,
	name, extractor string,
	n, d int,
	shift, scale float64,
	seed uint64,
) *pipeline.Artifact {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]float32, n*d)
	for i := range v {
		v[i] = float32(shift + scale*r.NormFloat64())
	}
	err := tensor.WriteSafetensorsFile(filepath.Join(dir, FeaturesFile),
		map[string]*tensor.Tensor{FeaturesTensor: tensor.FromFloat32(v, n, d)},
		map[string]string{ExtractorKey: extractor})
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Artifact{
		Stage: name,
		Kind:  "features/images",
		Dir:   dir,
		Files: []string{FeaturesFile},
	}
}

func runStage(
	t *testing.T,
	s pipeline.Stage,
	params pipeline.Values,
	inputs map[string]*pipeline.Artifact,
) (*pipeline.RunContext, error) {
	t.Helper()
	full := pipeline.Values{}
	for _, p := range s.Schema().Params {
		full[p.Name] = p.Default
	}
	for k, v := range params {
		full[k] = v
	}
	out := t.TempDir()
	rc := &pipeline.RunContext{Name: "x", Kind: s.Kind(), Params: full, Inputs: inputs, Out: out,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return rc, s.Run(context.Background(), rc)
}

func TestFID(t *testing.T) {
	const d = 8
	real := featureArtifact(t, "real", "fashion_cnn", 400, d, 0, 1, 1)
	same := featureArtifact(t, "same", "fashion_cnn", 400, d, 0, 1, 2)
	shifted := featureArtifact(t, "shifted", "fashion_cnn", 400, d, 0.5, 1.5, 3)

	// stats/features: the statistics of the real set, stored.
	rc, err := runStage(t, featureStats{}, nil, map[string]*pipeline.Artifact{"features": real})
	if err != nil {
		t.Fatal(err)
	}
	stats := &pipeline.Artifact{
		Stage: "stats",
		Kind:  "stats/features",
		Dir:   rc.Out,
		Files: []string{StatsFile},
	}

	// The expected values, from the metrics package on the same data.
	want := func(b *pipeline.Artifact) float64 {
		fa, _, _ := readFeatures(real)
		fb, _, _ := readFeatures(b)
		sa, _ := metrics.ComputeStats(fa.Float32s(), 400, d)
		sb, _ := metrics.ComputeStats(fb.Float32s(), 400, d)
		dist, err := metrics.FrechetDistance(sa, sb, metrics.FDOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return dist.Value
	}
	// Population values: 0 for the same distribution; for the shifted one
	// d*0.5^2 + d*(1 + 1.5^2 - 2*1.5) = 2 + 2 = 4 at d = 8.
	for _, tc := range []struct {
		gen        *pipeline.Artifact
		population float64
	}{{same, 0}, {shifted, 4}} {
		for _, realIn := range []*pipeline.Artifact{real, stats} {
			rc, err := runStage(t, evalFID{}, pipeline.Values{"count": int64(400)},
				map[string]*pipeline.Artifact{"real": realIn, "generated": tc.gen})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := rc.Metrics()["fid_fashion_cnn"]
			if !ok {
				t.Fatalf("metrics %v lack fid_fashion_cnn", rc.Metrics())
			}
			if w := want(tc.gen); math.Abs(got-w) > 1e-9*max(1, w) {
				t.Errorf(
					"real from %s, generated %s: fid %v, metrics package gives %v",
					realIn.Kind,
					tc.gen.Stage,
					got,
					w,
				)
			}
			if math.Abs(got-tc.population) > 0.5 {
				t.Errorf(
					"generated %s: fid %v, far from the population value %v",
					tc.gen.Stage,
					got,
					tc.population,
				)
			}
		}
	}
}

func TestFIDRefuses(t *testing.T) {
	real := featureArtifact(t, "real", "fashion_cnn", 50, 8, 0, 1, 1)
	other := featureArtifact(t, "other", "inception", 50, 8, 0, 1, 2)
	wide := featureArtifact(t, "wide", "fashion_cnn", 50, 64, 0, 1, 3)
	wide2 := featureArtifact(t, "wide2", "fashion_cnn", 50, 64, 0, 1, 4)
	for _, tc := range []struct {
		name      string
		count     int64
		real, gen *pipeline.Artifact
		want      string
	}{
		{"different extractors", 50, real, other, `extractor "fashion_cnn", generated from "inception"`},
		{"too few vectors", 100, real, real, `has 50 feature vectors, fewer than count 100`},
		{"rank deficient", 50, wide, wide2, `no more samples than features`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runStage(t, evalFID{}, pipeline.Values{"count": tc.count},
				map[string]*pipeline.Artifact{"real": tc.real, "generated": tc.gen})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Allowed, a rank-deficient distance is computed.
	rc, err := runStage(
		t,
		evalFID{},
		pipeline.Values{"count": int64(50), "allow_rank_deficient": true},
		map[string]*pipeline.Artifact{"real": wide, "generated": wide2},
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc.Metrics()["fid_fashion_cnn"]; !ok {
		t.Errorf("allow_rank_deficient: no metric")
	}
}

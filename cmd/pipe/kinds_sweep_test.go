package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/pipe-ml/pipe/pipeline"
)

// More test-only kinds, for sweeps and reproduction: test/score turns two
// parameters into a metric, as a training stage would, and test/noise
// writes different bytes on every run (test/noise-declared says so; the
// other does not).
func init() {
	pipeline.Register(scoreStage{})
	pipeline.Register(noiseStage{})
	pipeline.Register(declaredNoiseStage{})
}

type scoreStage struct{}

func (scoreStage) Kind() string { return "test/score" }
func (scoreStage) Version() int { return 1 }

func (scoreStage) Schema() pipeline.Schema {
	return pipeline.Schema{
		Doc: "test only: a deterministic metric of k and beta",
		Params: []pipeline.Param{
			{Name: "k", Type: pipeline.Int, Default: int64(1), Doc: "steps"},
			{Name: "beta", Type: pipeline.Float, Default: 0.0, Doc: "a weight"},
		},
		Inputs: optionalInputs,
	}
}

func (scoreStage) Run(ctx context.Context, rc *pipeline.RunContext) error {
	k, beta := rc.Params.Int("k"), rc.Params.Float("beta")
	loss := 1/float64(k) + beta
	rc.Metric("loss", loss)
	body, err := withInputs(rc, fmt.Sprintf("k=%d beta=%g seed=%d loss=%g\n", k, beta, rc.Seed, loss))
	if err != nil {
		return err
	}
	return os.WriteFile(rc.Out+"/out.txt", []byte(body), 0o644)
}

type noiseStage struct{}

func (noiseStage) Kind() string { return "test/noise" }
func (noiseStage) Version() int { return 1 }

func (noiseStage) Schema() pipeline.Schema {
	return pipeline.Schema{Doc: "test only: random bytes, undeclared", Inputs: optionalInputs}
}

func (noiseStage) Run(ctx context.Context, rc *pipeline.RunContext) error {
	b := make([]byte, 16)
	rand.Read(b)
	return os.WriteFile(rc.Out+"/out.txt", []byte(hex.EncodeToString(b)+"\n"), 0o644)
}

type declaredNoiseStage struct{ noiseStage }

func (declaredNoiseStage) Kind() string { return "test/noise-declared" }

func (declaredNoiseStage) Nondeterministic() string { return "test only: random bytes by design" }

package pipeline

import (
	"errors"
	"io"
	"path/filepath"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

// PlanStage is what running one stage would do now.
type PlanStage struct {
	Name   string
	Kind   string
	Key    cache.ID // zero when an input is not cached yet, so the key is unknown
	Cached bool
	Why    string // for a miss: why it would run
}

// Plan computes, without running anything, which stages of g the cache
// already holds. A stage after a miss has no key yet: its key depends on
// outputs not computed.
func Plan(g *Graph, c *cache.Cache, force map[string]bool, debug io.Writer) ([]PlanStage, error) {
	baseDir := filepath.Dir(g.Spec.File)
	outputs := map[string]cache.ID{}
	var plan []PlanStage
	for _, n := range g.Nodes {
		ps := PlanStage{Name: n.Name, Kind: n.Stage.Kind()}
		ids := map[string]cache.ID{}
		known := true
		for _, e := range n.Inputs {
			id, ok := outputs[e.From.Name]
			if !ok {
				known = false
				break
			}
			ids[e.From.Name] = id
		}
		if !known {
			ps.Why = "an input will be computed first"
			plan = append(plan, ps)
			continue
		}
		key, _, err := StageKey(n, DeriveSeed(g.Spec.Seed, n.Name), ids, baseDir, c, debug)
		if err != nil {
			return nil, &StageError{Stage: n.Name, Kind: ps.Kind, Err: err}
		}
		ps.Key = key
		e, err := c.Get(key)
		switch {
		case force[n.Name]:
			ps.Why = "forced"
		case errors.Is(err, cache.ErrNotFound):
			ps.Why = "not in cache"
		case err != nil:
			ps.Why = "cache entry unusable: " + err.Error()
		default:
			ps.Cached = true
			outputs[n.Name] = OutputID(e.Outputs)
		}
		plan = append(plan, ps)
	}
	return plan, nil
}

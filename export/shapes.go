package export

import (
	"fmt"
	"sort"
	"strings"
)

// expectedShapes gives the shapes the config implies for the variables
// that tie the architecture to its sizes (-1: any size). Ranks are checked
// for every variable by Net.check; these catch a config and weights that
// disagree, which would otherwise surface as a shape error in someone
// else's runtime, or as a huge constant (the LM's causal mask is
// Context×Context).
func expectedShapes(m *Model) map[string][]int {
	c := m.Config
	px := pixels(c)
	w := map[string][]int{}
	switch m.Architecture() {
	case "gan/mlp":
		w["g.fc1.weight"] = []int{256, c.Latent}
		w["g.fc3.weight"] = []int{px, 512}
	case "gan/dcgan":
		w["g.conv1.weight"] = []int{c.Latent, -1, -1, -1}
		last := fmt.Sprintf("g.conv%d.weight", map[int]int{28: 3, 32: 4}[c.Shape[1]])
		w[last] = []int{-1, c.Shape[0], 4, 4}
	case "vae/mlp":
		w["enc.fc1.weight"] = []int{c.Hidden, px}
		w["enc.mu.weight"] = []int{c.Latent, c.Hidden}
		w["enc.logvar.weight"] = []int{c.Latent, c.Hidden}
		w["dec.fc1.weight"] = []int{c.Hidden, c.Latent}
		w["dec.fc2.weight"] = []int{px, c.Hidden}
	case "vae/conv":
		flat := convVAEWidth * (c.Shape[1] / 4) * (c.Shape[2] / 4)
		w["enc.conv1.weight"] = []int{convVAEWidth / 2, c.Shape[0], 4, 4}
		w["enc.conv2.weight"] = []int{convVAEWidth, convVAEWidth / 2, 4, 4}
		w["enc.mu.weight"] = []int{c.Latent, flat}
		w["enc.logvar.weight"] = []int{c.Latent, flat}
		w["dec.fc.weight"] = []int{flat, c.Latent}
		w["dec.conv1.weight"] = []int{convVAEWidth, convVAEWidth / 2, 4, 4}
		w["dec.conv2.weight"] = []int{convVAEWidth / 2, c.Shape[0], 4, 4}
	case "lm/gpt":
		w["wte.weight"] = []int{c.Vocab, c.Dim}
		w["wpe.weight"] = []int{c.Context, c.Dim}
		for i := range c.Layers {
			p := fmt.Sprintf("blocks.%d.", i)
			w[p+"attn.qkv.weight"] = []int{3 * c.Dim, c.Dim}
			w[p+"attn.proj.weight"] = []int{c.Dim, c.Dim}
			w[p+"mlp.fc1.weight"] = []int{c.FFN, c.Dim}
			w[p+"mlp.fc2.weight"] = []int{c.Dim, c.FFN}
		}
	}
	return w
}

// checkShapes compares the variables with expectedShapes, reporting every
// mismatch, sorted by name.
func (m *Model) checkShapes() error {
	want := expectedShapes(m)
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	var bad []string
	for _, name := range names {
		t, ok := m.Weights[name]
		if !ok {
			bad = append(bad, "no variable "+name)
			continue
		}
		if !shapeMatches(t.Shape, want[name]) {
			bad = append(
				bad,
				fmt.Sprintf("%s has shape %v, the config implies %v", name, t.Shape, want[name]),
			)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf(
			"%s: weights disagree with the config: %s",
			m.Architecture(),
			strings.Join(bad, "; "),
		)
	}
	return nil
}

func shapeMatches(got, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i, d := range want {
		if d >= 0 && got[i] != d {
			return false
		}
	}
	return true
}

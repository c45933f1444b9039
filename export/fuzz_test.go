package export

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzNets feeds arbitrary architecture metadata with real weights: Nets
// must refuse what does not fit, and whatever it accepts must encode as
// ONNX and TorchScript without panicking.
func FuzzNets(f *testing.F) {
	models := map[string]*Model{}
	for _, c := range cases {
		m, err := Load("testdata/" + c)
		if err != nil {
			f.Fatal(err)
		}
		models[c] = m
		f.Add(c, m.Meta)
	}
	f.Fuzz(func(t *testing.T, c, meta string) {
		if !slices.Contains(cases, c) {
			return
		}
		m := *models[c]
		m.Config = Config{}
		if json.Unmarshal([]byte(meta), &m.Config) != nil {
			return
		}
		if m.Kind == "lm" {
			m.Config.Arch = "gpt"
		}
		nets, err := m.Nets()
		if err != nil {
			return
		}
		for _, n := range nets {
			if _, err := m.ONNX(n, "fuzz", nil); err != nil {
				t.Errorf("%s: Nets accepted %s but ONNX failed: %v", c, meta, err)
			}
			_ = m.TorchScript(n)
		}
	})
}

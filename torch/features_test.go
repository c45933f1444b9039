package torch

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/pipe-ml/pipe/tensor"
)

// TestScriptFeatures loads testdata/features_model.pt, a TorchScript model
// made by Debian's python3-torch (testdata/make_features_model.py), and
// compares its features of the fixture's images with what Python computed.
func TestScriptFeatures(t *testing.T) {
	fix, _, err := tensor.ReadSafetensorsFile("testdata/features_expected.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	images, want := fix["images"], fix["features"]

	s, err := LoadScript("testdata/features_model.pt", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Name() != "features_model" {
		t.Errorf("Name() = %q, want %q", s.Name(), "features_model")
	}
	got, err := s.Features(context.Background(), images)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("Features shape %v, want %v", got.Shape, want.Shape)
	}
	worst := maxDiff(got, want)
	t.Logf("largest difference from python3-torch: %g", worst)
	if worst > 1e-5 {
		t.Errorf("features differ from python3-torch's by up to %g, want at most 1e-5", worst)
	}

	// Images given as floats in [0, 1] give the same features.
	floats := tensor.FromFloat32(scaled(images), images.Shape...)
	again, err := s.Features(context.Background(), floats)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(again, got); d != 0 {
		t.Errorf("float images: features differ from U8 images' by %g", d)
	}
}

func TestScriptErrors(t *testing.T) {
	for _, tc := range []struct{ name, path, want string }{
		{"missing", "testdata/no-such-model.pt", "no such file"},
		{"not torchscript", "testdata/read_weights.py", "load torchscript testdata/read_weights.py"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadScript(tc.path, gotch.CPU)
			if err == nil {
				s.Close()
				t.Fatalf("LoadScript(%q): no error", tc.path)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("LoadScript(%q) error %q, want one line containing %q", tc.path, err, tc.want)
			}
		})
	}

	// A model given images it cannot take fails with an error, not a crash.
	s, err := LoadScript("testdata/features_model.pt", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rgb := tensor.New(tensor.Uint8, 2, 3, 28, 28)
	_, err = s.Features(context.Background(), rgb)
	t.Logf("3-channel images: %v", err)
	if err == nil || !strings.Contains(err.Error(), "forward") {
		t.Errorf(
			"Features of 3-channel images for a 1-channel model: error %v, want a forward error",
			err,
		)
	}
}

// TestFeaturesCancel: a cancelled context stops feature extraction.
func TestFeaturesCancel(t *testing.T) {
	s, err := LoadScript("testdata/features_model.pt", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	images := tensor.New(tensor.Uint8, 3, 1, 28, 28)
	if _, err := s.Features(ctx, images); !errors.Is(err, context.Canceled) {
		t.Errorf("Features with a cancelled context: error %v, want context.Canceled", err)
	}
}

func scaled(images *tensor.Tensor) []float32 {
	v := images.Float32s()
	for i := range v {
		v[i] /= 255
	}
	return v
}

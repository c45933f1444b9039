package pipeline

import (
	"strings"
	"testing"
)

func TestPoints(t *testing.T) {
	const head = "name: s\nparams: {k: 1, beta: 0.1, lr: 0.1}\n" +
		"stages:\n  a: {uses: test/gen, with: {value: \"${k}\"}}\n"
	for _, tc := range []struct {
		name  string
		sweep string
		sets  []string
		want  []string
	}{
		{name: "none", want: []string{""}},
		{name: "grid", sweep: "sweep: {grid: {k: [1, 3], beta: [0.1, 1e-2]}}\n",
			want: []string{"k=1 beta=0.1", "k=1 beta=0.01", "k=3 beta=0.1", "k=3 beta=0.01"}},
		{name: "zip", sweep: "sweep: {zip: {k: [1, 3, 5], beta: [0.1, 0.2, 0.3]}}\n",
			want: []string{"k=1 beta=0.1", "k=3 beta=0.2", "k=5 beta=0.3"}},
		{name: "grid and zip", sweep: "sweep: {grid: {lr: [1, 2]}, zip: {k: [1, 3], beta: [0.1, 0.2]}}\n",
			want: []string{"lr=1 k=1 beta=0.1", "lr=1 k=3 beta=0.2", "lr=2 k=1 beta=0.1",
				"lr=2 k=3 beta=0.2"}},
		{name: "command line replaces an axis", sweep: "sweep: {grid: {k: [1, 3], beta: [0.1]}}\n",
			sets: []string{"k=5,7"}, want: []string{"beta=0.1 k=5", "beta=0.1 k=7"}},
		{name: "command line only", sets: []string{"k=1,3,5", "beta=0.001,0.01"},
			want: []string{"k=1 beta=0.001", "k=1 beta=0.01", "k=3 beta=0.001", "k=3 beta=0.01",
				"k=5 beta=0.001", "k=5 beta=0.01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("s.yaml", []byte(head+tc.sweep))
			if err != nil {
				t.Fatal(err)
			}
			var axes []*SweepAxis
			for _, set := range tc.sets {
				ax, err := ParseAxis(set)
				if err != nil {
					t.Fatal(err)
				}
				axes = append(axes, ax)
			}
			pts, err := s.Points(axes)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pts {
				got = append(got, p.String())
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Points = %q, want %q", got, tc.want)
			}
			// Every point resolves: the values are parameters of the spec.
			for _, p := range pts {
				if _, err := Resolve(s, p.Overrides); err != nil {
					t.Errorf("Resolve(point %s): %v", p, err)
				}
			}
		})
	}
}

func TestPointsErrors(t *testing.T) {
	s, err := Parse(
		"s.yaml",
		[]byte("name: s\nparams: {k: 1}\nstages:\n  a: {uses: test/gen, with: {value: 1}}\n"),
	)
	if err != nil {
		t.Fatal(err)
	}
	ax, err := ParseAxis("gamma=1,2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Points([]*SweepAxis{ax}); err == nil ||
		err.Error() != `command line: sweep.gamma: "gamma" is not a parameter of s.yaml` {
		t.Errorf("Points with an unknown parameter: %v", err)
	}
	for _, bad := range []string{"k", "=1", "k=1,,2"} {
		if _, err := ParseAxis(bad); err == nil {
			t.Errorf("ParseAxis(%q) = nil error, want one", bad)
		}
	}
}

func TestSweepID(t *testing.T) {
	s, _ := Parse(
		"s.yaml",
		[]byte(
			"name: s\nparams: {k: 1}\nsweep: {grid: {k: [1, 2]}}\n"+
				"stages:\n  a: {uses: test/gen, with: {value: 1}}\n",
		),
	)
	p1, _ := s.Points(nil)
	ax, _ := ParseAxis("k=1,3")
	p2, _ := s.Points([]*SweepAxis{ax})
	if SweepID(s, nil, p1) == SweepID(s, nil, p2) {
		t.Error("sweeps over different points share an ID")
	}
	if SweepID(s, nil, p1) != SweepID(s, nil, p1) {
		t.Error("the same sweep got two IDs")
	}
}

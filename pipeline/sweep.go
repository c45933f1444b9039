package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

// Point is one run of a sweep: the parameter values it sets.
type Point struct {
	Index     int
	Overrides []Override
}

// Values returns the point's parameter values, decoded, for records and
// tables.
func (p Point) Values() map[string]any {
	out := map[string]any{}
	for _, o := range p.Overrides {
		v, err := decodeValue(o.Value, Any)
		if err == nil {
			out[o.Name] = v
		}
	}
	return out
}

// String is "k=3 beta=0.01", in axis order.
func (p Point) String() string {
	var parts []string
	for _, o := range p.Overrides {
		v, _ := decodeValue(o.Value, Any)
		parts = append(parts, o.Name+"="+Format(v))
	}
	return strings.Join(parts, " ")
}

// ParseAxis reads a command-line sweep axis, "name=v1,v2,v3", into a grid
// axis. Each value is read as YAML, so numbers are numbers.
func ParseAxis(s string) (*SweepAxis, error) {
	name, list, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return nil, fmt.Errorf("--set %q: want name=value[,value...]", s)
	}
	ax := &SweepAxis{Param: name, Pos: Pos{File: "command line"}}
	for _, v := range strings.Split(list, ",") {
		o, err := ParseOverride(name + "=" + strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("--set %s: empty value in %q", name, list)
		}
		ax.Values = append(ax.Values, o.Value)
	}
	return ax, nil
}

// Points expands the spec's sweep, with extra grid axes from the command
// line replacing the file's axis of the same parameter: the cartesian
// product of the grid axes (the last varying fastest) times the zipped
// lists taken in step. Without a sweep there is one point that sets nothing.
func (s *Spec) Points(extra []*SweepAxis) ([]Point, error) {
	var grid, zip []*SweepAxis
	if s.Sweep != nil {
		grid, zip = slices.Clone(s.Sweep.Grid), s.Sweep.Zip
	}
	for _, ax := range extra {
		grid = slices.DeleteFunc(grid, func(a *SweepAxis) bool { return a.Param == ax.Param })
		zip = slices.DeleteFunc(slices.Clone(zip), func(a *SweepAxis) bool { return a.Param == ax.Param })
		grid = append(grid, ax)
	}
	p := &problems{file: s.File}
	declared := map[string]bool{}
	for _, d := range s.Params {
		declared[d.Name] = true
	}
	for _, ax := range slices.Concat(grid, zip) {
		if !declared[ax.Param] {
			p.addAt(ax.Pos, "sweep."+ax.Param, "%q is not a parameter of %s", ax.Param, s.File)
		}
	}
	if len(zip) > 1 {
		for _, ax := range zip[1:] {
			if len(ax.Values) != len(zip[0].Values) {
				p.addAt(ax.Pos, "sweep.zip."+ax.Param, "%d values, but %s has %d", len(ax.Values),
					zip[0].Param, len(zip[0].Values))
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}

	points := [][]Override{nil}
	for _, ax := range grid {
		var next [][]Override
		for _, prefix := range points {
			for _, v := range ax.Values {
				next = append(next, append(slices.Clone(prefix), Override{Name: ax.Param, Value: v, Pos: ax.Pos}))
			}
		}
		points = next
	}
	if len(zip) > 0 {
		var next [][]Override
		for _, prefix := range points {
			for i := range zip[0].Values {
				ovs := slices.Clone(prefix)
				for _, ax := range zip {
					ovs = append(ovs, Override{Name: ax.Param, Value: ax.Values[i], Pos: ax.Pos})
				}
				next = append(next, ovs)
			}
		}
		points = next
	}
	out := make([]Point, len(points))
	for i, ovs := range points {
		out[i] = Point{Index: i, Overrides: ovs}
	}
	return out, nil
}

// SweepID names a sweep by what defines it: the spec's bytes, the
// command-line overrides and the points.
func SweepID(s *Spec, overrides []string, points []Point) string {
	var sb strings.Builder
	sb.Write(s.Source)
	sb.WriteString("\x00" + strings.Join(overrides, "\x00") + "\x00")
	for _, p := range points {
		sb.WriteString(p.String() + "\n")
	}
	return cache.HashBytes([]byte(sb.String())).Short()
}

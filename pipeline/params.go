package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Type is the type of a stage parameter.
type Type int

// Parameter types. Path is a file outside the cache whose content, not its
// name, enters the stage key; Paths is a list of them (globs allowed).
// Any accepts structured YAML (lists of maps, say) and keys it canonically.
const (
	String Type = iota
	Int
	Float
	Bool
	Path
	Paths
	Floats
	Ints
	Strings
	Any
)

var typeNames = [...]string{"string", "int", "float", "bool", "path", "list of paths",
	"list of floats", "list of ints", "list of strings", "value"}

func (t Type) String() string { return typeNames[t] }

// Param declares one parameter of a stage.
type Param struct {
	Name     string
	Type     Type
	Default  any // Go value of the type: string, int64, float64, bool, []float64, ...
	Required bool
	Enum     []string // allowed values of a String parameter
	Min, Max *float64 // inclusive bounds of an Int or Float parameter
	Doc      string
	// Check validates a decoded value further; its error is reported at the
	// value's position.
	Check func(v any) error
}

// Bounds is a convenience for Param.Min and Param.Max.
func Bounds(lo, hi float64) (*float64, *float64) { return &lo, &hi }

// AtLeast returns a pointer to v, for Param.Min.
func AtLeast(v float64) *float64 { return &v }

func (s Schema) check() error {
	seen := map[string]bool{}
	for _, p := range s.Params {
		if seen[p.Name] {
			return fmt.Errorf("parameter %q declared twice", p.Name)
		}
		seen[p.Name] = true
		if p.Required && p.Default != nil {
			return fmt.Errorf("parameter %q is required and has a default", p.Name)
		}
	}
	for _, in := range s.Inputs {
		if seen["input:"+in.Name] {
			return fmt.Errorf("input %q declared twice", in.Name)
		}
		seen["input:"+in.Name] = true
	}
	return nil
}

// Values holds a stage's decoded parameters, defaults filled in.
type Values map[string]any

// String returns a string parameter ("" when unset).
func (v Values) String(name string) string { s, _ := v[name].(string); return s }

// Int returns an int parameter.
func (v Values) Int(name string) int { i, _ := v[name].(int64); return int(i) }

// Float returns a float parameter.
func (v Values) Float(name string) float64 { f, _ := v[name].(float64); return f }

// Bool returns a bool parameter.
func (v Values) Bool(name string) bool { b, _ := v[name].(bool); return b }

// Floats returns a list-of-floats parameter.
func (v Values) Floats(name string) []float64 { f, _ := v[name].([]float64); return f }

// Ints returns a list-of-ints parameter.
func (v Values) Ints(name string) []int64 { f, _ := v[name].([]int64); return f }

// Strings returns a list-of-strings or list-of-paths parameter.
func (v Values) Strings(name string) []string { s, _ := v[name].([]string); return s }

// Has reports whether the parameter has a value (given or default).
func (v Values) Has(name string) bool { _, ok := v[name]; return ok && v[name] != nil }

// decodeValue turns a YAML node into the Go value of type t, reporting
// problems at the node.
func decodeValue(n *yaml.Node, t Type) (any, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch t {
	case String, Path:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nil, fmt.Errorf("want a %s, got %s", t, describe(n))
		}
		return n.Value, nil
	case Int:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
			var i int64
			if err := n.Decode(&i); err == nil {
				return i, nil
			}
		}
		// 1e3 and 3.0 are whole numbers written as floats; accept them.
		if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
			var f float64
			if err := n.Decode(&f); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int64(f), nil
			}
		}
		return nil, fmt.Errorf("want an int, got %s", describe(n))
	case Float:
		if n.Kind == yaml.ScalarNode && (n.Tag == "!!float" || n.Tag == "!!int") {
			var f float64
			if err := n.Decode(&f); err == nil {
				if math.IsNaN(f) {
					return nil, fmt.Errorf("want a number, got NaN")
				}
				return f, nil
			}
		}
		return nil, fmt.Errorf("want a number, got %s", describe(n))
	case Bool:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
			var b bool
			if err := n.Decode(&b); err == nil {
				return b, nil
			}
		}
		return nil, fmt.Errorf("want true or false, got %s", describe(n))
	case Floats, Ints, Strings, Paths:
		elem := map[Type]Type{Floats: Float, Ints: Int, Strings: String, Paths: Path}[t]
		items := []*yaml.Node{n}
		if n.Kind == yaml.SequenceNode {
			items = n.Content
		} else if t != Paths && t != Strings {
			return nil, fmt.Errorf("want a %s, got %s", t, describe(n))
		}
		return decodeList(items, elem)
	case Any:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return normalize(v), nil
	}
	return nil, fmt.Errorf("unknown parameter type %d", t)
}

func decodeList(items []*yaml.Node, elem Type) (any, error) {
	var fs []float64
	var is []int64
	var ss []string
	for i, it := range items {
		v, err := decodeValue(it, elem)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		switch x := v.(type) {
		case float64:
			fs = append(fs, x)
		case int64:
			is = append(is, x)
		case string:
			ss = append(ss, x)
		}
	}
	switch elem {
	case Float:
		return nonNil(fs), nil
	case Int:
		return nonNil(is), nil
	}
	return nonNil(ss), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// normalize makes decoded YAML canonical: ints as int64, maps with string
// keys, so that equal values key equally.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	}
	return v
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// checkValue applies the declarative constraints of p to a decoded value.
func (p *Param) checkValue(v any) error {
	if len(p.Enum) > 0 {
		if s, ok := v.(string); ok && !slices.Contains(p.Enum, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(p.Enum, ", "))
		}
	}
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		return p.checkFunc(v)
	}
	if p.Min != nil && f < *p.Min {
		return fmt.Errorf("%s is below the minimum %s", fmtNum(f), fmtNum(*p.Min))
	}
	if p.Max != nil && f > *p.Max {
		return fmt.Errorf("%s is above the maximum %s", fmtNum(f), fmtNum(*p.Max))
	}
	return p.checkFunc(v)
}

func (p *Param) checkFunc(v any) error {
	if p.Check == nil {
		return nil
	}
	return p.Check(v)
}

// fmtNum prints a float the shortest way that reads back the same, so that
// 2e-4, 0.0002 and 2.0e-4 all print (and key) as 0.0002.
func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

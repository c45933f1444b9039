package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is an experiment file as written, before parameters are substituted
// and stage parameters are checked against their kinds (see Resolve).
type Spec struct {
	File        string
	Name        string
	Description string
	Seed        int64
	Params      []*ParamDef // in file order
	Sweep       *Sweep
	Stages      []*StageSpec // in file order
	Source      []byte       // the file's bytes, for run records

	// problems found while parsing; Resolve reports them with its own so
	// that one pass shows everything.
	problems []*SpecError
}

// ParamDef is one entry of `params:`.
type ParamDef struct {
	Name  string
	Value *yaml.Node
	Pos   Pos
}

// Sweep is the `sweep:` section: a cartesian grid and zipped lists, each a
// map from parameter name to the values it takes.
type Sweep struct {
	Grid []*SweepAxis
	Zip  []*SweepAxis
	Pos  Pos
}

// SweepAxis is one parameter's list of values.
type SweepAxis struct {
	Param  string
	Values []*yaml.Node
	Pos    Pos
}

// StageSpec is one entry of `stages:`.
type StageSpec struct {
	Name   string
	Uses   string
	Inputs []InputRef
	With   *yaml.Node // a mapping, or nil
	Device string
	Pos    Pos // of the stage's name
	UsesAt Pos
	// inputsByName records whether `inputs:` was a map.
	inputsByName bool
	inputsPos    Pos
}

// InputRef is one connection: slot (empty when given positionally) filled
// by the named stage's outputs.
type InputRef struct {
	Slot  string
	Stage string
	Pos   Pos
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Load reads and parses an experiment file. It reports every structural
// problem at once (unknown keys, wrong types, duplicate names) as a sorted
// list of *SpecError gathered in a *multierror.Error. It does not check
// stage kinds or their parameters: Resolve does. Unless the file is not
// YAML at all, Load returns the spec alongside its problems, so Resolve can
// add its own and show everything in one pass.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read experiment: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; file names them in errors.
func Parse(file string, data []byte) (*Spec, error) {
	p := &problems{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.addAt(Pos{File: file}, "", "empty experiment file")
			return nil, p.err()
		}
		return nil, yamlSyntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(&extra, "", "more than one YAML document; an experiment is one")
	}
	root := doc.Content[0]
	s := &Spec{File: file, Source: data}
	if root.Kind != yaml.MappingNode {
		p.add(root, "", "an experiment is a mapping with name, stages and more, got %s", describe(root))
		return nil, p.err()
	}
	for _, kv := range pairs(root, p, "") {
		k, v := kv[0].Value, kv[1]
		switch k {
		case "name":
			s.Name = scalarString(v, p, "name")
		case "description":
			s.Description = scalarString(v, p, "description")
		case "seed":
			if x, err := decodeValue(v, Int); err != nil {
				p.add(v, "seed", "%v", err)
			} else {
				s.Seed = x.(int64)
			}
		case "params":
			s.Params = parseParams(v, p)
		case "sweep":
			s.Sweep = parseSweep(v, p)
		case "stages":
			s.Stages = parseStages(v, p)
		default:
			p.add(kv[0], k, "%s", unknownKey(k, "name", "description", "seed", "params", "sweep", "stages"))
		}
	}
	if s.Name == "" {
		p.add(root, "name", "missing: every experiment has a name")
	} else if !nameRE.MatchString(s.Name) {
		p.add(findKey(root, "name"), "name", "%q is not a valid name (letters, digits, - and _)", s.Name)
	}
	if findKey(root, "stages") == nil {
		p.add(root, "stages", "missing: an experiment needs at least one stage")
	}
	s.problems = p.errs
	return s, p.err()
}

// flowRef matches an unquoted ${param} as a value inside a {...} mapping,
// where YAML reads the braces as its own.
var flowRef = regexp.MustCompile(`\{.*:\s*\$\{`)

// yamlSyntaxError turns yaml.v3's "yaml: line N: msg" into our form, with a
// hint for the mistake everyone makes once: ${param} unquoted inside {...}.
func yamlSyntaxError(file string, data []byte, err error) error {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if n, err := fmt.Sscanf(rest, "%d:", &line); n == 1 && err == nil {
			msg = strings.TrimSpace(rest[strings.Index(rest, ":")+1:])
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	lines := strings.Split(string(data), "\n")
	for i := max(0, line-3); i < min(line+2, len(lines)); i++ {
		if flowRef.MatchString(lines[i]) {
			msg += fmt.Sprintf(
				` (line %d: inside {...} quote a reference, "${name}"; it keeps its type)`,
				i+1,
			)
			break
		}
	}
	p := &problems{file: file}
	p.addAt(Pos{File: file, Line: line}, "", "YAML syntax: %s", msg)
	return p.err()
}

// pairs returns the key/value pairs of a mapping node, reporting duplicate
// and non-string keys.
func pairs(n *yaml.Node, p *problems, path string) [][2]*yaml.Node {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, path, "want a mapping, got %s", describe(n))
		return nil
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.add(k, path, "keys must be plain strings")
			continue
		}
		if seen[k.Value] {
			p.add(k, join(path, k.Value), "duplicate key")
			continue
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func findKey(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func scalarString(n *yaml.Node, p *problems, path string) string {
	v, err := decodeValue(n, String)
	if err != nil {
		p.add(n, path, "%v", err)
		return ""
	}
	return v.(string)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func parseParams(n *yaml.Node, p *problems) []*ParamDef {
	var out []*ParamDef
	for _, kv := range pairs(n, p, "params") {
		name := kv[0].Value
		if !nameRE.MatchString(name) {
			p.add(kv[0], join("params", name), "not a valid parameter name (letters, digits, - and _)")
			continue
		}
		v := kv[1]
		if v.Kind == yaml.MappingNode {
			p.add(v, join("params", name), "a parameter is a value or a list, not a mapping")
			continue
		}
		out = append(out, &ParamDef{Name: name, Value: v, Pos: posOf(p.file, kv[0])})
	}
	return out
}

func parseSweep(n *yaml.Node, p *problems) *Sweep {
	sw := &Sweep{Pos: posOf(p.file, n)}
	for _, kv := range pairs(n, p, "sweep") {
		var axes *[]*SweepAxis
		switch kv[0].Value {
		case "grid":
			axes = &sw.Grid
		case "zip":
			axes = &sw.Zip
		default:
			p.add(kv[0], join("sweep", kv[0].Value), "%s", unknownKey(kv[0].Value, "grid", "zip"))
			continue
		}
		path := join("sweep", kv[0].Value)
		for _, ax := range pairs(kv[1], p, path) {
			apath := join(path, ax[0].Value)
			v := ax[1]
			if v.Kind != yaml.SequenceNode {
				p.add(v, apath, "want a list of values, got %s", describe(v))
				continue
			}
			if len(v.Content) == 0 {
				p.add(v, apath, "empty list: a sweep axis needs at least one value")
				continue
			}
			*axes = append(
				*axes,
				&SweepAxis{Param: ax[0].Value, Values: v.Content, Pos: posOf(p.file, ax[0])},
			)
		}
	}
	if len(sw.Zip) > 1 {
		n0 := len(sw.Zip[0].Values)
		for _, ax := range sw.Zip[1:] {
			if len(ax.Values) != n0 {
				p.addAt(
					ax.Pos,
					"sweep.zip."+ax.Param,
					"%d values, but %s has %d: zipped lists must be of equal length",
					len(ax.Values),
					sw.Zip[0].Param,
					n0,
				)
			}
		}
	}
	for _, g := range sw.Grid {
		for _, z := range sw.Zip {
			if g.Param == z.Param {
				p.addAt(z.Pos, "sweep.zip."+z.Param, "also swept in grid")
			}
		}
	}
	return sw
}

func parseStages(n *yaml.Node, p *problems) []*StageSpec {
	var out []*StageSpec
	kvs := pairs(n, p, "stages")
	if n.Kind == yaml.MappingNode && len(kvs) == 0 && len(n.Content) == 0 {
		p.add(n, "stages", "no stages")
	}
	for _, kv := range kvs {
		name := kv[0].Value
		path := join("stages", name)
		if !nameRE.MatchString(name) {
			p.add(kv[0], path, "not a valid stage name (letters, digits, - and _)")
		}
		st := &StageSpec{Name: name, Pos: posOf(p.file, kv[0])}
		for _, f := range pairs(kv[1], p, path) {
			k, v := f[0].Value, f[1]
			fpath := join(path, k)
			switch k {
			case "uses":
				st.Uses = scalarString(v, p, fpath)
				st.UsesAt = posOf(p.file, v)
			case "inputs":
				st.Inputs, st.inputsByName = parseInputs(v, p, fpath)
				st.inputsPos = posOf(p.file, v)
			case "with":
				if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
					continue
				}
				if v.Kind != yaml.MappingNode {
					p.add(v, fpath, "want a mapping of parameters, got %s", describe(v))
					continue
				}
				pairs(v, p, fpath) // reports duplicate keys
				st.With = v
			case "device":
				st.Device = scalarString(v, p, fpath)
				switch st.Device {
				case "auto", "cpu", "cuda":
				default:
					p.add(v, fpath, "%q is not a device (want auto, cpu or cuda)", st.Device)
				}
			default:
				p.add(f[0], fpath, "%s", unknownKey(k, "uses", "inputs", "with", "device"))
			}
		}
		if st.Uses == "" && kv[1].Kind == yaml.MappingNode && findKey(kv[1], "uses") == nil {
			p.add(kv[0], join(path, "uses"), "missing: every stage names its kind with uses")
		}
		out = append(out, st)
	}
	return out
}

func parseInputs(n *yaml.Node, p *problems, path string) ([]InputRef, bool) {
	var out []InputRef
	switch n.Kind {
	case yaml.SequenceNode:
		for i, it := range n.Content {
			if it.Kind != yaml.ScalarNode {
				p.add(it, fmt.Sprintf("%s[%d]", path, i), "want a stage name, got %s", describe(it))
				continue
			}
			out = append(out, InputRef{Stage: it.Value, Pos: posOf(p.file, it)})
		}
		return out, false
	case yaml.MappingNode:
		for _, kv := range pairs(n, p, path) {
			if kv[1].Kind != yaml.ScalarNode {
				p.add(kv[1], join(path, kv[0].Value), "want a stage name, got %s", describe(kv[1]))
				continue
			}
			out = append(out, InputRef{Slot: kv[0].Value, Stage: kv[1].Value, Pos: posOf(p.file, kv[1])})
		}
		return out, true
	case yaml.ScalarNode:
		if n.Tag != "!!null" {
			return []InputRef{{Stage: n.Value, Pos: posOf(p.file, n)}}, false
		}
		return nil, false
	}
	p.add(n, path, "want a list of stage names or a mapping of input names to stages")
	return nil, false
}

package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Graph is a resolved experiment: parameters substituted, every stage's
// parameters decoded and checked, inputs connected, in topological order.
type Graph struct {
	Spec   *Spec
	Params map[string]any // the experiment's parameters after overrides
	Nodes  []*Node        // topological order; among ready stages, file order
}

// Node is one stage of a Graph.
type Node struct {
	Name   string
	Stage  Stage
	Params Values
	Inputs []Edge // sorted by slot
	Device string
	Pos    Pos
}

// Edge connects an input slot to the stage that fills it.
type Edge struct {
	Slot string
	From *Node
}

// Node returns the stage called name, or nil.
func (g *Graph) Node(name string) *Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Override sets a parameter from outside the file: `-p name=value` on the
// command line, or one point of a sweep.
type Override struct {
	Name  string
	Value *yaml.Node
	Pos   Pos
}

// ParseOverride reads "name=value"; the value is read as a YAML scalar or
// flow list, so "-p lr=2e-4" is a number and "-p arch=mlp" a string.
func ParseOverride(s string) (Override, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return Override{}, fmt.Errorf("parameter %q: want name=value", s)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(val), &doc); err != nil || len(doc.Content) == 0 {
		doc = yaml.Node{
			Kind:    yaml.DocumentNode,
			Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: val}},
		}
	}
	return Override{Name: name, Value: doc.Content[0], Pos: Pos{File: "command line"}}, nil
}

// Resolve checks a loaded spec against the registered stage kinds and builds
// its graph. Every problem is reported at once, sorted, like Load's.
func Resolve(s *Spec, overrides []Override) (*Graph, error) {
	p := &problems{file: s.File, errs: slices.Clone(s.problems)}
	params := map[string]*yaml.Node{}
	for _, d := range s.Params {
		params[d.Name] = d.Value
	}
	for _, o := range overrides {
		if _, ok := params[o.Name]; !ok {
			p.addAt(o.Pos, "params."+o.Name, "no such parameter in %s%s", s.File,
				suggest(o.Name, slices.Sorted(maps.Keys(params))...))
			continue
		}
		params[o.Name] = o.Value
	}
	checkSweep(s, params, p)

	g := &Graph{Spec: s, Params: map[string]any{}}
	for name, n := range params {
		v, err := decodeValue(n, Any)
		if err != nil {
			p.add(n, "params."+name, "%v", err)
			continue
		}
		g.Params[name] = v
	}

	byName := map[string]*Node{}
	for _, st := range s.Stages {
		n := &Node{Name: st.Name, Pos: st.Pos, Device: st.Device}
		if n.Device == "" {
			n.Device = "auto"
		}
		if _, dup := byName[st.Name]; !dup {
			byName[st.Name] = n
		}
		if st.Uses == "" {
			continue
		}
		kind, ok := Lookup(st.Uses)
		if !ok {
			p.addAt(st.UsesAt, "stages."+st.Name+".uses", "unknown stage kind %q%s", st.Uses,
				suggest(st.Uses, Kinds()...))
			continue
		}
		n.Stage = kind
		n.Params = decodeWith(st, kind.Schema(), params, p)
	}
	for _, st := range s.Stages {
		connect(st, byName, p)
	}
	order := topoSort(s, byName, p)
	if err := p.err(); err != nil {
		return nil, err
	}
	g.Nodes = order
	return g, nil
}

func checkSweep(s *Spec, params map[string]*yaml.Node, p *problems) {
	if s.Sweep == nil {
		return
	}
	for _, ax := range slices.Concat(s.Sweep.Grid, s.Sweep.Zip) {
		if _, ok := params[ax.Param]; !ok {
			p.addAt(ax.Pos, "sweep", "%q is not a parameter: sweep only what params declares%s",
				ax.Param, suggest(ax.Param, slices.Sorted(maps.Keys(params))...))
		}
	}
}

// decodeWith substitutes parameters into a stage's `with:` and decodes each
// value by the kind's schema, filling in defaults.
func decodeWith(st *StageSpec, sc Schema, params map[string]*yaml.Node, p *problems) Values {
	path := "stages." + st.Name + ".with"
	given := map[string]*yaml.Node{}
	var keys []*yaml.Node
	if st.With != nil {
		for i := 0; i+1 < len(st.With.Content); i += 2 {
			k := st.With.Content[i]
			if _, dup := given[k.Value]; dup {
				continue // reported by the parser
			}
			given[k.Value] = substitute(st.With.Content[i+1], params, p, join(path, k.Value))
			keys = append(keys, k)
		}
	}
	known := map[string]*Param{}
	var names []string
	for i := range sc.Params {
		known[sc.Params[i].Name] = &sc.Params[i]
		names = append(names, sc.Params[i].Name)
	}
	for _, k := range keys {
		if known[k.Value] == nil {
			p.add(k, join(path, k.Value), "unknown parameter for %s%s", st.Uses, suggest(k.Value, names...))
		}
	}

	vals := Values{}
	for _, prm := range sc.Params {
		n, ok := given[prm.Name]
		if ok && n == nil {
			continue // a reference that did not resolve, reported already
		}
		if !ok {
			if prm.Required {
				p.addAt(st.Pos, join(path, prm.Name), "missing: %s needs it (%s)", st.Uses, prm.Type)
			} else if prm.Default != nil {
				vals[prm.Name] = prm.Default
			}
			continue
		}
		v, err := decodeValue(n, prm.Type)
		if err == nil {
			err = prm.checkValue(v)
		}
		if err == nil {
			err = checkFiles(filepath.Dir(p.file), prm.Type, v)
		}
		if err != nil {
			p.add(n, join(path, prm.Name), "%v", err)
			continue
		}
		vals[prm.Name] = v
	}
	return vals
}

// checkFiles reports a Path parameter naming no file, or a Paths pattern
// matching none, so that validate and plan catch them before anything runs.
func checkFiles(base string, t Type, v any) error {
	switch t {
	case Path:
		name, _ := v.(string)
		if name == "" {
			return nil
		}
		abs := absPath(base, name)
		if _, err := os.Stat(abs); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s: no such file", abs)
			}
			return err
		}
	case Paths:
		list, _ := v.([]string)
		_, err := expandPaths(base, list)
		return err
	}
	return nil
}

var refRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// substitute returns a copy of n with ${param} references replaced. A scalar
// that is exactly one reference takes the parameter's value and type; a
// reference inside a longer string is spliced in as text. Replaced nodes keep
// the position of the reference, so errors point where the user wrote it.
func substitute(n *yaml.Node, params map[string]*yaml.Node, p *problems, path string) *yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" || !strings.Contains(n.Value, "${") {
			return n
		}
		if m := refRE.FindStringSubmatch(n.Value); m != nil && m[0] == n.Value {
			v := lookupParam(m[1], n, params, p, path)
			if v == nil {
				return nil
			}
			c := *v
			c.Line, c.Column = n.Line, n.Column
			return &c
		}
		ok := true
		text := refRE.ReplaceAllStringFunc(n.Value, func(ref string) string {
			v := lookupParam(ref[2:len(ref)-1], n, params, p, path)
			if v == nil {
				ok = false
				return ref
			}
			if v.Kind != yaml.ScalarNode {
				p.add(n, path, "%s is a list and cannot be spliced into text", ref)
				ok = false
			}
			return v.Value
		})
		if !ok {
			return nil
		}
		c := *n
		c.Value = text
		return &c
	case yaml.SequenceNode, yaml.MappingNode:
		c := *n
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			sub := path
			if n.Kind == yaml.SequenceNode {
				sub = fmt.Sprintf("%s[%d]", path, i)
			} else if i%2 == 1 {
				sub = join(path, n.Content[i-1].Value)
			}
			c.Content[i] = substitute(ch, params, p, sub)
			if c.Content[i] == nil {
				c.Content[i] = &yaml.Node{
					Kind:   yaml.ScalarNode,
					Tag:    "!!null",
					Line:   ch.Line,
					Column: ch.Column,
				}
			}
		}
		return &c
	case yaml.AliasNode:
		return substitute(n.Alias, params, p, path)
	}
	return n
}

func lookupParam(
	name string,
	at *yaml.Node,
	params map[string]*yaml.Node,
	p *problems,
	path string,
) *yaml.Node {
	v, ok := params[name]
	if !ok {
		p.add(at, path, "unresolved reference ${%s}: no such parameter%s", name,
			suggest(name, slices.Sorted(maps.Keys(params))...))
		return nil
	}
	return v
}

// connect resolves a stage's inputs against its kind's slots.
func connect(st *StageSpec, byName map[string]*Node, p *problems) {
	n := byName[st.Name]
	if n.Stage == nil || byName[st.Name] != n {
		return
	}
	path := "stages." + st.Name + ".inputs"
	slots := n.Stage.Schema().Inputs
	filled := map[string]bool{}
	var stageNames []string
	for name := range byName {
		stageNames = append(stageNames, name)
	}
	slices.Sort(stageNames)
	for i, ref := range st.Inputs {
		slot := ref.Slot
		if !st.inputsByName {
			if i >= len(slots) {
				p.addAt(ref.Pos, path, "%s takes %d input%s (%s), got %d", st.Uses, len(slots),
					plural(len(slots)), slotNames(slots), len(st.Inputs))
				break
			}
			slot = slots[i].Name
		} else if !slices.ContainsFunc(slots, func(in Input) bool { return in.Name == slot }) {
			p.addAt(ref.Pos, join(path, slot), "%s has no input %q (it takes %s)",
				st.Uses, slot, slotNames(slots))
			continue
		}
		filled[slot] = true
		from, ok := byName[ref.Stage]
		if !ok {
			p.addAt(
				ref.Pos,
				join(path, slot),
				"unknown stage %q%s",
				ref.Stage,
				suggest(ref.Stage, stageNames...),
			)
			continue
		}
		if err := accepts(slots, slot, from); err != nil {
			p.addAt(ref.Pos, join(path, slot), "%v", err)
			continue
		}
		n.Inputs = append(n.Inputs, Edge{Slot: slot, From: from})
	}
	for _, s := range slots {
		if !s.Optional && !filled[s.Name] {
			p.addAt(st.Pos, join(path, s.Name), "missing input: %s needs %q%s", st.Uses, s.Name, slotDoc(s))
		}
	}
	slices.SortFunc(n.Inputs, func(a, b Edge) int { return strings.Compare(a.Slot, b.Slot) })
}

// accepts checks that what stage from produces fits the slot, when both
// sides declare it.
func accepts(slots []Input, slot string, from *Node) error {
	i := slices.IndexFunc(slots, func(in Input) bool { return in.Name == slot })
	if i < 0 || from.Stage == nil || len(slots[i].Accepts) == 0 {
		return nil
	}
	out := from.Stage.Schema().Produces
	if out == "" || slices.Contains(slots[i].Accepts, out) {
		return nil
	}
	return fmt.Errorf(
		"stage %q (%s) makes %s; input %s takes %s",
		from.Name,
		from.Stage.Kind(),
		out,
		slot,
		strings.Join(slots[i].Accepts, " or "),
	)
}

func slotNames(slots []Input) string {
	if len(slots) == 0 {
		return "none"
	}
	var names []string
	for _, s := range slots {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

func slotDoc(s Input) string {
	if s.Doc == "" {
		return ""
	}
	return " (" + s.Doc + ")"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// topoSort orders the stages so that every stage follows its inputs,
// reporting each cycle once as its path.
func topoSort(s *Spec, byName map[string]*Node, p *problems) []*Node {
	var nodes []*Node
	for _, st := range s.Stages {
		if n := byName[st.Name]; n != nil && n.Pos == st.Pos {
			nodes = append(nodes, n)
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[*Node]int{}
	var stack []*Node
	reported := map[string]bool{}
	var visit func(n *Node)
	visit = func(n *Node) {
		state[n] = active
		stack = append(stack, n)
		for _, e := range n.Inputs {
			switch state[e.From] {
			case unseen:
				visit(e.From)
			case active:
				i := slices.Index(stack, e.From)
				reportCycle(stack[i:], p, reported)
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
	}
	for _, n := range nodes {
		if state[n] == unseen {
			visit(n)
		}
	}
	if len(reported) > 0 {
		return nil
	}

	// Kahn's algorithm, taking ready stages in file order so the order is
	// stable and reads like the file.
	indeg := map[*Node]int{}
	users := map[*Node][]*Node{}
	for _, n := range nodes {
		for _, e := range n.Inputs {
			indeg[n]++
			users[e.From] = append(users[e.From], n)
		}
	}
	var order []*Node
	placed := map[*Node]bool{}
	for len(order) < len(nodes) {
		for _, n := range nodes {
			if !placed[n] && indeg[n] == 0 {
				placed[n] = true
				order = append(order, n)
				for _, u := range users[n] {
					indeg[u]--
				}
				break
			}
		}
	}
	return order
}

// reportCycle reports the cycle in cyc (each stage's input is the next one
// up the stack) starting from its first stage in name order, so the same
// cycle found from two places prints once.
func reportCycle(cyc []*Node, p *problems, reported map[string]bool) {
	// The stack runs from a stage to its inputs; a cycle reads better in data
	// flow order, from producer to consumer.
	names := make([]string, len(cyc))
	for i, n := range cyc {
		names[len(cyc)-1-i] = n.Name
	}
	start := 0
	for i, nm := range names {
		if nm < names[start] {
			start = i
		}
	}
	rot := append(slices.Clone(names[start:]), names[:start]...)
	path := strings.Join(append(rot, rot[0]), " -> ")
	if reported[path] {
		return
	}
	reported[path] = true
	var first *Node
	for _, n := range cyc {
		if n.Name == rot[0] {
			first = n
		}
	}
	p.addAt(first.Pos, "stages."+first.Name+".inputs", "cycle: %s", path)
}

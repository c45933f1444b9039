package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// npyHeader is the dictionary at the start of a .npy file.
type npyHeader struct {
	descr   string
	enc     encoding
	fortran bool
	shape   []int
}

// maxNPYDims follows NumPy 2, which allows 64 dimensions.
const maxNPYDims = 64

// parseNPYHeader reads the header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }. Only the
// literals a header can hold are understood: strings, True, False and
// tuples of integers. Exactly the three keys must be present, as NumPy
// requires.
func parseNPYHeader(s string) (*npyHeader, error) {
	p := &pyParser{s: s}
	v, err := p.value()
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Errorf("unexpected %q after the dictionary", p.s[p.i:min(p.i+10, len(p.s))])
		}
	}
	if err != nil {
		return nil, formatErr("npy", "header %q: %v", clip(s), err)
	}
	dict, ok := v.(map[string]any)
	if !ok {
		return nil, formatErr("npy", "header %q is not a dictionary", clip(s))
	}
	if len(dict) != 3 || dict["descr"] == nil || dict["fortran_order"] == nil || dict["shape"] == nil {
		return nil, formatErr(
			"npy",
			"header %q must have exactly the keys descr, fortran_order and shape",
			clip(s),
		)
	}

	h := &npyHeader{}
	switch d := dict["descr"].(type) {
	case string:
		h.descr = d
	case []any:
		return nil, formatErr("npy", "structured dtype %v is not supported", d)
	default:
		return nil, formatErr("npy", "descr %v is not a dtype string", d)
	}
	if h.enc, err = npyEncoding(h.descr); err != nil {
		return nil, err
	}
	if h.fortran, ok = dict["fortran_order"].(bool); !ok {
		return nil, formatErr("npy", "fortran_order %v is not True or False", dict["fortran_order"])
	}
	shape, ok := dict["shape"].([]any)
	if !ok {
		return nil, formatErr("npy", "shape %v is not a tuple", dict["shape"])
	}
	if len(shape) > maxNPYDims {
		return nil, formatErr("npy", "shape has %d dimensions, more than %d", len(shape), maxNPYDims)
	}
	for _, d := range shape {
		n, ok := d.(int64)
		if !ok || n < 0 || n > maxNPYData {
			return nil, formatErr("npy", "shape %v has a dimension that is not a count", shape)
		}
		h.shape = append(h.shape, int(n))
	}
	return h, nil
}

// npyEncoding reads a NumPy dtype string: byte order, kind, width.
func npyEncoding(descr string) (encoding, error) {
	bad := formatErr("npy", "dtype %q is not supported (pipe reads b1, i1-i8, u1-u4, f2-f8)", descr)
	if len(descr) < 3 {
		return encoding{}, bad
	}
	size, err := strconv.Atoi(descr[2:])
	if err != nil {
		return encoding{}, bad
	}
	e := encoding{kind: descr[1], size: size}
	switch descr[0] {
	case '<':
	case '=':
		// Native order of the writer, unknowable; NumPy never writes it and
		// every platform pipe runs on is little-endian.
	case '>':
		e.big = true
	case '|':
		if size != 1 {
			return encoding{}, formatErr(
				"npy",
				"dtype %q has no byte order but %d-byte elements",
				descr,
				size,
			)
		}
	default:
		return encoding{}, bad
	}
	if e.kind == 'h' || e.kind == '8' { // our own codes, not NumPy's
		return encoding{}, bad
	}
	if _, ok := e.target(); !ok {
		return encoding{}, bad
	}
	return e, nil
}

func clip(s string) string {
	s = strings.TrimRight(s, " \n")
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// pyParser reads the subset of Python literals a .npy header uses.
type pyParser struct {
	s     string
	i     int
	depth int
}

// maxPyDepth bounds nesting: a header needs two levels, and a file of
// brackets must not recurse a million deep.
const maxPyDepth = 8

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// value parses one literal: a dict (map[string]any), a tuple or list
// ([]any), a string, True/False (bool) or an integer (int64).
func (p *pyParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("ends early")
	}
	if p.depth >= maxPyDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxPyDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '(':
		return p.seq(')')
	case c == '[':
		return p.seq(']')
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.integer()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	default:
		return nil, fmt.Errorf("unexpected %q at byte %d", c, p.i)
	}
}

func (p *pyParser) dict() (map[string]any, error) {
	p.i++ // '{'
	d := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("dictionary key %v is not a string", k)
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("no ':' after key %q", key)
		}
		p.i++
		if d[key], err = p.value(); err != nil {
			return nil, err
		}
		if err := p.sep('}'); err != nil {
			return nil, err
		}
	}
}

func (p *pyParser) seq(end byte) ([]any, error) {
	p.i++ // '(' or '['
	items := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return items, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		if err := p.sep(end); err != nil {
			return nil, err
		}
	}
}

// sep consumes a ',' or checks that end comes next.
func (p *pyParser) sep(end byte) error {
	p.space()
	switch {
	case p.i >= len(p.s):
		return fmt.Errorf("ends early, want %q", end)
	case p.s[p.i] == ',':
		p.i++
		return nil
	case p.s[p.i] == end:
		return nil
	}
	return fmt.Errorf("unexpected %q at byte %d, want ',' or %q", p.s[p.i], p.i, end)
}

func (p *pyParser) str() (string, error) {
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", fmt.Errorf("unterminated string at byte %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.ContainsAny(v, "\\\n") {
		return "", fmt.Errorf("string %q has escapes or newlines", v)
	}
	p.i += j + 2
	return v, nil
}

func (p *pyParser) integer() (int64, error) {
	j := p.i
	if p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	v, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad integer %q", p.s[p.i:j])
	}
	// Python 2 wrote long integers with an L suffix.
	if j < len(p.s) && p.s[j] == 'L' {
		j++
	}
	p.i = j
	return v, nil
}

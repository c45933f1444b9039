package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// Pos is a place in an experiment file. Line and Col count from 1; zero
// means unknown.
type Pos struct {
	File      string
	Line, Col int
}

func posOf(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// SpecError is one problem in an experiment file, at a position and a path
// inside the document such as "stages.gan.with.lr".
type SpecError struct {
	Pos  Pos
	Path string
	Msg  string
}

func (e *SpecError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Path, e.Msg)
}

// problems gathers SpecErrors during one pass over a file.
type problems struct {
	file string
	errs []*SpecError
}

func (p *problems) add(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &SpecError{Pos: posOf(p.file, n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) addAt(pos Pos, path, format string, args ...any) {
	p.errs = append(p.errs, &SpecError{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by position, then path, then message, as
// one *multierror.Error, or nil when there are none. Duplicates (the same
// message at the same place) are reported once.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, compareSpecErrors)
	p.errs = slices.CompactFunc(p.errs, func(a, b *SpecError) bool { return *a == *b })
	var me *multierror.Error
	for _, e := range p.errs {
		me = multierror.Append(me, e)
	}
	me.ErrorFormat = formatList
	return me
}

func compareSpecErrors(a, b *SpecError) int {
	return cmp.Or(
		cmp.Compare(a.Pos.File, b.Pos.File),
		cmp.Compare(a.Pos.Line, b.Pos.Line),
		cmp.Compare(a.Pos.Col, b.Pos.Col),
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Msg, b.Msg),
	)
}

// formatList prints one problem a line, with nothing added: the output of
// `pipe validate` is meant for editors and grep as much as for people.
func formatList(errs []error) string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// SpecErrors returns the individual problems inside err (as returned by Load
// or Resolve), or nil when err holds none.
func SpecErrors(err error) []*SpecError {
	var out []*SpecError
	var me *multierror.Error
	if errors.As(err, &me) {
		for _, e := range me.Errors {
			var se *SpecError
			if errors.As(e, &se) {
				out = append(out, se)
			}
		}
		return out
	}
	var se *SpecError
	if errors.As(err, &se) {
		out = append(out, se)
	}
	return out
}

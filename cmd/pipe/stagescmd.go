package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/pipeline"
)

const stagesUsage = `
Usage: pipe stages [KIND]

Lists the stage kinds an experiment can use, or one kind's parameters,
types, defaults and inputs.

Examples:
  pipe stages
  pipe stages train/gan
`

func runStages(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("stages", stagesUsage, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) == 0 {
		for _, k := range pipeline.Kinds() {
			s, _ := pipeline.Lookup(k)
			fmt.Fprintf(stdout, "%-20s %s\n", k, s.Schema().Doc)
		}
		return nil
	}
	for _, k := range pos {
		s, ok := pipeline.Lookup(k)
		if !ok {
			return usagef("no stage kind %q; 'pipe stages' lists them", k)
		}
		sc := s.Schema()
		fmt.Fprintf(stdout, "%s (version %d): %s\n", k, s.Version(), sc.Doc)
		if len(sc.Inputs) > 0 {
			fmt.Fprintln(stdout, "inputs:")
			for _, in := range sc.Inputs {
				opt := ""
				if in.Optional {
					opt = " (optional)"
				}
				fmt.Fprintf(stdout, "  %s%s  %s\n", in.Name, opt, in.Doc)
			}
		}
		fmt.Fprintln(stdout, "parameters:")
		for _, p := range sc.Params {
			def := "required"
			if !p.Required {
				def = "default " + pipeline.Format(p.Default)
				if p.Default == nil {
					def = "optional"
				}
			}
			extra := ""
			if len(p.Enum) > 0 {
				extra = " one of " + strings.Join(p.Enum, "|")
			}
			fmt.Fprintf(stdout, "  %-14s %s, %s%s  %s\n", p.Name, p.Type, def, extra, p.Doc)
		}
	}
	return nil
}

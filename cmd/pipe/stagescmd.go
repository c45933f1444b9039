package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			for _, in := range sc.Inputs {
				opt := ""
				if in.Optional {
					opt = " (optional)"
				}
				fmt.Fprintf(tw, "  %s%s\t%s\n", in.Name, opt, in.Doc)
			}
			tw.Flush()
		}
		fmt.Fprintln(stdout, "parameters:")
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, p := range sc.Params {
			what := p.Type.String()
			switch {
			case p.Required:
				what += ", required"
			case p.Default != nil:
				what += ", default " + strings.ReplaceAll(pipeline.Format(p.Default), "\n", `\n`)
			}
			if len(p.Enum) > 0 {
				what += " (" + strings.Join(p.Enum, ", ") + ")"
			}
			line := "  " + p.Name + "\t" + what
			if p.Doc != "" {
				line += "\t" + p.Doc
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/pipeline"
)

const graphUsage = `
Usage: pipe graph SPEC [--format dot|mermaid]

Prints the experiment's stages and their connections, for Graphviz
(dot -Tsvg) or for Markdown pages that render Mermaid.

Examples:
  pipe graph experiments/fashion-gan.yaml | dot -Tsvg > gan.svg
  pipe graph experiments/fashion-vae.yaml --format mermaid
`

func runGraph(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var format string
	fs := newFlagSet("graph", graphUsage, stderr)
	fs.StringVar(&format, "format", "dot", "dot or mermaid")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("graph takes one experiment file, got %d", len(pos))
	}
	g, err := loadGraph(pos[0], nil)
	if err != nil {
		return err
	}
	switch format {
	case "dot":
		writeDot(stdout, g)
	case "mermaid":
		writeMermaid(stdout, g)
	default:
		return usagef("--format %q: want dot or mermaid", format)
	}
	return nil
}

func writeDot(w io.Writer, g *pipeline.Graph) {
	fmt.Fprintf(w, "digraph %q {\n  rankdir=LR;\n  node [shape=box];\n", g.Spec.Name)
	for _, n := range g.Nodes {
		fmt.Fprintf(w, "  %q [label=\"%s\\n%s\"];\n", n.Name, n.Name, n.Stage.Kind())
	}
	for _, n := range g.Nodes {
		for _, e := range n.Inputs {
			fmt.Fprintf(w, "  %q -> %q [label=%q];\n", e.From.Name, n.Name, e.Slot)
		}
	}
	fmt.Fprintln(w, "}")
}

func writeMermaid(w io.Writer, g *pipeline.Graph) {
	// Mermaid node IDs cannot hold '-'; stage names can.
	id := func(name string) string { return "s_" + strings.ReplaceAll(name, "-", "_") }
	fmt.Fprintln(w, "flowchart LR")
	for _, n := range g.Nodes {
		fmt.Fprintf(w, "  %s[\"%s<br/>%s\"]\n", id(n.Name), n.Name, n.Stage.Kind())
	}
	for _, n := range g.Nodes {
		for _, e := range n.Inputs {
			fmt.Fprintf(w, "  %s -->|%s| %s\n", id(e.From.Name), e.Slot, id(n.Name))
		}
	}
}

package main

import (
	"fmt"
	"io"
)

const helpText = `pipe runs generative-AI experiments described in YAML: a graph of stages
(load data, augment, train, generate, evaluate, export) whose outputs are
cached by content, so only what changed runs again.

Usage:
  pipe <command> [arguments]

Commands:
%s
Examples:
  pipe run experiments/fashion-gan.yaml          # second time: every stage cached
  pipe run experiments/fashion-gan.yaml -p epochs=5 --json
  pipe plan experiments/fashion-vae.yaml         # what would run, nothing runs
  pipe validate experiments/*.yaml               # every problem, file:line:col
  pipe show 3f9c2a1                              # a recorded run, by ID prefix

The cache lives in .pipe (or --cache DIR, or $PIPE_CACHE). Results go to
stdout; logs and progress to stderr. PIPE_DEBUG_HASH=1 prints every field
that goes into each stage's key.

Exit codes:
  0    success
  1    a stage failed (the others finished; their results are cached)
  2    usage error or invalid experiment
  130  interrupted (Ctrl-C); nothing half-written was committed

Run 'pipe <command> -h' for a command's options.
`

func printHelp(w io.Writer) {
	var list string
	for _, c := range commands {
		list += fmt.Sprintf("  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, helpText, list)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

const validateUsage = `
Usage: pipe validate SPEC...

Checks experiment files without running them: YAML structure, unknown keys,
stage kinds and their parameters, inputs, cycles, parameter references.
Prints every problem as file:line:col: path: message and exits with 2 if
there is any.

Examples:
  pipe validate experiments/*.yaml
  pipe validate my.yaml -p k=3
`

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var params stringList
	fs := newFlagSet("validate", validateUsage, stderr)
	fs.Var(&params, "p", "override a parameter: name=value (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) == 0 {
		return usagef("validate takes one or more experiment files")
	}
	bad := 0
	for _, path := range pos {
		if _, err := loadGraph(path, params); err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return err
			}
			fmt.Fprintln(stderr, err)
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	if bad > 0 {
		return invalidf("%d of %d experiment files have problems", bad, len(pos))
	}
	return nil
}

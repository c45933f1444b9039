// Command pipe runs generative-AI experiments described in YAML: a graph of
// stages whose outputs are cached by content, rerun only when something they
// depend on changed. See `pipe help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pipe-ml/pipe/pipeline"
	_ "github.com/pipe-ml/pipe/stages"
	_ "github.com/pipe-ml/pipe/stages/neural"
)

// Exit codes, documented in `pipe help`.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// usageError is a mistake in how pipe was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err for people and maps it to pipe's exit code.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errSilent):
		return exitFailed
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "pipe: interrupted; nothing partial was committed")
		return exitInterrupted
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "pipe: %v\nRun 'pipe help' for usage.\n", ue)
		return exitUsage
	}
	if specErrs := pipeline.SpecErrors(err); len(specErrs) > 0 {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "pipe: %v\n", err)
	var ie *inputError
	if errors.As(err, &ie) {
		return exitUsage
	}
	return exitFailed
}

// errSilent marks a failure already reported in full.
var errSilent = errors.New("failed")

// inputError is bad input that is not a spec error (an unknown run ID, an
// unreadable experiment file): exit 2, like a usage error, but without the
// pointer to the help.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func invalid(err error) error { return &inputError{err} }

func invalidf(format string, args ...any) error {
	return &inputError{fmt.Errorf(format, args...)}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"run", "run an experiment", runRun},
		{"plan", "show what run would do, without running", runPlan},
		{"validate", "check experiment files; every problem, positioned", runValidate},
		{"graph", "print an experiment's graph as dot or mermaid", runGraph},
		{"sweep", "run every point of a parameter sweep", runSweep},
		{"compare", "compare runs in a table: differing params and metrics", runCompare},
		{"reproduce", "rerun a recorded run without the cache; report what matched", runReproduce},
		{"runs", "list recorded runs, newest first", runRuns},
		{"show", "print one recorded run", runShow},
		{"cache", "cache du: what the cache holds; cache gc: free what no run needs", runCache},
		{"stages", "list stage kinds and their parameters", runStages},
		{"tokenize", "train a byte-level BPE tokenizer or encode text with one", runTokenize},
		{"eval", "evaluate: fid of two feature files", runEval},
		{"audio", "audio tools: mel spectrogram of a WAV file", runAudio},
		{
			"export",
			"export a recorded run's model: onnx, safetensors or torchscript, with its card",
			runExport,
		},
		{"help", "print this help", nil},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return usagef("no command given")
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		printHelp(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == name && c.run != nil {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return usagef("unknown command %q", name)
}

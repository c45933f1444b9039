package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

// commonFlags are the flags every command that touches the cache takes.
type commonFlags struct {
	cacheDir string
	verbose  bool
	quiet    bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.cacheDir, "cache", "", "cache directory (default $PIPE_CACHE, else .pipe)")
	fs.BoolVar(&c.verbose, "v", false, "log debug detail")
	fs.BoolVar(&c.quiet, "q", false, "log only warnings and errors")
}

func (c *commonFlags) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case c.verbose:
		level = slog.LevelDebug
	case c.quiet:
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			// Wall-clock times make logs harder to diff and add nothing
			// that durations do not say.
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}}))
}

func (c *commonFlags) openCache(log *slog.Logger) (*cache.Cache, error) {
	return cache.Open(c.dir(), log)
}

// dir is the cache directory: --cache, else $PIPE_CACHE, else .pipe.
func (c *commonFlags) dir() string {
	if c.cacheDir != "" {
		return c.cacheDir
	}
	if d := os.Getenv("PIPE_CACHE"); d != "" {
		return d
	}
	return ".pipe"
}

// errNoCache: a command that only reads found no cache where it looked.
var errNoCache = errors.New("no cache")

// openExistingCache opens the cache for commands that only read it (runs,
// show, compare, cache, export, reproduce): a mistyped --cache must not
// leave a new, empty cache behind.
func (c *commonFlags) openExistingCache(log *slog.Logger) (*cache.Cache, error) {
	dir := c.dir()
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &inputError{
			fmt.Errorf(
				"%w at %s: nothing has run with it (--cache or PIPE_CACHE chooses another)",
				errNoCache,
				dir,
			),
		}
	case err != nil:
		return nil, invalid(err)
	case !fi.IsDir():
		return nil, invalidf("cache %s is not a directory", dir)
	}
	return cache.Open(dir, log)
}

// newFlagSet makes a command's flag set; usage text goes to stderr.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print a parse error itself, and then pipe
	// again: it is reported once, by exitCode, after the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stderr, strings.TrimLeft(usage, "\n"))
		fmt.Fprintln(stderr, "\nOptions:")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseArgs parses flags wherever they stand among the positional
// arguments, so `pipe run spec.yaml -p k=3` works as users type it.
//
// The usage is printed for -h only. A mistyped flag gets its one-line
// error and a pointer to the help, not the whole help page with the error
// at its foot.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, errHelp
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// errHelp: -h was asked for and the usage printed; not a failure.
var errHelp = errors.New("help shown")

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// loadGraph loads, checks and resolves an experiment with overrides.
func loadGraph(path string, params []string) (*pipeline.Graph, error) {
	spec, err := pipeline.Load(path)
	if spec == nil {
		if len(pipeline.SpecErrors(err)) == 0 {
			return nil, invalid(err)
		}
		return nil, err
	}
	var ovs []pipeline.Override
	for _, p := range params {
		o, err := pipeline.ParseOverride(p)
		if err != nil {
			return nil, usagef("-p %v", err)
		}
		ovs = append(ovs, o)
	}
	return pipeline.Resolve(spec, ovs)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func debugHash(stderr io.Writer) io.Writer {
	if os.Getenv("PIPE_DEBUG_HASH") == "1" {
		return stderr
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// asMainEnv makes the test binary act as pipe: the tests that need a real
// process (to kill it, interrupt it, or run two at once) start os.Args[0]
// with it set. The binary then has the test stage kinds of kinds_test.go.
const asMainEnv = "PIPE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main() // exits
	}
	// The user's settings would change what commands print.
	os.Unsetenv("PIPE_CACHE")
	os.Unsetenv("PIPE_DEBUG_HASH")
	os.Exit(m.Run())
}

// fashionDir holds Debian's Fashion-MNIST, which the experiments under
// testdata read.
const fashionDir = "/usr/share/datasets/fashion-mnist"

func needFashion(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fashionDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
}

// result is what one pipe command did.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

// pipe runs a command in this process, through run and exitCode as main
// does.
func pipe(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	code := exitCode(err, &stderr)
	return result{args: args, stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// mustPipe is pipe for commands that must succeed.
func mustPipe(t *testing.T, args ...string) result {
	t.Helper()
	r := pipe(t, args...)
	if r.code != 0 {
		t.Fatalf(
			"pipe %s: exit %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "),
			r.code,
			r.stdout,
			r.stderr,
		)
	}
	return r
}

// runJSON is the output of `pipe run --json`.
type runJSON struct {
	RunID  string `json:"run_id"`
	Stages []struct {
		Name    string             `json:"name"`
		Key     string             `json:"key"`
		Cached  bool               `json:"cached"`
		Status  string             `json:"status"`
		Outputs map[string]string  `json:"outputs"`
		Metrics map[string]float64 `json:"metrics"`
		Error   string             `json:"error"`
	} `json:"stages"`
}

func parseRun(t *testing.T, r result) runJSON {
	t.Helper()
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("pipe %s: stdout is not run JSON: %v\n%s", strings.Join(r.args, " "), err, r.stdout)
	}
	return out
}

// statuses maps stage names to their status in a run.
func (r runJSON) statuses() map[string]string {
	m := map[string]string{}
	for _, s := range r.Stages {
		m[s.Name] = s.Status
	}
	return m
}

// planKeys returns each stage's key as `pipe plan --json` computes it.
func planKeys(t *testing.T, spec, cacheDir string, params ...string) map[string]string {
	t.Helper()
	args := []string{"plan", spec, "--cache", cacheDir, "--json"}
	for _, p := range params {
		args = append(args, "-p", p)
	}
	r := mustPipe(t, args...)
	var plan struct {
		Stages []struct{ Name, Key string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("pipe plan --json: %v\n%s", err, r.stdout)
	}
	keys := map[string]string{}
	for _, s := range plan.Stages {
		keys[s.Name] = s.Key
	}
	return keys
}

// entryPath and outPath are where the cache keeps a key's manifest and its
// laid-out outputs (see package cache's layout).
func entryPath(cacheDir, key string) string {
	return filepath.Join(cacheDir, "entries", key[:2], key+".json")
}

func outPath(cacheDir, key string) string { return filepath.Join(cacheDir, "out", key) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// proc is pipe running as a child process: the test binary in its pipe
// role.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

func startPipe(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), asMainEnv+"=1", "PIPE_CACHE=", "PIPE_DEBUG_HASH=")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start pipe %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to end and returns its exit code, or -1 if a
// signal ended it.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf(
			"pipe %s: still running after 30 s\nstderr:\n%s",
			strings.Join(p.cmd.Args[1:], " "),
			p.stderr.String(),
		)
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitForFile waits until path exists, failing if p ends first.
func waitForFile(t *testing.T, p *proc, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !exists(path) {
		select {
		case <-p.done:
			t.Fatalf("pipe ended (%v) before %s appeared\nstderr:\n%s", p.err, path, p.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 30 s\nstderr:\n%s", path, p.stderr.String())
		}
	}
}

// normalizer makes command output comparable across runs and machines.
type normalizer struct {
	replace []string // old, new pairs, applied in order
}

// Patterns for what changes from run to run.
var (
	timestampRE = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( [A-Z][A-Za-z0-9+-]*)?`)
	// A duration printed as %.1f in a table column, recognised by what
	// follows it: run's KEY column, show's CACHED column, runs' CACHED
	// column, or show's ", N.N s".
	secondsRE = regexp.MustCompile(`\b\d+\.\d( +(?:[0-9a-f]{12}|-|true|false|\d+/\d+)\b|,? s\b)`)
	// A duration in a log line.
	logSecondsRE = regexp.MustCompile(`\bseconds=[0-9.e-]+`)
	// What the binary links and runs on: a libtorch version and device
	// once cmd/pipe links libtorch.
	libtorchRE = regexp.MustCompile(`(?m)^(versions .*, libtorch ).*$`)
	deviceRE   = regexp.MustCompile(`(?m)^(machine .*, device )[^,]+,`)
)

// newNormalizer replaces tmp (if not empty) with $TMP and this package's
// directory, where tests run, with $PKG: run records keep the absolute
// path of their spec.
func newNormalizer(t *testing.T, tmp string) *normalizer {
	n := &normalizer{}
	if tmp != "" {
		n.add(tmp, "$TMP")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	n.add(wd, "$PKG")
	return n
}

func (n *normalizer) add(old, new string) { n.replace = append(n.replace, old, new) }

// addRun replaces a run ID, in full, short (12 digits) or as the 8-digit
// prefix tests pass to show, with a name.
func (n *normalizer) addRun(id, name string) {
	n.add(id, name)
	// Padded, so tables stay aligned.
	n.add(id[:12], fmt.Sprintf("%-12s", name))
	n.add(id[:8], name)
}

func (n *normalizer) apply(s string) string {
	s = strings.NewReplacer(n.replace...).Replace(s)
	s = timestampRE.ReplaceAllStringFunc(s, func(ts string) string {
		// As wide as the time, so tables stay aligned; the zone, if any,
		// is the machine's.
		if len(ts) > len("2006-01-02 15:04:05") {
			return "YYYY-MM-DD hh:mm:ss TZ"
		}
		return "YYYY-MM-DD hh:mm:ss"
	})
	s = secondsRE.ReplaceAllString(s, "N.N$1")
	s = logSecondsRE.ReplaceAllString(s, "seconds=N")
	s = libtorchRE.ReplaceAllString(s, "${1}$$LIBTORCH")
	s = deviceRE.ReplaceAllString(s, "${1}$$DEVICE,")
	s = strings.ReplaceAll(s, runtime.Version(), "$GOVERSION")
	s = strings.ReplaceAll(s, "pipe "+pipeline.Version()+",", "pipe $VERSION,")
	return s
}

// golden compares the normalised transcript of commands with
// testdata/golden/name.txt, or rewrites that file with -update.
func golden(t *testing.T, name string, n *normalizer, results ...result) {
	t.Helper()
	var sb strings.Builder
	for i, r := range results {
		if i > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "%s\n", strings.Join(append([]string{"$ pipe"}, r.args...), " "))
		fmt.Fprintf(&sb, "-- exit %d --\n", r.code)
		if r.stdout != "" {
			fmt.Fprintf(&sb, "-- stdout --\n%s", r.stdout)
		}
		if r.stderr != "" {
			fmt.Fprintf(&sb, "-- stderr --\n%s", r.stderr)
		}
	}
	got := n.apply(sb.String())
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/pipe -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf(
			"output differs from %s (go test ./cmd/pipe -update rewrites it):\n%s",
			path,
			lineDiff(string(want), got),
		)
	}
}

// lineDiff lists the lines that differ, position by position: enough to
// see what changed in a short transcript.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&sb, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		}
	}
	return sb.String()
}

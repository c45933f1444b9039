package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tests in this file run the test binary again as a helper process, the
// way a second pipe command would share the cache.

// The helper process: re-executed test binary with these set.
const (
	envHelper  = "PIPE_CACHE_TEST_HELPER"
	envDir     = "PIPE_CACHE_TEST_DIR"
	envCounter = "PIPE_CACHE_TEST_COUNTER"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envHelper) {
	case "":
		code := m.Run()
		cleanupBench()
		os.Exit(code)
	case "bump":
		os.Exit(helperBump())
	case "wait":
		os.Exit(helperWait())
	case "hold":
		os.Exit(helperHold())
	case "stage":
		os.Exit(helperStage())
	}
	fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(envHelper))
	os.Exit(2)
}

var helperKey = HashBytes([]byte("shared stage"))

// helperBump increments the counter 50 times under the key's lock.
func helperBump() int {
	c, err := Open(os.Getenv(envDir), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for range 50 {
		unlock, err := c.Lock(context.Background(), helperKey)
		if err == nil {
			err = bump(os.Getenv(envCounter))
			unlock()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// helperWait shows that a held key makes it wait: a bounded attempt
// must time out ("busy"), then an unbounded one succeeds once the
// parent lets go ("locked").
func helperWait() int {
	c, err := Open(os.Getenv(envDir), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, helperKey); errors.Is(err, context.DeadlineExceeded) {
		fmt.Println("busy")
	} else {
		fmt.Println("not excluded:", err)
		return 1
	}
	unlock, err := c.Lock(context.Background(), helperKey)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("locked")
	unlock()
	return 0
}

func helper(t *testing.T, kind, dir, counter string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"="+kind, envDir+"="+dir, envCounter+"="+counter)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestLockProcesses(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(t.TempDir(), "count")
	var cmds []*exec.Cmd
	for range 2 {
		cmd := helper(t, "bump", dir, counter)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	// This process joins in too.
	if code := func() int {
		t.Setenv(envDir, dir)
		t.Setenv(envCounter, counter)
		return helperBump()
	}(); code != 0 {
		t.Fatal("bump in the test process failed")
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	if got := readCount(t, counter); got != 150 {
		t.Errorf("counter = %d after 3 processes x 50 locked increments: lost updates", got)
	}
}

func TestLockProcessWaits(t *testing.T) {
	c := openTest(t)
	unlock, err := c.Lock(context.Background(), helperKey)
	if err != nil {
		t.Fatal(err)
	}
	cmd := helper(t, "wait", c.Dir(), "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "busy" {
		t.Fatalf("helper said %q while the key was held, want busy", lines.Text())
	}
	unlock()
	if !lines.Scan() || lines.Text() != "locked" {
		t.Fatalf("helper said %q after release, want locked", lines.Text())
	}
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// A process killed while holding a lock releases it: the kernel drops
// flocks with the process.
func TestLockKilledHolder(t *testing.T) {
	c := openTest(t)
	cmd := helper(t, "hold", c.Dir(), "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "held" {
		t.Fatalf("helper said %q, want held", lines.Text())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, helperKey); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while the helper holds the key: error = %v, want DeadlineExceeded", err)
	}

	cmd.Process.Kill()
	cmd.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := c.Lock(ctx, helperKey)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	u()
}

// helperHold takes the key's lock and keeps it until killed.
func helperHold() int {
	c, err := Open(os.Getenv(envDir), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := c.Lock(context.Background(), helperKey); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("held")
	time.Sleep(time.Hour) // until killed
	return 0
}

// helperStage is the executor's protocol for one stage: lock the key,
// look it up, compute on a miss (logging "ran" to the counter file),
// store, unlock.
func helperStage() int {
	c, err := Open(os.Getenv(envDir), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	key := HashBytes([]byte("train/gan k=3"))
	unlock, err := c.Lock(context.Background(), key)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer unlock()
	if _, err := c.Get(key); err == nil {
		return 0 // reused the other process's result
	} else if !errors.Is(err, ErrNotFound) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	log, err := os.OpenFile(os.Getenv(envCounter), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(log, "ran %d\n", os.Getpid())
	log.Close()
	time.Sleep(30 * time.Millisecond) // training

	id, err := c.PutBytes([]byte("weights"))
	if err == nil {
		err = c.Put(&Entry{Key: key, Kind: "train/gan", Outputs: []Output{{Name: "w", ID: id, Size: 7}}})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// Several pipe processes wanting the same stage run it once.
func TestStageRunsOnce(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(t.TempDir(), "runs.log")
	var cmds []*exec.Cmd
	for range 4 {
		cmd := helper(t, "stage", dir, runs)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "ran"); n != 1 {
		t.Errorf("stage ran %d times across 4 processes, want once:\n%s", n, b)
	}
}

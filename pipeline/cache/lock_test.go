package cache

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bump reads the counter in path, yields, and writes it back plus one:
// a read-modify-write that loses updates unless callers are serialised.
func bump(path string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	time.Sleep(50 * time.Microsecond)
	return os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o644)
}

func readCount(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(string(b))
	return n
}

func TestLockGoroutines(t *testing.T) {
	c := openTest(t)
	key := HashBytes([]byte("key"))
	counter := filepath.Join(t.TempDir(), "count")
	const workers, rounds = 8, 25

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				unlock, err := c.Lock(context.Background(), key)
				if err != nil {
					errs <- err
					return
				}
				err = bump(counter)
				if uerr := unlock(); err == nil {
					err = uerr
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := readCount(t, counter); got != workers*rounds {
		t.Errorf("counter = %d after %d locked increments: lost updates", got, workers*rounds)
	}
	if len(c.locks.m) != 0 {
		t.Errorf("%d in-process lock records left after all unlocked", len(c.locks.m))
	}
}

func TestLockCancel(t *testing.T) {
	c := openTest(t)
	key := HashBytes([]byte("key"))
	unlock, err := c.Lock(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock on a held key: error = %v, want DeadlineExceeded", err)
	}

	// A second Cache on the same directory is what another process sees:
	// only the flock stands between them.
	c2, err := Open(c.Dir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := c2.Lock(ctx2, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock through a second Cache: error = %v, want DeadlineExceeded", err)
	}

	// Another key is free.
	u, err := c2.Lock(context.Background(), HashBytes([]byte("other")))
	if err != nil {
		t.Fatal(err)
	}
	if err := u(); err != nil {
		t.Error(err)
	}
	if err := u(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
}

// signalHandler closes ch at the first log record whose message
// contains "waiting".
type signalHandler struct {
	once *sync.Once
	ch   chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "waiting") {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// GC removes idle lock files. A waiter that opened a lock file before it
// was removed must not end up "holding" a lock on a file nobody else
// sees: Lock re-opens the path after locking if the file changed.
func TestLockFileRemovedWhileWaiting(t *testing.T) {
	waiting := make(chan struct{})
	dir := t.TempDir()
	c, err := Open(dir, slog.New(signalHandler{new(sync.Once), waiting}))
	if err != nil {
		t.Fatal(err)
	}
	key := HashBytes([]byte("k"))
	path := filepath.Join(dir, locksDir, key.String()+".lock")

	// An old holder, by hand.
	old, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(old.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	got := make(chan func() error, 1)
	go func() {
		u, err := c.Lock(context.Background(), key)
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	<-waiting
	os.Remove(path) // as GC does
	old.Close()     // the old holder lets go of the removed file
	unlock := <-got
	defer unlock()

	c2, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if u, err := c2.Lock(ctx, key); !errors.Is(err, context.DeadlineExceeded) {
		if u != nil {
			u()
		}
		t.Errorf("second Lock after the file was replaced: error = %v, want DeadlineExceeded", err)
	}
}

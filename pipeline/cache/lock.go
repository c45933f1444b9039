package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// gcLockName is the lock that Lock and Pin hold shared and GC takes
// exclusively, so that a collection never removes objects a running
// stage has stored but not yet recorded in an entry.
const gcLockName = "gc.lock"

// Lock waits until this process holds the lock for key, or ctx is done.
// It excludes other goroutines of this process and other processes on
// the same cache directory, so that one stage is never computed twice at
// once: the caller locks, checks Get, runs on a miss, stores with Put,
// and unlocks. Put must be called while holding the key's lock.
//
// Across processes the lock is a flock(2) on locks/<key>.lock, polled
// without blocking so that cancelling ctx ends the wait; within one
// process waiters queue on a channel instead of polling. The kernel
// releases a flock when its process dies, so a killed pipe never leaves
// a key locked. Holding any key lock also holds off a full GC.
//
// unlock releases the lock; calling it more than once is harmless.
func (c *Cache) Lock(ctx context.Context, key ID) (unlock func() error, err error) {
	if err := c.locks.acquire(ctx, key); err != nil {
		return nil, fmt.Errorf("lock %s: %w", key.Short(), err)
	}
	gc, err := c.flock(ctx, gcLockName, syscall.LOCK_SH,
		"waiting for cache garbage collection to finish")
	if err != nil {
		c.locks.release(key)
		return nil, fmt.Errorf("lock %s: %w", key.Short(), err)
	}
	kf, err := c.flock(ctx, key.String()+".lock", syscall.LOCK_EX,
		"waiting for another pipe process working on the same key")
	if err != nil {
		gc.Close()
		c.locks.release(key)
		return nil, fmt.Errorf("lock %s: %w", key.Short(), err)
	}

	var once sync.Once
	unlock = func() error {
		var err error
		once.Do(func() {
			// Closing the descriptor releases the flock.
			err = errors.Join(kf.Close(), gc.Close())
			c.locks.release(key)
		})
		return err
	}
	return unlock, nil
}

// Pin holds off a full GC until unpin is called: a GC that finds the
// cache pinned removes nothing younger than an hour. An executor pins
// the cache for a whole run so that entries of finished stages survive
// until the run record that refers to them is written.
func (c *Cache) Pin(ctx context.Context) (unpin func() error, err error) {
	f, err := c.flock(ctx, gcLockName, syscall.LOCK_SH,
		"waiting for cache garbage collection to finish")
	if err != nil {
		return nil, fmt.Errorf("pin cache: %w", err)
	}
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() { err = f.Close() })
		return err
	}, nil
}

// Poll intervals for a lock held by another process: short at first so
// a lock released quickly is picked up quickly, then capped so a wait
// on an hour-long training stage costs nothing.
const (
	pollMin = time.Millisecond
	pollMax = 100 * time.Millisecond
)

// flock opens locks/name and flocks it with how (LOCK_SH or LOCK_EX),
// polling until it succeeds or ctx is done. waitMsg is logged once if it
// has to wait.
func (c *Cache) flock(ctx context.Context, name string, how int, waitMsg string) (*os.File, error) {
	path := filepath.Join(c.dir, locksDir, name)
	delay := pollMin
	logged := false
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		for {
			err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
			if err == nil {
				break
			}
			if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
				f.Close()
				return nil, fmt.Errorf("flock %s: %w", path, err)
			}
			if !logged {
				c.log.Info(waitMsg, "lock", path)
				logged = true
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				f.Close()
				return nil, ctx.Err()
			case <-t.C:
			}
			delay = min(2*delay, pollMax)
		}

		// GC removes lock files of deleted entries while it holds the
		// gc lock exclusively. A lock on a file no longer at path locks
		// nothing anyone else will see, so open the path again.
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
	}
}

// tryFlock flocks locks/name without waiting; ok is false if another
// holder has it.
func (c *Cache) tryFlock(name string, how int) (f *os.File, ok bool, err error) {
	path := filepath.Join(c.dir, locksDir, name)
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, err
	}
	err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, true, nil
}

// keyLocks serialises goroutines of one process per key. flock alone
// would do that too (each Lock opens its own descriptor, and flocks on
// separate open files conflict even within a process), but waiters
// would poll; here they queue on a channel and wake at once.
type keyLocks struct {
	mu sync.Mutex
	m  map[ID]*keyLock
}

type keyLock struct {
	held chan struct{} // capacity 1: full while some goroutine holds the key
	refs int           // holders and waiters; the entry goes when it is 0
}

func (l *keyLocks) acquire(ctx context.Context, key ID) error {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[ID]*keyLock)
	}
	kl := l.m[key]
	if kl == nil {
		kl = &keyLock{held: make(chan struct{}, 1)}
		l.m[key] = kl
	}
	kl.refs++
	l.mu.Unlock()

	select {
	case kl.held <- struct{}{}:
		return nil
	case <-ctx.Done():
		l.drop(key, kl)
		return ctx.Err()
	}
}

func (l *keyLocks) release(key ID) {
	l.mu.Lock()
	kl := l.m[key]
	l.mu.Unlock()
	<-kl.held
	l.drop(key, kl)
}

func (l *keyLocks) drop(key ID, kl *keyLock) {
	l.mu.Lock()
	kl.refs--
	if kl.refs == 0 {
		delete(l.m, key)
	}
	l.mu.Unlock()
}

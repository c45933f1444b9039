package augment

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// A Pipeline applies ops in order to each image. It is safe for concurrent
// use; it holds no state besides the ops.
type Pipeline struct {
	ops []Op
}

// NewPipeline validates every op and returns the pipeline that applies them
// in order. All parameter errors are reported, each naming its op.
func NewPipeline(ops ...Op) (*Pipeline, error) {
	var errs []error
	for i, op := range ops {
		if op == nil {
			errs = append(errs, fmt.Errorf("op %d: nil", i))
			continue
		}
		if err := op.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("op %d (%s): %w", i, opName(op), err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Pipeline{ops: append([]Op(nil), ops...)}, nil
}

func opName(op Op) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", op), "augment.")
}

// worker holds one goroutine's scratch: two ping-pong buffers and a Rand,
// reused from image to image.
type worker struct {
	a, b Image
	r    Rand
}

// Apply augments one image as ApplyBatch would augment it at position index
// of a batch with seed. img is not modified.
func (p *Pipeline) Apply(img Image, seed, index uint64) (Image, error) {
	var w worker
	return p.apply(&w, img, seed, index)
}

func (p *Pipeline) apply(w *worker, img Image, seed, index uint64) (Image, error) {
	if err := img.Check(); err != nil {
		return Image{}, err
	}
	w.r.reset(seed, index)
	cur, spare := &w.a, &w.b
	cur.resize(img.C, img.H, img.W)
	copy(cur.Pix, img.Pix)
	for i, op := range p.ops {
		wrote, err := op.apply(spare, cur, &w.r)
		if err != nil {
			return Image{}, fmt.Errorf("op %d (%s): %w", i, opName(op), err)
		}
		if wrote {
			cur, spare = spare, cur
		}
	}
	return cur.Clone(), nil
}

// ApplyBatch augments every image, image i with the generator of (seed, i),
// on up to workers goroutines (at least one). The result is the same, bit
// for bit, for any number of workers. imgs are not modified. On failure it
// returns the error of the lowest-numbered image that failed.
//
// To vary augmentations by epoch, pass DeriveSeed(seed, epoch).
func (p *Pipeline) ApplyBatch(imgs []Image, seed uint64, workers int) ([]Image, error) {
	return p.ApplyBatchAt(imgs, seed, 0, workers)
}

// ApplyBatchAt is ApplyBatch for a slice of a larger batch that starts at
// index first: imgs[i] gets the generator of (seed, first+i), so a batch
// augmented in slices comes out as if augmented whole. Errors name the
// index in the larger batch.
func (p *Pipeline) ApplyBatchAt(imgs []Image, seed, first uint64, workers int) ([]Image, error) {
	out := make([]Image, len(imgs))
	workers = max(1, min(workers, len(imgs)))

	// Images are handed out in increasing order in small chunks; a worker
	// that fails stops taking new ones, but every image below its failure
	// has already been handed out and is finished by someone, so the
	// lowest failing index is always found.
	const chunk = 16
	var (
		next     atomic.Int64
		failed   atomic.Bool
		mu       sync.Mutex
		failedAt = len(imgs)
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w worker
			for !failed.Load() {
				start := int(next.Add(chunk)) - chunk
				if start >= len(imgs) {
					return
				}
				for i := start; i < min(start+chunk, len(imgs)); i++ {
					img, err := p.apply(&w, imgs[i], seed, first+uint64(i))
					if err != nil {
						mu.Lock()
						if i < failedAt {
							failedAt = i
							firstErr = fmt.Errorf("augment image %d: %w", first+uint64(i), err)
						}
						mu.Unlock()
						failed.Store(true)
						return
					}
					out[i] = img
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

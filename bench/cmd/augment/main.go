// Command augment is pipe's side of bench/augment.sh: it times the augment
// package on the workloads bench/augment_ref.py times in torchvision, and
// prints one JSON line like the reference does. It exists so the benchmark
// does not depend on the pipe command line.
//
//	go run ./bench/cmd/augment -workload fmnist -images train-images-idx3-ubyte.gz -n 10000 -j 1
//	go run ./bench/cmd/augment -workload cifar -images colour.u8 -n 3000 -j 2
package main

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/pipe-ml/pipe/augment"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "augment bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("augment", flag.ContinueOnError)
	workload := fs.String(
		"workload",
		"fmnist",
		"fmnist (1x28x28, crop+flip+normalize) or cifar (3x32x32, adds colour jitter)",
	)
	path := fs.String("images", "", "gzipped IDX images (fmnist) or raw Nx3x32x32 uint8 (cifar)")
	n := fs.Int("n", 10000, "number of images to use")
	workers := fs.Int("j", 1, "worker goroutines")
	minTime := fs.Duration("min-time", time.Second, "repeat the batch until this much time has passed")
	if err := fs.Parse(args); err != nil {
		return err
	}

	var imgs []augment.Image
	var ops []augment.Op
	var err error
	switch *workload {
	case "fmnist":
		imgs, err = readIDX(*path, *n)
		ops = []augment.Op{
			augment.RandomCrop{Size: [2]int{28, 28}, Padding: []int{4}},
			augment.HFlip{P: 0.5},
			augment.Normalize{Mean: []float64{0.5}, Std: []float64{0.5}},
		}
	case "cifar":
		imgs, err = readColour(*path, *n)
		ops = []augment.Op{
			augment.RandomCrop{Size: [2]int{32, 32}, Padding: []int{4}},
			augment.HFlip{P: 0.5},
			augment.ColorJitter{Brightness: augment.FactorRange(0.4), Contrast: augment.FactorRange(0.4),
				Saturation: augment.FactorRange(0.4), Hue: augment.Symmetric(0.1)},
			augment.Normalize{Mean: []float64{0.4914, 0.4822, 0.4465}, Std: []float64{0.247, 0.243, 0.261}},
		}
	default:
		return fmt.Errorf("unknown workload %q: want fmnist or cifar", *workload)
	}
	if err != nil {
		return err
	}
	p, err := augment.NewPipeline(ops...)
	if err != nil {
		return err
	}

	// One untimed pass warms caches and the heap.
	if _, err := p.ApplyBatch(imgs, 0, *workers); err != nil {
		return err
	}
	start, cpuStart := time.Now(), cpuTime()
	done := 0
	for epoch := uint64(1); done == 0 || time.Since(start) < *minTime; epoch++ {
		if _, err := p.ApplyBatch(imgs, augment.DeriveSeed(1, epoch), *workers); err != nil {
			return err
		}
		done += len(imgs)
	}
	secs, cpu := time.Since(start).Seconds(), cpuTime()-cpuStart
	return json.NewEncoder(stdout).Encode(map[string]any{
		"workload": *workload, "images": done, "seconds": secs, "cpu_seconds": cpu,
		"workers": *workers, "gomaxprocs": runtime.GOMAXPROCS(0),
		"images_per_sec": float64(done) / secs, "images_per_cpu_sec": float64(done) / cpu,
	})
}

// cpuTime is the user and system time the process has used, on all its
// threads, garbage collector included: on a machine shared with other
// work it measures our cost better than the wall clock does.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// readIDX reads up to n images of a gzipped IDX3 file as float32 in [0, 1].
func readIDX(path string, n int) ([]augment.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var hdr [4]uint32
	if err := binary.Read(zr, binary.BigEndian, &hdr); err != nil {
		return nil, fmt.Errorf("read %s header: %w", path, err)
	}
	if hdr[0] != 2051 {
		return nil, fmt.Errorf("read %s: magic %d, want 2051 (IDX images)", path, hdr[0])
	}
	n = min(n, int(hdr[1]))
	h, w := int(hdr[2]), int(hdr[3])
	pix := make([]byte, n*h*w)
	if _, err := io.ReadFull(zr, pix); err != nil {
		return nil, fmt.Errorf("read %s pixels: %w", path, err)
	}
	return toImages(pix, n, 1, h, w), nil
}

// readColour reads up to n raw 3x32x32 uint8 images.
func readColour(path string, n int) ([]augment.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	const size = 3 * 32 * 32
	n = min(n, len(b)/size)
	return toImages(b, n, 3, 32, 32), nil
}

func toImages(pix []byte, n, c, h, w int) []augment.Image {
	imgs := make([]augment.Image, n)
	for i := range imgs {
		imgs[i] = augment.ToTensorCHW(augment.ImageU8{C: c, H: h, W: w, Pix: pix[i*c*h*w : (i+1)*c*h*w]})
	}
	return imgs
}

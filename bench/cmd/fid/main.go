// Command fid is pipe's side of bench/fid.sh: it reads two .npy feature
// matrices (n x d float32) as `pipe eval fid` does, computes both sets'
// statistics and their Fréchet distance with package metrics, and prints
// the wall and CPU time of each step as key=value lines.
//
// It is a benchmark harness, not a user command; `pipe eval fid` is.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/pipe-ml/pipe/metrics"
	"github.com/pipe-ml/pipe/tensor"
)

func main() {
	x := flag.String("x", "", "first feature file (.npy, n x d float32)")
	y := flag.String("y", "", "second feature file (.npy, n x d float32)")
	flag.Parse()
	if err := run(*x, *y); err != nil {
		fmt.Fprintln(os.Stderr, "fid:", err)
		os.Exit(1)
	}
}

func run(xPath, yPath string) error {
	t := now()
	x, n1, d, err := readNPY(xPath)
	if err != nil {
		return err
	}
	y, n2, _, err := readNPY(yPath)
	if err != nil {
		return err
	}
	loadWall, loadCPU := t.since()

	t = now()
	s1, err := metrics.ComputeStats(x, n1, d)
	if err != nil {
		return err
	}
	s2, err := metrics.ComputeStats(y, n2, d)
	if err != nil {
		return err
	}
	statsWall, statsCPU := t.since()

	t = now()
	fd, err := metrics.FrechetDistance(s1, s2, metrics.FDOptions{})
	if err != nil {
		return err
	}
	distWall, distCPU := t.since()

	fmt.Printf("pipe_gomaxprocs=%d\n", runtime.GOMAXPROCS(0))
	fmt.Printf("pipe_load_wall=%.3f pipe_load_cpu=%.3f\n", loadWall, loadCPU)
	fmt.Printf("pipe_stats_wall=%.3f pipe_stats_cpu=%.3f\n", statsWall, statsCPU)
	fmt.Printf("pipe_dist_wall=%.3f pipe_dist_cpu=%.3f\n", distWall, distCPU)
	fmt.Printf("pipe_total_wall=%.3f pipe_total_cpu=%.3f\n", statsWall+distWall, statsCPU+distCPU)
	fmt.Printf(
		"pipe_e2e_wall=%.3f pipe_e2e_cpu=%.3f\n",
		loadWall+statsWall+distWall,
		loadCPU+statsCPU+distCPU,
	)
	fmt.Printf("pipe_fd=%.12f pipe_trace_sum=%.6f\n", fd.Value, fd.Trace1+fd.Trace2)
	for _, w := range fd.Warnings {
		fmt.Fprintln(os.Stderr, "fid: warning:", w)
	}
	return nil
}

// readNPY reads an n x d matrix the way cmd/pipe's eval fid does.
func readNPY(path string) ([]float32, int, int, error) {
	t, err := tensor.ReadNPYFile(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read features: %w", err)
	}
	if len(t.Shape) != 2 {
		return nil, 0, 0, fmt.Errorf("read features %s: shape %v is not n x d", path, t.Shape)
	}
	if t.DType != tensor.Float32 {
		return nil, 0, 0, fmt.Errorf("read features %s: %s, want float32", path, t.DType)
	}
	x := make([]float32, len(t.Data)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return x, t.Shape[0], t.Shape[1], nil
}

type stamp struct {
	wall time.Time
	cpu  time.Duration
}

func now() stamp { return stamp{time.Now(), cpuTime()} }

func (s stamp) since() (wall, cpu float64) {
	return time.Since(s.wall).Seconds(), (cpuTime() - s.cpu).Seconds()
}

// cpuTime is the user+system time of the whole process, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

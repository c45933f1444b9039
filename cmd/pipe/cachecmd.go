package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/pipeline/cache"
)

const cacheUsage = `
Usage: pipe cache du
       pipe cache gc [--keep-last N] [--all] [--work] [--dry-run]

du prints what the cache holds. gc removes cache entries and objects that no
recorded run refers to (or, with --keep-last, that none of the newest N runs
refers to; with --all, keeps every entry and removes only what nothing refers
to), and the laid-out outputs of removed entries. It says what it freed.
The checkpoints of stages that never finished (a killed training) are kept,
so that the next run resumes from them, unless --work is given.

Examples:
  pipe cache du
  pipe cache gc --dry-run
  pipe cache gc --keep-last 10
`

func runCache(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		common   commonFlags
		keepLast int
		all      bool
		dryRun   bool
		work     bool
	)
	fs := newFlagSet("cache", cacheUsage, stderr)
	common.register(fs)
	fs.IntVar(&keepLast, "keep-last", 0, "gc: keep only what the newest N runs refer to (0: all runs)")
	fs.BoolVar(
		&all,
		"all",
		false,
		"gc: keep every entry; remove only unreferenced objects and leftovers",
	)
	fs.BoolVar(&dryRun, "dry-run", false, "gc: say what would be freed, remove nothing")
	fs.BoolVar(&work, "work", false, "gc: remove the checkpoints of unfinished stages too")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("cache takes du or gc")
	}
	c, err := common.openExistingCache(common.logger(stderr))
	if err != nil {
		return err
	}
	switch pos[0] {
	case "du":
		return cacheDU(c, stdout)
	case "gc":
		return cacheGC(c, keepLast, all, work, dryRun, stdout)
	}
	return usagef("cache %s: want du or gc", pos[0])
}

func cacheDU(c *cache.Cache, w io.Writer) error {
	u, err := c.Usage()
	if err != nil {
		return err
	}
	outBytes, outDirs := dirUsage(filepath.Join(c.Dir(), "out"))
	workBytes, workDirs := dirUsage(filepath.Join(c.Dir(), "work"))
	outTemps, outTempBytes := tempDirs(filepath.Join(c.Dir(), "out"))
	u.Temp += outTemps
	u.TempBytes += outTempBytes
	fmt.Fprintf(w, "cache      %s\n", c.Dir())
	fmt.Fprintf(
		w,
		"objects    %d, %s on disk (%s uncompressed)\n",
		u.Objects,
		bytesStr(u.ObjectBytes),
		bytesStr(u.RawBytes),
	)
	fmt.Fprintf(w, "entries    %d\n", u.Entries)
	fmt.Fprintf(w, "runs       %d\n", u.Runs)
	fmt.Fprintf(w, "outputs    %d laid out, %s\n", outDirs, bytesStr(outBytes))
	fmt.Fprintf(
		w,
		"work       %d unfinished stages (checkpoints), %s\n",
		workDirs,
		bytesStr(workBytes),
	)
	if u.Temp > 0 {
		fmt.Fprintf(
			w,
			"leftovers  %d temporary files, %s (gc removes those older than an hour)\n",
			u.Temp,
			bytesStr(u.TempBytes),
		)
	}
	return nil
}

func cacheGC(c *cache.Cache, keepLast int, all, work, dryRun bool, w io.Writer) error {
	opt := cache.GCOptions{Keep: map[cache.ID]bool{}, KeepAll: all, DryRun: dryRun}
	runs, err := c.Runs()
	if err != nil {
		return err
	}
	for i, info := range runs {
		if keepLast > 0 && i >= keepLast {
			break
		}
		_, rec, err := pipeline.LoadRecord(c, info.ID.String())
		if err != nil {
			// A record we cannot read could refer to anything: stop
			// rather than free what a run may need.
			return fmt.Errorf("run %s: %w; remove it or fix it before gc", info.ID.Short(), err)
		}
		for _, s := range rec.Stages {
			opt.Keep[s.Key] = true
		}
	}
	res, err := c.GC(opt)
	if err != nil {
		return err
	}
	outFreed, outRemoved, tempRemoved, err := removeOrphanOutputs(c, res.Removed, res.Busy, dryRun)
	if err != nil {
		return err
	}
	res.TempRemoved += tempRemoved
	workFreed, workRemoved, workKept, err := removeWork(c, work, res.Busy, dryRun)
	if err != nil {
		return err
	}
	verb := "freed"
	if dryRun {
		verb = "would free"
	}
	fmt.Fprintf(w, "%s %s: %d entries, %d objects, %d temporary files, %d laid-out outputs (%s)\n",
		verb, bytesStr(res.BytesFreed+outFreed), res.EntriesRemoved, res.ObjectsRemoved, res.TempRemoved,
		outRemoved, bytesStr(outFreed))
	kept := len(runs)
	if keepLast > 0 {
		kept = min(keepLast, len(runs))
	}
	fmt.Fprintf(w, "kept %s and %s (%s), referred to by %s\n",
		plural(res.EntriesKept, "entry", "entries"), plural(res.ObjectsKept, "object", "objects"),
		bytesStr(res.BytesKept), plural(kept, "run", "runs"))
	if workRemoved > 0 {
		fmt.Fprintf(
			w,
			"%s %s of checkpoints: %s\n",
			verb,
			bytesStr(workFreed),
			plural(workRemoved, "stage", "stages"),
		)
	}
	if workKept > 0 {
		fmt.Fprintf(w, "kept the checkpoints of %s that did not finish (--work removes them)\n",
			plural(workKept, "stage", "stages"))
	}
	if res.Busy {
		fmt.Fprintln(w, "another pipe is using the cache: what changed in the last hour was kept")
	}
	return nil
}

// removeWork removes stages' work directories (checkpoints). Those whose
// key is committed are leftovers and go; with all, the checkpoints of
// stages that never finished go too, and a killed training starts over.
// While another pipe holds the cache (busy) nothing is removed: a running
// stage writes its checkpoints there.
func removeWork(
	c *cache.Cache,
	all, busy, dryRun bool,
) (freed int64, removed, kept int, err error) {
	dir := filepath.Join(c.Dir(), "work")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, err
	}
	for _, e := range ents {
		key, perr := cache.ParseID(e.Name())
		_, gerr := c.Get(key)
		done := perr == nil && gerr == nil
		if busy || !(done || all) {
			kept++
			continue
		}
		n, err := removeTree(filepath.Join(dir, e.Name()), dryRun)
		freed += n
		removed++
		if err != nil {
			return freed, removed, kept, err
		}
	}
	return freed, removed, kept, nil
}

// removeOrphanOutputs removes laid-out output directories whose entry is
// gone: they can be laid out again only by recomputing. It also removes
// the temporary directories (".tmp-*") of stages or copies killed
// mid-way, once they are an hour old and no other pipe holds the cache
// (busy): a running stage writes into one. Those count as temps.
func removeOrphanOutputs(
	c *cache.Cache,
	gone []cache.ID,
	busy, dryRun bool,
) (freed int64, removed, temps int, err error) {
	// With dryRun the entries gc would remove are still there.
	removedKeys := map[cache.ID]bool{}
	for _, k := range gone {
		removedKeys[k] = true
	}
	dir := filepath.Join(c.Dir(), "out")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, err
	}
	for _, e := range ents {
		if isTempName(e.Name()) {
			fi, err := e.Info()
			if busy || err != nil || time.Since(fi.ModTime()) < time.Hour {
				continue
			}
			n, err := removeTree(filepath.Join(dir, e.Name()), dryRun)
			freed += n
			temps++
			if err != nil {
				return freed, removed, temps, err
			}
			continue
		}
		key, err := cache.ParseID(e.Name())
		if err != nil {
			continue
		}
		if _, err := c.Get(key); !errors.Is(err, cache.ErrNotFound) && !removedKeys[key] {
			continue
		}
		n, err := removeTree(filepath.Join(dir, e.Name()), dryRun)
		freed += n
		removed++
		if err != nil {
			return freed, removed, temps, err
		}
	}
	return freed, removed, temps, nil
}

// removeTree removes dir (unless dryRun) and returns the bytes it held.
func removeTree(dir string, dryRun bool) (int64, error) {
	n, _ := dirUsage(dir)
	if dryRun {
		return n, nil
	}
	return n, os.RemoveAll(dir)
}

// isTempName reports whether a name under out/ is a temporary directory:
// a stage's outputs being written, or a copy being laid out.
func isTempName(name string) bool { return strings.HasPrefix(name, ".tmp-") }

// dirUsage adds up the sizes of the files under dir and counts its
// immediate subdirectories, leaving out temporary ones (see tempDirs).
func dirUsage(dir string) (int64, int) {
	var total int64
	filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && path != dir && isTempName(fi.Name()) {
			return filepath.SkipDir
		}
		if err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if e.IsDir() && !isTempName(e.Name()) {
			n++
		}
	}
	return total, n
}

// tempDirs counts the temporary directories directly under dir and adds
// up their sizes.
func tempDirs(dir string) (int, int64) {
	ents, _ := os.ReadDir(dir)
	n, total := 0, int64(0)
	for _, e := range ents {
		if e.IsDir() && isTempName(e.Name()) {
			b, _ := dirUsage(filepath.Join(dir, e.Name()))
			n++
			total += b
		}
	}
	return n, total
}

func bytesStr(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// plural writes a count with its noun: "1 run", "3 runs".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

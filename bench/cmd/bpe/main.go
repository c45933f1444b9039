// Command bpe is the pipe side of bench/bpe.sh: it builds the benchmark
// corpus, trains a byte-level BPE tokenizer with package tokenize and
// measures encoding throughput. It is a benchmark helper, not the pipe CLI.
//
//	bpe corpus -size 50000000 -out big.txt -manifest big.tsv
//	bpe train -vocab 30000 -threads 2 -out tok.json big.txt
//	bpe encode -tokenizer tok.json -threads 2 -batch 1000 big.txt
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pipe-ml/pipe/tokenize"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bpe corpus|train|encode [flags] ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "corpus":
		err = runCorpus(os.Args[2:])
	case "train":
		err = runTrain(os.Args[2:])
	case "encode":
		err = runEncode(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bpe:", err)
		os.Exit(1)
	}
}

// corpusSources lists where the benchmark text comes from, in this order:
// fortunes, the common licences, every package's copyright file, then
// every gzip file under /usr/share/doc (changelogs, mostly) and under
// /usr/share/man (man page sources), decompressed. Files that are not
// valid UTF-8 are skipped (HF refuses them); when all of it is shorter
// than the target, it is repeated.
func corpusSources() ([]string, error) {
	var files []string
	add := func(pattern string) {
		m, _ := filepath.Glob(pattern)
		sort.Strings(m)
		files = append(files, m...)
	}
	fortunes, _ := filepath.Glob("/usr/share/games/fortunes/*")
	sort.Strings(fortunes)
	for _, f := range fortunes {
		if !strings.HasSuffix(f, ".dat") && !strings.HasSuffix(f, ".u8") {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
				files = append(files, f)
			}
		}
	}
	add("/usr/share/common-licenses/*")
	add("/usr/share/doc/*/copyright")
	for _, root := range []string{"/usr/share/doc", "/usr/share/man"} {
		var gz []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ".gz") {
				gz = append(gz, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(gz)
		files = append(files, gz...)
	}
	return files, nil
}

func readText(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	return io.ReadAll(r)
}

func runCorpus(args []string) error {
	fl := flag.NewFlagSet("corpus", flag.ContinueOnError)
	size := fl.Int("size", 50_000_000, "bytes of text to write (cut at a newline)")
	out := fl.String("out", "", "output file")
	manifest := fl.String("manifest", "", "write path, bytes and sha256 of every file used")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("corpus: -out is required")
	}
	files, err := corpusSources()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	var man strings.Builder
	for pass := 0; buf.Len() < *size; pass++ {
		before := buf.Len()
		for _, p := range files {
			if buf.Len() >= *size {
				break
			}
			b, err := readText(p)
			if err != nil || len(b) == 0 || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
				continue
			}
			if b[len(b)-1] != '\n' {
				b = append(b, '\n')
			}
			buf.Write(b)
			fmt.Fprintf(&man, "%d\t%s\t%d\t%x\n", pass, p, len(b), sha256.Sum256(b))
		}
		if buf.Len() == before {
			return errors.New("corpus: no usable text found")
		}
	}
	data := buf.Bytes()[:*size]
	if nl := bytes.LastIndexByte(data, '\n'); nl > 0 {
		data = data[:nl+1]
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	if *manifest != "" {
		body := []byte("# pass\tpath\tbytes\tsha256\n" + man.String())
		if err := os.WriteFile(*manifest, body, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("corpus: %d bytes from %d files, sha256 %x\n", len(data),
		strings.Count(man.String(), "\n"), sha256.Sum256(data))
	return nil
}

func runTrain(args []string) error {
	fl := flag.NewFlagSet("train", flag.ContinueOnError)
	vocab := fl.Int("vocab", 30000, "vocabulary size")
	minFreq := fl.Int64("min-frequency", 0, "minimum pair count")
	threads := fl.Int("threads", 0, "threads (0: all cores)")
	out := fl.String("out", "", "write tokenizer.json here")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	start := time.Now()
	b, err := tokenize.TrainFiles(fl.Args(), tokenize.TrainOptions{
		VocabSize: *vocab, MinFrequency: *minFreq, Threads: *threads,
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if *out != "" {
		// Written like Node's default trainer output, for comparison.
		b.SetPostProcessor(nil)
		b.SetDecoder(nil)
		if err := b.SaveFile(*out); err != nil {
			return err
		}
	}
	fmt.Printf(
		"train: %d merges, vocab %d, %.3f s\n",
		len(b.Merges()),
		b.VocabSize(),
		elapsed.Seconds(),
	)
	return nil
}

func runEncode(args []string) error {
	fl := flag.NewFlagSet("encode", flag.ContinueOnError)
	tokFile := fl.String("tokenizer", "", "tokenizer.json")
	threads := fl.Int("threads", 0, "threads (0: all cores)")
	batch := fl.Int("batch", 1000, "lines per batch")
	maxBytes := fl.Int("max-bytes", 0, "encode only this many bytes of input (0: all)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	if fl.NArg() != 1 {
		return errors.New("encode: want one input file")
	}
	b, err := tokenize.LoadFile(*tokFile)
	if err != nil {
		return err
	}
	lines, n, err := readLines(fl.Arg(0), *maxBytes)
	if err != nil {
		return err
	}
	start := time.Now()
	var tokens, idSum int64
	for i := 0; i < len(lines); i += *batch {
		for _, e := range b.EncodeBatch(lines[i:min(i+*batch, len(lines))], *threads) {
			tokens += int64(len(e.IDs))
			for _, id := range e.IDs {
				idSum += int64(id)
			}
		}
	}
	sec := time.Since(start).Seconds()
	fmt.Printf("encode: %d bytes, %d lines, %d tokens, id sum %d, %.3f s, %.2f MB/s\n",
		n, len(lines), tokens, idSum, sec, float64(n)/sec/1e6)
	return nil
}

// readLines splits a file into lines that keep their "\n", as the node
// side does, reading at most maxBytes (cut at a line end) when it is set.
func readLines(path string, maxBytes int) ([]string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var lines []string
	n := 0
	for maxBytes == 0 || n < maxBytes {
		line, err := r.ReadString('\n')
		if line != "" {
			lines = append(lines, line)
			n += len(line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	return lines, n, nil
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/tokenize"
)

const tokenizeUsage = `
Usage: pipe tokenize train --vocab-size N [--min-frequency N] [--special TOKEN]...
                           -o tokenizer.json FILE...
       pipe tokenize encode --tokenizer FILE [--json] [--keep-newline] [TEXT-FILE...]
       pipe tokenize decode --tokenizer FILE [IDS-FILE...]

train learns a byte-level BPE tokenizer from UTF-8 text files exactly as
Hugging Face tokenizers does (ByteLevelBPETokenizer's settings by default:
min frequency 2, all 256 byte tokens) and writes a tokenizer.json that HF
loads and encodes identically.

encode reads text (the files, or stdin) and writes one line per input line:
the token ids separated by spaces, or with --json an object with "ids",
"tokens" and "offsets" (start and end in characters of the line). The "\n"
ending a line is not encoded unless --keep-newline is given.

decode reads lines of space-separated ids and writes the text they stand for.

Examples:
  pipe tokenize train --vocab-size 4000 --special '<|endoftext|>' -o tok.json \
      /usr/share/games/fortunes/fortunes
  echo "Hello world" | pipe tokenize encode --tokenizer tok.json --json
  pipe tokenize encode --tokenizer tok.json notes.txt | pipe tokenize decode --tokenizer tok.json
`

func runTokenize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, strings.TrimLeft(tokenizeUsage, "\n"))
		return usagef("tokenize takes train, encode or decode")
	}
	switch args[0] {
	case "train":
		return runTokenizeTrain(ctx, args[1:], stdout, stderr)
	case "encode", "decode":
		return runTokenizeCodec(ctx, args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, strings.TrimLeft(tokenizeUsage, "\n"))
		return nil
	}
	return usagef("tokenize %s: want train, encode or decode", args[0])
}

// tokenizeTrainOptions are the flags of `pipe tokenize train`.
type tokenizeTrainOptions struct {
	vocabSize      int
	minFrequency   int64
	specials       stringList
	out            string
	fullAlphabet   bool
	addPrefixSpace bool
	threads        int
	files          []string
}

func runTokenizeTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o tokenizeTrainOptions
	fs := newFlagSet("tokenize train", tokenizeUsage, stderr)
	fs.IntVar(&o.vocabSize, "vocab-size", 30000, "special tokens + alphabet + merges")
	fs.Int64Var(
		&o.minFrequency,
		"min-frequency",
		2,
		"stop at the first pair seen fewer times (HF's trainer default is 0)",
	)
	fs.Var(&o.specials, "special", "a special token, given the next id (repeatable)")
	fs.StringVar(&o.out, "o", "", "write the tokenizer.json here")
	fs.BoolVar(
		&o.fullAlphabet,
		"full-alphabet",
		true,
		"put all 256 byte tokens in the vocabulary, not only those seen",
	)
	fs.BoolVar(&o.addPrefixSpace, "prefix-space", false, "ByteLevel add_prefix_space")
	fs.IntVar(&o.threads, "threads", 0, "threads to count with (0: all cores)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	o.files = pos
	switch {
	case len(o.files) == 0:
		return usagef("tokenize train takes one or more text files")
	case o.out == "":
		return usagef("tokenize train needs -o tokenizer.json")
	case o.vocabSize < 1 || o.minFrequency < 0:
		return usagef("tokenize train: --vocab-size must be positive and --min-frequency not negative")
	}
	return o.run(ctx, stdout)
}

func (o *tokenizeTrainOptions) run(ctx context.Context, stdout io.Writer) error {
	start := time.Now()
	b, err := tokenize.TrainFiles(o.files, tokenize.TrainOptions{
		VocabSize:      o.vocabSize,
		MinFrequency:   o.minFrequency,
		SpecialTokens:  o.specials,
		FullAlphabet:   o.fullAlphabet,
		AddPrefixSpace: o.addPrefixSpace,
		Threads:        o.threads,
	})
	if err != nil {
		// A missing file or text that is not UTF-8: the input is wrong.
		return invalid(err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.SaveFile(o.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: vocab %d (%d special, %d merges), trained in %.2f s\n", o.out,
		b.VocabSize(), len(b.AddedTokens()), len(b.Merges()), time.Since(start).Seconds())
	return nil
}

// tokenizeCodecOptions are the flags of `pipe tokenize encode` and
// `pipe tokenize decode`.
type tokenizeCodecOptions struct {
	decode      bool
	tokenizer   string
	json        bool
	keepNewline bool
	threads     int
	files       []string
}

func runTokenizeCodec(
	ctx context.Context,
	cmd string,
	args []string,
	stdout, stderr io.Writer,
) error {
	o := tokenizeCodecOptions{decode: cmd == "decode"}
	fs := newFlagSet("tokenize "+cmd, tokenizeUsage, stderr)
	fs.StringVar(&o.tokenizer, "tokenizer", "", "tokenizer.json (ours or Hugging Face's)")
	fs.IntVar(&o.threads, "threads", 0, "threads to encode with (0: all cores)")
	if !o.decode {
		fs.BoolVar(&o.json, "json", false, "write ids, tokens and offsets as one JSON object a line")
		fs.BoolVar(&o.keepNewline, "keep-newline", false, "encode the \"\\n\" that ends each line too")
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return helpOK(err)
	}
	if o.tokenizer == "" {
		return usagef("tokenize %s needs --tokenizer FILE", cmd)
	}
	o.files = pos
	return o.run(ctx, os.Stdin, stdout)
}

func (o *tokenizeCodecOptions) run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	b, err := tokenize.LoadFile(o.tokenizer)
	if err != nil {
		return invalid(err)
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	if len(o.files) == 0 {
		if err := o.stream(ctx, b, stdin, "stdin", w); err != nil {
			return err
		}
		return w.Flush()
	}
	for _, path := range o.files {
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return invalid(err)
			}
			return err
		}
		err = o.stream(ctx, b, f, path, w)
		f.Close()
		if err != nil {
			return err
		}
	}
	return w.Flush()
}

// maxBatch bounds the lines encoded together: enough to keep every thread
// busy, few enough that output follows input closely.
const maxBatch = 1024

// stream encodes or decodes r line by line. It takes the lines already
// buffered as one batch, so that a terminal gets each answer at once while
// a file is encoded on all threads.
func (o *tokenizeCodecOptions) stream(
	ctx context.Context,
	b *tokenize.BPE,
	r io.Reader,
	name string,
	w *bufio.Writer,
) error {
	br := bufio.NewReaderSize(r, 1<<20)
	lineNo := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var lines []string
		var readErr error
		for len(lines) < maxBatch {
			line, err := br.ReadString('\n')
			if line != "" {
				lines = append(lines, line)
			}
			if err != nil {
				readErr = err
				break
			}
			if br.Buffered() == 0 {
				break
			}
		}
		if o.decode {
			if err := decodeLines(b, lines, name, lineNo, w); err != nil {
				return err
			}
		} else if err := o.encodeLines(b, lines, w); err != nil {
			return err
		}
		lineNo += len(lines)
		if err := w.Flush(); err != nil {
			return err
		}
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return fmt.Errorf("read %s: %w", name, readErr)
		}
	}
}

// encodedLine is one line of `encode --json`.
type encodedLine struct {
	IDs     []int    `json:"ids"`
	Tokens  []string `json:"tokens"`
	Offsets [][2]int `json:"offsets"`
}

func (o *tokenizeCodecOptions) encodeLines(b *tokenize.BPE, lines []string, w *bufio.Writer) error {
	if !o.keepNewline {
		for i, l := range lines {
			lines[i] = strings.TrimSuffix(l, "\n")
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "<|endoftext|>" stays readable
	for _, e := range b.EncodeBatch(lines, o.threads) {
		if o.json {
			line := encodedLine{IDs: e.IDs, Tokens: e.Tokens, Offsets: e.Offsets}
			if line.IDs == nil { // an empty line: [] rather than null
				line.IDs, line.Tokens, line.Offsets = []int{}, []string{}, [][2]int{}
			}
			if err := enc.Encode(line); err != nil { // Encode ends the line
				return err
			}
			continue
		}
		for i, id := range e.IDs {
			if i > 0 {
				w.WriteByte(' ')
			}
			w.WriteString(strconv.Itoa(id))
		}
		w.WriteByte('\n')
	}
	return nil
}

// decodeLines writes the text of each line of ids; first is the number of
// lines of name read before these, for error positions.
func decodeLines(b *tokenize.BPE, lines []string, name string, first int, w *bufio.Writer) error {
	for i, l := range lines {
		fields := strings.Fields(l)
		ids := make([]int, len(fields))
		for j, f := range fields {
			id, err := strconv.Atoi(f)
			if err != nil || id < 0 {
				return invalidf("%s:%d: %q is not a token id", name, first+i+1, f)
			}
			if _, ok := b.IDToToken(id); !ok {
				return invalidf("%s:%d: id %d is not in the tokenizer's vocabulary", name, first+i+1, id)
			}
			ids[j] = id
		}
		w.WriteString(b.Decode(ids))
		w.WriteByte('\n')
	}
	return nil
}

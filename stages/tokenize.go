package stages

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/pipeline"
	"github.com/pipe-ml/pipe/tensor"
	"github.com/pipe-ml/pipe/tokenize"
)

// TokenizerFile is what tokenize/bpe writes: a tokenizer.json that Hugging
// Face tokenizers loads and encodes identically.
const TokenizerFile = "tokenizer.json"

// TokensFile is what tokenize/encode writes: one 1-D I64 tensor of token
// ids per text file of its input, named after the file ("text" for
// text.txt, "heldout" for heldout.txt). Its metadata records
// "vocab_size".
const TokensFile = "tokens.safetensors"

func init() {
	pipeline.Register(tokenizeBPE{})
	pipeline.Register(tokenizeEncode{})
}

// tokenizeBPE trains a byte-level BPE tokenizer on a text dataset.
type tokenizeBPE struct{}

func (tokenizeBPE) Kind() string { return "tokenize/bpe" }
func (tokenizeBPE) Version() int { return 1 }

func (tokenizeBPE) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "tokenizer",
		Doc: "train a byte-level BPE tokenizer on " + TextFile + " exactly as Hugging Face " +
			"tokenizers does; writes " + TokenizerFile,
		Params: []pipeline.Param{
			{Name: "vocab_size", Type: pipeline.Int, Default: int64(30000), Min: pipeline.AtLeast(1),
				Doc: "special tokens + alphabet + merges; HF's default 30000"},
			// 2: Python's ByteLevelBPETokenizer.train default; a pair seen
			// once is noise for a language model.
			{Name: "min_frequency", Type: pipeline.Int, Default: int64(2), Min: pipeline.AtLeast(0),
				Doc: "stop at the first pair seen fewer times"},
			{Name: "special_tokens", Type: pipeline.Strings,
				Doc: "tokens given the first ids and cut out of text before encoding, " +
					"e.g. [\"<|endoftext|>\"]"},
			{Name: "full_alphabet", Type: pipeline.Bool, Default: true,
				Doc: "all 256 byte tokens in the vocabulary, so no input character is ever dropped"},
			{Name: "add_prefix_space", Type: pipeline.Bool, Default: false,
				Doc: "ByteLevel add_prefix_space: a space before every line that lacks one"},
		},
		Inputs: []pipeline.Input{
			{Name: "text", Doc: "a dataset/text stage; " + TextFile + " is used", Accepts: []string{"text"}},
		},
		Unseeded: true,
	}
}

func (tokenizeBPE) Run(ctx context.Context, rc *pipeline.RunContext) error {
	in, err := rc.Input("text")
	if err != nil {
		return err
	}
	if !in.Has(TextFile) {
		return fmt.Errorf(
			"input from stage %q (%s) has no %s: is it a text dataset?",
			in.Stage,
			in.Kind,
			TextFile,
		)
	}
	data, err := os.ReadFile(in.Path(TextFile))
	if err != nil {
		return err
	}

	opts := tokenize.TrainOptions{
		VocabSize:      rc.Params.Int("vocab_size"),
		MinFrequency:   int64(rc.Params.Int("min_frequency")),
		SpecialTokens:  rc.Params.Strings("special_tokens"),
		FullAlphabet:   rc.Params.Bool("full_alphabet"),
		AddPrefixSpace: rc.Params.Bool("add_prefix_space"),
		Threads:        rc.Threads,
	}
	started := false
	opts.Progress = func(done, total int) {
		if ctx.Err() != nil { // the stage has returned; see trainCancellable
			return
		}
		if !started {
			rc.Progress.Start(int64(total), "merges")
			started = true
		}
		rc.Progress.Set(int64(done))
	}
	b, err := trainCancellable(ctx, data, opts)
	if err != nil {
		return err
	}
	if err := b.SaveFile(filepath.Join(rc.Out, TokenizerFile)); err != nil {
		return err
	}

	// Bytes per token on the training text says how much the merges
	// compress; lines are encoded on their own, as they were counted.
	tokens := 0
	for _, e := range b.EncodeBatch(splitTextLines(string(data)), rc.Threads) {
		tokens += len(e.IDs)
	}
	rc.Log.Info("tokenizer trained", "vocab_size", b.VocabSize(), "merges", len(b.Merges()),
		"tokens", tokens)
	rc.Metric("vocab_size", float64(b.VocabSize()))
	rc.Metric("merges", float64(len(b.Merges())))
	if tokens > 0 {
		rc.Metric("bytes_per_token", float64(len(data))/float64(tokens))
	}
	return nil
}

// trainCancellable trains in its own goroutine so that a cancelled run
// returns at once. The trainer takes no context: when ctx ends, its
// goroutine runs on to the end (seconds, even on 50 MB) and its result is
// dropped.
func trainCancellable(
	ctx context.Context,
	data []byte,
	opts tokenize.TrainOptions,
) (*tokenize.BPE, error) {
	type result struct {
		b   *tokenize.BPE
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := tokenize.Train([][]byte{data}, opts)
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", TextFile, r.err)
		}
		return r.b, nil
	}
}

// tokenizeEncode turns every text file of a text dataset into token ids.
type tokenizeEncode struct{}

func (tokenizeEncode) Kind() string { return "tokenize/encode" }
func (tokenizeEncode) Version() int { return 1 }

func (tokenizeEncode) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "tokens",
		Doc: "encode every .txt file of a text dataset with a tokenizer; writes " + TokensFile +
			", one I64 tensor of ids per file (\"text\", \"heldout\")",
		Inputs: []pipeline.Input{
			{
				Name:    "tokenizer",
				Doc:     "a tokenize/bpe stage (its " + TokenizerFile + ")",
				Accepts: []string{"tokenizer"},
			},
			{Name: "text", Doc: "a dataset/text stage", Accepts: []string{"text"}},
		},
		Unseeded: true,
	}
}

func (tokenizeEncode) Run(ctx context.Context, rc *pipeline.RunContext) error {
	tokIn, err := rc.Input("tokenizer")
	if err != nil {
		return err
	}
	if !tokIn.Has(TokenizerFile) {
		return fmt.Errorf("input from stage %q (%s) has no %s", tokIn.Stage, tokIn.Kind, TokenizerFile)
	}
	b, err := tokenize.LoadFile(tokIn.Path(TokenizerFile))
	if err != nil {
		return err
	}
	textIn, err := rc.Input("text")
	if err != nil {
		return err
	}

	out := map[string]*tensor.Tensor{}
	for _, name := range textIn.Files {
		if filepath.Ext(name) != ".txt" || strings.Contains(name, "/") {
			continue
		}
		ids, err := encodeTextFile(ctx, b, textIn.Path(name), rc.Threads)
		if err != nil {
			return err
		}
		key := strings.TrimSuffix(name, ".txt")
		out[key] = tensor.FromInt64(ids, len(ids))
		rc.Log.Info("text encoded", "file", name, "tokens", len(ids))
		rc.Metric(key+"_tokens", float64(len(ids)))
	}
	if len(out) == 0 {
		return fmt.Errorf(
			"input from stage %q (%s) has no .txt file to encode",
			textIn.Stage,
			textIn.Kind,
		)
	}
	meta := map[string]string{"vocab_size": strconv.Itoa(b.VocabSize())}
	return tensor.WriteSafetensorsFile(filepath.Join(rc.Out, TokensFile), out, meta)
}

// encodeTextFile encodes a text file line by line, every line keeping its
// "\n": the way the tokenizer was trained, so the ids are the ones its
// merges were learned on. (HF's encode of the whole file at once can
// differ where a whitespace run crosses a line end, as in "a \nb".)
func encodeTextFile(
	ctx context.Context,
	b *tokenize.BPE,
	path string,
	threads int,
) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var ids []int64
	const batch = 4096
	lines := make([]string, 0, batch)
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lines = lines[:0]
		for len(lines) < batch {
			line, err := r.ReadString('\n')
			if line != "" {
				lines = append(lines, line)
			}
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", path, err)
			}
		}
		for _, e := range b.EncodeBatch(lines, threads) {
			for _, id := range e.IDs {
				ids = append(ids, int64(id))
			}
		}
	}
	return ids, nil
}

// splitTextLines cuts s after every "\n"; every line keeps its "\n".
func splitTextLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

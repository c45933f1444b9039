package stages

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/pipe-ml/pipe/pipeline"
)

// Files a text dataset holds. TextFile is always written; HeldoutFile only
// when documents are held out. Both are UTF-8, every document ending with a
// newline and then the stage's document_end string.
const (
	TextFile    = "text.txt"
	HeldoutFile = "heldout.txt"
)

func init() { pipeline.Register(datasetText{}) }

// datasetText gathers UTF-8 text files into one text, cut into documents
// and optionally split into a training part and a held-out part.
type datasetText struct{}

func (datasetText) Kind() string { return "dataset/text" }
func (datasetText) Version() int { return 1 }

func (datasetText) Schema() pipeline.Schema {
	return pipeline.Schema{
		Produces: "text",
		Doc: "UTF-8 text files (globs allowed) as " + TextFile + ", cut into documents; " +
			"a seeded fraction of the documents can be held out in " + HeldoutFile,
		Params: []pipeline.Param{
			{Name: "files", Type: pipeline.Paths, Required: true,
				Doc: "text files, in order; a file that is not valid UTF-8 is an error"},
			{Name: "exclude", Type: pipeline.Strings,
				Doc: "skip files whose base name matches one of these globs, e.g. [\"*.dat\", \"*.u8\"]"},
			{Name: "separator", Type: pipeline.String, Default: "",
				Doc: "a line that separates documents and is dropped (\"%\" in fortune files); " +
					"empty: every file is one document"},
			{Name: "holdout", Type: pipeline.Float, Default: 0.0, Min: holdoutMin,
				Max: holdoutMax, Doc: "fraction of the documents to hold out, picked by holdout_seed"},
			{Name: "holdout_seed", Type: pipeline.Int, Default: int64(1),
				Doc: "seed of the held-out pick; the experiment's seed is not used, so " +
					"a seed sweep keeps the same held-out text"},
			{Name: "document_end", Type: pipeline.String, Default: "",
				Doc: "written after every document, e.g. \"<|endoftext|>\\n\""},
		},
		Unseeded: true,
	}
}

var holdoutMin, holdoutMax = pipeline.Bounds(0, 0.9)

func (datasetText) Run(ctx context.Context, rc *pipeline.RunContext) error {
	var docs [][]byte
	files := 0
	for _, path := range rc.Params.Strings("files") {
		if err := ctx.Err(); err != nil {
			return err
		}
		skip, err := textExcluded(filepath.Base(path), rc.Params.Strings("exclude"))
		if err != nil {
			return err
		}
		if skip {
			rc.Log.Debug("file excluded", "path", path)
			continue
		}
		data, err := readUTF8(path)
		if err != nil {
			return err
		}
		files++
		docs = append(docs, splitDocuments(data, rc.Params.String("separator"))...)
	}
	if len(docs) == 0 {
		return fmt.Errorf("no text: %d files read, no non-empty document in them", files)
	}

	held, err := pickHeldout(
		len(docs),
		rc.Params.Float("holdout"),
		int64(rc.Params.Int("holdout_seed")),
	)
	if err != nil {
		return err
	}
	end := []byte(rc.Params.String("document_end"))
	var text, heldout bytes.Buffer
	for i, d := range docs {
		w := &text
		if held[i] {
			w = &heldout
		}
		w.Write(d)
		w.Write(end)
	}
	if err := os.WriteFile(filepath.Join(rc.Out, TextFile), text.Bytes(), 0o644); err != nil {
		return err
	}
	if heldout.Len() > 0 {
		if err := os.WriteFile(filepath.Join(rc.Out, HeldoutFile), heldout.Bytes(), 0o644); err != nil {
			return err
		}
	}

	nHeld := 0
	for _, h := range held {
		if h {
			nHeld++
		}
	}
	rc.Log.Info("text read", "files", files, "documents", len(docs), "held_out", nHeld,
		"bytes", text.Len(), "held_out_bytes", heldout.Len())
	rc.Metric("files", float64(files))
	rc.Metric("documents", float64(len(docs)-nHeld))
	rc.Metric("bytes", float64(text.Len()))
	rc.Metric("heldout_documents", float64(nHeld))
	rc.Metric("heldout_bytes", float64(heldout.Len()))
	return nil
}

func textExcluded(base string, patterns []string) (bool, error) {
	for _, p := range patterns {
		ok, err := filepath.Match(p, base)
		if err != nil {
			return false, fmt.Errorf("exclude pattern %q: %w", p, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// readUTF8 reads a text file and insists on UTF-8: the tokenizer trains on
// UTF-8 only, and a binary file caught in a glob is better named here.
func readUTF8(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		line := bytes.Count(data[:off], []byte("\n")) + 1
		return nil, fmt.Errorf("%s:%d: not UTF-8 text (invalid byte 0x%02x at offset %d)",
			path, line, data[off], off)
	}
	return data, nil
}

// splitDocuments cuts a file into documents at lines equal to sep (a
// trailing "\r" ignored), dropping those lines and empty documents. Every
// document ends with a newline. With an empty sep the file is one
// document.
func splitDocuments(data []byte, sep string) [][]byte {
	if sep == "" {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		return [][]byte{withNewline(data)}
	}
	var docs [][]byte
	start := 0
	flush := func(end int) {
		if d := data[start:end]; len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, withNewline(d))
		}
	}
	for i := 0; i < len(data); {
		nl := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if nl >= 0 {
			next = i + nl + 1
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(data[i:next], []byte("\n")), []byte("\r"))
		if string(line) == sep {
			flush(i)
			start = next
		}
		i = next
	}
	flush(len(data))
	return docs
}

func withNewline(d []byte) []byte {
	if len(d) > 0 && d[len(d)-1] != '\n' {
		return append(d[:len(d):len(d)], '\n')
	}
	return d
}

// pickHeldout marks round(frac*n) documents, at least one when frac > 0,
// chosen by a permutation drawn from seed, so the split is the same for
// the same seed and document count.
func pickHeldout(n int, frac float64, seed int64) ([]bool, error) {
	held := make([]bool, n)
	if frac == 0 {
		return held, nil
	}
	k := max(1, int(math.Round(frac*float64(n))))
	if k >= n {
		return nil, fmt.Errorf("holdout %g of %d documents leaves nothing to train on", frac, n)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x74657874)) // "text"
	for _, i := range rng.Perm(n)[:k] {
		held[i] = true
	}
	return held, nil
}

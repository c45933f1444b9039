package tokenize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// FileError reports what is wrong with a tokenizer.json: a syntax error
// with its position, or every problem found in its content.
type FileError struct {
	File      string
	Line, Col int      // of a syntax or type error; 0 when not known
	Problems  []string // each "json.path: what is wrong"
}

func (e *FileError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if len(e.Problems) == 1 {
		return where + ": " + e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems:\n\t%s", where, len(e.Problems),
		strings.Join(e.Problems, "\n\t"))
}

// LoadFile reads a tokenizer.json file (see ReadJSON).
func LoadFile(path string) (*BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	return parseJSON(data, path)
}

// ReadJSON reads a tokenizer.json as written by HF tokenizers or by
// WriteJSON; name labels the errors (a *FileError). Merges may be [left,
// right] pairs or legacy "left right" strings. Only what this package can
// encode exactly as HF does is accepted: a BPE model, a ByteLevel
// pre-tokenizer, a ByteLevel or null post-processor and decoder, no
// normalizer, truncation, padding or dropout. Unknown keys are ignored,
// as HF ignores them.
func ReadJSON(r io.Reader, name string) (*BPE, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer %s: %w", name, err)
	}
	return parseJSON(data, name)
}

type fileJSON struct {
	Version       *string         `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []addedJSON     `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

type addedJSON struct {
	ID         *int64  `json:"id"`
	Content    *string `json:"content"`
	SingleWord bool    `json:"single_word"`
	LStrip     bool    `json:"lstrip"`
	RStrip     bool    `json:"rstrip"`
	Normalized *bool   `json:"normalized"`
	Special    bool    `json:"special"`
}

type byteLevelJSON struct {
	Type           *string `json:"type"`
	AddPrefixSpace *bool   `json:"add_prefix_space"`
	TrimOffsets    *bool   `json:"trim_offsets"`
	UseRegex       *bool   `json:"use_regex"`
}

type modelJSON struct {
	Type         *string            `json:"type"`
	Dropout      json.RawMessage    `json:"dropout"`
	UnkToken     *string            `json:"unk_token"`
	Prefix       *string            `json:"continuing_subword_prefix"`
	Suffix       *string            `json:"end_of_word_suffix"`
	FuseUnk      bool               `json:"fuse_unk"`
	ByteFallback bool               `json:"byte_fallback"`
	IgnoreMerges bool               `json:"ignore_merges"`
	Vocab        map[string]int64   `json:"vocab"`
	Merges       *[]json.RawMessage `json:"merges"`
}

func isNull(m json.RawMessage) bool {
	return len(m) == 0 || string(bytes.TrimSpace(m)) == "null"
}

func parseJSON(data []byte, name string) (*BPE, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(name, data, "", err)
	}
	var errs problems
	if f.Version != nil && *f.Version != "1.0" {
		errs.addf("version: %q is not supported (want \"1.0\")", *f.Version)
	}
	for _, c := range []struct {
		field string
		raw   json.RawMessage
	}{{"truncation", f.Truncation}, {"padding", f.Padding}, {"normalizer", f.Normalizer}} {
		if !isNull(c.raw) {
			errs.addf("%s: not supported (must be null)", c.field)
		}
	}

	pre, err := decodeByteLevel(data, name, "pre_tokenizer", f.PreTokenizer, &errs)
	if err != nil {
		return nil, err
	}
	if pre == nil && len(errs.list) == 0 {
		errs.addf("pre_tokenizer: null is not supported (want ByteLevel)")
	}
	post, err := decodeByteLevel(data, name, "post_processor", f.PostProcessor, &errs)
	if err != nil {
		return nil, err
	}
	dec, err := decodeByteLevel(data, name, "decoder", f.Decoder, &errs)
	if err != nil {
		return nil, err
	}

	if isNull(f.Model) {
		errs.addf("model: missing")
		return nil, &FileError{File: name, Problems: errs.list}
	}
	var m modelJSON
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, jsonError(name, data, "model", err)
	}
	opts := checkModel(&m, &errs)
	vocab := make(map[string]int, len(m.Vocab))
	for tok, id := range m.Vocab {
		if id < 0 || id > 1<<32-1 {
			errs.addf("model.vocab[%q]: id %d out of range", tok, id)
			continue
		}
		vocab[tok] = int(id)
	}
	merges := decodeMerges(m.Merges, &errs)
	added := decodeAdded(f.AddedTokens, vocab, &errs)
	if opts.unkToken != nil {
		if _, ok := vocab[*opts.unkToken]; !ok {
			errs.addf("model.unk_token: %q not in model.vocab", *opts.unkToken)
		}
	}

	b := newBPE(vocab, merges, added, &errs)
	if len(errs.list) > 0 {
		return nil, &FileError{File: name, Problems: errs.list}
	}
	b.model = opts
	if pre != nil {
		b.preTok = *pre
	}
	b.postProc, b.decoder = post, dec
	return b, nil
}

func checkModel(m *modelJSON, errs *problems) modelOptions {
	if m.Type != nil && *m.Type != "BPE" {
		errs.addf("model.type: %q is not supported (want BPE)", *m.Type)
	}
	if !isNull(m.Dropout) {
		errs.addf("model.dropout: not supported (must be null)")
	}
	if m.Prefix != nil && *m.Prefix != "" {
		errs.addf("model.continuing_subword_prefix: %q not supported (must be null)", *m.Prefix)
	}
	if m.Suffix != nil && *m.Suffix != "" {
		errs.addf("model.end_of_word_suffix: %q not supported (must be null)", *m.Suffix)
	}
	if m.Vocab == nil {
		errs.addf("model.vocab: missing")
	}
	if m.Merges == nil {
		errs.addf("model.merges: missing")
	}
	return modelOptions{
		unkToken:     m.UnkToken,
		fuseUnk:      m.FuseUnk,
		byteFallback: m.ByteFallback,
		ignoreMerges: m.IgnoreMerges,
		prefixEmpty:  m.Prefix != nil,
		suffixEmpty:  m.Suffix != nil,
	}
}

// decodeMerges accepts both forms HF reads: ["a", "b"] and the legacy
// "a b", which must split on one space into exactly two parts.
func decodeMerges(raw *[]json.RawMessage, errs *problems) []Merge {
	if raw == nil {
		return nil
	}
	merges := make([]Merge, 0, len(*raw))
	for i, r := range *raw {
		var s string
		var pair []string
		switch {
		case json.Unmarshal(r, &s) == nil:
			parts := strings.Split(s, " ")
			if len(parts) != 2 {
				errs.addf("model.merges[%d]: %q is not two tokens separated by one space", i, s)
				continue
			}
			merges = append(merges, Merge{parts[0], parts[1]})
		case json.Unmarshal(r, &pair) == nil && len(pair) == 2:
			merges = append(merges, Merge{pair[0], pair[1]})
		default:
			errs.addf("model.merges[%d]: want [\"left\", \"right\"] or \"left right\", got %.40s", i, r)
		}
	}
	return merges
}

func decodeAdded(list []addedJSON, vocab map[string]int, errs *problems) []AddedToken {
	var out []AddedToken
	var byID map[int]string // built on first need: most files have few added tokens
	for i, a := range list {
		at := fmt.Sprintf("added_tokens[%d]", i)
		if a.ID == nil || a.Content == nil {
			errs.addf("%s: needs id and content", at)
			continue
		}
		if a.SingleWord || a.LStrip || a.RStrip {
			errs.addf("%s: single_word, lstrip and rstrip are not supported (must be false)", at)
			continue
		}
		if *a.ID < 0 || *a.ID > 1<<32-1 {
			errs.addf("%s: id %d out of range", at, *a.ID)
			continue
		}
		t := AddedToken{ID: int(*a.ID), Content: *a.Content, Special: a.Special}
		// HF's default: special tokens are not normalized, others are.
		t.Normalized = !a.Special
		if a.Normalized != nil {
			t.Normalized = *a.Normalized
		}
		if _, ok := vocab[t.Content]; !ok {
			if byID == nil {
				byID = make(map[int]string, len(vocab))
				for tok, id := range vocab {
					byID[id] = tok
				}
			}
			if tok, clash := byID[t.ID]; clash {
				errs.addf("%s: id %d is model.vocab's %q", at, t.ID, tok)
			}
		}
		out = append(out, t)
	}
	return out
}

func decodeByteLevel(
	data []byte,
	name, field string,
	raw json.RawMessage,
	errs *problems,
) (*ByteLevelOptions, error) {
	if isNull(raw) {
		return nil, nil
	}
	var bl byteLevelJSON
	if err := json.Unmarshal(raw, &bl); err != nil {
		return nil, jsonError(name, data, field, err)
	}
	if bl.Type == nil || *bl.Type != "ByteLevel" {
		t := "none"
		if bl.Type != nil {
			t = *bl.Type
		}
		errs.addf("%s.type: %s is not supported (want ByteLevel)", field, t)
		return nil, nil
	}
	// HF's loader requires both fields and fails without them.
	if bl.AddPrefixSpace == nil {
		errs.addf("%s: missing field add_prefix_space", field)
	}
	if bl.TrimOffsets == nil {
		errs.addf("%s: missing field trim_offsets", field)
	}
	if bl.AddPrefixSpace == nil || bl.TrimOffsets == nil {
		return nil, nil
	}
	o := &ByteLevelOptions{
		AddPrefixSpace: *bl.AddPrefixSpace,
		TrimOffsets:    *bl.TrimOffsets,
		UseRegex:       true,
	}
	if bl.UseRegex != nil {
		o.UseRegex = *bl.UseRegex
	}
	return o, nil
}

// jsonError turns an encoding/json error into a FileError with the line
// and column it happened at.
func jsonError(name string, data []byte, field string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64
	msg := err.Error()
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		path := typ.Field
		if field != "" {
			path = field + "." + path
		}
		off = typ.Offset
		msg = fmt.Sprintf("%s: want %s, got JSON %s", strings.TrimSuffix(path, "."), typ.Type, typ.Value)
		if field != "" {
			off = 0 // offset is inside the sub-document: unknown here
		}
	default:
		if field != "" {
			msg = field + ": " + msg
		}
	}
	fe := &FileError{File: name, Problems: []string{msg}}
	if off > 0 {
		fe.Line, fe.Col = lineCol(data, off)
	}
	return fe
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

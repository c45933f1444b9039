package tokenize

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"
)

// WriteJSON writes b as a tokenizer.json in the layout HF 0.23 saves with
// pretty printing: its key order, vocab in id order, merges as [left,
// right] pairs in rank order, 2-space indentation, raw UTF-8 and no final
// newline. A file HF wrote and this package read is written back byte for
// byte, as HF would re-save it.
func (b *BPE) WriteJSON(w io.Writer) error {
	for _, t := range b.added {
		if !utf8.ValidString(t.Content) {
			return fmt.Errorf("write tokenizer.json: added token %q is not valid UTF-8", t.Content)
		}
	}
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 1<<16)}
	jw.raw("{\n")
	jw.field(1, "version", strconv.Quote("1.0"), true)
	jw.field(1, "truncation", "null", true)
	jw.field(1, "padding", "null", true)
	if len(b.added) == 0 {
		jw.field(1, "added_tokens", "[]", true)
	} else {
		jw.key(1, "added_tokens")
		jw.raw("[\n")
		// HF writes added tokens in id order.
		added := append([]AddedToken(nil), b.added...)
		sort.SliceStable(added, func(i, j int) bool { return added[i].ID < added[j].ID })
		for i, t := range added {
			jw.indent(2)
			jw.raw("{\n")
			jw.field(3, "id", strconv.Itoa(t.ID), true)
			jw.key(3, "content")
			jw.str(t.Content)
			jw.raw(",\n")
			jw.field(3, "single_word", "false", true)
			jw.field(3, "lstrip", "false", true)
			jw.field(3, "rstrip", "false", true)
			jw.field(3, "normalized", strconv.FormatBool(t.Normalized), true)
			jw.field(3, "special", strconv.FormatBool(t.Special), false)
			jw.indent(2)
			jw.raw("}")
			jw.sep(i < len(added)-1)
		}
		jw.indent(1)
		jw.raw("],\n")
	}
	jw.field(1, "normalizer", "null", true)
	jw.byteLevel("pre_tokenizer", &b.preTok)
	jw.byteLevel("post_processor", b.postProc)
	jw.byteLevel("decoder", b.decoder)

	jw.key(1, "model")
	jw.raw("{\n")
	jw.field(2, "type", `"BPE"`, true)
	jw.field(2, "dropout", "null", true)
	jw.key(2, "unk_token")
	if b.model.unkToken == nil {
		jw.raw("null")
	} else {
		jw.str(*b.model.unkToken)
	}
	jw.raw(",\n")
	jw.field(2, "continuing_subword_prefix", emptyOrNull(b.model.prefixEmpty), true)
	jw.field(2, "end_of_word_suffix", emptyOrNull(b.model.suffixEmpty), true)
	jw.field(2, "fuse_unk", strconv.FormatBool(b.model.fuseUnk), true)
	jw.field(2, "byte_fallback", strconv.FormatBool(b.model.byteFallback), true)
	jw.field(2, "ignore_merges", strconv.FormatBool(b.model.ignoreMerges), true)

	ids := make([]int, 0, len(b.tokens))
	for id := range b.tokens {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	jw.key(2, "vocab")
	if len(ids) == 0 {
		jw.raw("{},\n")
	} else {
		jw.raw("{\n")
		for i, id := range ids {
			jw.indent(3)
			jw.str(b.tokens[id])
			jw.raw(": ")
			jw.raw(strconv.Itoa(id))
			jw.sep(i < len(ids)-1)
		}
		jw.indent(2)
		jw.raw("},\n")
	}
	jw.key(2, "merges")
	if len(b.merges) == 0 {
		jw.raw("[]\n")
	} else {
		jw.raw("[\n")
		for i, m := range b.merges {
			jw.indent(3)
			jw.raw("[\n")
			jw.indent(4)
			jw.str(m.Left)
			jw.raw(",\n")
			jw.indent(4)
			jw.str(m.Right)
			jw.raw("\n")
			jw.indent(3)
			jw.raw("]")
			jw.sep(i < len(b.merges)-1)
		}
		jw.indent(2)
		jw.raw("]\n")
	}
	jw.indent(1)
	jw.raw("}\n}")
	if jw.err != nil {
		return fmt.Errorf("write tokenizer.json: %w", jw.err)
	}
	if err := jw.w.Flush(); err != nil {
		return fmt.Errorf("write tokenizer.json: %w", err)
	}
	return nil
}

// SaveFile writes b to path through a temporary file in the same
// directory, renamed into place so readers never see half a file.
func (b *BPE) SaveFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tokenizer-*.json")
	if err != nil {
		return fmt.Errorf("save tokenizer %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := b.WriteJSON(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save tokenizer %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save tokenizer %s: %w", path, err)
	}
	// CreateTemp makes the file private; a tokenizer is not.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save tokenizer %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save tokenizer %s: %w", path, err)
	}
	return nil
}

func emptyOrNull(empty bool) string {
	if empty {
		return `""`
	}
	return "null"
}

// jsonWriter writes the fixed shape above; it keeps the first error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) indent(level int) {
	for i := 0; i < level; i++ {
		j.raw("  ")
	}
}

func (j *jsonWriter) key(level int, k string) {
	j.indent(level)
	j.str(k)
	j.raw(": ")
}

func (j *jsonWriter) field(level int, k, v string, comma bool) {
	j.key(level, k)
	j.raw(v)
	j.sep(comma)
}

func (j *jsonWriter) sep(comma bool) {
	if comma {
		j.raw(",\n")
	} else {
		j.raw("\n")
	}
}

func (j *jsonWriter) byteLevel(name string, o *ByteLevelOptions) {
	if o == nil {
		j.field(1, name, "null", true)
		return
	}
	j.key(1, name)
	j.raw("{\n")
	j.field(2, "type", `"ByteLevel"`, true)
	j.field(2, "add_prefix_space", strconv.FormatBool(o.AddPrefixSpace), true)
	j.field(2, "trim_offsets", strconv.FormatBool(o.TrimOffsets), true)
	j.field(2, "use_regex", strconv.FormatBool(o.UseRegex), false)
	j.indent(1)
	j.raw("},\n")
}

// str writes s quoted as serde_json and Python's json (ensure_ascii off)
// do: only '"', '\\' and control characters below U+0020 are escaped.
func (j *jsonWriter) str(s string) {
	const hex = "0123456789abcdef"
	buf := make([]byte, 0, len(s)+2)
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '\r':
			buf = append(buf, '\\', 'r')
		case c == '\t':
			buf = append(buf, '\\', 't')
		case c == '\b':
			buf = append(buf, '\\', 'b')
		case c == '\f':
			buf = append(buf, '\\', 'f')
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			buf = append(buf, c)
		}
	}
	buf = append(buf, '"')
	if j.err == nil {
		_, j.err = j.w.Write(buf)
	}
}

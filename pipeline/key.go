package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/pipeline/cache"
)

// keyVersion is the first field of every key. Changing how keys are built
// changes it, so old cache entries are never read with a new meaning.
const keyVersion = "pipe-key-1"

// Hasher gives a key the content of external files. *cache.Cache implements
// it with a stat cache, so unchanged large files are not read again.
type Hasher interface {
	HashExternal(path string) (cache.ID, error)
}

// keyBuilder accumulates the fields of a key, one line each; the key is the
// SHA-256 of the lines. With debug set, every line is also written there,
// which is what PIPE_DEBUG_HASH=1 shows.
type keyBuilder struct {
	lines []string
	debug io.Writer
	stage string
}

func (b *keyBuilder) field(name string, value string) {
	b.lines = append(b.lines, name+" "+value)
}

func (b *keyBuilder) sum() cache.ID {
	h := sha256.New()
	for _, l := range b.lines {
		// Length-prefixed, so no value can forge the boundary of another.
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(l)))
		h.Write(n[:])
		io.WriteString(h, l)
	}
	var id cache.ID
	h.Sum(id[:0])
	if b.debug != nil {
		for _, l := range b.lines {
			fmt.Fprintf(b.debug, "hash %s: %s\n", b.stage, l)
		}
		fmt.Fprintf(b.debug, "hash %s: = %s\n", b.stage, id)
	}
	return id
}

// StageKey computes the key of node n: its kind and version, its canonical
// parameters (external files by content), the output IDs of its inputs and
// its derived seed (none for an Unseeded kind). inputs maps each input
// stage's name to its output ID.
func StageKey(n *Node, seed int64, inputs map[string]cache.ID, baseDir string,
	h Hasher, debug io.Writer) (cache.ID, Values, error) {
	b := &keyBuilder{debug: debug, stage: n.Name}
	b.field("key", keyVersion)
	b.field("kind", n.Stage.Kind())
	b.field("version", strconv.Itoa(n.Stage.Version()))

	// Parameters in schema order, which is fixed by the kind's code.
	resolved := Values{}
	for _, p := range n.Stage.Schema().Params {
		v, ok := n.Params[p.Name]
		if !ok || v == nil {
			b.field("param "+p.Name, "unset")
			continue
		}
		switch p.Type {
		case Path:
			abs := absPath(baseDir, v.(string))
			id, err := h.HashExternal(abs)
			if err != nil {
				return cache.ID{}, nil, fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			resolved[p.Name] = abs
			// The content is what matters; the name is kept out so that a
			// moved dataset hits the same entries.
			b.field("param "+p.Name, "file "+id.String())
		case Paths:
			files, err := expandPaths(baseDir, v.([]string))
			if err != nil {
				return cache.ID{}, nil, fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			resolved[p.Name] = files
			for _, f := range files {
				id, err := h.HashExternal(f)
				if err != nil {
					return cache.ID{}, nil, fmt.Errorf("parameter %s: %w", p.Name, err)
				}
				b.field("param "+p.Name, "file "+filepath.Base(f)+" "+id.String())
			}
		default:
			resolved[p.Name] = v
			b.field("param "+p.Name, Canonical(v))
		}
	}

	for _, e := range n.Inputs {
		id, ok := inputs[e.From.Name]
		if !ok {
			return cache.ID{}, nil, fmt.Errorf("input %s: stage %q has no output yet", e.Slot, e.From.Name)
		}
		b.field("input "+e.Slot, id.String())
	}
	if n.Stage.Schema().Unseeded {
		b.field("seed", "none")
	} else {
		b.field("seed", strconv.FormatInt(seed, 10))
	}
	return b.sum(), resolved, nil
}

// DeriveSeed gives each stage its own seed from the experiment's seed and
// the stage's name, so that two stages never share a random stream and a
// stage's stream does not move when another stage is added.
func DeriveSeed(seed int64, stage string) int64 {
	h := sha256.Sum256([]byte("pipe-seed\x00" + strconv.FormatInt(seed, 10) + "\x00" + stage))
	return int64(binary.LittleEndian.Uint64(h[:8]) >> 1)
}

// OutputID is the identity of a stage's outputs: the hash of their names
// and content IDs. Equal outputs give equal IDs whatever stage made them.
func OutputID(outs []cache.Output) cache.ID {
	var sb strings.Builder
	for _, o := range outs {
		sb.WriteString(o.Name)
		sb.WriteByte(0)
		sb.WriteString(o.ID.String())
		sb.WriteByte('\n')
	}
	return cache.HashBytes([]byte(sb.String()))
}

// Canonical encodes a decoded parameter value the same way whatever way it
// was written: floats in their shortest form (2e-4, 0.0002 and 2.0e-4 are
// all 0.0002), map keys sorted.
func Canonical(v any) string {
	var sb strings.Builder
	writeCanonical(&sb, v)
	return sb.String()
}

func writeCanonical(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		sb.WriteString(strconv.FormatBool(x))
	case int64:
		sb.WriteString("i:" + strconv.FormatInt(x, 10))
	case int:
		sb.WriteString("i:" + strconv.Itoa(x))
	case float64:
		sb.WriteString("f:" + fmtNum(x))
	case string:
		sb.WriteString(strconv.Quote(x))
	case []float64:
		writeList(sb, len(x), func(i int) { writeCanonical(sb, x[i]) })
	case []int64:
		writeList(sb, len(x), func(i int) { writeCanonical(sb, x[i]) })
	case []string:
		writeList(sb, len(x), func(i int) { writeCanonical(sb, x[i]) })
	case []any:
		writeList(sb, len(x), func(i int) { writeCanonical(sb, x[i]) })
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Quote(k) + ":")
			writeCanonical(sb, x[k])
		}
		sb.WriteByte('}')
	default:
		// Values come from decodeValue; anything else is a bug, but a key
		// must still be exact, so fall back to JSON rather than guess.
		j, _ := json.Marshal(x)
		sb.WriteString(fmt.Sprintf("%T:%s", x, j))
	}
}

func writeList(sb *strings.Builder, n int, item func(i int)) {
	sb.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		item(i)
	}
	sb.WriteByte(']')
}

func absPath(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// expandPaths resolves each pattern against base, in order, each pattern's
// matches sorted; a pattern that matches nothing is an error.
func expandPaths(base string, patterns []string) ([]string, error) {
	var out []string
	for _, pat := range patterns {
		abs := absPath(base, pat)
		matches, err := filepath.Glob(abs)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pat, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: no such file", abs)
		}
		slices.Sort(matches)
		out = append(out, matches...)
	}
	return out, nil
}

// Format prints a parameter value for people: numbers in their shortest
// form, strings bare, lists in brackets.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case float64:
		return fmtNum(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case []float64, []int64, []string, []any, map[string]any:
		j, _ := json.Marshal(x)
		return string(j)
	}
	return fmt.Sprint(v)
}

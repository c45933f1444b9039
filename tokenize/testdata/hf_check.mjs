// hf_check.mjs runs Hugging Face tokenizers (npm `tokenizers`, the Rust
// core's Node binding) on the files in hfcheck/ and records what it does,
// so the Go tests can compare without node. Run from anywhere:
//
//   (cd build/node && npm install tokenizers@0.23.2)   # once, git-ignored
//   node tokenize/testdata/hf_check.mjs
//
// The binding is looked up in $HF_NODE_DIR, tokenize/testdata/node_modules
// and build/node, in that order. It writes:
//   hfcheck/hf_made/*.json      variants of the reference files, loaded and
//                               saved by HF (legacy_merges.json is not saved
//                               by HF: it tests the "a b" merge form)
//   hfcheck/train/*/            a corpus and HF's train() result on it
//   hfcheck/results.json        per file: does HF re-save it byte for byte,
//                               HF's encodings of the test strings and its
//                               decodings of random id lists
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const candidates = [process.env.HF_NODE_DIR, path.join(here), path.join(here, '../../build/node')]
  .filter(Boolean);
let tk;
for (const dir of candidates) {
  try {
    tk = createRequire(path.join(dir, 'x.js'))('tokenizers');
    break;
  } catch (e) { /* try the next one */ }
}
if (!tk) {
  console.error('hf_check: npm package tokenizers not found in ' + candidates.join(', '));
  process.exit(1);
}
const { Tokenizer, BPE, byteLevelPreTokenizer } = tk;

const check = path.join(here, 'hfcheck');
const ref = path.join(here, 'ref');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hfcheck-'));

// mulberry32: a small seeded generator, so the fixtures are reproducible.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces that exercise every branch of the split and the byte map.
const pieces = [
  'a', 'Z', 'hello', ' world', 'the', ' ', '  ', '   ', '\t', '\n', '\r\n', '\r', '\u00a0',
  '\u2003', '\u3000', '\u0085', '\u200b', '\ufeff', '\u001c', '\u180e', '0', '42', '3.14', "'", "'s",
  "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", '!', '?!', '...', '--', '(', ')', '"', 'é',
  'e\u0301', 'ï', 'ß', 'Æ', 'ø', '日本', 'テキスト', '中文', '😀', '👍🏽', '👨\u200d👩\u200d👧', '🇫🇷',
  'हिन्दी', 'Ελλ', 'ΟΔΟΣ', 'Ⅻ', '½', '٣', '\u0000', '\u0001', '\u007f', 'Ġ', 'Ċ', 'Ã', '<|endoftext|>',
  '<|endoftext', 'hello world', 'ab', '<é>', 'lo w', 'll', '\ud83d\ude00x',
];

function randomString(r) {
  const n = 1 + Math.floor(r() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += pieces[Math.floor(r() * pieces.length)];
  return s;
}

const tricky = JSON.parse(fs.readFileSync(path.join(ref, 'tricky_strings.json'), 'utf8'));
const extras = [
  'Hello', 'hello world', '  hello world  ', 'x', ' ', '\n', 'a\u00a0b c',
  'hello world<|endoftext|>hello world', '<é>é<é>', 'tab\t <|endoftext|>\t', 'ÀÁÂ abc',
  'mug 😀 x', 'Ω≈ç√∫˜µ≤≥÷', 'ĠĠ Ċ', "'s 's 'S", "don't\r\n", '  \n\n  x  ', 'hellohello world',
  'abab ab', 'llama all', 'ello wo',
];
const r = rng(7);
const randoms = Array.from({ length: 150 }, () => randomString(r));
const strings = [...tricky, ...extras, ...randoms];

async function record(file) {
  const tok = Tokenizer.fromFile(file);
  const saved = path.join(tmp, 'resave.json');
  tok.save(saved, true);
  const out = {
    resave_identical: fs.readFileSync(saved).equals(fs.readFileSync(file)),
    encodings: [],
    decodes: [],
  };
  for (const s of strings) {
    const e = await tok.encode(s, null, { addSpecialTokens: true });
    const ids = e.getIds();
    out.encodings.push({
      input: s, ids, tokens: e.getTokens(), offsets: e.getOffsets(),
      decoded: await tok.decode(ids, false),
    });
  }
  const size = tok.getVocabSize(true);
  const rd = rng(11);
  for (let i = 0; i < 60; i++) {
    const n = 1 + Math.floor(rd() * 8);
    const ids = Array.from({ length: n }, () => Math.floor(rd() * (size + 3)));
    out.decodes.push({ ids, decoded: await tok.decode(ids, false), decoded_skip: await tok.decode(ids, true) });
  }
  return out;
}

function pretty(obj) { return JSON.stringify(obj, null, 2); }

// Variants of the reference files, each loaded and saved by HF.
const vocab300 = () => JSON.parse(fs.readFileSync(path.join(ref, 'vocab300/tokenizer.json'), 'utf8'));
const hfDefault = () => JSON.parse(fs.readFileSync(path.join(ref, 'hf_default/tokenizer.json'), 'utf8'));
const variants = {
  prefix_space(j) { j.pre_tokenizer.add_prefix_space = true; return j; },
  trim_offsets(j) { j.pre_tokenizer.add_prefix_space = true; j.post_processor.trim_offsets = true; return j; },
  trim_offsets_noprefix(j) { j.post_processor.trim_offsets = true; j.post_processor.add_prefix_space = false; return j; },
  ignore_merges(j) { j.model.ignore_merges = true; return j; },
  gpt2_style(j) {
    j.model.continuing_subword_prefix = ''; j.model.end_of_word_suffix = '';
    j.added_tokens[0].normalized = true; return j;
  },
  added_mixed(j) {
    j.added_tokens.push(
      { id: 300, content: 'hello world', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
      { id: 301, content: '<é>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 302, content: 'lo w', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
      { id: 268, content: 'll', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    );
    return j;
  },
  no_regex(j) { j.pre_tokenizer.use_regex = false; return j; },
};
const defaultVariants = {
  unk(j) { j.model.vocab['<unk>'] = 2983; j.model.unk_token = '<unk>'; return j; },
  unk_fuse(j) { j.model.vocab['<unk>'] = 2983; j.model.unk_token = '<unk>'; j.model.fuse_unk = true; return j; },
  byte_fallback(j) {
    for (let b = 0; b < 256; b++) j.model.vocab['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>'] = 2983 + b;
    j.model.byte_fallback = true; return j;
  },
  byte_fallback_unk(j) {
    // Only some <0xXX> tokens: the others fall back to unk.
    for (let b = 0xc0; b < 0xd0; b++) j.model.vocab['<0x' + b.toString(16).toUpperCase() + '>'] = 2983 + b - 0xc0;
    j.model.vocab['<unk>'] = 3000; j.model.unk_token = '<unk>';
    j.model.byte_fallback = true; return j;
  },
};

const made = path.join(check, 'hf_made');
fs.mkdirSync(made, { recursive: true });
for (const [name, f] of Object.entries(variants)) {
  Tokenizer.fromString(JSON.stringify(f(vocab300()))).save(path.join(made, name + '.json'), true);
}
for (const [name, f] of Object.entries(defaultVariants)) {
  Tokenizer.fromString(JSON.stringify(f(hfDefault()))).save(path.join(made, name + '.json'), true);
}
{
  const j = vocab300();
  j.model.merges = j.model.merges.map(([a, b]) => a + ' ' + b);
  fs.writeFileSync(path.join(made, 'legacy_merges.json'), pretty(j));
}

// Training: Node's train(files) uses BpeTrainer::default() (vocab 30000,
// min_frequency 0, no special tokens).
function fuzzCorpus() {
  const rc = rng(3);
  let s = '';
  for (let i = 0; i < 1200; i++) {
    s += randomString(rc).replace(/[\ud800-\udfff]/g, 'x');
    const end = rc();
    s += end < 0.6 ? '\n' : end < 0.8 ? '\r\n' : end < 0.9 ? ' ' : '\r';
  }
  return s.slice(0, -1); // no final newline
}
const corpora = {
  fortunes_debian_prefix: { text: fs.readFileSync('/usr/share/games/fortunes/debian', 'utf8'), prefix: true },
  gpl3: { text: fs.readFileSync('/usr/share/common-licenses/GPL-3', 'utf8'), prefix: false },
  fuzz: { text: fuzzCorpus(), prefix: false },
  fuzz_prefix: { text: fuzzCorpus(), prefix: true },
};
for (const [name, c] of Object.entries(corpora)) {
  const dir = path.join(check, 'train', name);
  fs.mkdirSync(dir, { recursive: true });
  const corpus = path.join(dir, 'corpus.txt');
  if (!fs.existsSync(corpus)) fs.writeFileSync(corpus, c.text);
  const tok = new Tokenizer(BPE.empty());
  tok.setPreTokenizer(byteLevelPreTokenizer(c.prefix, true));
  tok.train([corpus]);
  tok.save(path.join(dir, 'tokenizer.json'), true);
}

const results = {};
const files = [
  ...fs.readdirSync(path.join(check, 'written')).map((f) => 'written/' + f),
  ...fs.readdirSync(made).map((f) => 'hf_made/' + f),
].sort();
for (const f of files) {
  results[f] = await record(path.join(check, f));
  console.log(`${f}: loaded by HF, re-saved identically: ${results[f].resave_identical}`);
}
// One encoding or decoding a line keeps the file small and diffs readable.
const lines = Object.entries(results).map(([f, r]) => `  ${JSON.stringify(f)}: {
    "resave_identical": ${r.resave_identical},
    "encodings": [
${r.encodings.map((e) => '      ' + JSON.stringify(e)).join(',\n')}
    ],
    "decodes": [
${r.decodes.map((d) => '      ' + JSON.stringify(d)).join(',\n')}
    ]
  }`);
fs.writeFileSync(path.join(check, 'results.json'), '{\n' + lines.join(',\n') + '\n}\n');
fs.rmSync(tmp, { recursive: true });

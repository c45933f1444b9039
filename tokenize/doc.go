// Package tokenize trains and runs byte-level BPE tokenizers that behave
// exactly like Hugging Face tokenizers (the Rust core behind the Python and
// npm `tokenizers` packages) with a ByteLevel pre-tokenizer: the GPT-2 split,
// the GPT-2 byte-to-unicode alphabet, BpeTrainer's merge order and
// tie-breaking, and the tokenizer.json file format.
//
// Train counts pre-tokens line by line (as HF's train(files) does) and
// learns merges; Encode turns text into ids, tokens and offsets; Decode
// turns ids back into text; ReadJSON and WriteJSON read and write
// tokenizer.json files that HF loads and encodes identically.
//
// What it does not do: normalizers, pre-tokenizers other than ByteLevel,
// post-processors that add tokens (BERT/Roberta templates), truncation,
// padding, BPE dropout, continuing-subword prefixes and end-of-word
// suffixes, limit_alphabet and max_token_length. Files that use them are
// rejected with an error naming the field, rather than loaded and encoded
// differently from HF.
//
// Offsets in an Encoding count Unicode scalar values (runes), as the Python
// and Node bindings report them, not bytes. Text that is not valid UTF-8 is
// accepted: every invalid byte counts as one "other" character, so
// DecodeBytes(Encode(b).IDs) gives b back for any bytes b when no prefix
// space is added.
package tokenize

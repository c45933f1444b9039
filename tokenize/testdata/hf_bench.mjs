// hf_bench.mjs is the Hugging Face side of bench/bpe.sh (npm `tokenizers`,
// located as in hf_check.mjs). Thread count comes from RAYON_NUM_THREADS.
//
//   node hf_bench.mjs train  CORPUS OUT.json         Node's default trainer
//   node hf_bench.mjs encode TOKENIZER.json CORPUS MAXBYTES BATCH
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const candidates = [process.env.HF_NODE_DIR, here, path.join(here, '../../build/node')].filter(Boolean);
let tk;
for (const dir of candidates) {
  try { tk = createRequire(path.join(dir, 'x.js'))('tokenizers'); break; } catch (e) { /* next */ }
}
if (!tk) { console.error('hf_bench: npm package tokenizers not found'); process.exit(1); }
const { Tokenizer, BPE, byteLevelPreTokenizer } = tk;

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'train') {
  const [corpus, out] = args;
  const tok = new Tokenizer(BPE.empty());
  tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
  const t0 = process.hrtime.bigint();
  tok.train([corpus]);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  tok.save(out, true);
  console.log(`train: vocab ${tok.getVocabSize(true)}, ${sec.toFixed(3)} s`);
} else if (cmd === 'encode') {
  const [tokFile, corpus, maxBytesArg, batchArg] = args;
  const tok = Tokenizer.fromFile(tokFile);
  const maxBytes = Number(maxBytesArg);
  const batch = Number(batchArg);
  let text = fs.readFileSync(corpus);
  if (maxBytes > 0 && text.length > maxBytes) {
    // Cut after the line holding byte maxBytes, as the Go side does.
    const nl = text.indexOf(10, maxBytes - 1);
    text = text.subarray(0, nl < 0 ? text.length : nl + 1);
  }
  const n = text.length;
  const lines = text.toString('utf8').split(/(?<=\n)/);
  const t0 = process.hrtime.bigint();
  let tokens = 0, idSum = 0;
  for (let i = 0; i < lines.length; i += batch) {
    const encs = await tok.encodeBatch(lines.slice(i, i + batch));
    for (const e of encs) {
      const ids = e.getIds();
      tokens += ids.length;
      for (const id of ids) idSum += id;
    }
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`encode: ${n} bytes, ${lines.length} lines, ${tokens} tokens, id sum ${idSum}, ` +
    `${sec.toFixed(3)} s, ${(n / sec / 1e6).toFixed(2)} MB/s`);
} else {
  console.error('usage: hf_bench.mjs train|encode ...');
  process.exit(2);
}

// Runs pipe's ONNX exports in onnxruntime-node and compares them with pipe's
// own forward pass.
//
// For every case directory here (gan-mlp, vae-conv, ...) it loads each
// <net>.onnx, runs it on the inputs in io.safetensors at batch 5 (the whole
// fixture), 1 and 2 (its first rows: the exports take any batch size) and
// compares with pipe's outputs in io.safetensors. The .onnx files are not
// committed; package torch's test writes them with the fixtures:
//
//     (cd export/testdata && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install)
//     go test ./torch -run TestExportTorchScript -args -export.fixtures
//     node export/testdata/check_onnx.mjs
//
// An argument names another directory of cases instead, such as one made
// with -export.dir=/tmp/full -export.full (the article's sizes).
//
// Exits 1 when any output differs from pipe's by more than 1e-4.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";

const TOLERANCE = 1e-4;
const here = path.dirname(fileURLToPath(import.meta.url));
const nets = {
  generator: { inputs: ["z"], outputs: ["images"] },
  encoder: { inputs: ["images"], outputs: ["mu", "logvar"] },
  decoder: { inputs: ["z"], outputs: ["images"] },
  lm: { inputs: ["ids"], outputs: ["logits"] },
};

// readSafetensors reads F32 and I64 tensors: 8-byte header length, JSON
// header, then the data.
function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [start, end] = info.data_offsets;
    const bytes = buf.subarray(8 + n + start, 8 + n + end);
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const types = { F32: [Float32Array, "float32"], I64: [BigInt64Array, "int64"] };
    if (!types[info.dtype]) throw new Error(`${file}: ${name} is ${info.dtype}`);
    const [Array, type] = types[info.dtype];
    out[name] = { data: new Array(copy), shape: info.shape, type };
  }
  return out;
}

// head is the first `batch` rows of a tensor.
function head(t, batch) {
  const per = t.data.length / t.shape[0];
  return { data: t.data.subarray(0, batch * per), shape: [batch, ...t.shape.slice(1)], type: t.type };
}

// prefix is the first `len` positions of every row of a [B, T, ...] tensor:
// a causal language model's outputs there depend only on those positions.
function prefix(t, len) {
  const [b, n] = t.shape;
  const per = t.data.length / (b * n);
  const data = new t.data.constructor(b * len * per);
  for (let i = 0; i < b; i++) data.set(t.data.subarray(i * n * per, (i * n + len) * per), i * len * per);
  return { data, shape: [b, len, ...t.shape.slice(2)], type: t.type };
}

async function checkCase(caseDir, modelsDir) {
  const io = readSafetensors(path.join(caseDir, "io.safetensors"));
  let worst = 0;
  let checked = 0;
  for (const [net, { inputs, outputs }] of Object.entries(nets)) {
    const file = path.join(modelsDir, `${net}.onnx`);
    if (!fs.existsSync(file)) continue;
    const session = await ort.InferenceSession.create(file);
    const full = io[`${net}.${inputs[0]}`].shape[0];
    // Batch sizes, and for the language model sequence lengths too.
    const runs = [[full, 0], [1, 0], [2, 0]];
    if (net === "lm") runs.push([full, 1], [full, 5]);
    for (const [batch, len] of runs) {
      const cut = (t) => (len ? prefix(head(t, batch), len) : head(t, batch));
      const feeds = {};
      for (const name of inputs) {
        const t = cut(io[`${net}.${name}`]);
        feeds[name] = new ort.Tensor(t.type, t.data, t.shape);
      }
      const results = await session.run(feeds);
      for (const name of outputs) {
        const want = cut(io[`${net}.${name}`]);
        const got = results[name];
        if (JSON.stringify(got.dims) !== JSON.stringify(want.shape)) {
          throw new Error(`${file} ${name}: shape ${got.dims}, want ${want.shape}`);
        }
        let d = 0;
        for (let i = 0; i < want.data.length; i++) d = Math.max(d, Math.abs(got.data[i] - want.data[i]));
        worst = Math.max(worst, d);
        console.log(`${path.basename(caseDir)} ${net} ${name} [${got.dims}]: max abs diff ${d.toExponential(2)}`);
      }
    }
    checked++;
  }
  if (checked === 0) throw new Error(`${modelsDir}: no .onnx files; run the Go test with -export.fixtures first`);
  return worst;
}

const args = process.argv.slice(2);
if (args.length > 1) {
  console.error("usage: node check_onnx.mjs [cases-dir]");
  process.exit(2);
}
const root = args[0] ?? here;
let worst = 0;
for (const c of fs.readdirSync(root).sort()) {
  const d = path.join(root, c);
  if (fs.existsSync(path.join(d, "io.safetensors"))) worst = Math.max(worst, await checkCase(d, d));
}
console.log(`worst max abs diff ${worst.toExponential(2)} (tolerance ${TOLERANCE}), onnxruntime-node ${ort.env.versions?.common ?? ""}`);
process.exit(worst <= TOLERANCE ? 0 : 1);

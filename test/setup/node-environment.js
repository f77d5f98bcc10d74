// jest runs specs in a separate V8 context whose typed-array constructors differ from the ones
// native addons (onnxruntime, used by the in-process embedder) check with instanceof; share them.
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

class PhoenixEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = PhoenixEnvironment;

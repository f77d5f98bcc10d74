import { StackManager, stackOptions } from '@phoenix/stack';

/**
 * The local model (SmolLM2-135M-Instruct behind llama.cpp's OpenAI-compatible server), started by
 * the project's stack script if it is not running yet, and left running for the next spec: the
 * stack's `down` stops it. Specs assert structure and guard behaviour, never a 135M model's facts.
 */
export async function localLlm(): Promise<{ baseUrl: string; model: string }> {
  const stack = new StackManager(stackOptions(process.env), (m) => process.stderr.write(`[llm] ${m}\n`));
  await stack.up(['llm']);
  return { baseUrl: `http://127.0.0.1:${stack.options.llm.port}/v1`, model: 'smollm2-135m-instruct' };
}

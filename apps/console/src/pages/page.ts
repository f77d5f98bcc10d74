/** A console page: renders into `root`, returns its cleanup (streams, timers). `onError` sees API errors (401 signs out). */
export type Page = (root: HTMLElement, params: string[], onError: (err: unknown) => void) => () => void;

/** Runs `fn` now and every `ms` until the returned stop is called; errors go to `onError`. */
export function every(ms: number, fn: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let stopped = false;
  let timer: number | undefined;
  const tick = async () => {
    try {
      await fn();
    } catch (err) {
      onError(err);
    }
    if (!stopped) timer = window.setTimeout(tick, ms);
  };
  void tick();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

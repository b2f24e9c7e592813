// @ts-check
/** Polling with a deadline: how the harness and the tests wait on a condition. */

/**
 * Call `probe` until it returns something other than undefined/false, every
 * `intervalMs`, for at most `timeoutMs`; then throw, naming what was awaited and the
 * last thing `probe` returned or threw (so a failure says what was seen instead).
 * @template T
 * @param {string} what
 * @param {() => Promise<T | undefined | false> | T | undefined | false} probe
 * @param {{ timeoutMs?: number, intervalMs?: number }} [options]
 * @returns {Promise<T>}
 */
export async function until(what, probe, { timeoutMs = 30_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return /** @type {T} */ (value);
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

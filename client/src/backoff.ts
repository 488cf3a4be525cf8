/** How long to wait before a retry round after the server refused every credential on offer. */
export interface Backoff {
  /** First wait, before jitter (ms). */
  baseMs: number;
  /** No wait is longer than this (ms). */
  maxMs: number;
}

/**
 * The wait before retry number `retry` (1, 2, ...): the base doubled per retry up to the
 * maximum, of which a random half is taken off ("equal jitter"), so that pools refused at the
 * same moment do not all come back at the same moment, and no wait is shorter than half its step.
 */
export function backoffDelay(
  retry: number,
  { baseMs, maxMs }: Backoff,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

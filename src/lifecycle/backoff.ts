/** Exponential backoff with full jitter: a uniform delay in [0, min(cap, base·2^attempt)]. */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export interface RetryOptions<E> {
  /** Turns whatever the operation threw into an error that says whether retrying may help. */
  readonly classify: (error: unknown) => E & { readonly retriable: boolean };
  readonly baseMs: number;
  readonly maxMs: number;
  /** Aborting ends the retries: the last failure is thrown. */
  readonly signal: AbortSignal;
  /** Before each wait: report the failure. */
  readonly onRetry: (error: E, attempt: number, delayMs: number) => void;
}

/**
 * Runs `operation(attempt)` until it succeeds, waiting with full-jitter backoff after each
 * retriable failure, for as long as the signal is not aborted. A failure that is not retriable
 * is thrown at once, classified.
 */
export async function retryWhileRetriable<T, E>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions<E>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const failure = options.classify(error);
      if (!failure.retriable || options.signal.aborted) throw failure;
      const delay = fullJitterDelay(attempt, options.baseMs, options.maxMs);
      options.onRetry(failure, attempt, delay);
      await sleep(delay, options.signal);
      if (options.signal.aborted) throw failure;
    }
  }
}

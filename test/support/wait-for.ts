import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForOptions {
  /** How long to keep polling, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Pause between two polls, in ms. Default 100. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout error. */
  readonly message?: string;
  /**
   * Whether an error the condition throws means "not yet" (the default: always). One it says
   * is not ends the wait at once and is rethrown, instead of being hidden until the timeout.
   */
  readonly retriable?: (error: unknown) => boolean;
}

/**
 * Polls `condition` until it returns true; throws when `timeoutMs` passes first. A condition that throws
 * counts as false (a service may be restarting) unless `retriable` says otherwise; its last error is in
 * the timeout error.
 */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  {
    timeoutMs = 10_000,
    intervalMs = 100,
    message = 'a condition',
    retriable = () => true,
  }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (error) {
      if (!retriable(error)) throw error;
      lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const reason = lastError === undefined ? '' : `; the condition last threw: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${reason}`, {
        cause: lastError,
      });
    }
    await delay(Math.min(intervalMs, remaining));
  }
}

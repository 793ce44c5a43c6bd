/**
 * Paces events to a rate: each event is due 1/rate seconds after the one before, and a caller
 * that is ahead of its schedule by more than a tenth of a second waits. Falling behind (a slow
 * broker) earns no burst later: the schedule never lags the clock by more than that tenth.
 */
/** How far ahead of its schedule a caller may run before it waits. */
const SLACK_MS = 100;

export class RateLimit {
  private readonly intervalMs: number;
  private dueMs: number;

  constructor(
    eventsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.intervalMs = 1000 / eventsPerSecond;
    this.dueMs = now();
  }

  /** Takes `events` from the schedule; returns how long to wait first (0: go on). */
  take(events: number): number {
    const now = this.now();
    this.dueMs = Math.max(this.dueMs, now - SLACK_MS) + events * this.intervalMs;
    const ahead = this.dueMs - now - SLACK_MS;
    return ahead > 0 ? ahead : 0;
  }
}

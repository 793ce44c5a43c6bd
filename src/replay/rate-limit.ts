/**
 * Paces events to a rate: each event is due 1/rate seconds after the one before, and a caller
 * that is ahead of its schedule by more than a tenth of a second waits. Falling behind (a slow
 * broker) earns no burst later: the schedule never lags the clock by more than that tenth.
 */
export class RateLimit {
  private readonly intervalMs: number;
  private readonly slackMs: number;
  private dueMs: number;

  constructor(
    eventsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.intervalMs = 1000 / eventsPerSecond;
    this.slackMs = 100;
    this.dueMs = now();
  }

  /** Takes `events` from the schedule; returns how long to wait first (0: go on). */
  take(events: number): number {
    const now = this.now();
    this.dueMs = Math.max(this.dueMs, now - this.slackMs) + events * this.intervalMs;
    const ahead = this.dueMs - now - this.slackMs;
    return ahead > 0 ? ahead : 0;
  }
}

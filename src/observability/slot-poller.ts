import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { readSlotState, type SlotState } from '../replication/slot-state.js';
import type { MetadataConnection } from './metadata-connection.js';
import { type SlotMetrics, WAL_STATUSES } from './metrics.js';

export const SLOT_POLL_MS = 5_000;

type SlotCondition = 'ok' | 'unreadable' | 'missing';

/**
 * Reads pg_replication_slots on an interval and sets the slot gauges (lag bytes, wal_status,
 * safe_wal_size). A slot nobody reads pins WAL until the disk fills; these gauges are what an
 * alert watches. Failures are logged once per outage and never reach the relay.
 */
export class SlotPoller {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** What the last reading found, so that a lasting problem is logged once, not every poll. */
  private condition: SlotCondition = 'ok';
  private stopped = false;

  constructor(
    private readonly connection: MetadataConnection,
    private readonly slot: string,
    private readonly metrics: SlotMetrics,
    private readonly logger: Logger,
    private readonly intervalMs = SLOT_POLL_MS,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    // Metrics must never keep a stopping process alive.
    this.timer.unref();
  }

  /** One reading; a tick that finds the previous one still running does nothing. */
  poll(): Promise<void> {
    this.polling ??= this.readOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.polling;
  }

  private async readOnce(): Promise<void> {
    try {
      const state = await this.connection.use((client) => readSlotState(client, this.slot));
      if (this.stopped) return;
      this.record(state);
      this.report(state ? 'ok' : 'missing');
    } catch (error) {
      if (this.stopped) return;
      // The gauges keep their last values; outbox_slot_last_poll_timestamp_seconds shows their age.
      this.report('unreadable', error);
    }
  }

  private report(condition: SlotCondition, error?: unknown): void {
    if (condition === this.condition) return;
    const previous = this.condition;
    this.condition = condition;
    const slot = this.slot;
    if (condition === 'unreadable')
      this.logger.warn({ slot, err: error }, `cannot read slot metrics: ${errorMessage(error)}`);
    // The relay itself stops with a clear error; here one line is enough.
    else if (condition === 'missing') this.logger.warn({ slot }, `replication slot "${slot}" does not exist`);
    else if (previous === 'unreadable') this.logger.info({ slot }, 'slot metrics readable again');
  }

  private record(state: SlotState | undefined): void {
    const { lagBytes, walStatus, safeWalSizeBytes, lastPollTimestamp } = this.metrics;
    const slot = this.slot;
    lastPollTimestamp.set({ slot }, Date.now() / 1000);
    for (const status of WAL_STATUSES) walStatus.set({ slot, status }, state?.walStatus === status ? 1 : 0);
    if (!state) {
      // A dropped slot has no lag to speak of; its old numbers would only mislead.
      lagBytes.remove({ slot });
      safeWalSizeBytes.remove({ slot });
      return;
    }
    lagBytes.set({ slot }, state.lagBytes);
    safeWalSizeBytes.set({ slot }, safeWalSize(state));
  }
}

/** pg_replication_slots says NULL both for "unlimited" and for a lost slot; only the first is +Inf. */
function safeWalSize(state: SlotState): number {
  if (state.walStatus === 'lost') return 0;
  return state.safeWalSizeBytes ?? Number.POSITIVE_INFINITY;
}

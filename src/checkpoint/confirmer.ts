import { type Lsn, maxLsn } from '../replication/lsn.js';
import type { StandbyStatus } from '../replication/protocol.js';

/** Sends status updates; the stream in the relay, a recorder in unit tests. */
export type StatusSender = (status: StandbyStatus) => void;

/** The server drops a consumer silent for wal_sender_timeout (60 s by default): stay well under. */
const MAX_SILENCE_MS = 10_000;

/**
 * Confirms the safe LSN to the server: on its own timer, at once when the server asks,
 * and never a smaller flush position than one already sent.
 */
export class Confirmer {
  private timer: NodeJS.Timeout | undefined;
  private lastFlushed: Lsn;
  private lastSentAt = 0;

  constructor(
    private readonly send: StatusSender,
    private readonly positions: () => { safe: Lsn; received: Lsn },
    private readonly intervalMs: number,
    private readonly onConfirmed: (lsn: Lsn) => void,
    startLsn: Lsn,
  ) {
    this.lastFlushed = startLsn;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get confirmed(): Lsn {
    return this.lastFlushed;
  }

  /** Answers a keepalive that requests a reply, or confirms before shutdown. */
  sendNow(now = Date.now()): void {
    const { safe, received } = this.positions();
    const flushed = maxLsn(this.lastFlushed, safe);
    this.send({ written: maxLsn(received, flushed), flushed, nowMs: now });
    this.lastSentAt = now;
    if (flushed > this.lastFlushed) {
      this.lastFlushed = flushed;
      this.onConfirmed(flushed);
    }
  }

  tick(now = Date.now()): void {
    if (this.positions().safe > this.lastFlushed || now - this.lastSentAt >= MAX_SILENCE_MS)
      this.sendNow(now);
  }
}

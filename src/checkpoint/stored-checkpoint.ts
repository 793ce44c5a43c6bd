import type { PublishedTransaction } from './published-history.js';

/** A checkpoint written before checkpoints named their transaction: its position cannot be proven. */
export interface UnprovableCheckpoint {
  readonly unprovable: true;
  readonly commitLsn: string;
}

/**
 * What the sink already has of the stream, as its checkpoint says (exactly-once): every event of
 * every transaction before the named one, and the named one's first `events`.
 */
export type StoredCheckpoint = PublishedTransaction | UnprovableCheckpoint;

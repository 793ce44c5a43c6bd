import type { PoisonEventError } from '../../src/errors.js';
import type { OutboxRecord } from '../../src/outbox/record.js';
import { NO_TRANSACTION, type TransactionIdentity } from '../../src/replication/transaction-identity.js';
import type { Delivery } from '../../src/sinks/delivery.js';

/** A record as the mapper would make it: a small value named after its key, unless overridden. */
export function testRecord(key: string, overrides: Partial<OutboxRecord> = {}): OutboxRecord {
  return {
    topic: 't',
    key,
    value: Buffer.from(key),
    headers: {},
    eventType: null,
    timestampMs: 0,
    partition: undefined,
    sizeBytes: 100,
    ...overrides,
  };
}

export interface DeliveryOptions {
  /** Told with the topic once the sink's broker has the record. */
  readonly acknowledged?: (topic: string) => void;
  /** The transaction the record belongs to; none of the stream by default. */
  readonly transaction?: TransactionIdentity;
  readonly ordinal?: number;
  readonly deadLetter?: (error: PoisonEventError) => OutboxRecord;
}

/** A delivery of the record, as a session hands it to a sink. */
export function testDelivery(record: OutboxRecord, options: DeliveryOptions = {}): Delivery {
  return {
    record,
    receipt: {
      ...(options.transaction ?? NO_TRANSACTION),
      acknowledged: options.acknowledged ?? (() => undefined),
    },
    ordinal: options.ordinal ?? 1,
    deadLetter: options.deadLetter,
  };
}

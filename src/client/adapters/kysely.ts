import { CompiledQuery } from 'kysely';
import type { EventMap } from '../event.js';
import { createOutbox, type Outbox, type PublisherOptions } from '../publisher.js';
import { numbered } from '../statement.js';

/** What publish needs of Kysely: the `trx` of `db.transaction().execute(async (trx) => ...)`. */
export interface KyselyTransaction {
  executeQuery(query: CompiledQuery): Promise<unknown>;
}

/**
 * Kysely (PostgresDialect):
 *
 *   const outbox = kyselyOutbox<Events>();
 *   await db.transaction().execute(async (trx) => {
 *     await trx.insertInto('orders').values(order).execute();
 *     await outbox.publish(trx, { aggregateType: 'order', aggregateId: order.id, eventType: 'OrderPlaced', payload });
 *   });
 */
export function kyselyOutbox<Events extends EventMap>(
  options?: PublisherOptions,
): Outbox<Events, KyselyTransaction> {
  return createOutbox(
    (trx, statement) => trx.executeQuery(CompiledQuery.raw(numbered(statement), [...statement.values])),
    options,
  );
}

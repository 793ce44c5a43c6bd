import type { EventMap } from '../event.js';
import { createOutbox, type Outbox, type PublisherOptions } from '../publisher.js';
import { questionMarks } from '../statement.js';

/** What publish needs of Knex: the `trx` of `knex.transaction(async (trx) => ...)`. */
export interface KnexTransaction {
  raw(sql: string, bindings: readonly unknown[]): PromiseLike<unknown>;
}

/**
 * Knex:
 *
 *   const outbox = knexOutbox<Events>();
 *   await knex.transaction(async (trx) => {
 *     await trx('orders').insert(order);
 *     await outbox.publish(trx, { aggregateType: 'order', aggregateId: order.id, eventType: 'OrderPlaced', payload });
 *   });
 */
export function knexOutbox<Events extends EventMap>(
  options?: PublisherOptions,
): Outbox<Events, KnexTransaction> {
  return createOutbox((trx, statement) => trx.raw(questionMarks(statement), [...statement.values]), options);
}

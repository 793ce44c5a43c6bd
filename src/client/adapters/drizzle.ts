import { type SQL, sql } from 'drizzle-orm';
import type { EventMap } from '../event.js';
import { createOutbox, type Outbox, type PublisherOptions } from '../publisher.js';
import type { Statement } from '../statement.js';

/** What publish needs of Drizzle: the `tx` of `db.transaction(async (tx) => ...)` (node-postgres driver). */
export interface DrizzleTransaction {
  execute(query: SQL): PromiseLike<unknown>;
}

/**
 * Drizzle (drizzle-orm/node-postgres):
 *
 *   const outbox = drizzleOutbox<Events>();
 *   await db.transaction(async (tx) => {
 *     await tx.insert(orders).values(order);
 *     await outbox.publish(tx, { aggregateType: 'order', aggregateId: order.id, eventType: 'OrderPlaced', payload });
 *   });
 */
export function drizzleOutbox<Events extends EventMap>(
  options?: PublisherOptions,
): Outbox<Events, DrizzleTransaction> {
  return createOutbox((tx, statement) => tx.execute(drizzleSql(statement)), options);
}

/** The statement as Drizzle's sql``: its text raw, its values as parameters. */
function drizzleSql(statement: Statement): SQL {
  const chunks: SQL[] = [];
  statement.strings.forEach((part, index) => {
    chunks.push(sql.raw(part));
    if (index < statement.values.length) chunks.push(sql`${statement.values[index]}`);
  });
  return sql.join(chunks);
}

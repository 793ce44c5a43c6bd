import type { EventMap } from '../event.js';
import { createOutbox, type Outbox, type PublisherOptions } from '../publisher.js';
import { numbered } from '../statement.js';

/** What publish needs of postgres.js: the `sql` of `sql.begin(async (sql) => ...)`. */
export interface PostgresJsTransaction {
  // postgres.js's own parameter type; `unknown[]` would not accept its TransactionSql.
  // biome-ignore lint/suspicious/noExplicitAny: the library's signature
  unsafe(query: string, parameters?: any[]): PromiseLike<unknown>;
}

/**
 * postgres.js:
 *
 *   const outbox = postgresJsOutbox<Events>();
 *   await sql.begin(async (sql) => {
 *     await sql`insert into orders ${sql(order)}`;
 *     await outbox.publish(sql, { aggregateType: 'order', aggregateId: order.id, eventType: 'OrderPlaced', payload });
 *   });
 */
export function postgresJsOutbox<Events extends EventMap>(
  options?: PublisherOptions,
): Outbox<Events, PostgresJsTransaction> {
  return createOutbox((sql, statement) => sql.unsafe(numbered(statement), [...statement.values]), options);
}

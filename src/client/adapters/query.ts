import type { EventMap } from '../event.js';
import { createOutbox, type Outbox, type PublisherOptions } from '../publisher.js';
import { numbered } from '../statement.js';

/** What runs `query(text, values)` with $1 placeholders: a node-postgres client, a TypeORM EntityManager. */
export interface Queryable {
  query(text: string, values: unknown[]): Promise<unknown>;
}

/** An outbox for anything Queryable, inside the caller's transaction. */
export function queryOutbox<Events extends EventMap>(options?: PublisherOptions): Outbox<Events, Queryable> {
  return createOutbox(
    (client, statement) => client.query(numbered(statement), [...statement.values]),
    options,
  );
}

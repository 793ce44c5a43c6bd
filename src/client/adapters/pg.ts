/**
 * node-postgres: pass the client that ran BEGIN (a PoolClient from pool.connect(), or a Client).
 *
 *   const outbox = pgOutbox<Events>();
 *   await client.query('BEGIN');
 *   await outbox.publish(client, { aggregateType: 'order', aggregateId: id, eventType: 'OrderPlaced', payload });
 *   await client.query('COMMIT');
 */
export { type Queryable as PgClient, queryOutbox as pgOutbox } from './query.js';

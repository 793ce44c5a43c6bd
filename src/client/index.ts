/**
 * outbox-relay/client: publish events from an application, in its own transaction, to the table
 * (or as WAL messages) the relay reads. No dependency on Kafka or the relay. One adapter per
 * library: outbox-relay/client/pg, /postgres-js, /knex, /kysely, /drizzle, /prisma, /typeorm.
 */

export { parseQualifiedName, quoteIdentifier } from '../sql-quote.js';
export { DEFAULT_MESSAGE_PREFIX, ENVELOPE_VERSION, type MessageEnvelope } from './envelope.js';
export type { EventMap, EventOf, OutboxEvent } from './event.js';
export {
  createOutbox,
  type Outbox,
  type PublishCallOptions,
  type PublisherOptions,
  type RunStatement,
} from './publisher.js';
export { DEBEZIUM_LAYOUT, DEFAULT_LAYOUT, type PublisherTable } from './publisher-table.js';
export { numbered, questionMarks, type Statement } from './statement.js';

/**
 * outbox-relay/inbox: for consumers whose effects live in their own PostgreSQL database. Each
 * event's id is recorded with its effects in one transaction, so a redelivered event changes
 * nothing. No dependency on the relay; kafkajs and pg are the consumer's own.
 */
export {
  eventIdOf,
  Inbox,
  type InboxEvent,
  type InboxOptions,
  type InboxOutcome,
  type InboxPool,
} from './inbox.js';
export { type InboxConsumerOptions, type InboxRecord, runInboxConsumer } from './kafkajs-consumer.js';

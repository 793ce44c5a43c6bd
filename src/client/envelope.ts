import type { IdentifiedEvent } from './event.js';

/** The prefix of the relay's WAL messages unless OUTBOX_MESSAGE_PREFIX says otherwise. */
export const DEFAULT_MESSAGE_PREFIX = 'outbox';

/** The version of the WAL message envelope (docs/message-envelope.md), written and read. */
export const ENVELOPE_VERSION = 1;

/** What one `pg_logical_emit_message(true, prefix, content)` carries as its content, as JSON. */
export interface MessageEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly id: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly eventType: string;
  readonly payload: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function toEnvelope(event: IdentifiedEvent): MessageEnvelope {
  const { id, aggregateType, aggregateId, eventType, payload, headers } = event;
  return {
    v: ENVELOPE_VERSION,
    id,
    aggregateType,
    aggregateId,
    eventType,
    payload,
    ...(headers && { headers }),
  };
}

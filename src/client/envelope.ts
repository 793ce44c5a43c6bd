import type { IdentifiedEvent } from './event.js';

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

import type { RelayConfig } from '../config/relay-config.js';
import { PoisonEventError } from '../errors.js';
import type { OutboxLayout } from '../outbox/layout.js';
import { compileRowMapper, type RowMapper } from '../outbox/mapper.js';
import { compileEnvelopeReader, type EnvelopeReader, messageRelation } from '../outbox/message-envelope.js';
import type { RelationMessage } from '../replication/pgoutput/messages.js';
import { TupleView } from '../replication/pgoutput/tuple.js';
import type { OutboxTable } from './outbox-relations.js';

/** A message whose envelope cannot be read, with the row its dead-letter record carries. */
export interface UnreadableMessage {
  readonly error: PoisonEventError;
  /** The message's content as it came, in the payload column. */
  readonly row: TupleView;
}

/**
 * Events written as WAL messages (OUTBOX_SOURCE=messages or both): a virtual outbox table whose
 * rows are the messages' envelopes, mapped like the table's rows.
 */
export class MessageEvents implements OutboxTable {
  readonly relation: RelationMessage;
  readonly mapRow: RowMapper;
  private readonly readEnvelope: EnvelopeReader;

  constructor(
    layout: OutboxLayout,
    private readonly config: RelayConfig,
  ) {
    this.relation = messageRelation(config);
    this.mapRow = compileRowMapper(layout, this.relation);
    this.readEnvelope = compileEnvelopeReader(this.relation, config);
  }

  rowOf(content: Buffer): TupleView | UnreadableMessage {
    try {
      return TupleView.of(this.readEnvelope(content));
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      const raw = this.relation.columns.map(({ name }) =>
        name === this.config.payloadColumn ? Buffer.from(content) : null,
      );
      return { error, row: TupleView.of(raw) };
    }
  }
}

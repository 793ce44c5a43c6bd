import { decodeLogicalMessage } from './logical-message.js';
import type { IgnoredMessage, PgOutputMessage } from './messages.js';
import { ByteReader } from './reader.js';
import { decodeRelation } from './relation.js';
import { decodeBegin, decodeCommit } from './transaction.js';
import { readInsert, TupleView } from './tuple.js';

/**
 * Decodes pgoutput (protocol version 1) messages. Values are views into the bytes decoded, and
 * an Insert is always the decoder's one InsertMessage and TupleView, overwritten by the next
 * decode: a row of the outbox allocates nothing until the mapper copies what it keeps.
 */
export class PgOutputDecoder {
  private readonly reader = new ByteReader();
  private readonly insert = { tag: 'insert' as const, relationOid: 0, tuple: new TupleView() };

  /** The message whose tag byte is at `offset` in `bytes`. */
  decode(bytes: Buffer, offset = 0): PgOutputMessage {
    const tag = bytes[offset];
    const reader = this.reader.reset(bytes, offset, tag ?? 0);
    switch (tag) {
      case undefined:
        throw reader.error('empty message');
      case 0x49: // 'I'
        this.insert.relationOid = readInsert(reader, this.insert.tuple);
        return this.insert;
      case 0x42: // 'B'
        return decodeBegin(reader);
      case 0x43: // 'C'
        return decodeCommit(reader);
      case 0x52: // 'R'
        return decodeRelation(reader);
      case 0x4d: // 'M'
        return decodeLogicalMessage(reader);
      case 0x55: // 'U'
        return decodeIgnoredChange(reader, 'update');
      case 0x44: // 'D'
        return decodeIgnoredChange(reader, 'delete');
      case 0x54: // 'T'
        return { tag: 'ignored', kind: 'truncate', relationOid: undefined };
      case 0x4f: // 'O'
        return { tag: 'ignored', kind: 'origin', relationOid: undefined };
      case 0x59: // 'Y'
        return { tag: 'ignored', kind: 'type', relationOid: undefined };
      default:
        throw reader.error('unknown message tag (streaming and two-phase messages are never requested)');
    }
  }
}

/** Update, delete and truncate are read only far enough to know their relation. */
function decodeIgnoredChange(reader: ByteReader, kind: 'update' | 'delete'): IgnoredMessage {
  return { tag: 'ignored', kind, relationOid: reader.uint32() };
}

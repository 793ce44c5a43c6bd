import { decodeLogicalMessage } from './logical-message.js';
import type { PgOutputMessage } from './messages.js';
import { ByteReader } from './reader.js';
import { decodeRelation } from './relation.js';
import { decodeBegin, decodeCommit } from './transaction.js';
import { decodeIgnoredChange, decodeInsert } from './tuple.js';

/**
 * Decodes one pgoutput (protocol version 1) message. Values in the result are views into
 * `bytes`: the caller must pass a buffer it owns, not one the driver will reuse.
 */
export function decodePgOutput(bytes: Buffer): PgOutputMessage {
  const tag = bytes[0];
  if (tag === undefined) throw new ByteReader(bytes, 0).error('empty message');
  const reader = new ByteReader(bytes.subarray(1), tag);
  switch (tag) {
    case 0x42: // 'B'
      return decodeBegin(reader);
    case 0x43: // 'C'
      return decodeCommit(reader);
    case 0x52: // 'R'
      return decodeRelation(reader);
    case 0x49: // 'I'
      return decodeInsert(reader);
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

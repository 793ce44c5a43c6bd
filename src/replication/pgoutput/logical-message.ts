import type { LogicalMessage } from './messages.js';
import type { ByteReader } from './reader.js';

const TRANSACTIONAL_FLAG = 1;

export function decodeLogicalMessage(reader: ByteReader): LogicalMessage {
  const flags = reader.uint8();
  const lsn = reader.lsn();
  const prefix = reader.cstring();
  const content = reader.bytesOf(reader.int32());
  return { tag: 'message', transactional: (flags & TRANSACTIONAL_FLAG) !== 0, lsn, prefix, content };
}

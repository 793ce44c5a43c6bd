import type { BeginMessage, CommitMessage } from './messages.js';
import type { ByteReader } from './reader.js';

export function decodeBegin(reader: ByteReader): BeginMessage {
  const finalLsn = reader.lsn();
  const commitTimeMicros = reader.int64AsNumber();
  const xid = reader.uint32();
  return { tag: 'begin', finalLsn, commitTimeMicros, xid };
}

export function decodeCommit(reader: ByteReader): CommitMessage {
  reader.uint8(); // flags: unused by the protocol so far
  const commitLsn = reader.lsn();
  const endLsn = reader.lsn();
  const commitTimeMicros = reader.int64AsNumber();
  return { tag: 'commit', commitLsn, endLsn, commitTimeMicros };
}

import type { IgnoredMessage, InsertMessage, TupleValue } from './messages.js';
import type { ByteReader } from './reader.js';

const NEW_TUPLE = 0x4e; // 'N'
const NULL_VALUE = 0x6e; // 'n'
const UNCHANGED_TOAST = 0x75; // 'u'
const TEXT_VALUE = 0x74; // 't'

export function decodeInsert(reader: ByteReader): InsertMessage {
  const relationOid = reader.uint32();
  const marker = reader.uint8();
  if (marker !== NEW_TUPLE) throw reader.error(`expected new-tuple marker 'N', got 0x${marker.toString(16)}`);
  return { tag: 'insert', relationOid, values: decodeTupleData(reader) };
}

/** Update, delete and truncate are read only far enough to know their relation. */
export function decodeIgnoredChange(reader: ByteReader, kind: 'update' | 'delete'): IgnoredMessage {
  return { tag: 'ignored', kind, relationOid: reader.uint32() };
}

function decodeTupleData(reader: ByteReader): TupleValue[] {
  const count = reader.int16();
  const values: TupleValue[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = reader.uint8();
    if (kind === TEXT_VALUE) {
      values[i] = reader.bytesOf(reader.int32());
    } else if (kind === NULL_VALUE) {
      values[i] = null;
    } else if (kind === UNCHANGED_TOAST) {
      // An insert always carries every value; an unchanged TOAST marker here is a server bug.
      throw reader.error(`column ${i} is an unchanged TOAST value in an insert`);
    } else {
      throw reader.error(`column ${i} has value kind 0x${kind.toString(16)}; only text format is requested`);
    }
  }
  return values;
}

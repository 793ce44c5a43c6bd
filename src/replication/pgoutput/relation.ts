import type { RelationColumn, RelationMessage } from './messages.js';
import type { ByteReader } from './reader.js';

const KEY_COLUMN_FLAG = 1;

export function decodeRelation(reader: ByteReader): RelationMessage {
  const relationOid = reader.uint32();
  const schema = reader.cstring();
  const table = reader.cstring();
  reader.uint8(); // replica identity setting: irrelevant for inserts
  const columnCount = reader.int16();
  const columns: RelationColumn[] = [];
  for (let i = 0; i < columnCount; i++) {
    const flags = reader.uint8();
    const name = reader.cstring();
    const typeOid = reader.uint32();
    reader.int32(); // type modifier
    columns.push({ name, typeOid, isKey: (flags & KEY_COLUMN_FLAG) !== 0 });
  }
  return { tag: 'relation', relationOid, schema, table, columns };
}

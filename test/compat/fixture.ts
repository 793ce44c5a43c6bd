/**
 * The rows both Debezium and the relay publish in the compatibility test: the cases where a
 * converter's output can differ (text escapes, characters outside the BMP, numbers Jackson
 * re-serializes, bare JSON values, SQL NULL and JSON null, NULL and empty header columns), over
 * three tables with Debezium's outbox columns and different key and payload types.
 */
export interface CompatRow {
  /** The event type column: names the case. */
  readonly case: string;
  readonly key: string;
  /** The payload as SQL text: jsonb or text, or hex for bytea. */
  readonly payload: string | null;
  readonly tenant?: string | null;
  readonly trace?: string | null;
  /** Debezium's engine stops on this payload under table.expand.json.payload=true. */
  readonly expandFails?: boolean;
}

export interface CompatTable {
  readonly name: string;
  readonly aggregateType: string;
  readonly ddl: string;
  /** Parameters: id, aggregatetype, aggregateid, type, payload, tenant, trace, part. */
  readonly insert: string;
  readonly rows: readonly CompatRow[];
}

export type TableName = 'text' | 'typed' | 'uuid';

function table(
  name: string,
  keyType: string,
  payloadType: string,
  payloadCast: string,
): Omit<CompatTable, 'rows' | 'aggregateType'> {
  return {
    name,
    ddl: `CREATE TABLE ${name} (
      id uuid PRIMARY KEY,
      aggregatetype varchar(255) NOT NULL,
      aggregateid ${keyType} NOT NULL,
      type varchar(255) NOT NULL,
      payload ${payloadType},
      tenant varchar(64),
      trace text,
      part integer NOT NULL)`,
    insert: `INSERT INTO ${name} (id, aggregatetype, aggregateid, type, payload, tenant, trace, part)
             VALUES ($1, $2, $3::${keyType}, $4, ${payloadCast}, $6, $7, $8)`,
  };
}

const LONG_TEXT = JSON.stringify({
  text: 'x'.repeat(5_000),
  list: Array.from({ length: 50 }, (_, i) => i * 1.5),
});

export const TABLES: Record<TableName, CompatTable> = {
  text: {
    ...table('compat_outbox', 'varchar(255)', 'jsonb', '$5::jsonb'),
    aggregateType: 'order',
    rows: [
      { case: 'object', key: 'o-1001', payload: '{"a":1,"b":"x"}', tenant: 'acme', trace: 't-1' },
      { case: 'unicode', key: 'o-1002', payload: '{"name":"Zoë 中文 ü"}', tenant: null, trace: '' },
      { case: 'emoji', key: 'o-1003', payload: '{"party":"🎉"}', tenant: '', trace: null },
      { case: 'decimals', key: 'o-1004', payload: '{"price":1.10,"qty":5.00,"tiny":0.0000001,"neg":-2.50}' },
      { case: 'long', key: 'o-1005', payload: '{"l":9007199254740993,"i":-5,"z":0}' },
      { case: 'bare-string', key: 'o-1006', payload: '"hello"' },
      { case: 'bare-number', key: 'o-1007', payload: '42' },
      { case: 'sql-null', key: 'o-1008', payload: null, tenant: 'acme' },
      { case: 'json-null', key: 'o-1009', payload: 'null' },
      { case: 'nested', key: 'o-1010', payload: '{"a":{"b":[1,2,3],"c":null,"d":{"e":true}},"f":[]}' },
      {
        case: 'escapes',
        key: 'o-1011',
        payload: '{"s":"tab\\tnl\\nctl\\u0001\\u001f q\\" bs\\\\ sl/ \\u2028"}',
      },
      { case: 'boolean', key: 'o-1012', payload: 'true' },
      { case: 'empty-object', key: 'o-1013', payload: '{}' },
      { case: 'object-array', key: 'o-1014', payload: '{"items":[{"id":1,"q":2},{"id":2,"q":3}]}' },
      { case: 'mixed-array', key: 'o-1015', payload: '{"m":[1,"a"]}' },
      { case: 'null-elements', key: 'o-1016', payload: '{"n":[null,1,null]}' },
      { case: 'mixed-numbers', key: 'o-1017', payload: '{"n":[1,1.5]}' },
      { case: 'emoji-field-name', key: 'o-1018', payload: '{"clé 🎉":"v\\u00e9"}' },
      { case: 'nested-arrays', key: 'o-1019', payload: '{"x":[[1,2],[3]]}' },
      { case: 'floats', key: 'o-1020', payload: '{"a":100.0,"b":1e-3,"c":12345678.9,"d":0.1,"e":1234567.0}' },
      { case: 'empty-array', key: 'o-1021', payload: '[]' },
      { case: 'long-text', key: 'o-1022', payload: LONG_TEXT },
      { case: 'unicode-key', key: 'ключ-🎉', payload: '{"k":1}', tenant: 'Zoë' },
      { case: 'array', key: 'o-1024', payload: '[1,2,3]', expandFails: true },
      { case: 'huge-integer', key: 'o-1025', payload: '{"n":12345678901234567890}', expandFails: true },
      { case: 'exponent', key: 'o-1026', payload: '{"big":1e21}', expandFails: true },
      {
        case: 'long-then-int',
        key: 'o-1027',
        payload: '{"a":[{"v":9999999999},{"v":1}]}',
        expandFails: true,
      },
    ],
  },
  typed: {
    ...table('compat_typed', 'bigint', 'bytea', "decode($5, 'hex')"),
    aggregateType: 'ledger',
    rows: [
      { case: 'bytes', key: '1001', payload: '00ff10', tenant: 'acme' },
      { case: 'empty-bytes', key: '-5', payload: '' },
      { case: 'null-bytes', key: '9223372036854775807', payload: null },
      { case: 'protobuf-like', key: '1002', payload: '0a0b68656c6c6f20776f726c6410c8011a03f09f8e89' },
      {
        case: 'binary-block',
        key: '1003',
        payload: Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 256)).toString('hex'),
      },
    ],
  },
  uuid: {
    ...table('compat_uuid', 'uuid', 'text', '$5'),
    aggregateType: 'customer',
    rows: [
      { case: 'text', key: '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f60', payload: 'plain text, "quoted" 🎉' },
      { case: 'json-text', key: '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f61', payload: '{"a": 1.50, "b": [true]}' },
      { case: 'empty-text', key: '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f62', payload: '' },
      { case: 'blank-text', key: '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f63', payload: '   ' },
      { case: 'null-text', key: '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f64', payload: null },
    ],
  },
};

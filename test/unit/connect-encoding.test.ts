import { describe, expect, it } from 'vitest';
import { SetupError } from '../../src/errors.js';
import { textEncoder, valueEncoder } from '../../src/outbox/connect-format/encoders.js';
import { expandPayload, inferredSchemaJson } from '../../src/outbox/connect-format/expand.js';
import { jacksonString, javaDouble } from '../../src/outbox/connect-format/jackson.js';
import { parseJsonTree } from '../../src/outbox/connect-format/json-tree.js';
import type { RelationColumn } from '../../src/replication/pgoutput/messages.js';
import { TupleView } from '../../src/replication/pgoutput/tuple.js';

// Expected texts are Debezium Server 3.0.0.Final's output (Kafka 3.8 JsonConverter, Jackson 2.17).

const column = (typeOid: number, name = 'c'): RelationColumn => ({ name, typeOid, isKey: false });
const TEXT = 25;
const JSONB = 3802;
const UUID = 2950;
const INT8 = 20;
const BOOL = 16;
const BYTEA = 17;
const NUMERIC = 1700;

const one = (text: string | null) => TupleView.of([text === null ? null : Buffer.from(text)]);
const utf8 = (buffer: Buffer | null) => buffer?.toString('utf8') ?? null;

describe("Jackson's JSON text", () => {
  it('escapes control characters in upper-case hex and characters outside the BMP as surrogate pairs', () => {
    expect(jacksonString('tab\tnl\nctl\u0001\u001f q" bs\\ sl/')).toBe(
      '"tab\\tnl\\nctl\\u0001\\u001F q\\" bs\\\\ sl/"',
    );
    expect(jacksonString('🎉')).toBe('"\\uD83C\\uDF89"');
    expect(jacksonString('Zoë 中文 \u2028 \u007f')).toBe('"Zoë 中文 \u2028 \u007f"');
  });

  it("writes doubles as Java's Double.toString", () => {
    const cases: [number, string][] = [
      [100, '100.0'],
      [1.1, '1.1'],
      [5, '5.0'],
      [-2.5, '-2.5'],
      [0, '0.0'],
      [0.001, '0.001'],
      [0.0001, '1.0E-4'],
      [1e-7, '1.0E-7'],
      [1234567, '1234567.0'],
      [9999999.5, '9999999.5'],
      [1e7, '1.0E7'],
      [12345678.9, '1.23456789E7'],
      [1e21, '1.0E21'],
      [-1.5e-10, '-1.5E-10'],
    ];
    expect(cases.map(([value]) => javaDouble(value))).toEqual(cases.map(([, text]) => text));
  });
});

describe('JSON documents as Jackson reads them', () => {
  it('tells the node class of each number from its literal', () => {
    const kinds = (text: string) => {
      const node = parseJsonTree(text);
      return node.kind === 'array'
        ? node.items.map((item) => (item.kind === 'number' ? item.numberKind : item.kind))
        : [];
    };
    expect(
      kinds('[2147483647, 2147483648, -2147483648, 9223372036854775807, 9223372036854775808, 1.0, 1e2, -0]'),
    ).toEqual(['int', 'long', 'int', 'long', 'big', 'double', 'double', 'int']);
  });

  it('rejects what is not JSON', () => {
    for (const text of ['{"a":}', '[1,]', '{"a":1} x', 'tru', '"open']) {
      expect(() => parseJsonTree(text), text).toThrow(SyntaxError);
    }
  });
});

describe("the outbox router's table.expand.json.payload", () => {
  const expand = (text: string) => expandPayload(text, 'payload');

  it('re-serializes objects compactly, dropping null fields and empty arrays', () => {
    expect(expand('{"a": {"b": [1, 2, 3], "c": null, "d": {"e": true}}, "f": []}')).toMatchObject({
      kind: 'expanded',
      valueJson: '{"a":{"b":[1,2,3],"d":{"e":true}}}',
    });
    expect(expand('{"price": 1.10, "qty": 5.00, "tiny": 0.0000001, "l": 9007199254740993}')).toMatchObject({
      valueJson: '{"price":1.1,"qty":5.0,"tiny":1.0E-7,"l":9007199254740993}',
    });
  });

  it("gives array elements one merged schema, writing null for another element's fields", () => {
    const expansion = expand('{"items": [{"id": 1}, {"id": 2, "q": 3}, null]}');
    expect(expansion).toMatchObject({
      kind: 'expanded',
      valueJson: '{"items":[{"id":1,"q":null},{"id":2,"q":3},null]}',
    });
    if (expansion.kind !== 'expanded') throw new Error('not expanded');
    expect(inferredSchemaJson(expansion.schema)).toBe(
      '{"type":"struct","fields":[{"type":"array","items":{"type":"struct","fields":[' +
        '{"type":"int32","optional":true,"field":"id"},{"type":"int32","optional":true,"field":"q"}],' +
        '"optional":true,"name":"payload.items"},"optional":true,"field":"items"}],"optional":true,"name":"payload"}',
    );
  });

  it('keeps the payload a string where Debezium cannot infer a schema', () => {
    for (const text of [
      '"hello"',
      '42',
      'true',
      'null',
      '{"m": [1, "a"]}',
      '{"n": [1, 1.5]}',
      '{"n": [null]}',
      '{"a": 1',
    ]) {
      expect(expand(text).kind, text).toBe('kept');
    }
    expect(expand('[]').kind).toBe('schemaless');
  });

  it('marks where Debezium stops and renders those documents in full', () => {
    expect(expand('[1, 2, 3]')).toMatchObject({ kind: 'debezium-stops', valueJson: '[1,2,3]' });
    expect(expand('{"n": 12345678901234567890}')).toMatchObject({
      kind: 'debezium-stops',
      valueJson: '{"n":12345678901234567890}',
    });
    // The first element's field type wins the merged schema; an int in a long field fails Connect's check.
    expect(expand('{"a": [{"v": 9999999999}, {"v": 1}]}')).toMatchObject({
      kind: 'debezium-stops',
      valueJson: '{"a":[{"v":9999999999},{"v":1}]}',
    });
  });
});

describe("keys and headers as Kafka Connect's converters write a column", () => {
  it("string: the column's text, Java's booleans, NULL as null", () => {
    const encode = textEncoder('string', column(BOOL), false, 'OUTBOX_HEADER_ENCODING');
    expect(encode(one('t'), 0)).toBe('true');
    expect(encode(one(null), 0)).toBeNull();
    expect(() => textEncoder('string', column(BYTEA, 'blob'), true, 'OUTBOX_KEY_ENCODING')).toThrow(
      /"blob" is bytea/,
    );
  });

  it('json: JSON values by the column type, NULL as null', () => {
    const json = (typeOid: number, text: string | null) =>
      textEncoder('json', column(typeOid), false, 'OUTBOX_KEY_ENCODING')(one(text), 0);
    expect(json(TEXT, 'o-🎉')).toBe('"o-\\uD83C\\uDF89"');
    expect(json(INT8, '-42')).toBe('-42');
    expect(json(BOOL, 'f')).toBe('false');
    expect(json(BYTEA, '\\x00ff10')).toBe('"AP8Q"');
    expect(json(UUID, null)).toBe('null');
  });

  it("json-envelope: Debezium's schema of the column, optional unless NOT NULL", () => {
    const envelope = (typeOid: number, notNull: boolean, text: string | null) =>
      textEncoder('json-envelope', column(typeOid), notNull, 'OUTBOX_HEADER_ENCODING')(one(text), 0);
    expect(envelope(UUID, true, '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f60')).toBe(
      '{"schema":{"type":"string","optional":false,"name":"io.debezium.data.Uuid","version":1},"payload":"0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f60"}',
    );
    expect(envelope(INT8, true, '1001')).toBe('{"schema":{"type":"int64","optional":false},"payload":1001}');
    expect(envelope(TEXT, false, null)).toBe('{"schema":{"type":"string","optional":true},"payload":null}');
  });

  it('names a column whose type the JSON encodings do not know', () => {
    expect(() => textEncoder('json', column(NUMERIC, 'amount'), true, 'OUTBOX_KEY_ENCODING')).toThrow(
      SetupError,
    );
    expect(() => textEncoder('json', column(NUMERIC, 'amount'), true, 'OUTBOX_KEY_ENCODING')).toThrow(
      /"amount" has a type \(oid 1700\) that OUTBOX_KEY_ENCODING cannot encode/,
    );
  });
});

describe('record values', () => {
  const value = (
    encoding: Parameters<typeof valueEncoder>[0]['encoding'],
    typeOid: number,
    text: string | null,
    tombstoneOnEmpty = false,
  ) =>
    valueEncoder(
      { encoding, column: column(typeOid, 'payload'), notNull: false, tombstoneOnEmpty },
      'payload',
    )(one(text), 0);

  it('json-text: the text as stored, bytea as raw bytes, NULL as a Kafka null', () => {
    expect(utf8(value('json-text', JSONB, '{"a": 1}'))).toBe('{"a": 1}');
    expect(value('json-text', BYTEA, '\\x00ff10')).toEqual(Buffer.from([0, 0xff, 0x10]));
    expect(value('json-text', TEXT, '')).toEqual(Buffer.alloc(0));
    expect(value('json-text', TEXT, null)).toBeNull();
  });

  it('json-string and json-envelope: JsonConverter on the column, NULL as null', () => {
    expect(utf8(value('json-string', JSONB, '{"party": "🎉"}'))).toBe(
      '"{\\"party\\": \\"\\uD83C\\uDF89\\"}"',
    );
    expect(utf8(value('json-string', JSONB, null))).toBe('null');
    expect(utf8(value('json-envelope', JSONB, null))).toBe(
      '{"schema":{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1},"payload":null}',
    );
    expect(utf8(value('json-string', BYTEA, '\\x00ff10'))).toBe('"AP8Q"');
  });

  it('route.tombstone.on.empty.payload: NULL and blank payloads become Kafka nulls', () => {
    expect(value('json-string', TEXT, null, true)).toBeNull();
    expect(value('json-string', TEXT, '  ', true)).toBeNull();
    expect(utf8(value('json-string', TEXT, 'x', true))).toBe('"x"');
  });

  it('json-expanded: the document, or the payload as a string where Debezium keeps it', () => {
    expect(utf8(value('json-expanded', JSONB, '{"a": 1.50}'))).toBe('{"a":1.5}');
    expect(utf8(value('json-expanded', JSONB, '"hello"'))).toBe('"\\"hello\\""');
    expect(utf8(value('json-expanded', JSONB, '[]'))).toBe('"[]"');
    expect(utf8(value('json-expanded-envelope', JSONB, '[]'))).toBe('{"schema":null,"payload":"[]"}');
    expect(utf8(value('json-expanded-envelope', JSONB, '{"a": true}'))).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"boolean","optional":true,"field":"a"}],"optional":true,"name":"payload"},"payload":{"a":true}}',
    );
    expect(utf8(value('json-expanded', BYTEA, '\\x00ff10'))).toBe('"AP8Q"');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { pgMicrosToUnixMs } from '../../src/replication/pg-time.js';
import { PgOutputDecoder } from '../../src/replication/pgoutput/decode.js';
import type { InsertMessage, RelationMessage } from '../../src/replication/pgoutput/messages.js';

/** A decoder per call: an Insert is the decoder's one message, overwritten by the next decode. */
const decodePgOutput = (bytes: Buffer) => new PgOutputDecoder().decode(bytes);

/** Messages recorded from a real PostgreSQL server by test/fixtures/record-pgoutput.ts. */
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/pgoutput.json', import.meta.url), 'utf8')) as {
  messages: Record<string, string>;
};
const bytes = (name: string) => Buffer.from(fixtures.messages[name] as string, 'hex');

describe('pgoutput decoding of recorded messages', () => {
  it('decodes Begin with its final LSN, commit time and xid', () => {
    const begin = decodePgOutput(bytes('begin'));
    expect(begin.tag).toBe('begin');
    if (begin.tag !== 'begin') return;
    expect(begin.xid).toBeGreaterThan(0);
    expect(begin.finalLsn).toBeGreaterThan(0n);
    const commitTime = pgMicrosToUnixMs(begin.commitTimeMicros);
    expect(commitTime).toBeGreaterThan(Date.UTC(2026, 0, 1));
    expect(commitTime).toBeLessThan(Date.now() + 60_000);
  });

  it('decodes Commit: its end LSN lies after its commit LSN and matches Begin', () => {
    const begin = decodePgOutput(bytes('begin'));
    const commit = decodePgOutput(bytes('commit'));
    expect(commit.tag).toBe('commit');
    if (commit.tag !== 'commit' || begin.tag !== 'begin') return;
    expect(commit.commitLsn).toBe(begin.finalLsn);
    expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
    expect(commit.commitTimeMicros).toBe(begin.commitTimeMicros);
  });

  it('decodes Relation with column names, types and the key flag', () => {
    const relation = decodePgOutput(bytes('relation')) as RelationMessage;
    expect(relation).toMatchObject({ tag: 'relation', schema: 'public', table: 'fixture_outbox' });
    expect(relation.columns.map((c) => c.name)).toEqual([
      'id',
      'aggregate_type',
      'aggregate_id',
      'event_type',
      'payload',
      'headers',
      'created_at',
    ]);
    expect(relation.columns[0]).toEqual({ name: 'id', typeOid: 2950, isKey: true });
    expect(relation.columns[4]).toEqual({ name: 'payload', typeOid: 3802, isKey: false });
  });

  it('decodes Insert values as the server printed them: jsonb text unparsed, nulls as null, UTF-8 intact', () => {
    const relation = decodePgOutput(bytes('relation')) as RelationMessage;
    const insert = decodePgOutput(bytes('insert')) as InsertMessage;
    expect(insert.relationOid).toBe(relation.relationOid);
    const { tuple } = insert;
    expect(Array.from({ length: tuple.count }, (_, column) => tuple.text(column))).toEqual([
      '7d7b1f7a-1c1e-4a7e-9f47-6a0c0e4c9b11',
      'order',
      'order-42',
      'OrderPlaced',
      '{"note": "naïve ✓", "total": 12.50}',
      null,
      '2026-11-23 08:30:34.123456+00',
    ]);
  });

  it('decodes a row in place, inside the XLogData chunk, and keeps copies valid when the next row overwrites it', () => {
    const decoder = new PgOutputDecoder();
    const insert = bytes('insert');
    const chunk = Buffer.concat([Buffer.alloc(25, 0xee), insert]);
    const first = decoder.decode(chunk, 25) as InsertMessage;
    const payload = first.tuple.copy(4);
    const values = first.tuple.values();
    expect(first.tuple.byteLength(4)).toBe(Buffer.byteLength('{"note": "naïve ✓", "total": 12.50}'));
    expect(first.tuple.isNull(5)).toBe(true);
    expect(first.tuple.byteLength(5)).toBe(0);
    chunk.fill(0x20, 25 + 1);
    const second = decoder.decode(Buffer.concat([Buffer.alloc(3), insert]), 3) as InsertMessage;
    expect(second).toBe(first);
    expect(payload?.toString()).toBe('{"note": "naïve ✓", "total": 12.50}');
    expect(values[2]?.toString()).toBe('order-42');
    expect(values[5]).toBeNull();
    expect(second.tuple.text(2)).toBe('order-42');
  });

  it('reports decoding errors at the byte of the message, not of the chunk', () => {
    const insert = bytes('insert');
    const chunk = Buffer.concat([Buffer.alloc(25), insert.subarray(0, 7)]);
    expect(() => new PgOutputDecoder().decode(chunk, 25)).toThrow(
      /message 'I' at byte 6: needs 2 more bytes, 1 left/,
    );
  });

  it('decodes logical messages with their prefix, and reads past update, delete and truncate', () => {
    expect(decodePgOutput(bytes('message'))).toMatchObject({
      tag: 'message',
      transactional: true,
      prefix: 'outbox-relay',
    });
    expect(decodePgOutput(bytes('update'))).toMatchObject({ tag: 'ignored', kind: 'update' });
    expect(decodePgOutput(bytes('delete'))).toMatchObject({ tag: 'ignored', kind: 'delete' });
    expect(decodePgOutput(bytes('truncate'))).toMatchObject({ tag: 'ignored', kind: 'truncate' });
  });

  it('rejects a truncated message or an unknown tag with a DecodeError naming the tag', () => {
    const insert = bytes('insert');
    expect(() => decodePgOutput(insert.subarray(0, insert.length - 3))).toThrow(DecodeError);
    expect(() => decodePgOutput(insert.subarray(0, insert.length - 3))).toThrow(/message 'I'/);
    expect(() => decodePgOutput(Buffer.from([0x53, 0, 0]))).toThrow(/unknown message tag/);
    expect(() => decodePgOutput(Buffer.alloc(0))).toThrow(DecodeError);
  });
});

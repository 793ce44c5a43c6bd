import { describe, expect, it } from 'vitest';
import {
  createOutbox,
  DEBEZIUM_LAYOUT,
  numbered,
  type OutboxEvent,
  parseQualifiedName,
  questionMarks,
  type Statement,
} from '../../src/client/index.js';

type Events = { OrderPlaced: { total: number }; OrderShipped: { carrier: string } };

/** An outbox whose "transaction" records the statements it is given. */
function recording(options?: Parameters<typeof createOutbox>[1]) {
  const ran: Statement[] = [];
  const outbox = createOutbox<Events, Statement[]>(async (into, statement) => {
    into.push(statement);
  }, options);
  return { outbox, ran };
}

const placed = {
  aggregateType: 'order',
  aggregateId: 'o-1',
  eventType: 'OrderPlaced',
  payload: { total: 5 },
} as const;
const shipped = {
  aggregateType: 'order',
  aggregateId: 'o-1',
  eventType: 'OrderShipped',
  payload: { carrier: 'x' },
} as const;

describe('the publish API (outbox-relay/client)', () => {
  it('inserts every event in one statement, in order, into the default table, ids generated', async () => {
    const { outbox, ran } = recording();
    await outbox.publish(ran, [
      placed,
      { ...shipped, id: '6f1c1d2e-0000-4000-8000-000000000001', headers: { k: 'v' } },
    ]);
    const [statement] = ran;
    if (!statement) throw new Error('no statement');
    expect(numbered(statement)).toBe(
      'INSERT INTO "public"."outbox" ("id", "aggregate_type", "aggregate_id", "event_type", "payload", "headers") VALUES ' +
        '($1::uuid, $2::text, $3::text, $4::text, $5::text::jsonb, $6::text::jsonb), ($7::uuid, $8::text, $9::text, $10::text, $11::text::jsonb, $12::text::jsonb)',
    );
    const values = statement.values;
    expect(values[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(values.slice(1, 6)).toEqual(['order', 'o-1', 'OrderPlaced', '{"total":5}', null]);
    expect(values.slice(6)).toEqual([
      '6f1c1d2e-0000-4000-8000-000000000001',
      'order',
      'o-1',
      'OrderShipped',
      '{"carrier":"x"}',
      '{"k":"v"}',
    ]);
    expect(questionMarks(statement)).toMatch(
      /^INSERT INTO .* VALUES \(\?::uuid, \?::text, \?::text, \?::text, \?::text::jsonb, \?::text::jsonb\), \(/,
    );
  });

  it("writes Debezium's table and custom, quoted, mixed-case names; refuses headers where there is no column", () => {
    const { outbox } = recording({ layout: DEBEZIUM_LAYOUT });
    expect(numbered(outbox.statement(placed))).toBe(
      'INSERT INTO "public"."outbox" ("id", "aggregatetype", "aggregateid", "type", "payload") VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text::jsonb)',
    );
    expect(() => outbox.statement({ ...placed, headers: { a: 'b' } })).toThrow(/has no headers column/);
    const custom = recording({
      layout: {
        table: '"App"."OutboxEvent"',
        idType: 'text',
        columns: {
          id: 'id',
          aggregateType: 'aggregateType',
          aggregateId: 'aggregateId',
          eventType: 'type',
          payload: 'data',
        },
      },
    });
    expect(numbered(custom.outbox.statement(placed))).toMatch(
      /^INSERT INTO "App"\."OutboxEvent" \("id", "aggregateType", "aggregateId", "type", "data"\) VALUES \(\$1::text,/,
    );
  });

  it('writes WAL messages in order, one versioned envelope each, with the prefix', () => {
    const { outbox } = recording({ via: 'message', messagePrefix: 'shop' });
    const statement = outbox.statement([placed, shipped]);
    expect(numbered(statement)).toBe(
      'SELECT pg_logical_emit_message(true, $1::text, envelope) FROM (VALUES ($2::text, 0), ($3::text, 1)) AS events(envelope, position) ORDER BY position',
    );
    expect(statement.values[0]).toBe('shop');
    const envelope = JSON.parse(String(statement.values[1]));
    expect(envelope).toMatchObject({
      v: 1,
      aggregateType: 'order',
      aggregateId: 'o-1',
      eventType: 'OrderPlaced',
      payload: { total: 5 },
    });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(envelope).not.toHaveProperty('headers');
    // One call may choose the other way than the outbox's options.
    expect(numbered(recording().outbox.statement(placed, { via: 'message' }))).toMatch(
      /^SELECT pg_logical_emit_message/,
    );
    expect(numbered(outbox.statement(placed, { via: 'table' }))).toMatch(/^INSERT INTO "public"\."outbox"/);
  });

  it('adds headers from the options (trace context), the event’s own winning', () => {
    const { outbox } = recording({ via: 'message', headers: () => ({ traceparent: 't', source: 'api' }) });
    const envelope = JSON.parse(
      String(outbox.statement({ ...placed, headers: { source: 'job' } }).values[1]),
    );
    expect(envelope.headers).toEqual({ traceparent: 't', source: 'job' });
  });

  it('refuses an event without its fields, and an empty list', () => {
    const { outbox } = recording();
    expect(() => outbox.statement([])).toThrow(/no events/);
    expect(() => outbox.statement({ ...placed, aggregateId: '' } as OutboxEvent as typeof placed)).toThrow(
      /aggregateId must be a non-empty string/,
    );
    expect(() => outbox.statement({ ...placed, payload: undefined } as unknown as typeof placed)).toThrow(
      /payload is undefined/,
    );
  });

  it('reads table names as PostgreSQL does: unquoted folds to lower case, quoted keeps its case', () => {
    expect(parseQualifiedName('outbox')).toEqual({ schema: 'public', name: 'outbox' });
    expect(parseQualifiedName('App.OutBox')).toEqual({ schema: 'app', name: 'outbox' });
    expect(parseQualifiedName('"App"."Out.Box"')).toEqual({ schema: 'App', name: 'Out.Box' });
    expect(parseQualifiedName('"a""b".t')).toEqual({ schema: 'a"b', name: 't' });
    for (const bad of ['', 'a.', 'a.b.c', '"open'])
      expect(() => parseQualifiedName(bad)).toThrow(/is not a table name/);
  });
});

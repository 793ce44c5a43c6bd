import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MetadataConnection } from '../../src/observability/metadata-connection.js';
import { createRelayMetrics } from '../../src/observability/metrics.js';
import { SlotPoller } from '../../src/observability/slot-poller.js';
import { FakeRelay } from '../support/fake-relay.js';
import { collectLogs } from '../support/log-lines.js';
import { parseMetrics, sampleValue, select } from '../support/prometheus.js';

type Row = Record<string, unknown>;

const SLOT = 'outbox_relay';

function slotRow(overrides: Row = {}): Row {
  return {
    slot_name: SLOT,
    plugin: 'pgoutput',
    database: 'app',
    active: true,
    active_pid: 77,
    confirmed_flush_lsn: '0/1000',
    current_wal_lsn: '0/5000',
    lag_bytes: '16384',
    wal_status: 'reserved',
    safe_wal_size: '1073741824',
    ...overrides,
  };
}

/** A pg.Client stand-in: answers the slot query from `rows`, or fails/hangs as told. */
class FakeClient extends EventEmitter {
  ended = false;
  constructor(private readonly answer: () => Promise<Row[]>) {
    super();
  }
  async query(): Promise<{ rows: Row[] }> {
    return { rows: await this.answer() };
  }
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.emit('end');
  }
}

/** A database whose behaviour the test switches: up with rows, refusing connections, or failing queries. */
class FakeDatabase {
  mode: 'up' | 'refusing' | 'failing' | 'hanging' = 'up';
  rows: Row[] = [slotRow()];
  readonly clients: FakeClient[] = [];

  readonly connect = async (): Promise<pg.Client> => {
    if (this.mode === 'refusing') throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const client = new FakeClient(async () => {
      if (this.mode === 'failing') throw new Error('terminating connection due to administrator command');
      if (this.mode === 'hanging') return new Promise<never>(() => undefined);
      return this.rows;
    });
    this.clients.push(client);
    return client as unknown as pg.Client;
  };
}

function setup(timeoutMs?: number) {
  const database = new FakeDatabase();
  const metrics = createRelayMetrics(new FakeRelay());
  const logs = collectLogs();
  const connection = new MetadataConnection(database.connect, timeoutMs);
  const poller = new SlotPoller(connection, SLOT, metrics.slot, logs.logger, 60_000);
  const read = async () => parseMetrics(await metrics.registry.metrics());
  const warnings = () => logs.entries().filter((entry) => entry.level === 40);
  return { database, poller, connection, logs, read, warnings };
}

describe('slot poller', () => {
  it('sets lag bytes, one-hot wal_status and safe_wal_size from pg_replication_slots', async () => {
    const { poller, read, connection } = setup();
    await poller.poll();
    const s = await read();
    expect(sampleValue(s, 'outbox_replication_lag_bytes', { slot: SLOT })).toBe(16_384);
    expect(sampleValue(s, 'outbox_slot_safe_wal_size_bytes', { slot: SLOT })).toBe(1_073_741_824);
    expect(select(s, 'outbox_slot_wal_status').map((x) => [x.labels.status, x.value])).toEqual([
      ['reserved', 1],
      ['extended', 0],
      ['unreserved', 0],
      ['lost', 0],
    ]);
    expect(sampleValue(s, 'outbox_slot_last_poll_timestamp_seconds', { slot: SLOT })).toBeCloseTo(
      Date.now() / 1000,
      -1,
    );
    await connection.close();
  });

  it('follows the slot as it changes; safe_wal_size is +Inf when unlimited, 0 when lost', async () => {
    const { database, poller, read, connection } = setup();
    await poller.poll();
    database.rows = [slotRow({ lag_bytes: '0', wal_status: 'unreserved', safe_wal_size: null })];
    await poller.poll();
    const s = await read();
    expect(sampleValue(s, 'outbox_replication_lag_bytes', { slot: SLOT })).toBe(0);
    expect(sampleValue(s, 'outbox_slot_safe_wal_size_bytes', { slot: SLOT })).toBe(Number.POSITIVE_INFINITY);
    expect(sampleValue(s, 'outbox_slot_wal_status', { status: 'unreserved' })).toBe(1);
    expect(sampleValue(s, 'outbox_slot_wal_status', { status: 'reserved' })).toBe(0);

    // A lost slot also has a NULL safe_wal_size: nothing is safe any more.
    database.rows = [slotRow({ wal_status: 'lost', safe_wal_size: null })];
    await poller.poll();
    const lost = await read();
    expect(sampleValue(lost, 'outbox_slot_safe_wal_size_bytes', { slot: SLOT })).toBe(0);
    expect(sampleValue(lost, 'outbox_slot_wal_status', { status: 'lost' })).toBe(1);
    await connection.close();
  });

  it('survives PostgreSQL refusing connections, warns once per outage, and recovers by itself', async () => {
    const { database, poller, read, warnings, logs, connection } = setup();
    database.mode = 'refusing';
    await poller.poll();
    await poller.poll();
    await poller.poll();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(/cannot read slot metrics: connect ECONNREFUSED/);
    expect(select(await read(), 'outbox_replication_lag_bytes')).toEqual([]);

    database.mode = 'up';
    await poller.poll();
    expect(sampleValue(await read(), 'outbox_replication_lag_bytes', { slot: SLOT })).toBe(16_384);
    expect(logs.entries().at(-1)).toMatchObject({ level: 30, msg: 'slot metrics readable again' });
    await connection.close();
  });

  it('reconnects after a failed query, and after the server closes the connection', async () => {
    const { database, poller, read, connection } = setup();
    await poller.poll();
    expect(database.clients).toHaveLength(1);

    database.mode = 'failing';
    await poller.poll();
    expect(database.clients[0]?.ended).toBe(true);
    database.mode = 'up';
    database.rows = [slotRow({ lag_bytes: '10' })];
    await poller.poll();
    expect(database.clients).toHaveLength(2);
    expect(sampleValue(await read(), 'outbox_replication_lag_bytes', { slot: SLOT })).toBe(10);

    // PostgreSQL restarted: the idle connection ends under us.
    await database.clients[1]?.end();
    database.rows = [slotRow({ lag_bytes: '20' })];
    await poller.poll();
    expect(database.clients).toHaveLength(3);
    expect(sampleValue(await read(), 'outbox_replication_lag_bytes', { slot: SLOT })).toBe(20);
    await connection.close();
    expect(database.clients[2]?.ended).toBe(true);
  });

  it('abandons a connection whose query never answers', async () => {
    const { database, poller, warnings, connection } = setup(50);
    database.mode = 'hanging';
    await poller.poll();
    expect(database.clients[0]?.ended).toBe(true);
    expect(warnings()[0]?.msg).toMatch(/did not answer within 50 ms/);
    await connection.close();
  });

  it('reports a missing slot once and drops its lag, keeping wal_status all zero', async () => {
    const { database, poller, read, warnings, connection } = setup();
    await poller.poll();
    database.rows = [];
    await poller.poll();
    await poller.poll();
    expect(warnings().map((entry) => entry.msg)).toEqual([`replication slot "${SLOT}" does not exist`]);
    const s = await read();
    expect(select(s, 'outbox_replication_lag_bytes')).toEqual([]);
    expect(select(s, 'outbox_slot_wal_status').every((sample) => sample.value === 0)).toBe(true);
    await connection.close();
  });

  it('never runs two readings at once', async () => {
    let release: () => void = () => undefined;
    let queries = 0;
    const slow = new FakeClient(async () => {
      queries++;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return [slotRow()];
    });
    const connection = new MetadataConnection(async () => slow as unknown as pg.Client);
    const metrics = createRelayMetrics(new FakeRelay());
    const poller = new SlotPoller(connection, SLOT, metrics.slot, collectLogs().logger, 60_000);
    const first = poller.poll();
    expect(poller.poll()).toBe(first);
    await expect.poll(() => queries).toBe(1);
    release();
    await first;
    expect(queries).toBe(1);
    await poller.stop();
    await connection.close();
  });
});

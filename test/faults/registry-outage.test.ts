import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/replication/lsn.js';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { consumeAll } from '../support/kafka.js';
import { OutboxWriter } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startSchemaRegistry } from '../support/schema-registry.js';
import { stackCommand } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const OUTAGE_MS = 15_000;

/** The continuous writer's events: event type Happened, payload {"n": <int>}. */
const HAPPENED = {
  type: 'record',
  name: 'Happened',
  namespace: 'test.faults',
  fields: [{ name: 'n', type: 'int' }],
};

describe('fault: schema registry stopped while a new subject appears', () => {
  let fixture: OutboxFixture;
  let schemasDir = '';
  let registryUrl = '';
  let writer: OutboxWriter;

  beforeAll(async () => {
    registryUrl = await startSchemaRegistry();
    schemasDir = await mkdtemp(join(tmpdir(), 'outbox-registry-outage-'));
    await writeFile(join(schemasDir, 'Happened.avsc'), JSON.stringify(HAPPENED));
    fixture = await createOutboxFixture('registryoutage');
    writer = await OutboxWriter.connect(fixture.databaseUrl);
  }, 180_000);

  afterAll(async () => {
    await stackCommand('registry-up');
    await writer?.close();
    await fixture?.dispose();
    await rm(schemasDir, { recursive: true, force: true });
  });

  it('holds events behind the one it cannot encode, confirms nothing past it, and catches up', async () => {
    const relay = await fixture.startRelay({
      OUTBOX_VALUE_ENCODING: 'avro',
      OUTBOX_SCHEMA_REGISTRY_URL: registryUrl,
      OUTBOX_AVRO_SCHEMAS_DIR: schemasDir,
      OUTBOX_AVRO_REGISTER: 'true',
      OUTBOX_RETRY_MAX_MS: '2000',
      OUTBOX_DLQ_TOPIC: fixture.topic('dlq'),
    });
    const run = new FaultRun(fixture);
    await waitFor(() => run.writer.written.length > 1_000, {
      timeoutMs: 30_000,
      message: 'writer warmed up',
    });

    await stackCommand('registry-down');
    // A topic the relay has not seen: its subject's id is not cached, so the registry must be asked.
    const [newcomer] = await writer.events([
      { aggregateType: 'newcomer', aggregateId: 'n-1', eventType: 'Happened', payload: { n: -1 } },
    ]);
    const { rows } = await writer.sql.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const afterNewcomer = parseLsn(rows[0]?.lsn ?? '');
    await waitFor(() => relay.state === 'registry-unavailable', {
      timeoutMs: 10_000,
      message: 'registry-unavailable',
    });
    // What was acknowledged before the newcomer is confirmed within a status interval or two.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const settled = await fixture.confirmedFlushLsn();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - 5_000));
    const confirmed = await fixture.confirmedFlushLsn();
    expect(confirmed, 'confirmed nothing while the registry was down').toBe(settled);
    expect(confirmed ?? 0n, 'confirmed nothing past the newcomer').toBeLessThanOrEqual(afterNewcomer);

    await stackCommand('registry-up');
    await waitFor(() => relay.state === 'streaming', { timeoutMs: 30_000, message: 'streaming again' });
    const { report } = await run.finish();
    const late = await consumeAll(fixture.kafkaBrokers, [fixture.topic('newcomer')], {
      until: (received) => received.some((record) => record.headers.id === newcomer),
      timeoutMs: 30_000,
    });
    expect(late.map((record) => record.headers.id)).toEqual([newcomer]);
    recordFault(`schema registry stopped ${OUTAGE_MS / 1000} s`, report);
    expect(expectNoLoss(report)).toEqual([]);
    await relay.stop();
  });
});

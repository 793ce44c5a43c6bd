import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { type ConsumedRecord, consumeAll, uniqueTopicPrefix } from '../support/kafka.js';
import { containerScript, envArgs, type PodmanHere, podmanHere } from '../support/podman.js';
import { serviceUrls, startKafka, stopKafka } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

describe.skipIf(!podmanHere)('the container image, built and run with podman', () => {
  const { image, podman, relayCommand } = podmanHere as PodmanHere;
  const container = `outbox-relay-test-${process.pid}`;
  let database: TestDatabase;
  let relayEnv: Record<string, string>;
  let topic: string;
  let metricsPort: number;

  beforeAll(async () => {
    await containerScript(['image']);
    database = await createTestDatabase('container');
    const prefix = uniqueTopicPrefix();
    topic = `${prefix}.order`;
    metricsPort = await freePort();
    relayEnv = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: serviceUrls().kafkaBrokers,
      OUTBOX_SLOT: `slot_${database.name}`,
      OUTBOX_TOPIC_TEMPLATE: `${prefix}.{aggregate_type}`,
      OUTBOX_METRICS_PORT: String(metricsPort),
      OUTBOX_DRAIN_TIMEOUT_MS: '10000',
    };
  }, 1_800_000);

  afterAll(async () => {
    await startKafka();
    await podman('rm', '-f', container).catch(() => undefined);
    await database?.drop();
  });

  const httpStatus = (path: string) =>
    fetch(`http://127.0.0.1:${metricsPort}${path}`).then(
      (response) => response.status,
      () => 0,
    );

  it('is at most 350 MB', async () => {
    const bytes = Number(await podman('image', 'inspect', image, '--format', '{{.Size}}'));
    console.log(`image ${image}: ${(bytes / 1e6).toFixed(0)} MB`);
    expect(bytes).toBeLessThanOrEqual(350e6);
  });

  it('runs init, then streams as a non-root user on a read-only root; healthy, not ready without Kafka, drains on podman stop', {
    timeout: 240_000,
  }, async () => {
    const init = await relayCommand(relayEnv, 'init', '--create-table');
    expect(init).toContain('created  replication slot');

    const startedAt = Date.now();
    await podman(
      'run',
      '-d',
      '--name',
      container,
      '--network',
      'host',
      '--read-only',
      ...envArgs(relayEnv),
      image,
    );
    await waitFor(async () => (await httpStatus('/readyz')) === 200, {
      timeoutMs: 30_000,
      message: 'the relay streams',
    });
    console.log(`streaming ${((Date.now() - startedAt) / 1000).toFixed(1)} s after podman run`);

    expect(await podman('exec', container, 'id', '-u')).toBe('1000');
    expect(await podman('inspect', container, '--format', '{{.HostConfig.ReadonlyRootfs}}')).toBe('true');
    await expect(podman('exec', container, 'touch', '/app/written')).rejects.toThrow(/Read-only file system/);
    // The image's HEALTHCHECK command, run now.
    await podman('healthcheck', 'run', container);

    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    try {
      await sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
        SELECT 'order', 'o-' || (n % 7), 'Placed', jsonb_build_object('n', n) FROM generate_series(1, 100) n`);
      const records = await consumeAll(serviceUrls().kafkaBrokers, [topic], {
        until: (read) => read.length >= 100,
        timeoutMs: 30_000,
      });
      expect(records).toHaveLength(100);

      await stopKafka();
      // Events make the sink send, and so find the broker gone.
      await sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
        SELECT 'order', 'o-' || (n % 7), 'Delayed', jsonb_build_object('n', n) FROM generate_series(1, 20) n`);
      await waitFor(async () => (await httpStatus('/readyz')) === 503, {
        timeoutMs: 60_000,
        message: '/readyz turns 503 while Kafka is down',
      });
      await podman('healthcheck', 'run', container); // alive all the same: nothing to restart
      await startKafka();
      await waitFor(async () => (await httpStatus('/readyz')) === 200, {
        timeoutMs: 60_000,
        message: '/readyz turns 200 again',
      });

      await sql.query('BEGIN');
      await sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
        SELECT 'order', 'o-' || (n % 7), 'Shipped', jsonb_build_object('n', n) FROM generate_series(1, 50) n`);
      // Past this transaction's rows: only its commit, once Kafka has them, lets the slot pass it.
      const { rows } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await sql.query('COMMIT');
      // SIGTERM: the relay drains, confirms and exits 0 within podman's timeout.
      await podman('stop', '--time', '30', container);
      expect(await podman('inspect', container, '--format', '{{.State.ExitCode}}')).toBe('0');
      const logs = await podman('logs', container);
      expect(logs).toContain('"msg":"stopped"');
      const confirmed = await sql.query<{ behind: boolean }>(
        'SELECT confirmed_flush_lsn < $1::pg_lsn AS behind FROM pg_replication_slots WHERE slot_name = $2',
        [rows[0]?.lsn, `slot_${database.name}`],
      );
      expect(confirmed.rows[0]?.behind).toBe(false);
      const types = (records: readonly ConsumedRecord[]) =>
        new Set(records.map((record) => `${record.headers.event_type}:${record.headers.id}`));
      const all = await consumeAll(serviceUrls().kafkaBrokers, [topic], {
        until: (read) => types(read).size >= 170,
        timeoutMs: 30_000,
      });
      const count = (type: string) => [...types(all)].filter((entry) => entry.startsWith(`${type}:`)).length;
      expect([count('Placed'), count('Delayed'), count('Shipped')]).toEqual([100, 20, 50]);
    } finally {
      await sql.end();
    }
  });
});

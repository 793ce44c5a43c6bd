import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { uniqueTopicPrefix } from '../support/kafka.js';
import { containerScript, type PodmanHere, podmanHere } from '../support/podman.js';
import { serviceUrls } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

/** docker/compose.yaml's ports, which the services keep on the host's network. */
const PROMETHEUS = 'http://127.0.0.1:9090';
const RELAY = 'http://127.0.0.1:9464';

const prometheusApi = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${PROMETHEUS}/api/v1/${path}`);
  const body = (await response.json()) as { status: string; data: T };
  expect(body.status).toBe('success');
  return body.data;
};

describe.skipIf(!podmanHere)('docker/compose.yaml: the relay and Prometheus, with podman-compose', () => {
  const { podman, prometheusImage, relayCommand } = podmanHere as PodmanHere;
  const project = `outbox-relay-test-${process.pid}`;
  const files = ['-p', project, '-f', 'docker/compose.yaml', '-f', 'test/container/compose.local.yaml'];
  let database: TestDatabase;
  let composeEnv: Record<string, string>;

  beforeAll(async () => {
    await containerScript(['image']);
    await containerScript(['prometheus']);
    database = await createTestDatabase('compose');
    composeEnv = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: serviceUrls().kafkaBrokers,
      OUTBOX_SLOT: `slot_${database.name}`,
      OUTBOX_TOPIC_TEMPLATE: `${uniqueTopicPrefix()}.{aggregate_type}`,
    };
  }, 1_800_000);

  afterAll(async () => {
    await containerScript(['compose', ...files, 'down'], composeEnv).catch(() => undefined);
    await database?.drop();
  });

  it('loads the alert rules (promtool check rules)', async () => {
    const rules = readFileSync('docker/alerts.yml', 'utf8');
    const checked = await podman(
      'run',
      '--rm',
      '--entrypoint',
      'promtool',
      '-v',
      `${process.cwd()}/docker/alerts.yml:/rules.yml:ro`,
      prometheusImage,
      'check',
      'rules',
      '/rules.yml',
    );
    const alerts = rules.match(/^\s+- alert: /gm)?.length ?? 0;
    expect(alerts).toBeGreaterThan(5);
    expect(checked).toContain(`SUCCESS: ${alerts} rules found`);
  });

  it('runs init, then the relay and Prometheus, which scrapes it and evaluates the rules', {
    timeout: 180_000,
  }, async () => {
    const init = await relayCommand(composeEnv, 'init', '--create-table');
    expect(init).toContain('created  replication slot');
    await containerScript(['compose', ...files, 'up', '-d', '--no-deps', 'relay', 'prometheus'], composeEnv);
    await waitFor(async () => (await fetch(`${RELAY}/readyz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      message: 'the compose relay streams',
    });
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    try {
      await sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
        SELECT 'order', 'o-' || (n % 5), 'Placed', '{}' FROM generate_series(1, 40) n`);
    } finally {
      await sql.end();
    }
    type Targets = { activeTargets: { labels: { job: string }; health: string; scrapeUrl: string }[] };
    await waitFor(
      async () => {
        const { activeTargets } = await prometheusApi<Targets>('targets').catch(() => ({
          activeTargets: [],
        }));
        return activeTargets.some((target) => target.labels.job === 'outbox-relay' && target.health === 'up');
      },
      { timeoutMs: 60_000, message: 'Prometheus scrapes relay:9464' },
    );
    type Vector = { result: { value: [number, string] }[] };
    await waitFor(
      async () => {
        const { result } = await prometheusApi<Vector>(
          `query?query=${encodeURIComponent('sum(outbox_events_published_total)')}`,
        );
        return Number(result[0]?.value[1] ?? 0) >= 40;
      },
      { timeoutMs: 60_000, message: "Prometheus has the relay's published-events counter at 40" },
    );
    type Rules = { groups: { rules: { name: string; health: string }[] }[] };
    const { groups } = await prometheusApi<Rules>('rules');
    const loaded = groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name)).toContain('OutboxLagSecondsHigh');
    expect(loaded.filter((rule) => rule.health !== 'ok' && rule.health !== 'unknown')).toEqual([]);
  });
});

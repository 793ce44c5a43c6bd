import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/options.js';
import { createRelayMetrics } from '../../src/observability/metrics.js';
import { FakeRelay } from '../support/fake-relay.js';
import { parseYamlSubset, type YamlValue } from '../support/yaml-subset.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKER = resolve(ROOT, 'docker');
const read = (path: string) => readFileSync(resolve(DOCKER, path), 'utf8');

type Map = Record<string, YamlValue>;
const asMap = (value: YamlValue | undefined): Map => {
  expect(value, 'a mapping').toBeTypeOf('object');
  expect(Array.isArray(value)).toBe(false);
  return value as Map;
};
const asList = (value: YamlValue | undefined): YamlValue[] => {
  expect(Array.isArray(value), 'a list').toBe(true);
  return value as YamlValue[];
};

const compose = asMap(parseYamlSubset(read('compose.yaml')));
const services = asMap(compose.services);
const OPTION_ENVS = new Set(OPTIONS.map((option) => option.env));
const DEFAULT_METRICS_PORT = OPTIONS.find((option) => option.key === 'metricsPort')?.fallback;

/** Every metric name the relay exports, histograms with their _bucket, _sum and _count series. */
function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of createRelayMetrics(new FakeRelay()).registry.getMetricsAsArray()) {
    names.add(metric.name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

/** The outbox_* metric names a PromQL expression refers to. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\boutbox_[a-z_]+\b/g)].map((match) => match[0]);
}

describe('docker/compose.yaml', () => {
  it('has PostgreSQL with logical WAL, Kafka, init, the relay, Prometheus and (profile avro) a schema registry', () => {
    expect(Object.keys(services).sort()).toEqual([
      'init',
      'kafka',
      'postgres',
      'prometheus',
      'relay',
      'schema-registry',
    ]);
    expect(asMap(services['schema-registry']).profiles).toEqual(['avro']);
    const postgres = asMap(services.postgres);
    expect(postgres.image).toMatch(/^postgres:16/);
    const command = asList(postgres.command);
    expect(command[0]).toBe('postgres');
    for (const setting of [
      'wal_level=logical',
      'max_replication_slots=',
      'max_wal_senders=',
      'max_slot_wal_keep_size=',
    ]) {
      expect(
        command.some((arg) => String(arg).startsWith(setting)),
        setting,
      ).toBe(true);
    }
    expect(asMap(services.kafka).image).toMatch(/^apache\/kafka:/);
    expect(asMap(asMap(services.kafka).environment).KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('mounts files that exist, the outbox table SQL from ../sql among them', () => {
    const mounts = Object.values(services).flatMap((service) =>
      asMap(service).volumes === undefined ? [] : asList(asMap(service).volumes).map(String),
    );
    expect(mounts).toContain('../sql/outbox.sql:/docker-entrypoint-initdb.d/10-outbox.sql:ro');
    for (const mount of mounts.filter((entry) => entry.startsWith('.'))) {
      const source = mount.split(':')[0] ?? '';
      expect(existsSync(resolve(DOCKER, source)), source).toBe(true);
    }
  });

  it('configures init and the relay only with environment variables the relay knows', () => {
    for (const name of ['init', 'relay']) {
      const environment = asMap(asMap(services[name]).environment);
      expect(Object.keys(environment)).toEqual(expect.arrayContaining(['DATABASE_URL', 'KAFKA_BROKERS']));
      const unknown = Object.keys(environment).filter((key) => !OPTION_ENVS.has(key));
      expect(unknown, `${name}: not in src/config/options.ts`).toEqual([]);
    }
  });

  it('runs init once, before the relay, which connects as its own least-privilege role', () => {
    const init = asMap(services.init);
    expect(init.command).toEqual(['init', '--create-table']);
    expect(asMap(asMap(init.depends_on).postgres).condition).toBe('service_healthy');
    const relay = asMap(services.relay);
    expect(asMap(asMap(relay.depends_on).init).condition).toBe('service_completed_successfully');
    expect(asMap(asMap(relay.depends_on).kafka).condition).toBe('service_healthy');
    const relayUrl = new URL(String(asMap(relay.environment).DATABASE_URL));
    expect(relayUrl.username).toBe('outbox_relay');
    expect(read('postgres/20-relay-role.sql')).toMatch(/CREATE ROLE outbox_relay LOGIN REPLICATION/);
    expect(read('postgres/20-relay-role.sql')).toMatch(/GRANT SELECT ON public\.outbox TO outbox_relay/);
  });

  it('publishes the metrics port that the relay listens on and Prometheus scrapes', () => {
    const relay = asMap(services.relay);
    const port = Number(asMap(relay.environment).OUTBOX_METRICS_PORT);
    expect(port).toBe(DEFAULT_METRICS_PORT);
    expect(asList(relay.ports)).toContain(`${port}:${port}`);
    const prometheus = asMap(parseYamlSubset(read('prometheus.yml')));
    const job = asMap(asList(prometheus.scrape_configs)[0]);
    expect(asMap(asList(job.static_configs)[0]).targets).toEqual([`relay:${port}`]);
    // The drain must finish before compose's SIGKILL.
    const drainMs = Number(asMap(relay.environment).OUTBOX_DRAIN_TIMEOUT_MS);
    expect(Number.parseInt(String(relay.stop_grace_period), 10) * 1000).toBeGreaterThan(drainMs);
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => /^[A-Z]+ /.test(line));
  const all = (keyword: string) => instructions.filter((line) => line.startsWith(`${keyword} `));

  it('builds in one stage and runs production dependencies as a non-root user in another', () => {
    // Both stages on one base: the public Node.js 22 image by default, or an equivalent built without a registry.
    expect(all('ARG')).toContain('ARG BASE_IMAGE=node:22-bookworm-slim');
    expect(all('FROM')).toEqual([
      expect.stringMatching(/^FROM \$\{BASE_IMAGE\} AS build$/),
      expect.stringMatching(/^FROM \$\{BASE_IMAGE\} AS runtime$/),
    ]);
    const run = all('RUN');
    // Install scripts must run (the native Kafka client); package.json's allowScripts limits them.
    expect(run.some((line) => line.includes('npm ci') && !line.includes('--ignore-scripts'))).toBe(true);
    expect(
      run.some(
        (line) => line.includes('tsc -p tsconfig.build.json') && line.includes('npm prune --omit=dev'),
      ),
    ).toBe(true);
    expect(all('USER')).toEqual(['USER node']);
    expect(all('COPY')).toContain('COPY --from=build /app/dist ./dist');
    expect(all('COPY')).toContain('COPY --from=build /app/node_modules ./node_modules');
    const packageJson = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
      engines: { node: string };
    };
    // The image's Node.js 22 satisfies the package's engines, as 20.19 and later do.
    expect(packageJson.engines.node).toBe('>=20.19');
    expect(
      Object.entries(packageJson.allowScripts)
        .filter(([, allowed]) => allowed)
        .map(([name]) => name),
    ).toEqual(['@confluentinc/kafka-javascript']);
  });

  it('exposes the metrics port, on every interface of the container, checks /healthz with node, and runs the CLI', () => {
    expect(all('EXPOSE')).toEqual([`EXPOSE ${DEFAULT_METRICS_PORT}`]);
    // The relay's default is loopback, which a published port cannot reach inside a container.
    expect(OPTIONS.find((option) => option.key === 'metricsHost')?.fallback).toBe('127.0.0.1');
    expect(all('ENV').join(' ')).toContain('OUTBOX_METRICS_HOST=0.0.0.0');
    const healthcheck = all('HEALTHCHECK')[0] ?? '';
    expect(healthcheck).toContain('CMD ["node", "-e"');
    expect(healthcheck).toContain('/healthz');
    const entrypoint = JSON.parse((all('ENTRYPOINT')[0] ?? '').slice('ENTRYPOINT '.length)) as string[];
    expect(entrypoint).toEqual(['node', 'dist/cli/main.js']);
    const packageJson = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(packageJson.bin['outbox-relay']).toBe(entrypoint[1]);
    expect(existsSync(resolve(ROOT, 'src/cli/main.ts'))).toBe(true);
    expect(all('CMD')).toEqual(['CMD ["run"]']);
  });
});

describe('Prometheus alerts and the Grafana dashboard', () => {
  const exported = exportedMetricNames();

  it('alert only on metrics the relay exports', () => {
    const alerts = asMap(parseYamlSubset(read('alerts.yml')));
    const rules = asList(asMap(asList(alerts.groups)[0]).rules).map(asMap);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      const unknown = metricsIn(String(rule.expr)).filter((name) => !exported.has(name));
      expect(unknown, String(rule.alert)).toEqual([]);
    }
    const watched = new Set(rules.flatMap((rule) => metricsIn(String(rule.expr))));
    for (const name of [
      'outbox_relay_state',
      'outbox_replication_lag_bytes',
      'outbox_slot_wal_status',
      'outbox_dlq_total',
    ]) {
      expect(watched.has(name), name).toBe(true);
    }
  });

  it('charts throughput, lag, latency percentiles, in-flight, errors and dead letters from exported metrics', () => {
    const dashboard = JSON.parse(read('grafana/outbox-relay-dashboard.json')) as {
      title: string;
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.title).toBe('outbox-relay');
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    for (const expr of exprs) {
      const unknown = metricsIn(expr).filter((name) => !exported.has(name));
      expect(unknown, expr).toEqual([]);
    }
    const byTitle = (title: string) => dashboard.panels.find((panel) => panel.title === title);
    const latency = byTitle('End-to-end latency')?.targets.map((target) => target.expr) ?? [];
    for (const quantile of ['0.5', '0.95', '0.99']) {
      expect(
        latency.some((expr) => expr.startsWith(`histogram_quantile(${quantile}, `)),
        quantile,
      ).toBe(true);
    }
    const charted = new Set(exprs.flatMap(metricsIn));
    for (const name of [
      'outbox_events_published_total',
      'outbox_replication_lag_bytes',
      'outbox_end_to_end_latency_seconds_bucket',
      'outbox_inflight_events',
      'outbox_publish_errors_total',
      'outbox_dlq_total',
    ]) {
      expect(charted.has(name), name).toBe(true);
    }
  });
});

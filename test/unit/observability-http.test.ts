import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { scrubSecrets } from '../../src/config/redact.js';
import { SetupError } from '../../src/errors.js';
import { type HttpServer, startHttpServer } from '../../src/observability/http-server.js';
import { createRelayMetrics } from '../../src/observability/metrics.js';
import { startObservability } from '../../src/observability/observability.js';
import { RELAY_STATES } from '../../src/observability/relay-view.js';
import { observabilityRoutes } from '../../src/observability/routes.js';
import { parseLsn } from '../../src/replication/lsn.js';
import type { StatusReport } from '../../src/replication/slot-status.js';
import { FakeRelay } from '../support/fake-relay.js';
import { collectLogs } from '../support/log-lines.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';

const REPORT: StatusReport = {
  slot: 'outbox_relay',
  plugin: 'pgoutput',
  database: 'app',
  active: true,
  activePid: 4242,
  confirmedFlushLsn: '0/16B3748',
  currentWalLsn: '0/16B3800',
  lagBytes: 184,
  walStatus: 'reserved',
  safeWalSizeBytes: null,
  invalidationReason: null,
  streamingApplication: 'outbox-relay',
  failover: [{ level: 'ok', message: 'slot "outbox_relay" is a failover slot' }],
};

const LOOPBACK = { port: 0, host: '127.0.0.1' };
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(relay: FakeRelay, slotStatus: () => Promise<StatusReport> = async () => REPORT) {
  const { registry } = createRelayMetrics(relay);
  const server = await startHttpServer(
    LOOPBACK,
    observabilityRoutes({ relay, registry, slotStatus }),
    collectLogs().logger,
    scrubSecrets,
  );
  closers.push(() => server.close());
  return server;
}

describe('observability HTTP server', () => {
  it('answers /healthz in every state and /readyz only while streaming', async () => {
    const relay = new FakeRelay();
    const server = await serve(relay);
    for (const state of RELAY_STATES) {
      relay.state = state;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${server.url}/readyz`);
      expect([state, ready.status]).toEqual([state, state === 'streaming' ? 200 : 503]);
      expect(await ready.text()).toContain(state === 'streaming' ? 'ready' : `not ready: ${state}`);
    }
  });

  it('serves the relay registry as Prometheus text', async () => {
    const relay = new FakeRelay();
    relay.inflightEvents = 7;
    const server = await serve(relay);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await response.text());
    expect(sampleValue(samples, 'outbox_inflight_events')).toBe(7);
  });

  it("serves /status as the status command's JSON plus the relay's own view", async () => {
    const relay = new FakeRelay();
    relay.state = 'streaming';
    relay.inflightEvents = 3;
    relay.inflightBytes = 900;
    relay.confirmed = parseLsn('0/16B3748');
    const server = await serve(relay);
    const response = await fetch(`${server.url}/status`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      ...REPORT,
      relay: {
        state: 'streaming',
        ready: true,
        inflightEvents: 3,
        inflightBytes: 900,
        confirmedLsn: '0/16B3748',
        oldestPendingAgeSeconds: 0,
        lastConfirmedCommitAt: null,
      },
    });
  });

  it("answers /status with 503 and the relay's view when PostgreSQL cannot be read, without the password", async () => {
    const relay = new FakeRelay();
    const server = await serve(relay, async () => {
      throw new Error('connect ECONNREFUSED for postgres://relay:s3cret-pw@db:5432/app');
    });
    const response = await fetch(`${server.url}/status`);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).not.toContain('s3cret-pw');
    expect(JSON.parse(body)).toMatchObject({
      error: expect.stringContaining('ECONNREFUSED'),
      relay: { state: 'starting', ready: false },
    });
  });

  it('answers 404 for other paths, 405 for other methods, and HEAD without a body', async () => {
    const server = await serve(new FakeRelay());
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const post = await fetch(`${server.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('closes promptly although a scraper keeps its connection alive', async () => {
    const server: HttpServer = await serve(new FakeRelay());
    await (await fetch(`${server.url}/metrics`, { headers: { connection: 'keep-alive' } })).text();
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('names OUTBOX_METRICS_PORT when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const starting = startHttpServer(
      { port, host: '127.0.0.1' },
      new Map(),
      collectLogs().logger,
      scrubSecrets,
    );
    await expect(starting).rejects.toBeInstanceOf(SetupError);
    await expect(starting).rejects.toThrow(/OUTBOX_METRICS_PORT/);
  });
});

describe('startObservability', () => {
  const config = loadConfig({
    env: {
      // Nothing listens on port 1: the slot poller and /status must fail without harm.
      DATABASE_URL: 'postgres://relay:s3cret-pw@127.0.0.1:1/app',
      KAFKA_BROKERS: '127.0.0.1:9',
      OUTBOX_METRICS_PORT: '0',
    },
  });

  it('keeps serving while PostgreSQL is unreachable, and says so in the logs', async () => {
    const relay = new FakeRelay();
    const logs = collectLogs();
    const observability = await startObservability(relay, config, logs.logger, {
      listen: LOOPBACK,
      slotPollMs: 20,
    });
    closers.push(() => observability.close());
    await expect
      .poll(() =>
        logs.entries().find((entry) => entry.msg?.toString().startsWith('cannot read slot metrics')),
      )
      .toMatchObject({ level: 40, component: 'slot-metrics', slot: 'outbox_relay' });
    const metrics = await fetch(`${observability.url}/metrics`);
    expect(metrics.status).toBe(200);
    // Never read, so absent: not a reassuring 0.
    expect(sampleValue(parseMetrics(await metrics.text()), 'outbox_replication_lag_bytes')).toBeUndefined();
    expect((await fetch(`${observability.url}/status`)).status).toBe(503);
    expect(logs.raw.join('')).not.toContain('s3cret-pw');
  });

  it('logs one info line per state change, and runs no server when OUTBOX_METRICS_PORT=0', async () => {
    const relay = new FakeRelay();
    const logs = collectLogs();
    const observability = await startObservability(relay, config, logs.logger);
    expect(observability.url).toBeUndefined();
    relay.enter('connecting');
    relay.enter('streaming');
    relay.enter('kafka-unavailable');
    relay.enter('streaming');
    relay.enter('draining');
    await observability.close();
    relay.enter('stopped');
    const stateLines = logs.entries().filter((entry) => entry.component === 'state');
    expect(stateLines.map((entry) => [entry.level, entry.state, entry.previous])).toEqual([
      [30, 'connecting', 'starting'],
      [30, 'streaming', 'connecting'],
      [30, 'kafka-unavailable', 'streaming'],
      [30, 'streaming', 'kafka-unavailable'],
      [30, 'draining', 'streaming'],
    ]);
    expect(stateLines.every((entry) => entry.slot === 'outbox_relay')).toBe(true);
    expect(stateLines.map((entry) => entry.msg)).not.toContain('streaming');
  });
});

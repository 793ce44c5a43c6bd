import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';
import { OutboxRelay } from '../../src/relay/relay.js';
import { formatLsn, type Lsn, parseLsn } from '../../src/replication/lsn.js';
import { connectPostgres } from '../../src/replication/postgres-client.js';
import { readSlotState } from '../../src/replication/slot-state.js';
import { ContinuousWriter } from '../support/continuous-writer.js';
import { freePort } from '../support/free-port.js';
import { consumeAll } from '../support/kafka.js';
import { OutboxWriter } from '../support/outbox.js';
import { type Sample, sampleValue, scrape, select } from '../support/prometheus.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { testRelayLogger } from '../support/relay-log.js';
import { runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { startKafka, stopKafka } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const MiB = 1024 * 1024;
const LOOPBACK = { port: 0, host: '127.0.0.1' };

describe('observability against PostgreSQL and Kafka', () => {
  let fixture: OutboxFixture;
  let writer: OutboxWriter;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    fixture = await createOutboxFixture('observability');
    writer = await OutboxWriter.connect(fixture.databaseUrl);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await startKafka();
    await writer?.close();
    await fixture?.dispose();
  });

  /** An in-process relay with its observability on an ephemeral port; both stopped after the test. */
  async function observedRelay(
    overrides: Record<string, string> = {},
  ): Promise<{ relay: OutboxRelay; observability: Observability; url: string }> {
    const config = loadConfig({ env: { ...fixture.env, ...overrides } });
    const logger = testRelayLogger('observability');
    const relay = new OutboxRelay(config, logger);
    const observability = await startObservability(relay, config, logger, {
      listen: LOOPBACK,
      slotPollMs: 200,
    });
    cleanups.push(async () => {
      await relay.stop();
      await observability.close();
    });
    if (!observability.url) throw new Error('no observability server');
    return { relay, observability, url: observability.url };
  }

  async function currentWalLsn(): Promise<Lsn> {
    const { rows } = await writer.sql.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return parseLsn(rows[0]?.lsn ?? '');
  }

  const lag = (samples: Sample[]) =>
    sampleValue(samples, 'outbox_replication_lag_bytes', { slot: fixture.slot });

  it('scrapes published events, latency and slot lag that falls to near zero after catch-up', async () => {
    const topic = fixture.topic('metrics');
    // Written before the relay runs, so the slot holds them as measurable lag.
    const before = await currentWalLsn();
    const written = await writer.transaction(4_000, { aggregateType: 'metrics', payloadBytes: 1_000 });
    const walWritten = Number((await currentWalLsn()) - before);
    expect(walWritten).toBeGreaterThan(4 * MiB);

    const { relay, url } = await observedRelay();
    await waitFor(async () => (lag(await scrape(url)) ?? 0) >= walWritten, {
      timeoutMs: 10_000,
      intervalMs: 100,
      message: `outbox_replication_lag_bytes reaches the ${walWritten} bytes written before the start`,
    });
    const idle = await scrape(url);
    expect(sampleValue(idle, 'outbox_slot_wal_status', { slot: fixture.slot, status: 'reserved' })).toBe(1);
    const { rows } = await writer.sql.query<{ v: string }>('SELECT current_setting($1) AS v', [
      'max_slot_wal_keep_size',
    ]);
    const safe = sampleValue(idle, 'outbox_slot_safe_wal_size_bytes', { slot: fixture.slot });
    if (rows[0]?.v === '-1') expect(safe).toBe(Number.POSITIVE_INFINITY);
    else expect(safe).toBeGreaterThan(0);
    expect(sampleValue(idle, 'outbox_events_published_total', { topic })).toBeUndefined();
    expect(sampleValue(idle, 'outbox_relay_state', { state: 'starting' })).toBe(1);

    await relay.start();
    const records = await consumeAll(fixture.kafkaBrokers, [topic], {
      until: (received) => received.length >= written.length,
      timeoutMs: 60_000,
    });
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await scrape(url);
        return sampleValue(samples, 'outbox_events_published_total', { topic }) === written.length;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 100,
        message: 'outbox_events_published_total counts every acknowledged event',
      },
    );
    expect(sampleValue(samples, 'outbox_events_published_total', { topic })).toBe(records.length);
    expect(sampleValue(samples, 'outbox_end_to_end_latency_seconds_count')).toBe(written.length);
    expect(sampleValue(samples, 'outbox_end_to_end_latency_seconds_bucket', { le: '+Inf' })).toBe(
      written.length,
    );
    // Commit time to ack: seconds at most here. A wrong PostgreSQL epoch would make it days.
    const meanLatency =
      (sampleValue(samples, 'outbox_end_to_end_latency_seconds_sum') ?? Number.NaN) / written.length;
    expect(meanLatency).toBeGreaterThan(0);
    expect(meanLatency).toBeLessThan(60);
    expect(sampleValue(samples, 'outbox_batch_size_events_sum')).toBe(written.length);
    expect(sampleValue(samples, 'outbox_publish_duration_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'outbox_relay_state', { state: 'streaming' })).toBe(1);
    expect(sampleValue(samples, 'outbox_last_ack_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(select(samples, 'outbox_publish_errors_total')).toEqual([]);

    await waitFor(
      async () => {
        samples = await scrape(url);
        const current = lag(samples);
        return (
          current !== undefined && current < 1 * MiB && sampleValue(samples, 'outbox_inflight_events') === 0
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'lag falls to near zero once the backlog is delivered' },
    );
    expect(sampleValue(samples, 'outbox_inflight_bytes')).toBe(0);
    // Confirmed past the backlog (our commit's end LSN may precede the WAL position read after it).
    expect(sampleValue(samples, 'outbox_confirmed_lsn')).toBeGreaterThan(Number(before) + walWritten - MiB);
  });

  it('gives lag in seconds: past 10 s while Kafka is down for 10 s under a steady writer, 0 again after catch-up', {
    timeout: 120_000,
  }, async () => {
    // kafkajs's sink retries with backoff up to OUTBOX_RETRY_MAX_MS (30 s by default): its next try
    // can come that long after Kafka is back. A short cap makes the catch-up below the relay's own.
    const { relay, url } = await observedRelay({ OUTBOX_RETRY_MAX_MS: '2000' });
    await relay.start();
    const age = async () => sampleValue(await scrape(url), 'outbox_oldest_pending_age_seconds') ?? -1;
    expect(await age()).toBe(0);
    const steady = new ContinuousWriter(fixture.databaseUrl, {
      aggregateType: 'lagseconds',
      aggregates: 50,
      pauseMs: 20,
    });
    cleanups.push(async () => {
      await steady.stop();
    });
    await waitFor(() => steady.written.length > 300, { timeoutMs: 30_000, message: 'the writer writes' });
    // Streaming, the oldest pending event is milliseconds old.
    expect(await age()).toBeLessThan(5);

    cleanups.push(() => startKafka());
    await stopKafka();
    const stoppedAt = Date.now();
    let peak = 0;
    while (Date.now() - stoppedAt < 11_000) {
      peak = Math.max(peak, await age());
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(peak).toBeGreaterThan(10);
    // Returns once the broker takes writes: the 60 s below are the relay's, not the broker's start-up.
    await startKafka();
    const restartedAt = Date.now();
    const written = await steady.stop();
    await waitFor(async () => (await age()) === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: 'lag in seconds returns to 0 once caught up',
    });
    console.info(
      `lag in seconds: peak ${peak.toFixed(1)} s with Kafka stopped; 0 again ` +
        `${((Date.now() - restartedAt) / 1000).toFixed(1)} s after it took writes again (${written.length} events written)`,
    );
    // Confirmed within a status interval: a transaction the writer committed during the outage.
    let relayView: Record<string, unknown> = {};
    await waitFor(
      async () => {
        relayView = ((await (await fetch(`${url}/status`)).json()) as { relay: Record<string, unknown> })
          .relay;
        return Date.parse(String(relayView.lastConfirmedCommitAt)) > stoppedAt;
      },
      { timeoutMs: 10_000, intervalMs: 200, message: '/status shows a commit after the stop as confirmed' },
    );
    expect(relayView.oldestPendingAgeSeconds).toBe(0);
    expect(written.length).toBeGreaterThan(300);
  });

  it('turns /readyz false within seconds of the Kafka broker stopping, and true again after it restarts', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const relay = startRelayProcess(['run'], {
      ...fixture.env,
      OUTBOX_METRICS_PORT: String(port),
      OUTBOX_METRICS_HOST: '127.0.0.1',
      OUTBOX_LOG_LEVEL: 'info',
      OUTBOX_RETRY_MAX_MS: '2000',
    });
    cleanups.push(async () => {
      relay.kill('SIGKILL');
      await relay.exited;
    });
    const readyz = async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status;
    await waitFor(async () => (await readyz()) === 200, {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: '/readyz answers 200 once streaming',
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // Caught up first, so that what is in flight later is exactly what was written during the outage.
    await waitFor(async () => sampleValue(await scrape(url), 'outbox_inflight_events') === 0, {
      timeoutMs: 30_000,
      message: 'nothing in flight before the outage',
    });

    cleanups.push(() => startKafka());
    await stopKafka();
    const stoppedAt = Date.now();
    // Events make the sink send, and so find the broker gone.
    const whileDown = await writer.transaction(50, { aggregateType: 'outage' });
    await waitFor(async () => (await readyz()) === 503, {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: '/readyz turns 503 while Kafka is down',
    });
    const notReadyAfterMs = Date.now() - stoppedAt;
    const down = await scrape(url);
    expect(sampleValue(down, 'outbox_relay_state', { state: 'kafka-unavailable' })).toBe(1);
    expect(sampleValue(down, 'outbox_inflight_events')).toBe(whileDown.length);
    const errors = select(down, 'outbox_publish_errors_total');
    expect(errors.reduce((sum, sample) => sum + sample.value, 0)).toBeGreaterThan(0);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const startingAt = Date.now();
    await startKafka();
    const restartedAt = Date.now();
    await waitFor(async () => (await readyz()) === 200, {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: '/readyz turns 200 again once Kafka is back',
    });
    const readyAfterMs = Date.now() - restartedAt;
    console.info(
      `/readyz: 503 ${(notReadyAfterMs / 1000).toFixed(1)} s after Kafka stopped, ` +
        `200 ${(readyAfterMs / 1000).toFixed(1)} s after it took writes again ` +
        `(${((restartedAt - startingAt) / 1000).toFixed(1)} s to restart it)`,
    );
    expect(notReadyAfterMs).toBeLessThan(30_000);
    const ids = new Set(whileDown.map((event) => event.id));
    const records = await consumeAll(fixture.kafkaBrokers, [fixture.topic('outage')], {
      until: (received) => whileDown.every((event) => received.some((r) => r.headers.id === event.id)),
      timeoutMs: 30_000,
    });
    expect(new Set(records.map((record) => record.headers.id).filter((id) => id && ids.has(id))).size).toBe(
      ids.size,
    );

    relay.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    const states = relay
      .output()
      .split('\n')
      .filter((line) => line.includes('"component":"state"'))
      .map((line) => JSON.parse(line) as { level: number; state: string });
    expect(states.every((line) => line.level === 30)).toBe(true);
    const sequence = states.map((line) => line.state);
    expect(sequence).toEqual(
      expect.arrayContaining(['connecting', 'streaming', 'kafka-unavailable', 'draining', 'stopped']),
    );
    expect(sequence.indexOf('kafka-unavailable')).toBeLessThan(sequence.lastIndexOf('streaming'));
    expect(sequence.lastIndexOf('streaming')).toBeLessThan(sequence.indexOf('draining'));
  });

  it('`outbox-relay status` shows the slot of a running relay, then of a stopped one', async () => {
    const { relay, url } = await observedRelay();
    await relay.start();
    await writer.transaction(20, { aggregateType: 'status' });
    await waitFor(
      async () =>
        relay.lastConfirmedCommitTimeMs !== undefined &&
        relay.inflightEvents === 0 &&
        (await fixture.confirmedFlushLsn()) === relay.confirmed,
      { timeoutMs: 20_000, message: 'the relay confirmed what was written' },
    );
    const confirmedBefore = (await fixture.confirmedFlushLsn()) as Lsn;
    const running = await runRelayCommand(['status', '--relay-url', `${url}/status`], fixture.env);
    const confirmedAfter = (await fixture.confirmedFlushLsn()) as Lsn;
    expect(running.code).toBe(0);
    // Lag in seconds comes from the relay, which holds the events in flight: none now.
    expect(running.output).toMatch(
      /^lag \(seconds\) +0\.0 s \(oldest unacknowledged event; relay streaming, last confirmed commit \d{4}-\d\d-\d\dT[\d:.]+Z\)$/m,
    );
    expect(running.output).toMatch(new RegExp(`^slot +${fixture.slot} \\(pgoutput, database `, 'm'));
    expect(running.output).toMatch(/^streaming +yes \(pid \d+, outbox-relay\)$/m);
    const shown = parseLsn(/^confirmed LSN +(\S+)$/m.exec(running.output)?.[1] ?? '');
    expect(shown >= confirmedBefore && shown <= confirmedAfter).toBe(true);

    // /status carries the status command's JSON, plus the relay's own view.
    const json = await runRelayCommand(['status', '--json', '--relay-url', `${url}/status`], fixture.env);
    const cli = JSON.parse(json.output) as Record<string, unknown>;
    const http = (await (await fetch(`${url}/status`)).json()) as Record<string, unknown>;
    expect(Object.keys(http).sort()).toEqual(Object.keys(cli).sort());
    expect(cli.relay).toMatchObject({ state: 'streaming', oldestPendingAgeSeconds: 0 });
    expect(http).toMatchObject({
      slot: fixture.slot,
      active: true,
      relay: { state: 'streaming', ready: true },
    });
    expect(cli).toMatchObject({ slot: fixture.slot, active: true, walStatus: 'reserved' });

    await relay.stop();
    const metadata = await connectPostgres(fixture.databaseUrl, 'test');
    cleanups.push(() => metadata.end());
    // The server's walsender exits a moment after the relay disconnects.
    await waitFor(async () => (await readSlotState(metadata, fixture.slot))?.active === false, {
      timeoutMs: 10_000,
      message: 'the slot is released',
    });
    const stopped = await runRelayCommand(['status'], fixture.env);
    expect(stopped.code).toBe(0);
    expect(stopped.output).toMatch(/^streaming +no$/m);
    expect(stopped.output).toMatch(
      /^lag \(seconds\) +unknown: the relay serves no \/status here \(OUTBOX_METRICS_PORT=0\)/m,
    );
    const settled = (await fixture.confirmedFlushLsn()) as Lsn;
    expect(stopped.output).toMatch(new RegExp(`^confirmed LSN +${formatLsn(settled)}$`, 'm'));
    expect(settled).toBe(relay.confirmed);
  });
});

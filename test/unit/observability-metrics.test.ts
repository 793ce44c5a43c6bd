import { describe, expect, it } from 'vitest';
import { KafkaSendError, ReplicationError } from '../../src/errors.js';
import { createRelayMetrics, type RelayMetrics } from '../../src/observability/metrics.js';
import { instrumentRelay } from '../../src/observability/relay-instrumentation.js';
import { RELAY_STATES } from '../../src/observability/relay-view.js';
import { parseLsn } from '../../src/replication/lsn.js';
import { FakeRelay } from '../support/fake-relay.js';
import { parseMetrics, type Sample, sampleValue, select } from '../support/prometheus.js';

async function samples(metrics: RelayMetrics): Promise<Sample[]> {
  return parseMetrics(await metrics.registry.metrics());
}

function instrumented(): { relay: FakeRelay; metrics: RelayMetrics; detach: () => void } {
  const relay = new FakeRelay();
  const metrics = createRelayMetrics(relay);
  return { relay, metrics, detach: instrumentRelay(relay, metrics) };
}

describe('relay metrics', () => {
  it('counts acknowledged events per topic and observes commit-to-ack latency', async () => {
    const { relay, metrics } = instrumented();
    relay.fire('events:acknowledged', 'orders', 1, 1_000_000, 1_000_250);
    relay.fire('events:acknowledged', 'orders', 4, 1_000_000, 1_000_004);
    relay.fire('events:acknowledged', 'payments', 1, 2_000_000, 2_003_000);
    const s = await samples(metrics);
    expect(sampleValue(s, 'outbox_events_published_total', { topic: 'orders' })).toBe(5);
    expect(sampleValue(s, 'outbox_events_published_total', { topic: 'payments' })).toBe(1);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_count')).toBe(6);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_sum')).toBeCloseTo(0.25 + 4 * 0.004 + 3, 6);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '0.0025' })).toBe(0);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '0.005' })).toBe(4);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '0.25' })).toBe(5);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '2.5' })).toBe(5);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '5' })).toBe(6);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '+Inf' })).toBe(6);
  });

  it('labels published events by topic only', async () => {
    const { relay, metrics } = instrumented();
    relay.fire('events:acknowledged', 'orders', 1, 0, 1);
    const published = select(await samples(metrics), 'outbox_events_published_total');
    expect(published.map((sample) => Object.keys(sample.labels))).toEqual([['topic']]);
  });

  it('records clock skew (ack before commit) as zero latency, not negative', async () => {
    const { relay, metrics } = instrumented();
    relay.fire('events:acknowledged', 'orders', 1, 5_000, 4_000);
    const s = await samples(metrics);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_sum')).toBe(0);
    expect(sampleValue(s, 'outbox_end_to_end_latency_seconds_bucket', { le: '0.001' })).toBe(1);
  });

  it('observes each sendBatch round trip and its size in events, and when the broker last acknowledged', async () => {
    const { relay, metrics } = instrumented();
    const before = Date.now() / 1000;
    relay.fire('batch:sent', 10, 4_096, 0.02);
    relay.fire('batch:sent', 3_000, 900_000, 0.3);
    const s = await samples(metrics);
    expect(sampleValue(s, 'outbox_last_ack_timestamp_seconds')).toBeGreaterThanOrEqual(before);
    expect(sampleValue(s, 'outbox_last_ack_timestamp_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    expect(sampleValue(s, 'outbox_publish_duration_seconds_count')).toBe(2);
    expect(sampleValue(s, 'outbox_publish_duration_seconds_sum')).toBeCloseTo(0.32, 6);
    expect(sampleValue(s, 'outbox_publish_duration_seconds_bucket', { le: '0.025' })).toBe(1);
    expect(sampleValue(s, 'outbox_batch_size_events_sum')).toBe(3_010);
    expect(sampleValue(s, 'outbox_batch_size_events_bucket', { le: '5' })).toBe(0);
    expect(sampleValue(s, 'outbox_batch_size_events_bucket', { le: '10' })).toBe(1);
    expect(sampleValue(s, 'outbox_batch_size_events_bucket', { le: '5000' })).toBe(2);
    // A librdkafka round in which no timed record was reported: its size counts, no duration.
    relay.fire('batch:sent', 7, 2_100, undefined);
    const after = await samples(metrics);
    expect(sampleValue(after, 'outbox_publish_duration_seconds_count')).toBe(2);
    expect(sampleValue(after, 'outbox_batch_size_events_count')).toBe(3);
  });

  it("counts publish errors by broker error type, 'connection' when no broker answered", async () => {
    const { relay, metrics } = instrumented();
    relay.fire('batch:failed', new KafkaSendError('down', undefined, true), 0, 100);
    relay.fire('batch:failed', new KafkaSendError('down', undefined, true), 1, 200);
    relay.fire('batch:failed', new KafkaSendError('moved', 'NOT_LEADER_FOR_PARTITION', true), 0, 100);
    // A fatal send error ends the session through 'replication:error' only.
    relay.fire('replication:error', new KafkaSendError('too big', 'MESSAGE_TOO_LARGE', false), false);
    relay.fire('replication:error', new ReplicationError('pg restarted', '57P01', true), true);
    const s = await samples(metrics);
    expect(sampleValue(s, 'outbox_publish_errors_total', { reason: 'connection' })).toBe(2);
    expect(sampleValue(s, 'outbox_publish_errors_total', { reason: 'NOT_LEADER_FOR_PARTITION' })).toBe(1);
    expect(sampleValue(s, 'outbox_publish_errors_total', { reason: 'MESSAGE_TOO_LARGE' })).toBe(1);
    expect(select(s, 'outbox_publish_errors_total')).toHaveLength(3);
  });

  it('counts dead-lettered events by reason', async () => {
    const { relay, metrics } = instrumented();
    expect(select(await samples(metrics), 'outbox_dlq_total')).toEqual([]);
    relay.fire('event:dead-lettered', 'null-key');
    relay.fire('event:dead-lettered', 'too-large');
    relay.fire('event:dead-lettered', 'null-key');
    const s = await samples(metrics);
    expect(sampleValue(s, 'outbox_dlq_total', { reason: 'null-key' })).toBe(2);
    expect(sampleValue(s, 'outbox_dlq_total', { reason: 'too-large' })).toBe(1);
  });

  it('reads in-flight counts, the confirmed LSN and the state from the relay at each scrape', async () => {
    const { relay, metrics } = instrumented();
    relay.inflightEvents = 12;
    relay.inflightBytes = 34_567;
    relay.confirmed = parseLsn('16/B374D848');
    relay.state = 'kafka-unavailable';
    let s = await samples(metrics);
    expect(sampleValue(s, 'outbox_inflight_events')).toBe(12);
    expect(sampleValue(s, 'outbox_inflight_bytes')).toBe(34_567);
    expect(sampleValue(s, 'outbox_confirmed_lsn')).toBe(0x16b374d848);
    const states = select(s, 'outbox_relay_state');
    expect(states.map((sample) => sample.labels.state).sort()).toEqual([...RELAY_STATES].sort());
    expect(states.filter((sample) => sample.value === 1).map((sample) => sample.labels.state)).toEqual([
      'kafka-unavailable',
    ]);

    relay.inflightEvents = 0;
    relay.state = 'streaming';
    s = await samples(metrics);
    expect(sampleValue(s, 'outbox_inflight_events')).toBe(0);
    expect(sampleValue(s, 'outbox_relay_state', { state: 'streaming' })).toBe(1);
    expect(sampleValue(s, 'outbox_relay_state', { state: 'kafka-unavailable' })).toBe(0);
  });

  it('gives lag in seconds: the age of the oldest pending event, 0 when none; and the last confirmed commit time', async () => {
    const { relay, metrics } = instrumented();
    let s = await samples(metrics);
    expect(sampleValue(s, 'outbox_oldest_pending_age_seconds')).toBe(0);
    expect(sampleValue(s, 'outbox_last_confirmed_commit_timestamp_seconds')).toBe(0);

    relay.oldestPendingCommitTimeMs = Date.now() - 12_000;
    relay.lastConfirmedCommitTimeMs = Date.UTC(2026, 10, 26, 12, 0, 0);
    s = await samples(metrics);
    expect(sampleValue(s, 'outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(12);
    expect(sampleValue(s, 'outbox_oldest_pending_age_seconds')).toBeLessThan(13);
    expect(sampleValue(s, 'outbox_last_confirmed_commit_timestamp_seconds')).toBe(
      Date.UTC(2026, 10, 26, 12, 0, 0) / 1000,
    );

    relay.oldestPendingCommitTimeMs = undefined;
    s = await samples(metrics);
    expect(sampleValue(s, 'outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('keeps one registry per relay, each with the process metrics', async () => {
    const a = instrumented();
    const b = instrumented();
    a.relay.fire('events:acknowledged', 'orders', 1, 0, 1);
    const [sa, sb] = [await samples(a.metrics), await samples(b.metrics)];
    expect(sampleValue(sa, 'outbox_events_published_total', { topic: 'orders' })).toBe(1);
    expect(sampleValue(sb, 'outbox_events_published_total', { topic: 'orders' })).toBeUndefined();
    for (const s of [sa, sb]) {
      // Present, not necessarily above 0: a fresh registry counts from its own creation, and
      // the kernel may account the few milliseconds since then as none (a CI run saw 0).
      expect(select(s, 'process_cpu_user_seconds_total')).toHaveLength(1);
      expect(select(s, 'nodejs_heap_size_total_bytes')).toHaveLength(1);
    }
  });

  it('stops counting once detached', async () => {
    const { relay, metrics, detach } = instrumented();
    relay.fire('events:acknowledged', 'orders', 1, 0, 1);
    detach();
    relay.fire('events:acknowledged', 'orders', 1, 0, 1);
    relay.fire('batch:sent', 1, 1, 0.001);
    const s = await samples(metrics);
    expect(sampleValue(s, 'outbox_events_published_total', { topic: 'orders' })).toBe(1);
    expect(sampleValue(s, 'outbox_batch_size_events_count')).toBe(0);
  });
});

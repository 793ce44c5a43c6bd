import { describe, expect, it } from 'vitest';
import type { KafkaClient } from '../../src/config/relay-config.js';
import { consumeAll } from '../support/kafka.js';
import { KAFKA_CLIENT } from '../support/outbox.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';

const MiB = 1024 * 1024;

/**
 * Peak RSS bounds, with tsx running the source (about 30 MiB more than the built relay).
 * Buffering the transaction would add its ~200 MiB of payload to either. Measured on the 2-core
 * CI machine: librdkafka 134 MiB (it keeps no record in the heap once librdkafka has its copy);
 * kafkajs 206-237 MiB (its batches and their encoding live in the heap).
 */
const PEAK_RSS_BOUND_MIB: Record<KafkaClient, number> = { librdkafka: 180, kafkajs: 256 };

describe(`memory: a 100,000-row transaction (${KAFKA_CLIENT})`, () => {
  const outbox = useOutboxFixture('memory');

  it('is delivered with peak RSS bounded by the in-flight limit, not by the transaction', async () => {
    // 100,000 rows of ~2 KiB: ~200 MiB of payload in one transaction. With 8 MiB in flight
    // the relay needs its baseline (Node, pg, the Kafka client) plus a few times the bound for
    // decoding and batching garbage; buffering the transaction would need over 200 MiB more.
    const written = await outbox.writer.transaction(100_000, {
      aggregateType: 'bulk',
      aggregates: 500,
      payloadBytes: 2_000,
    });
    const relay = startRelayProcess(['run'], {
      ...outbox.fixture.env,
      OUTBOX_MAX_INFLIGHT_BYTES: String(8 * MiB),
      OUTBOX_MAX_INFLIGHT_EVENTS: '20000',
    });
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('bulk')], {
      until: (received) => received.length >= written.length,
      timeoutMs: 180_000,
    });
    const peak = await relay.peakRssBytes();
    relay.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    expect(new Set(records.map((record) => record.headers.id)).size).toBe(written.length);
    console.info(
      `memory: peak RSS ${(peak / MiB).toFixed(0)} MiB for a ${written.length}-row, ~300 MiB transaction`,
    );
    expect(peak).toBeLessThan(PEAK_RSS_BOUND_MIB[KAFKA_CLIENT] * MiB);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointKey, decodeCheckpoint } from '../../src/sinks/kafka/checkpoint-record.js';
import { ContinuousWriter } from '../support/continuous-writer.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { consumeAll, kafkaClient } from '../support/kafka.js';
import { OutboxWriter, type WrittenEvent } from '../support/outbox.js';
import { PartitionProxy } from '../support/partition-proxy.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { type RelayProcess, startRelayProcess } from '../support/relay-process.js';
import { waitFor } from '../support/wait-for.js';

/** Records under `topic` that a read_committed reader sees now, markers of transactions included. */
async function committedOffsets(brokers: string, topic: string): Promise<bigint> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    return offsets.reduce((sum, { high }) => sum + BigInt(high), 0n);
  } finally {
    await admin.disconnect();
  }
}

const streaming = (relay: RelayProcess) => () => relay.output().includes('"msg":"streaming"');

describe('exactly-once delivery (OUTBOX_DELIVERY=exactly-once)', () => {
  let fixture: OutboxFixture;
  let writer: OutboxWriter;
  let env: Record<string, string>;

  beforeAll(async () => {
    fixture = await createOutboxFixture('exactlyonce', { OUTBOX_DELIVERY: 'exactly-once' });
    writer = await OutboxWriter.connect(fixture.databaseUrl);
    env = {
      ...fixture.env,
      OUTBOX_LOG_LEVEL: 'info',
      // Each checkpoint topic of its own: no other test's checkpoints to read past.
      OUTBOX_CHECKPOINT_TOPIC: `${fixture.topic('checkpoints')}`,
    };
  });

  afterAll(async () => {
    await writer?.close();
    await fixture?.dispose();
  });

  it('a relay killed while Kafka is ahead of the slot resends nothing twice, even inside a PostgreSQL transaction larger than a Kafka transaction', {
    timeout: 240_000,
  }, async () => {
    const topic = fixture.topic('order');
    const written: WrittenEvent[] = [];
    for (let i = 0; i < 12; i++) {
      written.push(...(await writer.transaction(3_000, { aggregates: 300, offset: written.length })));
    }
    // Kafka transactions of at most 500 events; the slot confirmed at most every 10 s, so that at the
    // kill Kafka holds much that the slot will send again.
    const killedEnv = { ...env, OUTBOX_BATCH_MAX_EVENTS: '500', OUTBOX_STATUS_INTERVAL_MS: '30000' };
    const first = startRelayProcess(['run'], killedEnv);
    await waitFor(async () => (await committedOffsets(fixture.kafkaBrokers, topic)) >= 4_000n, {
      timeoutMs: 60_000,
      intervalMs: 50,
      message: 'Kafka holds the first Kafka transactions',
    });
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const second = startRelayProcess(['run'], env);
    const records = await consumeAll(fixture.kafkaBrokers, [topic], {
      until: allIdsSeen(written.map((event) => event.id)),
      timeoutMs: 180_000,
      toEnd: true,
    });
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const report = checkDelivery(written, records);
    expect(expectNoLoss(report)).toEqual([]);
    expect(report.duplicates).toBe(0);
    // The slot sent again what Kafka had: the restart read the checkpoint and skipped it.
    expect(second.output()).toContain('resuming after the last committed Kafka transaction');
    const skipped = Number(/"skipped":(\d+)/.exec(second.output())?.[1] ?? 0);
    expect(skipped).toBeGreaterThan(0);

    // The last checkpoint: the last transaction, all 3,000 of its events.
    const checkpoints = await consumeAll(fixture.kafkaBrokers, [env.OUTBOX_CHECKPOINT_TOPIC as string], {
      until: () => true,
      timeoutMs: 30_000,
      toEnd: true,
    });
    const ours = checkpoints.filter((record) => record.key?.endsWith(`/${fixture.slot}`));
    expect(ours.length).toBeGreaterThan(0);
    const last = decodeCheckpoint(ours.at(-1)?.value ?? null);
    expect(last).toMatchObject({
      events: 3_000,
      xid: expect.any(Number),
      commitTimeMicros: expect.any(Number),
    });
    expect(ours.at(-1)?.key).toBe(
      checkpointKey({ ...JSON.parse(ours.at(-1)?.value?.toString() ?? '{}'), slot: fixture.slot }),
    );
  });

  it('fences a paused relay cut off from PostgreSQL: nothing it sends after another takes over becomes visible', {
    timeout: 240_000,
  }, async () => {
    const aggregateType = 'zombie';
    const topic = fixture.topic(aggregateType);
    const url = new URL(fixture.databaseUrl);
    const proxy = await PartitionProxy.start(url.hostname, Number(url.port));
    const viaProxy = new URL(fixture.databaseUrl);
    viaProxy.port = String(proxy.port);
    const continuous = new ContinuousWriter(fixture.databaseUrl, {
      aggregateType,
      aggregates: 200,
      pauseMs: 5,
    });
    // A long linger: when paused, the zombie almost surely holds events it has not sent yet.
    const zombie = startRelayProcess(['run'], {
      ...env,
      DATABASE_URL: viaProxy.toString(),
      OUTBOX_BATCH_LINGER_MS: '1000',
    });
    let successor: RelayProcess | undefined;
    try {
      await waitFor(streaming(zombie), { timeoutMs: 30_000, message: 'the first relay streams' });
      await waitFor(async () => (await committedOffsets(fixture.kafkaBrokers, topic)) > 0n, {
        timeoutMs: 30_000,
        message: 'the first relay publishes',
      });
      zombie.kill('SIGSTOP');
      proxy.partition();
      successor = startRelayProcess(['run'], env);
      await waitFor(streaming(successor), { timeoutMs: 60_000, message: 'the successor streams' });
      const before = await committedOffsets(fixture.kafkaBrokers, topic);
      await waitFor(async () => (await committedOffsets(fixture.kafkaBrokers, topic)) > before, {
        timeoutMs: 30_000,
        message: 'the successor publishes',
      });
      zombie.kill('SIGCONT');
      await waitFor(() => /fenced|PRODUCER_EPOCH/i.test(zombie.output()), {
        timeoutMs: 30_000,
        message: "the zombie's late transaction fenced",
      });
      const written = await continuous.stop();
      const records = await consumeAll(fixture.kafkaBrokers, [topic], {
        until: allIdsSeen(written.map((event) => event.id)),
        timeoutMs: 120_000,
        toEnd: true,
      });
      const report = checkDelivery(written, records);
      expect(expectNoLoss(report)).toEqual([]);
      expect(report.duplicates).toBe(0);
    } catch (error) {
      // What each relay said is the first thing to read when this fails.
      console.error(
        `zombie relay:\n${zombie.output().slice(-3000)}\nsuccessor:\n${successor?.output().slice(-3000)}`,
      );
      throw error;
    } finally {
      await continuous.stop().catch(() => undefined);
      zombie.kill('SIGKILL');
      successor?.kill('SIGKILL');
      await proxy.close();
    }
  });
});

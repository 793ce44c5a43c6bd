import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { freePort } from '../support/free-port.js';
import { consumeAll, uniqueTopicPrefix } from '../support/kafka.js';
import { OutboxWriter, type WrittenEvent } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { type RelayProcess, runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { type ScratchPostgres, startScratchPostgres } from '../support/scratch-postgres.js';
import { waitFor } from '../support/wait-for.js';

/** What either Kafka client says when a newer producer of its transactional id fenced it. */
const FENCED = /fenced|fences the current one|PRODUCER_EPOCH|old epoch/gi;
const fences = (relay: RelayProcess) => relay.output().match(FENCED)?.length ?? 0;
const streaming = (relay: RelayProcess) => () => relay.output().includes('"msg":"streaming"');

/** One relay's deployment: its database, its relay's environment and its events' topic. */
interface Deployment {
  readonly env: Record<string, string>;
  readonly aggregateType: string;
  readonly writer: OutboxWriter;
  readonly topic: string;
  readonly written: WrittenEvent[];
}

async function writeRounds(deployments: readonly Deployment[], rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const { writer, written, aggregateType } of deployments) {
      written.push(
        ...(await writer.transaction(100, { aggregateType, aggregates: 20, offset: written.length })),
      );
    }
  }
}

/** Every event of the deployment read back by a read_committed consumer: no loss, no duplicate. */
async function expectDelivered({ env, topic, written }: Deployment): Promise<void> {
  const records = await consumeAll(env.KAFKA_BROKERS as string, [topic], {
    until: allIdsSeen(written.map((event) => event.id)),
    timeoutMs: 90_000,
    toEnd: true,
  });
  const report = checkDelivery(written, records);
  expect(expectNoLoss(report)).toEqual([]);
  expect(report.duplicates).toBe(0);
}

describe('exactly-once relays of other streams on one Kafka cluster', () => {
  let fixture: OutboxFixture;
  let checkpointTopic: string;

  beforeAll(async () => {
    fixture = await createOutboxFixture('fencing', { OUTBOX_DELIVERY: 'exactly-once' });
    checkpointTopic = fixture.topic('checkpoints');
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  /** The fixture's deployment, its relay logging at info and sharing one checkpoint topic. */
  async function fixtureDeployment(
    of: OutboxFixture,
    overrides: Record<string, string> = {},
  ): Promise<Deployment> {
    const aggregateType = `events${randomBytes(2).toString('hex')}`;
    return {
      env: { ...of.env, OUTBOX_LOG_LEVEL: 'info', OUTBOX_CHECKPOINT_TOPIC: checkpointTopic, ...overrides },
      aggregateType,
      writer: await OutboxWriter.connect(of.databaseUrl),
      topic: of.topic(aggregateType),
      written: [],
    };
  }

  it('two servers with the same slot name each deliver everything, without fencing each other', {
    timeout: 300_000,
  }, async () => {
    // Another cluster (another system identifier), the same database and slot names: under the
    // default transactional id both relays' ids must differ.
    const scratch: ScratchPostgres = await startScratchPostgres({
      walLevel: 'logical',
      port: await freePort(),
    });
    const first = await fixtureDeployment(fixture);
    const secondPrefix = uniqueTopicPrefix();
    const secondEnv = {
      ...first.env,
      DATABASE_URL: scratch.url,
      OUTBOX_TOPIC_TEMPLATE: `${secondPrefix}.{aggregate_type}`,
    };
    const relays: RelayProcess[] = [];
    let second: Deployment | undefined;
    try {
      expect((await runRelayCommand(['init', '--create-table'], secondEnv)).code).toBe(0);
      second = {
        env: secondEnv,
        aggregateType: first.aggregateType,
        writer: await OutboxWriter.connect(scratch.url),
        topic: `${secondPrefix}.${first.aggregateType}`,
        written: [],
      };
      for (const { env } of [first, second]) relays.push(startRelayProcess(['run'], env));
      for (const relay of relays)
        await waitFor(streaming(relay), { timeoutMs: 60_000, message: 'streaming' });

      await writeRounds([first, second], 20);
      await expectDelivered(first);
      await expectDelivered(second);
      // Under a shared id each connect fences the other relay's producer: every one shows in its log.
      expect(relays.map(fences)).toEqual([0, 0]);
    } catch (error) {
      console.error(relays.map((relay, i) => `relay ${i}:\n${relay.output().slice(-4000)}`).join('\n'));
      throw error;
    } finally {
      for (const relay of relays) relay.kill('SIGKILL');
      await Promise.all(relays.map((relay) => relay.exited));
      await first.writer.close();
      await second?.writer.close();
      await scratch.stop();
    }
  });

  it('a relay fenced by a relay of another stream with the same OUTBOX_TRANSACTIONAL_ID stands by instead of fencing it back', {
    timeout: 300_000,
  }, async () => {
    const other = await createOutboxFixture('fencing_shared', { OUTBOX_DELIVERY: 'exactly-once' });
    const shared = { OUTBOX_TRANSACTIONAL_ID: `outbox-relay.shared-${randomBytes(4).toString('hex')}` };
    const first = await fixtureDeployment(fixture, shared);
    const second = await fixtureDeployment(other, shared);
    const relays: RelayProcess[] = [];
    try {
      const firstRelay = startRelayProcess(['run'], first.env);
      relays.push(firstRelay);
      await waitFor(streaming(firstRelay), { timeoutMs: 60_000, message: 'the first relay streams' });
      await writeRounds([first], 2);
      await expectDelivered(first);

      // The second relay's producer fences the first's; the first finds out at its next commit.
      const secondRelay = startRelayProcess(['run'], second.env);
      relays.push(secondRelay);
      await waitFor(streaming(secondRelay), { timeoutMs: 60_000, message: 'the second relay streams' });
      await writeRounds([first, second], 2);
      await waitFor(() => firstRelay.output().includes('Standing by instead of fencing it back'), {
        timeoutMs: 60_000,
        message: 'the fenced relay stands by',
      });
      expect(firstRelay.output()).toContain(shared.OUTBOX_TRANSACTIONAL_ID);
      expect(firstRelay.output()).toContain('give each relay its own OUTBOX_TRANSACTIONAL_ID');

      // The second keeps delivering, never fenced back, while events wait in the first's slot.
      await writeRounds([first, second], 10);
      await expectDelivered(second);
      expect(fences(secondRelay)).toBe(0);
      expect(firstRelay.output().split('"msg":"streaming"').length - 1).toBe(1);
    } catch (error) {
      console.error(relays.map((relay, i) => `relay ${i}:\n${relay.output().slice(-4000)}`).join('\n'));
      throw error;
    } finally {
      for (const relay of relays) relay.kill('SIGKILL');
      await Promise.all(relays.map((relay) => relay.exited));
      await first.writer.close();
      await second.writer.close();
      await other.dispose();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../../src/inbox/inbox.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTopics, kafkaClient, uniqueTopicPrefix } from '../support/kafka.js';
import { type RelayProcess, startScriptProcess } from '../support/relay-process.js';
import { serviceUrls } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const CONSUMER = fileURLToPath(new URL('../support/inbox-consumer.ts', import.meta.url));

const EVENTS = 3_000;
/** Every fifth event is published a second time, after all the others: the stream holds duplicates. */
const REPEATED = (index: number) => index % 5 === 0;
const amountOf = (index: number) => (index % 7) + 1;

/**
 * outbox-relay/inbox under crashes: a consumer whose effects live in its own database, fed a
 * stream with duplicates, killed with SIGKILL at random moments and restarted, applies each
 * event's effect exactly once.
 */
describe('inbox: each event’s effects exactly once, across duplicates and kill -9', () => {
  let database: TestDatabase;
  let sql: pg.Client;
  const topic = `${uniqueTopicPrefix()}.inbox`;

  beforeAll(async () => {
    database = await createTestDatabase('inbox');
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    await sql.query('CREATE TABLE effects (event_id text, amount int)');
    await sql.query('CREATE TABLE balance (id int PRIMARY KEY, total bigint NOT NULL)');
    await sql.query('INSERT INTO balance VALUES (1, 0)');
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    await new Inbox({ pool }).ensureTable();
    await pool.end();
  });

  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  async function publishWithDuplicates(): Promise<void> {
    const { kafkaBrokers } = serviceUrls();
    await createTopics(kafkaBrokers, [topic], 3);
    const producer = kafkaClient(kafkaBrokers).producer();
    await producer.connect();
    const message = (index: number) => ({
      key: `account-${index % 40}`,
      value: JSON.stringify({ amount: amountOf(index) }),
      headers: { id: `event-${index}` },
    });
    const indexes = Array.from({ length: EVENTS }, (_, index) => index);
    for (const batch of [indexes, indexes.filter(REPEATED)]) {
      for (let start = 0; start < batch.length; start += 500) {
        await producer.send({ topic, messages: batch.slice(start, start + 500).map(message) });
      }
    }
    await producer.disconnect();
  }

  function startConsumer(group: string, crashBeforeOffsetCommit = 0): RelayProcess {
    return startScriptProcess(CONSUMER, [], {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: serviceUrls().kafkaBrokers,
      TOPIC: topic,
      GROUP: group,
      CRASH_BEFORE_OFFSET_COMMIT: String(crashBeforeOffsetCommit),
    });
  }

  async function handledIds(): Promise<number> {
    const { rows } = await sql.query<{ count: string }>('SELECT count(*) AS count FROM outbox_inbox');
    return Number(rows[0]?.count);
  }

  it('applies every effect once: two crashes between database and offset commits, four kills at random', async () => {
    await publishWithDuplicates();
    const group = `inbox-${randomBytes(4).toString('hex')}`;
    let duplicatesSkipped = 0;
    const skips = (output: string) =>
      output.split('\n').filter((line) => line.startsWith('duplicate ')).length;
    // Twice it kills itself between a record's database commit and its offset commit: that record
    // comes again, and the inbox must skip it.
    for (const crashAt of [50 + Math.floor(Math.random() * 400), 50 + Math.floor(Math.random() * 400)]) {
      const consumer = startConsumer(group, crashAt);
      expect(await consumer.exited, consumer.output()).toBe('SIGKILL');
      duplicatesSkipped += skips(consumer.output());
    }
    let kills = 0;
    while (kills < 4) {
      const consumer = startConsumer(group);
      const before = await handledIds();
      // Killed only once it has made progress, at a random moment after that.
      await waitFor(async () => (await handledIds()) > before || (await handledIds()) >= EVENTS, {
        timeoutMs: 60_000,
        message: 'the consumer made progress',
      });
      await delay(Math.random() * 400);
      consumer.kill('SIGKILL');
      await consumer.exited;
      duplicatesSkipped += consumer
        .output()
        .split('\n')
        .filter((line) => line.startsWith('duplicate ')).length;
      kills++;
      if ((await handledIds()) >= EVENTS) break;
    }
    const last = startConsumer(group);
    try {
      await waitFor(async () => (await handledIds()) >= EVENTS, {
        timeoutMs: 120_000,
        message: 'every event handled',
      });
      // The repeated events come after every first copy: once they are all skipped, the stream is done.
      const repeated = Array.from({ length: EVENTS }, (_, index) => index).filter(REPEATED).length;
      await waitFor(
        () =>
          duplicatesSkipped +
            last
              .output()
              .split('\n')
              .filter((line) => line.startsWith('duplicate ')).length >=
          repeated,
        { timeoutMs: 60_000, message: 'the repeated events reached and skipped' },
      );
    } finally {
      last.kill('SIGKILL');
    }
    duplicatesSkipped += last
      .output()
      .split('\n')
      .filter((line) => line.startsWith('duplicate ')).length;

    const { rows } = await sql.query<{ applied: string; distinct: string; sum: string }>(
      'SELECT count(*) AS applied, count(DISTINCT event_id) AS distinct, sum(amount) AS sum FROM effects',
    );
    const expectedSum = Array.from({ length: EVENTS }, (_, index) => amountOf(index)).reduce(
      (a, b) => a + b,
      0,
    );
    expect(rows[0]).toEqual({ applied: String(EVENTS), distinct: String(EVENTS), sum: String(expectedSum) });
    const balance = await sql.query<{ total: string }>('SELECT total FROM balance WHERE id = 1');
    expect(Number(balance.rows[0]?.total)).toBe(expectedSum);
    // The published duplicates, and at least the two records whose offsets the crashes left uncommitted.
    expect(duplicatesSkipped).toBeGreaterThanOrEqual(
      Array.from({ length: EVENTS }, (_, i) => i).filter(REPEATED).length + 2,
    );
    console.info(
      `inbox: ${EVENTS} events applied once; 2 crashes before an offset commit, ${kills} random kills; ${duplicatesSkipped} duplicates skipped`,
    );
  }, 400_000);

  it('prunes ids older than the retention, keeping newer ones', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const inbox = new Inbox({ pool, consumer: 'retention' });
    await inbox.handle('old', async () => undefined);
    await sql.query(
      "UPDATE outbox_inbox SET received_at = now() - interval '2 days' WHERE consumer = 'retention' AND event_id = 'old'",
    );
    await inbox.handle('new', async () => undefined);
    expect(await inbox.prune(24 * 3600 * 1000)).toBe(1);
    expect(await inbox.handle('new', async () => 'again')).toEqual({ duplicate: true });
    // A record is deduplicated by the relay's id header.
    expect(await inbox.handle({ headers: { id: Buffer.from('new') } }, async () => 'again')).toEqual({
      duplicate: true,
    });
    expect(await inbox.handle('old', async () => 'again')).toEqual({ duplicate: false, result: 'again' });
    expect(inbox.stats).toEqual({ handled: 3, duplicates: 2 });
    await pool.end();
  });
});

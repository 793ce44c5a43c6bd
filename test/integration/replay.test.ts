import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { type ConsumedRecord, consumeAll, listTopics, uniqueTopicPrefix } from '../support/kafka.js';
import type { WrittenEvent } from '../support/outbox.js';
import { OUTBOX_ENV, OutboxWriter } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { serviceUrls } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The JSON lines a replay printed (its output when stdout is not a terminal). */
function replayLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{"replay"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('outbox-relay replay', () => {
  let fixture: OutboxFixture;
  let writer: OutboxWriter;

  beforeAll(async () => {
    fixture = await createOutboxFixture('replay', {}, undefined, false);
    writer = await OutboxWriter.connect(fixture.databaseUrl);
  });

  afterAll(async () => {
    await writer?.close();
    await fixture?.dispose();
  });

  /** The fixture's settings with topics of their own, so that each case reads only what it sent. */
  const envFor = (name: string) => ({
    ...fixture.env,
    OUTBOX_TOPIC_TEMPLATE: `${fixture.topic(name)}.{aggregate_type}`,
  });

  // First: the relay streams from the slot, which every later test's rows would fill.
  it('sends the records the stream sends: key, value, headers, timestamp and partition', async () => {
    const env = envFor('same');
    const relay = await fixture.startRelay({ OUTBOX_TOPIC_TEMPLATE: env.OUTBOX_TOPIC_TEMPLATE });
    const sql = new pg.Client({ connectionString: fixture.databaseUrl });
    await sql.connect();
    const before = new Date().toISOString();
    try {
      await sql.query(
        `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, headers)
         SELECT 'Same', 's-' || (n % 5), 'Happened', jsonb_build_object('n', n, 'text', 'é ✓', 'list', jsonb_build_array(1, 2.5, null)),
                jsonb_build_object('tenant', 't-' || (n % 3))
           FROM generate_series(1, 300) n`,
      );
    } finally {
      await sql.end();
    }
    const topic = `${fixture.topic('same')}.Same`;
    await consumeAll(fixture.kafkaBrokers, [topic], {
      until: (read) => read.length >= 300,
      timeoutMs: 30_000,
    });
    await relay.stop();
    const result = await runRelayCommand(['replay', '--aggregate-type', 'Same', '--since', before], env);
    expect(result.code, result.output).toBe(0);
    const records = await consumeAll(fixture.kafkaBrokers, [topic], {
      until: (read) => read.length >= 600,
      timeoutMs: 30_000,
      toEnd: true,
    });
    const byId = new Map<string, ConsumedRecord[]>();
    for (const record of records) {
      const id = record.headers.id ?? '';
      byId.set(id, [...(byId.get(id) ?? []), record]);
    }
    expect(byId.size).toBe(300);
    for (const [id, [streamed, replayedRecord, ...more]] of byId) {
      expect(more, id).toEqual([]);
      const { offset: _streamedOffset, ...stream } = streamed as ConsumedRecord;
      const { offset: _replayedOffset, ...replay } = replayedRecord as ConsumedRecord;
      expect(replay, id).toEqual(stream);
    }
  });

  it('sends 200,000 rows at a limited rate, resumes after SIGINT, and keeps per-aggregate order', {
    timeout: 240_000,
  }, async () => {
    const written: WrittenEvent[] = [];
    for (let tx = 0; tx < 400; tx++) {
      written.push(
        ...(await writer.transaction(500, { aggregateType: 'Order', aggregates: 97, offset: tx * 500 })),
      );
    }
    // Rows the selection leaves out: another aggregate type, and Order rows past --until.
    await writer.transaction(1_000, { aggregateType: 'Other' });
    await writer.sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, created_at)
      SELECT 'Order', 'Order-' || (n % 97), 'Late', '{}', now() + interval '1 day' FROM generate_series(1, 500) n`);
    const env = envFor('bulk');
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const args = ['replay', '--aggregate-type', 'Order', '--until', until];
    const rate = 40_000;

    const first = startRelayProcess([...args, '--rate', String(rate)], env);
    await waitFor(
      () =>
        replayLines(first.output()).some(
          (line) => line.replay === 'progress' && Number(line.sent) >= 100_000,
        ),
      { timeoutMs: 60_000, message: 'the replay halfway' },
    );
    first.kill('SIGINT');
    expect(await first.exited).toBe(130);
    const firstLines = replayLines(first.output());
    expect(firstLines[0]).toMatchObject({ replay: 'start', events: 200_000, resumeAfter: null });
    const stopped = firstLines.find((line) => line.replay === 'interrupted');
    expect(Number(stopped?.sent)).toBeLessThan(200_000);
    // The limit holds: no second of the run went faster than the rate (and its tenth of a second of slack).
    for (const line of firstLines.filter((line) => line.replay === 'progress')) {
      expect(Number(line.rate)).toBeLessThanOrEqual(rate * 1.15);
    }

    const second = await runRelayCommand(args, env, 120_000);
    expect(second.code, second.output).toBe(0);
    const secondLines = replayLines(second.output);
    const resumed = secondLines[0];
    expect(resumed?.replay).toBe('start');
    expect(resumed?.resumeAfter).not.toBeNull();
    // It resumed: it sent what was left (and the rows of the last transaction cut short), not everything.
    expect(Number(resumed?.events)).toBeLessThan(200_000 - 90_000);
    expect(secondLines.at(-1)).toMatchObject({ replay: 'done' });

    const topic = `${fixture.topic('bulk')}.Order`;
    const records = await consumeAll(fixture.kafkaBrokers, [topic], {
      until: allIdsSeen(written.map((event) => event.id)),
      timeoutMs: 90_000,
      toEnd: true,
    });
    const report = checkDelivery(written, records);
    expect(report.missing).toHaveLength(0);
    expect(report.unexpected).toHaveLength(0); // no Late row (past --until)
    expect(report.outOfOrder).toHaveLength(0);
    expect(report.splitAggregates).toHaveLength(0);
    expect(report.duplicates).toBeLessThan(5_000);
    console.log(
      `replay: ${stopped?.sent} of 200,000 events sent at ${firstLines.at(-2)?.rate}/s (limit ${rate}/s) before SIGINT; ` +
        `resumed with ${resumed?.events}; ${report.duplicates} sent twice; ${records.length} records read`,
    );
    expect(await listTopics(fixture.kafkaBrokers)).not.toContain(`${fixture.topic('bulk')}.Other`);

    // Finished: the same command again sends nothing, and says how to start over.
    const third = await runRelayCommand(args, env);
    expect(third.code).toBe(0);
    expect(replayLines(third.output)).toEqual([
      expect.objectContaining({ replay: 'finished-before', sent: Number(secondLines.at(-1)?.sent) }),
    ]);
  });

  describe('selectors', () => {
    const BASE = Date.UTC(2026, 0, 1);
    /** Row n: id ...00n (ids sort as n), created_at BASE + n minutes, type A/B/C by n % 3, aggregate x<n % 4>. */
    const idOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const minute = (n: number) => new Date(BASE + n * 60_000).toISOString();
    const ROWS = 60;
    const TYPES = ['A', 'B', 'C'];

    beforeAll(async () => {
      await writer.sql.query(
        `INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload, created_at)
         SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
                (ARRAY['A','B','C'])[n % 3 + 1], 'x' || (n % 4), 'Picked', jsonb_build_object('n', n),
                $1::timestamptz + n * interval '1 minute'
           FROM generate_series(0, $2 - 1) n`,
        [new Date(BASE).toISOString(), ROWS],
      );
    });

    /** Runs the replay into topics of its own and returns the row numbers that arrived. */
    async function replayed(name: string, selectors: string[], expected: number): Promise<number[]> {
      const result = await runRelayCommand(['replay', ...selectors], envFor(name));
      expect(result.code, result.output).toBe(0);
      const records = await consumeAll(
        fixture.kafkaBrokers,
        TYPES.map((type) => `${fixture.topic(name)}.${type}`),
        { until: (read) => read.length >= expected, timeoutMs: 30_000, toEnd: true },
      );
      return records
        .map((record: ConsumedRecord) => Number(record.headers.id?.slice(-12)))
        .sort((a, b) => a - b);
    }

    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);
    const where = (test: (n: number) => boolean) => range(0, ROWS).filter(test);

    it('by time range: --since inclusive, --until exclusive', async () => {
      expect(await replayed('time', ['--since', minute(10), '--until', minute(20)], 10)).toEqual(
        range(10, 20),
      );
    });

    it('by id range, in the id column’s order, both ends inclusive', async () => {
      expect(await replayed('ids', ['--from-id', idOf(30), '--to-id', idOf(39)], 10)).toEqual(range(30, 40));
    });

    it('by aggregate type, given more than once', async () => {
      const expected = where((n) => n % 3 !== 0);
      expect(
        await replayed('types', ['--aggregate-type', 'B', '--aggregate-type', 'C'], expected.length),
      ).toEqual(expected);
    });

    it('by aggregate id, and together with a time bound', async () => {
      const expected = where((n) => n % 4 === 1 && n >= 40);
      expect(
        await replayed('aggregate', ['--aggregate-id', 'x1', '--since', minute(40)], expected.length),
      ).toEqual(expected);
    });

    it('--dry-run counts by topic and sends nothing', async () => {
      const result = await runRelayCommand(['replay', '--aggregate-type', 'A', '--dry-run'], envFor('dry'));
      expect(result.code, result.output).toBe(0);
      expect(replayLines(result.output)).toEqual([
        {
          replay: 'dry-run',
          events: ROWS / 3,
          topics: { [`${fixture.topic('dry')}.A`]: ROWS / 3 },
          poison: {},
        },
      ]);
      expect(
        (await listTopics(fixture.kafkaBrokers)).filter((topic) => topic.startsWith(fixture.topic('dry'))),
      ).toEqual([]);
    });

    it('names a bad selection and exits 2 before sending', async () => {
      const bare = await runRelayCommand(['replay'], envFor('bad'));
      expect(bare.code).toBe(2);
      expect(bare.output).toContain('name the rows to publish');
      const notATime = await runRelayCommand(['replay', '--since', 'yesterday-ish'], envFor('bad'));
      expect(notATime.code).toBe(2);
      expect(notATime.output).toMatch(
        /a selector's value does not fit its column: invalid input syntax for type timestamp/,
      );
      const noColumn = await runRelayCommand(['replay', '--all', '--order-by', 'nope'], envFor('bad'));
      expect(noColumn.code).toBe(2);
      expect(noColumn.output).toContain('column "nope" must exist and be NOT NULL');
    });

    it('draws a progress bar on a terminal', { timeout: 60_000 }, async () => {
      // script(1) runs the command on a pseudo-terminal and copies what it draws.
      const command = [
        ...[process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'replay'],
        ...['--since', minute(0), '--until', minute(ROWS), '--rate', '30'],
      ];
      const child = spawn('script', ['-qefc', command.join(' '), '/dev/null'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...envFor('tty') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let drawn = '';
      child.stdout.on('data', (chunk: Buffer) => {
        drawn += chunk.toString();
      });
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code, drawn).toBe(0);
      const frames = drawn.split('\r\x1b[2K').slice(1);
      expect(frames.length).toBeGreaterThanOrEqual(4); // redrawn in place, several times a second
      expect(frames[1]).toMatch(/^\[[█░]{24}\] \d+% {2}\d+\/60 events {2}\d+\/s {2}ETA (\d+:\d\d|--:--)/);
      expect(frames.at(-1)).toMatch(/^\[█{24}\] 100% {2}60\/60 events .*\r?\ndone: 60 events sent/);
      expect(drawn).not.toContain('{"replay"');
    });
  });
});

describe('backfill of rows older than the slot', () => {
  it('init prints the replay command that publishes exactly the rows the slot will not stream', async () => {
    const database = await createTestDatabase('backfill');
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    try {
      const env = {
        ...OUTBOX_ENV(database.url, serviceUrls().kafkaBrokers, `slot_${database.name}`),
        OUTBOX_TOPIC_TEMPLATE: `${uniqueTopicPrefix()}.{aggregate_type}`,
      };
      // A table with rows before there is any slot, as when a team adopts the relay.
      const created = await runRelayCommand(['init', '--create-table'], {
        ...env,
        OUTBOX_SLOT: `other_${database.name}`,
      });
      expect(created.code, created.output).toBe(0);
      await sql.query(`SELECT pg_drop_replication_slot('other_${database.name}')`);
      await sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
        SELECT 'Old', 'o-' || (n % 3), 'Before', jsonb_build_object('n', n) FROM generate_series(1, 50) n`);

      const init = await runRelayCommand(['init'], env);
      expect(init.code, init.output).toBe(0);
      const command = /`outbox-relay (replay --until \S+)` publishes them/.exec(init.output)?.[1];
      expect(init.output).toContain('note: 50 rows already in public.outbox are not streamed');
      expect(command).toBeDefined();
      // Written after the slot: the stream's, not the backfill's.
      await sql.query(`INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
        SELECT 'Old', 'o-' || (n % 3), 'After', jsonb_build_object('n', n) FROM generate_series(1, 10) n`);

      const backfill = await runRelayCommand((command as string).split(' '), env);
      expect(backfill.code, backfill.output).toBe(0);
      const records = await consumeAll(
        serviceUrls().kafkaBrokers,
        [env.OUTBOX_TOPIC_TEMPLATE.replace('{aggregate_type}', 'Old')],
        {
          until: (read) => read.length >= 50,
          timeoutMs: 30_000,
          toEnd: true,
        },
      );
      expect(records.map((record) => record.headers.event_type)).toEqual(Array(50).fill('Before'));

      // A second init finds the slot made: it no longer offers the backfill.
      const again = await runRelayCommand(['init'], env);
      expect(again.output).not.toContain('note:');
    } finally {
      await sql.end();
      await database.drop();
    }
  });
});

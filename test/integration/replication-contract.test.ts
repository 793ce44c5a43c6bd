import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLsn, parseLsn } from '../../src/replication/lsn.js';
import { pgMicrosToUnixMs } from '../../src/replication/pg-time.js';
import type { CommitMessage, PgOutputMessage } from '../../src/replication/pgoutput/messages.js';
import { ReplicationStream } from '../../src/replication/stream.js';
import { createTestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The replication rules of the brief, checked against the server itself, and the reason the
 * relay does not use pg-logical-replication's acknowledge(): it confirms LSN + 1.
 */
describe('replication contract', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('contract');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('CREATE TABLE outbox (id serial PRIMARY KEY, note text)');
    await admin.query("CREATE PUBLICATION contract FOR TABLE outbox WITH (publish = 'insert')");
  });

  afterAll(async () => {
    await admin?.end();
    await database?.drop();
  });

  /** Two transactions whose commit records are adjacent in the WAL: A's end LSN is B's commit LSN. */
  async function adjacentCommits(): Promise<void> {
    const b = new pg.Client({ connectionString: database.url });
    await b.connect();
    await b.query('BEGIN');
    await b.query("INSERT INTO outbox (note) VALUES ('B')");
    await admin.query("INSERT INTO outbox (note) VALUES ('A')");
    await b.query('COMMIT');
    await b.end();
  }

  /** The server releases a slot a moment after its consumer disconnects. */
  async function released(slot: string): Promise<void> {
    await waitFor(
      async () => {
        const { rows } = await admin.query(
          'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active',
          [slot],
        );
        return rows.length === 0;
      },
      { timeoutMs: 10_000, message: `slot ${slot} released` },
    );
  }

  async function dropSlot(slot: string): Promise<void> {
    await released(slot);
    await admin.query('SELECT pg_drop_replication_slot($1)', [slot]);
  }

  /**
   * Commits pairs until two consecutive commits are adjacent in the WAL (other databases on
   * the server may write in between), and returns them.
   */
  async function adjacentPair(slot: string): Promise<{ a: CommitMessage; b: CommitMessage }> {
    for (let attempt = 1; attempt <= 50; attempt++) {
      await adjacentCommits();
      const commits = (await collect(slot, 2 * attempt)).filter(
        (m): m is CommitMessage => m.tag === 'commit',
      );
      for (let i = 0; i + 1 < commits.length; i++) {
        const [a, b] = [commits[i] as CommitMessage, commits[i + 1] as CommitMessage];
        if (b.commitLsn === a.endLsn) return { a, b };
      }
    }
    throw new Error(
      'no two adjacent commit records in 50 attempts (is something else writing WAL without pause?)',
    );
  }

  /** The first commit the slot sends now, with a marker transaction so that there is one. */
  async function firstCommitSent(slot: string): Promise<CommitMessage> {
    await admin.query("INSERT INTO outbox (note) VALUES ('marker')");
    const commit = (await collect(slot, 1)).find((m): m is CommitMessage => m.tag === 'commit');
    if (!commit) throw new Error('no commit');
    return commit;
  }

  async function collect(slot: string, count: number): Promise<PgOutputMessage[]> {
    await released(slot);
    const messages: PgOutputMessage[] = [];
    const stream = new ReplicationStream({
      connectionString: database.url,
      slot,
      publication: 'contract',
      applicationName: 'test',
      messages: false,
    });
    await stream.start({ onMessage: (message) => messages.push(message), onKeepalive: () => undefined });
    await waitFor(() => messages.filter((m) => m.tag === 'commit').length >= count, {
      timeoutMs: 10_000,
      message: 'commits',
    });
    await stream.stop();
    return messages;
  }

  it('commit timestamps decode to the server clock (PostgreSQL epoch 2000-01-01)', async () => {
    await admin.query("SELECT pg_create_logical_replication_slot('contract_time', 'pgoutput')");
    const { rows } = await admin.query<{ now_ms: string }>(
      "WITH i AS (INSERT INTO outbox (note) VALUES ('t') RETURNING 1) SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS now_ms FROM i",
    );
    const messages = await collect('contract_time', 1);
    const commit = messages.find((m) => m.tag === 'commit');
    expect(commit?.tag).toBe('commit');
    if (commit?.tag !== 'commit') return;
    const skewMs = pgMicrosToUnixMs(commit.commitTimeMicros) - Number(rows[0]?.now_ms);
    expect(Math.abs(skewMs)).toBeLessThan(5_000);
    await dropSlot('contract_time');
  });

  it('confirming exactly a Commit end LSN resends the next transaction even when its commit record is adjacent', async () => {
    await admin.query("SELECT pg_create_logical_replication_slot('contract_exact', 'pgoutput')");
    const { a, b } = await adjacentPair('contract_exact');

    await released('contract_exact');
    const stream = new ReplicationStream({
      connectionString: database.url,
      slot: 'contract_exact',
      publication: 'contract',
      applicationName: 'test',
      messages: false,
    });
    await stream.start({ onMessage: () => undefined, onKeepalive: () => undefined });
    stream.sendStatus({ written: a.endLsn, flushed: a.endLsn, nowMs: Date.now() });
    await waitFor(
      async () => {
        const { rows } = await admin.query<{ lsn: string }>(
          "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'contract_exact'",
        );
        return rows[0]?.lsn === formatLsn(a.endLsn);
      },
      { timeoutMs: 10_000, message: 'server took the confirmation' },
    );
    await stream.stop();

    expect((await firstCommitSent('contract_exact')).commitLsn).toBe(b.commitLsn);
    await dropSlot('contract_exact');
  });

  it("pg-logical-replication's acknowledge(lsn) confirms lsn + 1 and so loses that adjacent transaction", async () => {
    await admin.query("SELECT pg_create_logical_replication_slot('contract_library', 'pgoutput')");
    const { a, b } = await adjacentPair('contract_library');
    await released('contract_library');
    const service = new LogicalReplicationService(
      { connectionString: database.url },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    service.on('error', () => undefined);
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['contract'] });
    const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
    void service.subscribe(plugin, 'contract_library', '0/0').catch(() => undefined);
    await started;
    await service.acknowledge(formatLsn(a.endLsn));
    await waitFor(
      async () => {
        const { rows } = await admin.query<{ lsn: string }>(
          "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'contract_library'",
        );
        return rows[0]?.lsn !== undefined && parseLsn(rows[0].lsn) >= a.endLsn;
      },
      { timeoutMs: 10_000, message: 'server took the library confirmation' },
    );
    const { rows } = await admin.query<{ lsn: string }>(
      "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'contract_library'",
    );
    expect(rows[0]?.lsn).toBe(formatLsn((a.endLsn + 1n) as typeof a.endLsn));
    await service.stop();
    await released('contract_library');

    // Transaction B committed, was never acknowledged by anyone, and is not sent again.
    expect((await firstCommitSent('contract_library')).commitLsn).toBeGreaterThan(b.commitLsn);
    await dropSlot('contract_library');
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/replication/lsn.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { waitFor } from '../support/wait-for.js';

describe('idle outbox on a busy database', () => {
  const outbox = useOutboxFixture('idle');

  beforeAll(async () => {
    await outbox.writer.sql.query('CREATE TABLE busy (id bigserial PRIMARY KEY, filler text)');
  });

  it('advances the slot past 50 MB of WAL written only to other tables', async () => {
    await outbox.fixture.startRelay();
    const { rows: before } = await outbox.writer.sql.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    for (let i = 0; i < 12; i++) {
      await outbox.writer.sql.query(
        'INSERT INTO busy (filler) SELECT repeat(md5(g::text), 32) FROM generate_series(1, 4000) g',
      );
    }
    const { rows: after } = await outbox.writer.sql.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    const written = parseLsn(after[0]?.lsn ?? '0/0') - parseLsn(before[0]?.lsn ?? '0/0');
    expect(written).toBeGreaterThan(50n * 1024n * 1024n);

    const target = parseLsn(after[0]?.lsn ?? '0/0');
    const started = Date.now();
    await waitFor(async () => ((await outbox.fixture.confirmedFlushLsn()) ?? 0n) >= target, {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'confirmed_flush_lsn passed the WAL written to the other table',
    });
    console.info(
      `idle outbox: ${Number(written) >> 20} MiB of other WAL confirmed ${Date.now() - started} ms after the write`,
    );
  });
});

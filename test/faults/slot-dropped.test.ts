import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SetupError } from '../../src/errors.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { waitFor } from '../support/wait-for.js';

describe('fault: the replication slot dropped under a running relay', () => {
  const outbox = useOutboxFixture('slotdrop');

  it('stops with a fatal error naming the slot and the recovery, and never recreates it', async () => {
    const relay = await outbox.fixture.startRelay({ OUTBOX_RETRY_MAX_MS: '500' });
    await outbox.writer.transaction(10, { aggregateType: 'slotdrop' });
    const admin = new pg.Client({ connectionString: outbox.fixture.databaseUrl });
    await admin.connect();
    try {
      // An active slot cannot be dropped: end its walsender, as an operator would, and drop it
      // in the moment before the relay reconnects.
      await waitFor(
        async () => {
          const { rows } = await admin.query<{ active_pid: number | null }>(
            'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
            [outbox.fixture.slot],
          );
          if (rows.length === 0) return true;
          if (rows[0]?.active_pid) await admin.query('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
          await admin.query('SELECT pg_drop_replication_slot($1)', [outbox.fixture.slot]);
          return true;
        },
        { timeoutMs: 20_000, intervalMs: 20, message: 'slot dropped' },
      );
      await expect(relay.done).rejects.toThrow(SetupError);
      await expect(relay.done).rejects.toThrow(
        new RegExp(`slot "${outbox.fixture.slot}" does not exist: run \`outbox-relay init\``),
      );
      expect(relay.state).toBe('failed');
      const { rows } = await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
        outbox.fixture.slot,
      ]);
      expect(rows).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});

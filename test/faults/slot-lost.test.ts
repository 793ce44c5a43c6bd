import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { OUTBOX_ENV } from '../support/outbox.js';
import { runRelayCommand } from '../support/relay-process.js';
import { startScratchPostgres } from '../support/scratch-postgres.js';
import { serviceUrls } from '../support/services.js';

describe('fault: the slot invalidated by max_slot_wal_keep_size', () => {
  it('is a fatal error naming the slot, the possible loss and the recovery; nothing is recreated', async () => {
    const scratch = await startScratchPostgres({ walLevel: 'logical', port: 54341 });
    const superuser = new pg.Client(scratch.superuser);
    const app = new pg.Client({ connectionString: scratch.url });
    try {
      await superuser.connect();
      await app.connect();
      await superuser.query("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
      await superuser.query('SELECT pg_reload_conf()');
      const env = OUTBOX_ENV(scratch.url, serviceUrls().kafkaBrokers, 'lost_slot');
      expect((await runRelayCommand(['init', '--create-table'], env)).code).toBe(0);

      // With the relay down, more WAL than the slot may keep, then a checkpoint: PostgreSQL
      // removes the segments and invalidates the slot.
      await app.query('CREATE TABLE filler (payload text)');
      for (let i = 0; i < 6; i++) {
        await app.query('INSERT INTO filler SELECT repeat(md5(g::text), 32) FROM generate_series(1, 8000) g');
        await superuser.query('CHECKPOINT');
        await superuser.query('SELECT pg_switch_wal()');
      }
      await superuser.query('CHECKPOINT');
      const { rows } = await app.query<{ wal_status: string }>(
        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'",
      );
      expect(rows[0]?.wal_status).toBe('lost');

      const { code, output } = await runRelayCommand(['run'], env);
      expect(code).toBe(2);
      expect(output).toMatch(/replication slot "lost_slot" was invalidated \(wal_status = lost\)/);
      expect(output).toMatch(/events after its confirmed position may be missing/);
      expect(output).toMatch(/SELECT pg_drop_replication_slot\('lost_slot'\); then `outbox-relay init`/);
      const { rows: after } = await app.query(
        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'",
      );
      expect(after).toEqual([{ wal_status: 'lost' }]);
    } finally {
      await app.end().catch(() => undefined);
      await superuser.end().catch(() => undefined);
      await scratch.stop();
    }
  });
});

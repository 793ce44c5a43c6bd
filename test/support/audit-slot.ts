import type pg from 'pg';
import { type Lsn, parseLsn } from '../../src/replication/lsn.js';

/**
 * A second, independent slot (test_decoding) created before a workload: peeking it tells,
 * for every outbox row, the end LSN of its transaction's commit record, which is exactly
 * what the relay may confirm once the row is in Kafka. Events written as WAL messages
 * (OUTBOX_SOURCE=messages) are read from their envelope.
 */
export class AuditSlot {
  private constructor(
    private readonly client: pg.ClientBase,
    readonly name: string,
  ) {}

  static async create(client: pg.ClientBase, name: string): Promise<AuditSlot> {
    await client.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [name]);
    return new AuditSlot(client, name);
  }

  /** Event id -> commit end LSN, for every committed insert into the outbox so far. */
  async commitLsnById(): Promise<Map<string, Lsn>> {
    const { rows } = await this.client.query<{ lsn: string; data: string }>(
      `SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_changes($1, NULL, NULL, 'include-xids', '0')`,
      [this.name],
    );
    const result = new Map<string, Lsn>();
    let pending: string[] = [];
    for (const { lsn, data } of rows) {
      const id = insertedId(data) ?? messageId(data);
      if (id) pending.push(id);
      else if (data.startsWith('COMMIT')) {
        for (const pendingId of pending) result.set(pendingId, parseLsn(lsn));
        pending = [];
      } else if (data.startsWith('BEGIN')) pending = [];
    }
    return result;
  }

  async drop(): Promise<void> {
    await this.client.query('SELECT pg_drop_replication_slot($1)', [this.name]);
  }
}

/** test_decoding names the partition a row went to in a partitioned outbox: outbox_p20261126. */
function insertedId(data: string): string | undefined {
  return /^table public\.outbox(?:_\w+)?: INSERT: id\[uuid\]:'([0-9a-f-]+)'/.exec(data)?.[1];
}

/** test_decoding's line for pg_logical_emit_message(true, 'outbox', <envelope>). */
function messageId(data: string): string | undefined {
  const content = /^message: transactional: 1 prefix: outbox, sz: \d+ content:(.*)$/s.exec(data)?.[1];
  return content === undefined ? undefined : (JSON.parse(content) as { id?: string }).id;
}

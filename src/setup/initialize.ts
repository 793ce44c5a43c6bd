import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { type Preset, type RelayConfig, readsTable } from '../config/relay-config.js';
import { SetupError } from '../errors.js';
import type { OutboxLayout } from '../outbox/layout.js';
import { isPartitioned, OutboxPartitions } from '../outbox/partitions.js';
import {
  enableFailover,
  type Finding,
  failoverFindings,
  readFailoverFacts,
} from '../replication/failover.js';
import type { SlotState } from '../replication/slot-state.js';
import { parseQualifiedName, quotedTable, quoteIdentifier } from '../sql-quote.js';
import { checkOutboxTable, checkPublication, checkSlot, checkWalLevel, tableColumns } from './preflight.js';

export interface InitReport {
  readonly createdTable: boolean;
  readonly createdPublication: boolean;
  readonly addedTableToPublication: boolean;
  readonly createdSlot: boolean;
  /** Rows already in the table: the relay takes no snapshot, so these are never published. */
  readonly existingRows: number;
  /**
   * Taken after the slot was made: every row committed before the slot began has a timestamp
   * (its transaction's start) before this, so `replay --until` it publishes them.
   */
  readonly countedAt: Date;
  readonly slot: SlotState;
  /** On PostgreSQL 17+: whether the slot is a failover slot, and whether init just turned that on. */
  readonly slotFailover: 'on' | 'turned-on' | 'off' | 'unavailable';
  /** What failover of the slot needs, and what is missing. */
  readonly failover: readonly Finding[];
}

/** The table `init --create-table` makes: Debezium's for the debezium preset and its migration profiles. */
function tableSql(preset: Preset): string {
  return preset === 'default' ? 'outbox.sql' : 'outbox-debezium.sql';
}

/**
 * `outbox-relay init`: checks, then creates what is missing, in the order that works on
 * every PostgreSQL version: table, publication, then slot. Idempotent; drops nothing.
 */
export async function initialize(
  client: pg.ClientBase,
  config: RelayConfig,
  layout: OutboxLayout,
  options: { createTable: boolean; partitioned?: boolean },
): Promise<InitReport> {
  await checkWalLevel(client);
  await checkPrimary(client);
  await checkReplicationPrivilege(client);
  // With OUTBOX_SOURCE=messages there is no table: the publication stays empty (pgoutput needs
  // one; it does not filter messages).
  const withTable = readsTable(config);
  const createdTable =
    withTable &&
    options.createTable &&
    (await createTableIfMissing(client, config, options.partitioned ?? false));
  if (withTable) await checkOutboxTable(client, config.table, layout);
  const partitioned = withTable && (await isPartitioned(client, config.table));
  if (partitioned) {
    await new OutboxPartitions(client, config.table, config.partitionPeriodMs, () => undefined).ensure(
      Date.now(),
    );
  }
  const { created: createdPublication, addedTable } = await ensurePublication(
    client,
    config,
    withTable,
    partitioned,
  );
  await checkPublication(client, config.publication, withTable ? config.table : undefined);
  const createdSlot = await createSlotIfMissing(client, config);
  const slotFailover = await ensureFailover(client, config);
  const slot = await checkSlot(client, config.slot);
  const failover = failoverFindings(
    await readFailoverFacts(client, config.slot),
    config.slot,
    config.failoverSlot,
  );
  const { rows } = await client.query<{ count: string; counted_at: Date }>(
    withTable
      ? `SELECT count(*) AS count, clock_timestamp() AS counted_at FROM ${quotedTable(config.table)}`
      : 'SELECT 0 AS count, clock_timestamp() AS counted_at',
  );
  return {
    createdTable,
    createdPublication,
    addedTableToPublication: addedTable,
    createdSlot,
    existingRows: Number(rows[0]?.count ?? 0),
    countedAt: rows[0]?.counted_at ?? new Date(),
    slot,
    slotFailover,
    failover,
  };
}

/** A slot made on a standby is not the primary's failover slot: init never makes one there. */
async function checkPrimary(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
  if (rows[0]?.standby) {
    throw new SetupError(
      'this server is a standby: run `outbox-relay init` against the primary, or name every host in DATABASE_URL (host1:5432,host2:5432) so that the primary is found',
    );
  }
}

async function checkReplicationPrivilege(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ name: string; allowed: boolean }>(
    'SELECT rolname AS name, rolreplication OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user',
  );
  if (!rows[0]?.allowed) {
    throw new SetupError(
      `role "${rows[0]?.name}" lacks the REPLICATION attribute: run ALTER ROLE "${rows[0]?.name}" REPLICATION; as a superuser`,
    );
  }
}

async function createTableIfMissing(
  client: pg.ClientBase,
  config: RelayConfig,
  partitioned: boolean,
): Promise<boolean> {
  if (await tableColumns(client, config.table)) return false;
  if (partitioned && (config.preset !== 'default' || config.timestampColumn !== 'created_at')) {
    throw new SetupError(
      '--partitioned creates the default table, partitioned by created_at: it needs OUTBOX_PRESET=default and OUTBOX_COLUMN_TIMESTAMP=created_at',
    );
  }
  const file = partitioned ? 'outbox-partitioned.sql' : tableSql(config.preset);
  const template = readFileSync(new URL(`../../sql/${file}`, import.meta.url), 'utf8');
  const { schema } = parseQualifiedName(config.table);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  await client.query(template.replaceAll('public.outbox', quotedTable(config.table)));
  return true;
}

/**
 * A partitioned outbox is published through its root (publish_via_partition_root): the relay then
 * sees the table's own name and columns, and the records are the plain table's.
 */
async function ensurePublication(
  client: pg.ClientBase,
  config: RelayConfig,
  withTable: boolean,
  partitioned: boolean,
): Promise<{ created: boolean; addedTable: boolean }> {
  const publication = quoteIdentifier(config.publication);
  const { rows } = await client.query<{ viaRoot: boolean }>(
    'SELECT pubviaroot AS "viaRoot" FROM pg_publication WHERE pubname = $1',
    [config.publication],
  );
  const viaRoot = partitioned ? ', publish_via_partition_root = true' : '';
  if (rows.length === 0) {
    const tables = withTable ? ` FOR TABLE ${quotedTable(config.table)}` : '';
    await client.query(`CREATE PUBLICATION ${publication}${tables} WITH (publish = 'insert'${viaRoot})`);
    return { created: true, addedTable: false };
  }
  if (partitioned && !rows[0]?.viaRoot) {
    await client.query(`ALTER PUBLICATION ${publication} SET (publish_via_partition_root = true)`);
  }
  if (!withTable) return { created: false, addedTable: false };
  const { schema, name } = parseQualifiedName(config.table);
  const { rows: members } = await client.query(
    `SELECT 1 FROM pg_publication_tables
     WHERE pubname = $1 AND schemaname = $2 AND tablename = $3`,
    [config.publication, schema, name],
  );
  if (members.length > 0) return { created: false, addedTable: false };
  await client.query(`ALTER PUBLICATION ${publication} ADD TABLE ${quotedTable(config.table)}`);
  return { created: false, addedTable: true };
}

async function createSlotIfMissing(client: pg.ClientBase, config: RelayConfig): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
    config.slot,
  ]);
  if (rows.length > 0) return false;
  if (config.failoverSlot && (await serverMajor(client)) >= 17) {
    // (slot, plugin, temporary, twophase, failover)
    await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput', false, false, true)", [
      config.slot,
    ]);
  } else {
    await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [config.slot]);
  }
  return true;
}

/** Makes an existing slot a failover slot where OUTBOX_FAILOVER_SLOT asks for it (PostgreSQL 17+). */
async function ensureFailover(
  client: pg.ClientBase,
  config: RelayConfig,
): Promise<InitReport['slotFailover']> {
  if ((await serverMajor(client)) < 17) return 'unavailable';
  const { rows } = await client.query<{ failover: boolean }>(
    'SELECT failover FROM pg_replication_slots WHERE slot_name = $1',
    [config.slot],
  );
  if (rows[0]?.failover) return 'on';
  if (!config.failoverSlot) return 'off';
  await enableFailover(config.databaseUrl, config.slot);
  return 'turned-on';
}

async function serverMajor(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ version: string }>(
    "SELECT current_setting('server_version_num') AS version",
  );
  return Math.floor(Number(rows[0]?.version ?? 0) / 10_000);
}

import type pg from 'pg';
import { type RelayConfig, readsTable } from '../config/relay-config.js';
import { SetupError } from '../errors.js';
import { type OutboxLayout, requiredColumns } from '../outbox/layout.js';
import { readSlotState, type SlotState, slotMissingError } from '../replication/slot-state.js';
import { parseQualifiedName } from '../sql-quote.js';

/** `wal_level` must be logical, or no slot can decode anything. */
export async function checkWalLevel(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
  const level = rows[0]?.wal_level;
  if (level !== 'logical') {
    throw new SetupError(
      `PostgreSQL runs with wal_level=${level}; logical replication needs wal_level=logical. ` +
        "Run ALTER SYSTEM SET wal_level = 'logical'; and restart PostgreSQL (or set it in postgresql.conf).",
    );
  }
}

export interface TableColumn {
  readonly name: string;
  readonly notNull: boolean;
}

export async function tableColumns(client: pg.ClientBase, table: string): Promise<TableColumn[] | undefined> {
  const { rows } = await client.query<{
    exists: boolean;
    attname: string | null;
    attnotnull: boolean | null;
  }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists, a.attname, a.attnotnull
     FROM (SELECT 1) one
     LEFT JOIN pg_attribute a ON a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [table],
  );
  if (!rows[0]?.exists) return undefined;
  return rows.flatMap((row) =>
    row.attname === null ? [] : [{ name: row.attname, notNull: row.attnotnull === true }],
  );
}

/** Checks that the table has the layout's columns; returns the layout with the table's NOT NULL columns. */
export async function checkOutboxTable(
  client: pg.ClientBase,
  table: string,
  layout: OutboxLayout,
): Promise<OutboxLayout> {
  const found = await tableColumns(client, table);
  if (!found) {
    throw new SetupError(
      `the outbox table ${table} does not exist: create it (sql/outbox.sql, or \`outbox-relay init --create-table\`) or set OUTBOX_TABLE`,
    );
  }
  const columns = found.map((column) => column.name);
  const missing = requiredColumns(layout).filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new SetupError(
      `the outbox table ${table} has no column ${missing.map((c) => `"${c}"`).join(', ')} (it has ${columns.join(', ')}): ` +
        'set OUTBOX_COLUMN_* / OUTBOX_TOPIC_TEMPLATE to match, or choose OUTBOX_PRESET=debezium for a Debezium table',
    );
  }
  return { ...layout, notNullColumns: new Set(found.filter((c) => c.notNull).map((c) => c.name)) };
}

/** The publication must exist and, unless `table` is undefined (messages only), include the table. */
export async function checkPublication(
  client: pg.ClientBase,
  publication: string,
  table: string | undefined,
): Promise<void> {
  const target = table === undefined ? undefined : parseQualifiedName(table);
  const { rows } = await client.query<{ includes_table: boolean; partitioned: boolean; via_root: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_publication_tables
                    WHERE pubname = $1 AND schemaname = $2 AND tablename = $3)
            AS includes_table,
            EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $2 AND c.relname = $3 AND c.relkind = 'p') AS partitioned,
            pubviaroot AS via_root
     FROM pg_publication WHERE pubname = $1`,
    [publication, target?.schema ?? null, target?.name ?? null],
  );
  if (!rows[0]) {
    throw new SetupError(`publication "${publication}" does not exist: run \`outbox-relay init\``);
  }
  // Published through its partitions, a partitioned outbox's rows would come under the partitions' names.
  if (table !== undefined && rows[0].partitioned && !rows[0].via_root) {
    throw new SetupError(
      `publication "${publication}" publishes the partitions of ${table}, not the table: run \`outbox-relay init\` (it sets publish_via_partition_root = true)`,
    );
  }
  if (table !== undefined && !rows[0].includes_table) {
    throw new SetupError(
      `publication "${publication}" does not include ${table}: run \`outbox-relay init\` (it adds the table) or set OUTBOX_PUBLICATION`,
    );
  }
}

/** The slot must exist, use pgoutput, belong to this database and not be invalidated. */
export async function checkSlot(client: pg.ClientBase, slot: string): Promise<SlotState> {
  const state = await readSlotState(client, slot);
  if (!state) throw slotMissingError(slot);
  if (state.plugin !== 'pgoutput') {
    throw new SetupError(
      `replication slot "${slot}" uses the plugin "${state.plugin}", not pgoutput: choose another OUTBOX_SLOT`,
    );
  }
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  if (rows[0]?.db !== state.database) {
    throw new SetupError(
      `replication slot "${slot}" belongs to database "${state.database}", not "${rows[0]?.db}"`,
    );
  }
  if (state.walStatus === 'lost' || state.invalidationReason !== null) {
    throw new SetupError(
      `replication slot "${slot}" was invalidated (${invalidationCause(state)}, ` +
        'so events after its confirmed position may be missing. Recover with ' +
        `SELECT pg_drop_replication_slot('${slot}'); then \`outbox-relay init\`, and republish the missed rows from the table`,
    );
  }
  return state;
}

const INVALIDATION_CAUSES: Record<string, string> = {
  wal_removed: 'PostgreSQL removed WAL it still needed (max_slot_wal_keep_size)',
  idle_timeout: 'no relay used it for longer than idle_replication_slot_timeout',
  rows_removed: 'catalog rows it needed were removed (on a standby: hot_standby_feedback is off)',
  wal_level_insufficient: "the primary's wal_level is below logical",
};

/** `wal_status = lost: …`, with PostgreSQL 17's invalidation_reason where there is one. */
function invalidationCause(state: SlotState): string {
  const reason = state.invalidationReason ?? 'wal_removed';
  const columns = [
    `wal_status = ${state.walStatus}`,
    ...(state.invalidationReason === null ? [] : [`invalidation_reason = ${reason}`]),
  ];
  return `${columns.join(', ')}): ${INVALIDATION_CAUSES[reason] ?? reason}`;
}

/**
 * Everything `run` needs before it streams; each failure names its fix. Returns the layout
 * completed from the table (its NOT NULL columns).
 */
export async function preflight(
  client: pg.ClientBase,
  config: RelayConfig,
  layout: OutboxLayout,
): Promise<OutboxLayout> {
  await checkWalLevel(client);
  const withTable = readsTable(config);
  const checked = withTable ? await checkOutboxTable(client, config.table, layout) : layout;
  await checkPublication(client, config.publication, withTable ? config.table : undefined);
  await checkSlot(client, config.slot);
  return checked;
}
